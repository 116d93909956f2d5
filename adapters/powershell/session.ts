// One long-lived PowerShell child process = one remote Exchange session.
// It runs the constant SCRIPT (argv: -EncodedCommand of that constant, nothing
// else), gets the server and the credential in the first stdin frame, then one
// request at a time. Frames are recognised by a per-session nonce; everything
// else on stdout/stderr is noise (logged, redacted, ignored). A request that gets
// no frame for `timeoutMs` kills the process; so does a protocol violation; either
// way the request fails with sessionBroken (retryable on another session) and the
// pool replaces the session. Failing to connect is connectionLost (with the server).
import { spawn as nodeSpawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { ExchangeError } from '../../src/ports.js';
import { mapPsError, redact } from './errors.js';
import { asciiJson, parseLine, toWireString, type CallFrame, type ConnectFrame, type PsErrorInfo, type WireValue } from './protocol.js';
import { SCRIPT } from './scripts.js';
import type { CallOutput, Hello, LogEntry, SessionConfig, SessionState } from './session-types.js';
import type { Credentials } from './credentials.js';

export type { Authentication, CallOutput, Hello, LogEntry, Logger, SessionConfig, SessionState, SpawnFn } from './session-types.js';

/** Arguments every child gets; the script itself follows as -EncodedCommand. */
export const PWSH_ARGS: readonly string[] = ['-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass'];

/** SCRIPT as -EncodedCommand wants it: base64 of UTF-16LE. */
export const ENCODED_SCRIPT = Buffer.from(SCRIPT, 'utf16le').toString('base64');

/** The complete argv of a child (after the executable). Constant apart from the prefix. */
export const pwshArguments = (prefix: readonly string[] = []): string[] => [...prefix, ...PWSH_ARGS, '-EncodedCommand', ENCODED_SCRIPT];

type Waiter =
  | { readonly kind: 'hello'; readonly resolve: (r: Either<ExchangeError, Hello>) => void; timer?: NodeJS.Timeout }
  | {
      readonly kind: 'call';
      readonly id: number;
      readonly op: string;
      readonly timeoutMs: number;
      readonly chunks: unknown[];
      timer?: NodeJS.Timeout;
      readonly resolve: (r: Either<ExchangeError, CallOutput>) => void;
    };

/** SIGKILL to the child's process group (the launcher and PowerShell under it), else to the child. */
function killTree(child: ChildProcess): void {
  if (process.platform !== 'win32' && child.pid !== undefined) {
    try {
      process.kill(-child.pid, 'SIGKILL');
      return;
    } catch {
      /* not a group leader (a custom spawn): the child alone */
    }
  }
  try {
    child.kill('SIGKILL');
  } catch {
    /* already gone */
  }
}

const MAX_PENDING_TEXT = 64 * 1024 * 1024;
const STDERR_LINES = 20;
const cut = (s: string, n = 300) => (s.length > n ? s.slice(0, n) + '…' : s);

export class PwshSession {
  state: SessionState = 'new';
  /** Requests sent on this session. */
  commands = 0;
  startedAt = 0;
  pid: number | undefined;
  hello: Hello | undefined;
  /** The remote session is open (hello ok, no bye yet). */
  remoteOpen = false;
  /** The process is gone. */
  exited = false;
  /** The process left an open remote session behind (killed or crashed before Remove-PSSession). */
  abandoned = false;
  /** Why the process was killed, if it was. */
  killReason: string | undefined;
  /** Called once, when the process has exited (or could not be started). */
  onExit: ((s: PwshSession) => void) | undefined;
  readonly whenExited: Promise<void>;

  private child: ChildProcess | undefined;
  private credentials: Credentials | undefined;
  private readonly nonce = randomBytes(16).toString('hex');
  private pending = '';
  private waiter: Waiter | undefined;
  private seq = 0;
  private stderrTail: string[] = [];
  private markExited!: () => void;

  constructor(private readonly cfg: SessionConfig) {
    this.credentials = cfg.credentials;
    this.whenExited = new Promise((res) => (this.markExited = res));
  }

  get id(): number {
    return this.cfg.id;
  }
  get server(): string {
    return this.cfg.server;
  }

  /** Spawns the child, sends the connect frame, waits for its hello. */
  start(): Promise<Either<ExchangeError, Hello>> {
    if (this.state !== 'new') return Promise.resolve(left({ kind: 'other', message: 'a session starts only once' }));
    this.state = 'starting';
    this.startedAt = Date.now();
    let child: ChildProcess;
    try {
      // its own process group (POSIX), so that a kill reaches PowerShell itself: pwsh installed as
      // a .NET tool is a launcher whose child runs PowerShell and would outlive the launcher
      child = (this.cfg.spawn ?? nodeSpawn)(this.cfg.pwshPath, pwshArguments(this.cfg.pwshArgsPrefix), {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: this.cfg.env,
        windowsHide: true,
        detached: process.platform !== 'win32',
      });
    } catch (e) {
      this.finish(undefined, undefined);
      return Promise.resolve(left(this.cannotStart(e)));
    }
    this.child = child;
    this.pid = child.pid;
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => this.onStdout(d));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => this.onStderr(d));
    child.stdin!.on('error', () => {
      /* EPIPE: the exit that follows reports it */
    });
    child.on('error', (e) => {
      if (this.pid === undefined && !this.exited) {
        this.fail(this.cannotStart(e));
        this.finish(undefined, undefined);
      } else {
        this.log('warn', 'processError', `PowerShell process error: ${e.message}`);
      }
    });
    child.on('close', (code, signal) => this.finish(code, signal));

    return new Promise((resolve) => {
      const w: Waiter = { kind: 'hello', resolve };
      w.timer = setTimeout(() => {
        if (this.waiter !== w) return;
        this.fail(
          this.lost(
            `no answer from ${this.server} within ${this.cfg.connectTimeoutMs} ms while connecting; the PowerShell process was killed`,
          ),
        );
        void this.kill('connect timeout');
      }, this.cfg.connectTimeoutMs);
      this.waiter = w;
      const c = this.credentials;
      const frame: ConnectFrame = {
        t: 'connect',
        nonce: this.nonce,
        connectionUri: toWireString(this.cfg.connectionUri),
        authentication: toWireString(this.cfg.authentication),
        ...(c ? { username: toWireString(c.username), password: toWireString(c.password) } : {}),
        ...(this.cfg.allowRedirection ? { allowRedirection: true } : {}),
        ...(this.cfg.skipCertificateCheck ? { skipCertificateCheck: true } : {}),
        ...(this.cfg.module !== undefined ? { module: toWireString(this.cfg.module) } : {}),
      };
      this.credentials = undefined;
      this.write(frame);
    });
  }

  /** One request; the session must be ready. `timeoutMs` bounds the silence between frames. */
  call(op: string, args: Readonly<Record<string, WireValue>>, timeoutMs: number): Promise<Either<ExchangeError, CallOutput>> {
    if (this.state !== 'ready')
      return Promise.resolve(left(this.broken(`the PowerShell session is ${this.state === 'dead' ? 'gone' : this.state}`)));
    this.state = 'busy';
    this.commands++;
    const id = ++this.seq;
    return new Promise((resolve) => {
      const w: Waiter = { kind: 'call', id, op, timeoutMs, chunks: [], resolve };
      this.waiter = w;
      this.arm(w);
      const frame: CallFrame = { t: 'call', id, op, args };
      this.write(frame);
    });
  }

  /** Graceful end: the script removes the remote session and exits; killed after closeTimeoutMs. */
  async close(): Promise<void> {
    if (this.exited) return;
    if (this.state === 'ready') {
      this.state = 'closing';
      this.write({ t: 'close' });
      this.child?.stdin?.end();
    } else if (this.state !== 'closing') {
      return this.kill(`closed while ${this.state}`);
    }
    const t = setTimeout(() => void this.kill('did not exit after close'), this.cfg.closeTimeoutMs);
    await this.whenExited;
    clearTimeout(t);
  }

  /** Kills the process (SIGKILL) and waits for it to be gone. */
  kill(reason: string): Promise<void> {
    if (!this.exited && this.child) {
      if (this.killReason === undefined) {
        this.killReason = reason;
        this.log('warn', 'sessionKilled', `PowerShell session killed: ${reason}`);
      }
      if (this.state !== 'dead') this.state = 'closing';
      killTree(this.child);
    }
    return this.whenExited;
  }

  // ---------------------------------------------------------------- internals
  private write(frame: object): void {
    const stdin = this.child?.stdin;
    if (!stdin || stdin.destroyed || stdin.writableEnded) return;
    stdin.write(asciiJson(frame) + '\n');
  }

  private arm(w: Waiter & { kind: 'call' }): void {
    if (w.timer) clearTimeout(w.timer);
    w.timer = setTimeout(() => {
      if (this.waiter !== w) return;
      this.fail(this.broken(`${w.op} got no answer from ${this.server} within ${w.timeoutMs} ms; the PowerShell session was killed`));
      void this.kill(`${w.op} timed out`);
    }, w.timeoutMs);
  }

  private onStdout(d: string): void {
    this.pending += d;
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      const line = this.pending.slice(0, nl).replace(/\r$/, '');
      this.pending = this.pending.slice(nl + 1);
      this.onLine(line);
      if (this.exited) return;
    }
    if (this.pending.length > MAX_PENDING_TEXT) {
      this.pending = '';
      this.protocolError('more than 64 MB of output without a line end');
    }
  }

  private onLine(line: string): void {
    const p = parseLine(line, this.nonce);
    if (p.kind === 'noise') {
      if (line.trim() !== '') this.log('debug', 'noise', cut(this.redact(line)));
      return;
    }
    if (p.kind === 'corrupt') return this.protocolError(p.reason);
    const f = p.frame;
    const w = this.waiter;
    switch (f.t) {
      case 'hello':
        if (w?.kind !== 'hello') return this.protocolError('unexpected hello frame');
        this.settle(w);
        if (f.ok) {
          this.state = 'ready';
          this.remoteOpen = true;
          this.hello = { psVersion: f.psVersion, cmdlets: f.cmdlets, warnings: f.warnings.map((x) => this.redact(x)) };
          this.log('info', 'sessionStarted', `connected to ${this.server} (PowerShell ${f.psVersion || '?'}, ${f.cmdlets.length} cmdlets)`);
          for (const x of this.hello.warnings) this.log('warn', 'sessionWarning', x);
          w.resolve(right(this.hello));
        } else {
          // the script removes what it opened and exits by itself
          this.state = 'closing';
          const t = setTimeout(() => void this.kill('did not exit after a failed connection'), this.cfg.closeTimeoutMs);
          void this.whenExited.then(() => clearTimeout(t));
          w.resolve(left(this.mapError(f.error)));
        }
        return;
      case 'chunk':
        if (w?.kind !== 'call' || w.id !== f.id) return this.protocolError(`unexpected chunk for request ${f.id}`);
        w.chunks.push(f.records);
        this.arm(w);
        return;
      case 'end':
        if (w?.kind !== 'call' || w.id !== f.id) return this.protocolError(`unexpected end of request ${f.id}`);
        this.settle(w);
        {
          const e = f.ok ? undefined : this.mapError(f.error);
          if (this.state === 'busy') {
            if (f.open && e?.kind !== 'connectionLost' && e?.kind !== 'sessionBroken') {
              this.state = 'ready';
            } else {
              // the remote session is gone: the script removes it and exits (told again, in case it waits)
              this.state = 'closing';
              this.write({ t: 'close' });
              this.child?.stdin?.end();
              const t = setTimeout(() => void this.kill('did not exit after losing its remote session'), this.cfg.closeTimeoutMs);
              void this.whenExited.then(() => clearTimeout(t));
            }
          }
          if (e === undefined && f.ok)
            w.resolve(right({ chunks: w.chunks, count: f.count, warnings: f.warnings.map((x) => this.redact(x)) }));
          else w.resolve(left(e!));
        }
        return;
      case 'bye':
        this.remoteOpen = false;
        if (this.state !== 'dead') this.state = 'closing';
        return;
    }
  }

  private onStderr(d: string): void {
    for (const raw of d.split(/\r?\n/)) {
      const line = raw.trim();
      if (line === '') continue;
      const safe = cut(this.redact(line));
      this.stderrTail.push(safe);
      if (this.stderrTail.length > STDERR_LINES) this.stderrTail.shift();
      this.log('debug', 'stderr', safe);
    }
  }

  private protocolError(reason: string): void {
    this.log('error', 'protocolError', `protocol error from the PowerShell session: ${reason}`);
    const message = `protocol error from the PowerShell session (${reason}); the session was killed`;
    this.fail(this.waiter?.kind === 'hello' ? this.lost(message) : this.broken(message));
    void this.kill('protocol error');
  }

  private settle(w: Waiter): void {
    if (w.timer) clearTimeout(w.timer);
    if (this.waiter === w) this.waiter = undefined;
  }

  /** Fails whoever waits (hello or call) with `e`. */
  private fail(e: ExchangeError): void {
    const w = this.waiter;
    if (!w) return;
    this.settle(w);
    if (w.kind === 'hello') w.resolve(left(e));
    else w.resolve(left(e));
  }

  private finish(code: number | null | undefined, signal: NodeJS.Signals | null | undefined): void {
    if (this.exited) return;
    this.exited = true;
    // a connect that timed out may have opened the remote session already: count it
    this.abandoned = this.remoteOpen || this.killReason === 'connect timeout';
    this.remoteOpen = false;
    this.state = 'dead';
    if (this.pending.trim() !== '') this.onLine(this.pending.replace(/\r$/, ''));
    this.pending = '';
    if (this.waiter) {
      const how = signal ? `was killed (${signal})` : `exited with code ${code ?? '?'}`;
      const tail = this.stderrTail.length ? `: ${this.stderrTail.slice(-3).join(' | ')}` : '';
      const what = this.waiter.kind === 'hello' ? 'before connecting' : `during ${this.waiter.op}`;
      const message = `the PowerShell process ${how} ${what}${tail}`;
      this.fail(this.waiter.kind === 'hello' ? this.lost(message) : this.broken(message));
    }
    this.log(
      this.killReason || this.abandoned ? 'warn' : 'debug',
      'sessionExited',
      `PowerShell process ended (${signal ?? `code ${code ?? '?'}`})${this.abandoned ? '; its remote session was left open and counts against the quota until Exchange drops it' : ''}`,
    );
    this.markExited();
    const cb = this.onExit;
    this.onExit = undefined;
    cb?.(this);
  }

  private mapError(info: PsErrorInfo): ExchangeError {
    const safe: PsErrorInfo = {
      category: this.redact(info.category),
      reason: this.redact(info.reason),
      fullyQualifiedErrorId: this.redact(info.fullyQualifiedErrorId),
      message: this.redact(info.message),
    };
    return mapPsError(safe, { server: this.server, shellQuotaWaitMs: this.cfg.shellQuotaWaitMs });
  }

  /** Could not reach the server (connecting). */
  private lost(message: string): ExchangeError {
    return { kind: 'connectionLost', message, server: this.server };
  }

  /** This session is unusable (timed out, crashed, closed): another one may work. */
  private broken(message: string): ExchangeError {
    return { kind: 'sessionBroken', message };
  }

  private cannotStart(e: unknown): ExchangeError {
    const code = (e as NodeJS.ErrnoException | undefined)?.code;
    return {
      kind: 'other',
      message: `cannot start PowerShell (${this.cfg.pwshPath}${code ? `: ${code}` : ''}): install PowerShell 7 or set pwshPath`,
    };
  }

  private redact(s: string): string {
    return redact(s, this.cfg.secrets);
  }

  private log(level: LogEntry['level'], event: string, message: string): void {
    this.cfg.log({ level, event, message, server: this.server, session: this.id, ...(this.pid !== undefined ? { pid: this.pid } : {}) });
  }
}
