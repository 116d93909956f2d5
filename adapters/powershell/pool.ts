// The PowerShell sessions of one gateway: shared ones (each request takes an idle session, at most
// `size` of them) and exclusive ones (held by a caller across many commands: the engine's lanes), which
// join the idle ones when given back working and not due, so the next lane or request needs no new one.
//
// Quota accounting (every remote session counts against the account's PowerShellMaxConcurrency):
// sessions starting, idle, busy, held, closing, and those a killed or crashed process left open on the
// server (for `abandonedSessionTtlMs`) together never exceed `budget` (maxConcurrency − 2). Sessions
// are recycled (closed gracefully, with Remove-PSSession) after `maxCommandsPerSession` requests or
// `maxSessionAgeMs`, or when they are on another server than the current one; dead ones are replaced.
//
// Servers: new sessions connect to the current server. `switchTo` moves to another one once a session
// there connects (the engine's CAS failover drives it); with `autoFailover`, a session that cannot
// connect also tries the next server by itself, and the primary again every `probeIntervalMs`.
import { isLeft, isRight, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { ExchangeError } from '../../src/ports.js';
import type { CallOutput, PwshSession } from './session.js';
import type { PoolConfig, PoolStats, RequestSpec } from './pool-types.js';

export type { PoolConfig, PoolStats, Request, RequestSpec } from './pool-types.js';

const closedError: ExchangeError = { kind: 'other', message: 'the PowerShell gateway is closed' };
const same = (a: string | undefined, b: string | undefined) => a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();

interface AcquireMode {
  readonly exclusive: boolean;
  /** Only a new session on this server (switchTo). */
  readonly server?: string;
}

export class SessionPool {
  private readonly serverList: string[];
  private readonly idle: PwshSession[] = [];
  private readonly busy = new Set<PwshSession>();
  private readonly held = new Set<PwshSession>();
  private readonly closing = new Set<PwshSession>();
  private readonly processes = new Set<PwshSession>();
  private startingShared = 0;
  private startingExclusive = 0;
  private abandonedAt: number[] = [];
  private waiters: (() => void)[] = [];
  private current = 0;
  private lastProbe = 0;
  private nextId = 0;
  private connectedOnce = false;
  private closed = false;
  private closedPromise: Promise<void> | undefined;
  private maxInUse = 0;
  private readonly counters = { spawned: 0, recycled: 0, killed: 0, abandoned: 0, switches: 0 };

  constructor(private readonly cfg: PoolConfig) {
    this.serverList = [...cfg.servers];
  }

  servers(): readonly string[] {
    return [...this.serverList];
  }

  /** Adds servers (failover candidates) not yet known. */
  addServers(servers: readonly string[]): string[] {
    const added: string[] = [];
    for (const s of servers) {
      if (!this.serverList.some((x) => same(x, s))) {
        this.serverList.push(s);
        added.push(s);
      }
    }
    return added;
  }

  /** The server new sessions connect to. */
  currentServer(): string | undefined {
    return this.serverList[this.current];
  }

  /** One request on a shared session. A session that broke under it is reported as connectionLost. */
  async run(spec: RequestSpec, timeoutMs: number): Promise<Either<ExchangeError, CallOutput | undefined>> {
    const a = await this.acquire({ exclusive: false });
    if (isLeft(a)) return a;
    const s = a.right;
    try {
      const req = typeof spec === 'function' ? spec(s.hello!) : spec;
      if (req === undefined) return right(undefined);
      const r = await s.call(req.op, req.args, timeoutMs);
      if (isLeft(r) && r.left.kind === 'sessionBroken') return left({ kind: 'connectionLost', message: r.left.message, server: s.server });
      return r;
    } finally {
      this.release(s);
    }
  }

  /** A session for the caller alone, until releaseExclusive. */
  acquireExclusive(): Promise<Either<ExchangeError, PwshSession>> {
    return this.acquire({ exclusive: true });
  }

  /** Gives a held session back: kept idle if it works, is not due and `size` allows; else (or `retire`) ended in the background. */
  releaseExclusive(s: PwshSession, retire = false): void {
    if (!this.held.delete(s)) return;
    if (!retire && s.state === 'ready' && !this.closed && !this.due(s) && this.idle.length < this.cfg.size) this.idle.push(s);
    else if (s.state === 'ready') this.retire(s, 'close');
    else this.track(s);
    this.wake();
  }

  /** Moves to `server` once a session there connects; sessions elsewhere are then recycled. */
  async switchTo(server: string): Promise<Either<ExchangeError, void>> {
    this.addServers([server]);
    const a = await this.acquire({ exclusive: true, server });
    if (isLeft(a)) return a;
    const s = a.right;
    const index = this.serverList.findIndex((x) => same(x, server));
    if (index !== this.current) {
      this.counters.switches++;
      this.cfg.log({
        level: 'info',
        event: 'serverSwitched',
        message: `new sessions now connect to ${server} (was ${this.currentServer()})`,
        server,
      });
      this.current = index;
    }
    this.held.delete(s);
    this.idle.push(s);
    for (const x of [...this.idle])
      if (this.due(x)) {
        this.idle.splice(this.idle.indexOf(x), 1);
        this.retire(x, 'recycle');
      }
    this.wake();
    return right(undefined);
  }

  stats(): PoolStats {
    return {
      live: this.live(),
      idle: this.idle.length,
      busy: this.busy.size,
      held: this.held.size,
      starting: this.startingShared + this.startingExclusive,
      closing: this.closing.size,
      processes: this.processes.size,
      pids: [...this.processes].map((s) => s.pid).filter((p): p is number => p !== undefined),
      abandonedOpen: this.abandonedOpen(),
      ...this.counters,
      maxInUse: this.maxInUse,
      server: this.currentServer(),
    };
  }

  /** Lets running requests finish (up to closeTimeoutMs), then closes every session; resolves when every process is gone. */
  close(): Promise<void> {
    if (!this.closedPromise) this.closedPromise = this.shutdown();
    return this.closedPromise;
  }

  // ---------------------------------------------------------------- internals
  private live(): number {
    return this.startingShared + this.startingExclusive + this.busy.size + this.held.size + this.idle.length;
  }

  private shared(): number {
    return this.startingShared + this.busy.size + this.idle.length;
  }

  private abandonedOpen(): number {
    const cutoff = Date.now() - this.cfg.abandonedSessionTtlMs;
    this.abandonedAt = this.abandonedAt.filter((t) => t > cutoff);
    return this.abandonedAt.length;
  }

  private inUse(): number {
    return this.live() + this.closing.size + this.abandonedOpen();
  }

  private note(): void {
    this.maxInUse = Math.max(this.maxInUse, this.inUse());
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private due(s: PwshSession): boolean {
    return (
      s.commands >= this.cfg.maxCommandsPerSession ||
      Date.now() - s.startedAt >= this.cfg.maxSessionAgeMs ||
      !same(s.server, this.currentServer())
    );
  }

  private async acquire(mode: AcquireMode): Promise<Either<ExchangeError, PwshSession>> {
    for (;;) {
      if (this.closed) return left(closedError);
      if (mode.server === undefined) {
        while (this.idle.length > 0) {
          const s = this.idle.pop()!;
          if (s.state !== 'ready') {
            this.track(s);
            continue;
          }
          if (this.due(s)) {
            this.retire(s, 'recycle');
            continue;
          }
          (mode.exclusive ? this.held : this.busy).add(s);
          return right(s);
        }
      }
      const sizeOk = mode.exclusive || this.shared() < this.cfg.size;
      if (sizeOk && this.inUse() < this.cfg.budget) {
        if (mode.exclusive) this.startingExclusive++;
        else this.startingShared++;
        this.note();
        let r: Either<ExchangeError, PwshSession>;
        try {
          r = await this.startSession(mode.server);
        } finally {
          if (mode.exclusive) this.startingExclusive--;
          else this.startingShared--;
        }
        if (isLeft(r)) {
          this.wake();
          return r;
        }
        if (this.closed) {
          this.retire(r.right, 'close');
          return left(closedError);
        }
        (mode.exclusive ? this.held : this.busy).add(r.right);
        return r;
      }
      if (mode.server !== undefined && this.idle.length > 0) {
        // make room on the new server: an idle session elsewhere goes
        this.retire(this.idle.shift()!, 'recycle');
      } else if (this.live() === 0 && this.closing.size === 0) {
        const oldest = Math.min(...this.abandonedAt);
        const waitMs = Math.max(1_000, oldest + this.cfg.abandonedSessionTtlMs - Date.now());
        return left({
          kind: 'throttled',
          waitMs,
          message: `all ${this.cfg.budget} PowerShell sessions this gateway may use are held by sessions that were killed and not yet dropped by Exchange`,
        });
      }
      await new Promise<void>((res) => this.waiters.push(res));
    }
  }

  private release(s: PwshSession): void {
    this.busy.delete(s);
    if (s.state === 'ready' && !this.closed) {
      if (this.due(s)) this.retire(s, 'recycle');
      else this.idle.push(s);
    } else {
      this.track(s);
    }
    this.wake();
  }

  /** A session that is no longer usable: it counts as closing until its process is gone. */
  private track(s: PwshSession): void {
    if (s.exited) return;
    if (s.state === 'ready') {
      this.retire(s, 'close');
      return;
    }
    this.closing.add(s);
    if (s.state !== 'closing' && s.state !== 'dead') void s.kill('unusable');
  }

  private retire(s: PwshSession, why: 'recycle' | 'close'): void {
    if (why === 'recycle') {
      this.counters.recycled++;
      this.cfg.log({
        level: 'debug',
        event: 'sessionRecycled',
        message: `recycling the session after ${s.commands} commands`,
        server: s.server,
        session: s.id,
      });
    }
    if (s.exited) return;
    this.closing.add(s);
    void s.close();
  }

  private onExit(s: PwshSession): void {
    this.processes.delete(s);
    this.closing.delete(s);
    // a busy or held session whose process died: from now on it counts as abandoned (or not at all)
    this.busy.delete(s);
    this.held.delete(s);
    const i = this.idle.indexOf(s);
    if (i >= 0) this.idle.splice(i, 1);
    if (s.killReason !== undefined) this.counters.killed++;
    if (s.abandoned) {
      this.counters.abandoned++;
      this.abandonedAt.push(Date.now());
      setTimeout(() => this.wake(), this.cfg.abandonedSessionTtlMs + 10).unref();
    }
    this.note();
    this.wake();
  }

  private serverOrder(): number[] {
    const count = this.serverList.length;
    if (!this.cfg.autoFailover || count <= 1) return [this.current];
    const order: number[] = [];
    if (this.current !== 0 && Date.now() - this.lastProbe >= this.cfg.probeIntervalMs) {
      this.lastProbe = Date.now();
      order.push(0);
    }
    for (let k = 0; k < count; k++) {
      const i = (this.current + k) % count;
      if (!order.includes(i)) order.push(i);
    }
    return order;
  }

  private async startSession(target?: string): Promise<Either<ExchangeError, PwshSession>> {
    const order = target !== undefined ? [this.serverList.findIndex((x) => same(x, target))] : this.serverOrder();
    let last: ExchangeError | undefined;
    for (const index of order) {
      const server = this.serverList[index]!;
      const made = await this.cfg.newSession(server, ++this.nextId);
      if (isLeft(made)) return made;
      if (this.closed) return left(closedError);
      const s = made.right;
      this.processes.add(s);
      s.onExit = () => this.onExit(s);
      this.counters.spawned++;
      const hello = await s.start();
      if (isRight(hello)) {
        if (target === undefined && index !== this.current) {
          const from = this.currentServer();
          this.counters.switches++;
          this.cfg.log({
            level: 'warn',
            event: index === 0 ? 'primaryRestored' : 'failover',
            message:
              index === 0
                ? `back on the primary Client Access server ${server}`
                : `Client Access server ${from} is not answering; switched to ${server}`,
            server,
          });
          this.current = index;
        }
        if (!this.connectedOnce && this.cfg.onFirstConnect) {
          this.connectedOnce = true;
          await this.cfg.onFirstConnect((req, timeoutMs) => s.call(req.op, req.args, timeoutMs));
          if (s.state !== 'ready') {
            this.track(s);
            return left({ kind: 'connectionLost', message: `the session to ${server} was lost right after connecting`, server });
          }
        }
        this.connectedOnce = true;
        return right(s);
      }
      this.track(s);
      last = hello.left;
      if (hello.left.kind !== 'connectionLost' || target !== undefined || !this.cfg.autoFailover) return left(hello.left);
      this.cfg.log({ level: 'warn', event: 'connectFailed', message: `cannot connect to ${server}: ${hello.left.message}`, server });
    }
    return left(last ?? { kind: 'other', message: 'no Exchange server is configured' });
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    this.wake();
    const deadline = Date.now() + this.cfg.closeTimeoutMs;
    const running = () => this.busy.size > 0 || [...this.held].some((s) => s.state === 'busy');
    while (running() && Date.now() < deadline) {
      await new Promise<void>((res) => {
        const t = setTimeout(res, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
    for (const s of [...this.busy, ...this.held]) {
      if (s.state === 'ready') {
        this.retire(s, 'close');
        continue;
      }
      this.closing.add(s);
      void s.kill('gateway closed with the session in use');
    }
    this.busy.clear();
    this.held.clear();
    for (const s of this.idle.splice(0)) this.retire(s, 'close');
    for (const s of this.processes) if (s.state === 'starting') void s.kill('gateway closed while connecting');
    while (this.processes.size > 0 || this.startingShared + this.startingExclusive > 0) {
      await Promise.all([...this.processes].map((s) => s.whenExited));
      if (this.startingShared + this.startingExclusive > 0) await new Promise((res) => setTimeout(res, 10));
    }
  }
}
