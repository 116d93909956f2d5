// Where calls run: the Client Access servers (up or down, the current one), the
// account's concurrent-shell limit, the user load quota, per-shell command
// limits and latency. Every call passes through `call`.
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { ExchangeServer } from '../../../src/facts.js';
import type { ExchangeError, ExchangeSession } from '../../../src/ports.js';
import type { ExchangeCommand } from '../../../src/commands.js';
import type { Faults } from './faults.js';
import { CMDLETS, type Cmdlet, type ExchangeCounters, type SimulatedExchangeInit } from './types.js';

type ShellsInit = Pick<SimulatedExchangeInit, 'domain' | 'latencyMs' | 'runspaces' | 'quota' | 'commandsPerShell' | 'clock'>;

export class Shells {
  readonly counters: ExchangeCounters;
  private readonly domain: string;
  private readonly latency: (c: Cmdlet) => number;
  private readonly runspaces: number;
  private readonly clock: () => number;
  private inFlightCalls = 0;
  private openSessions = 0;
  private readonly servers = new Map<string, { name: string; up: boolean }>();
  private current: string;
  private readonly quota?: { readonly requests: number; readonly perMs: number };
  private readonly quotaWindow: number[] = [];
  private readonly commandsPerShell: number;

  constructor(
    init: ShellsInit,
    private readonly faults: Faults,
  ) {
    this.domain = init.domain;
    this.runspaces = init.runspaces ?? 18;
    if (!Number.isInteger(this.runspaces) || this.runspaces < 1)
      throw new Error(`runspaces must be a positive integer, got ${init.runspaces}`);
    const l = init.latencyMs ?? 0;
    this.latency = typeof l === 'number' ? () => l : (c) => l[c] ?? 0;
    this.clock = init.clock;
    this.quota = init.quota;
    this.commandsPerShell = init.commandsPerShell ?? 1000;
    for (const n of ['cas01', 'cas02']) this.servers.set(`${n}.${init.domain}`, { name: n.toUpperCase(), up: true });
    this.current = `cas01.${init.domain}`;
    this.counters = {
      commands: 0,
      reads: 0,
      maxConcurrent: 0,
      throttled: 0,
      failed: 0,
      sessionsOpened: 0,
      sessionsBroken: 0,
      maxOpenSessions: 0,
      quotaRefusals: 0,
      byCmdlet: Object.fromEntries(CMDLETS.map((c) => [c, 0])),
    };
  }

  get sessionsOpen(): number {
    return this.openSessions;
  }

  get inFlight(): number {
    return this.inFlightCalls;
  }

  currentServer(): string {
    return this.current;
  }

  /** Get-ExchangeServer: the CAS (up or down) and an Edge server. */
  exchangeServers(): ExchangeServer[] {
    return [
      ...[...this.servers].map(([fqdn, sv]) => ({
        name: sv.name,
        fqdn,
        isClientAccessServer: true,
        version: 'Version 15.2 (Build 1544.4)',
      })),
      { name: 'EDGE01', fqdn: `edge01.${this.domain}`, isClientAccessServer: false, version: 'Version 15.2 (Build 1544.4)' },
    ];
  }

  /** Points new calls and sessions at another CAS; refused while that server is down. */
  switchServer(fqdn: string): Promise<Either<ExchangeError, void>> {
    const sv = this.servers.get(fqdn.toLowerCase());
    if (!sv)
      return Promise.resolve(
        left({ kind: 'connectionLost', message: `Connecting to remote server ${fqdn} failed: the server name cannot be resolved.` }),
      );
    if (!sv.up) return Promise.resolve(left(this.downError(fqdn)));
    this.current = fqdn.toLowerCase();
    return Promise.resolve(right(undefined));
  }

  /** Test control: a CAS stops answering (every call and session on it fails) or answers again. */
  setServerUp(fqdn: string, up: boolean): void {
    const sv = this.servers.get(fqdn.toLowerCase());
    if (!sv) throw new Error(`no server ${fqdn}`);
    sv.up = up;
  }

  /** Opens a remote session on the current server; each counts against the concurrent-shell limit. */
  openSession(
    runInSession: (command: ExchangeCommand) => Promise<Either<ExchangeError, void>>,
  ): Promise<Either<ExchangeError, ExchangeSession>> {
    const server = this.current;
    if (!this.servers.get(server)!.up) return Promise.resolve(left(this.downError(server)));
    if (this.openSessions + this.inFlightCalls >= this.runspaces) {
      this.counters.throttled++;
      return Promise.resolve(left(this.shellLimitError()));
    }
    this.openSessions++;
    this.counters.sessionsOpened++;
    if (this.openSessions > this.counters.maxOpenSessions) this.counters.maxOpenSessions = this.openSessions;
    let closed = false;
    let commands = 0;
    const session: ExchangeSession = {
      server,
      execute: (command) => {
        if (closed) return Promise.resolve(left({ kind: 'sessionBroken', message: 'The session has been closed.' }));
        if (!this.servers.get(server)!.up) return Promise.resolve(left(this.downError(server)));
        if (++commands > this.commandsPerShell) {
          this.counters.sessionsBroken++;
          return Promise.resolve(
            left({
              kind: 'sessionBroken',
              message: `The state of the current PowerShell instance is not valid for this operation: the session is Broken after ${this.commandsPerShell} commands.`,
            }),
          );
        }
        return runInSession(command);
      },
      close: () => {
        if (!closed) {
          closed = true;
          this.openSessions--;
        }
        return Promise.resolve();
      },
    };
    return Promise.resolve(right(session));
  }

  /** Every call: runspace limit, counters, injected failures, latency. */
  call<A>(cmdlet: Cmdlet, isCommand: boolean, run: () => Either<ExchangeError, A>, inSession = false): Promise<Either<ExchangeError, A>> {
    const c = this.counters;
    c.byCmdlet[cmdlet] = (c.byCmdlet[cmdlet] ?? 0) + 1;
    // A call outside a session opens a shell of its own for its duration.
    if (!inSession && this.openSessions + this.inFlightCalls >= this.runspaces) {
      c.throttled++;
      return Promise.resolve(left(this.shellLimitError()));
    }
    if (!inSession && !this.servers.get(this.current)!.up) return Promise.resolve(left(this.downError(this.current)));
    if (this.quota) {
      const now = this.clock();
      const w = this.quotaWindow;
      while (w.length > 0 && w[0]! <= now - this.quota.perMs) w.shift();
      if (w.length >= this.quota.requests) {
        c.quotaRefusals++;
        const waitMs = Math.max(1, w[0]! + this.quota.perMs - now);
        return Promise.resolve(
          left({
            kind: 'throttled',
            waitMs,
            message: `The user load quota of ${this.quota.requests} requests per ${this.quota.perMs / 1000} seconds has been exceeded. Send future requests at a slower rate or raise the quota for this user. The next request from this user will not be approved for at least ${waitMs} milliseconds.`,
          }),
        );
      }
      w.push(now);
    }
    if (isCommand) c.commands++;
    else c.reads++;
    const failure = this.faults.take(cmdlet);
    this.inFlightCalls++;
    if (this.inFlightCalls > c.maxConcurrent) c.maxConcurrent = this.inFlightCalls;
    const finish = (): Either<ExchangeError, A> => {
      try {
        let r: Either<ExchangeError, A>;
        if (failure) {
          if (failure.applied) run();
          r = left(failure.error);
        } else r = run();
        if (isLeft(r)) c.failed++;
        return r;
      } finally {
        this.inFlightCalls--;
      }
    };
    const ms = this.latency(cmdlet);
    if (ms <= 0) {
      // no timer at all: 100k commands must stay cheap
      try {
        return Promise.resolve(finish());
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return new Promise((resolve, reject) => {
      setTimeout(() => {
        try {
          resolve(finish());
        } catch (e) {
          reject(e);
        }
      }, ms);
    });
  }

  private downError(fqdn: string): ExchangeError {
    return {
      kind: 'connectionLost',
      message: `Connecting to remote server ${fqdn} failed with the following error message: WinRM cannot complete the operation. Verify that the specified computer name is valid.`,
      server: fqdn,
    };
  }

  private shellLimitError(): ExchangeError {
    return {
      kind: 'throttled',
      waitMs: 1000,
      message: `The WS-Management service cannot process the request. This user is allowed a maximum number of ${this.runspaces} concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user.`,
    };
  }
}
