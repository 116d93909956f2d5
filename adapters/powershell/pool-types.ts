// The types of the PowerShell session pool (pool.ts): what a request is, how a
// pool is configured, and what it reports.
import type { Either } from 'fp-ts/lib/Either.js';
import type { ExchangeError } from '../../src/ports.js';
import type { WireValue } from './protocol.js';
import type { CallOutput, Hello, Logger, PwshSession } from './session.js';

export interface Request {
  readonly op: string;
  readonly args: Readonly<Record<string, WireValue>>;
}

/** A request, or a function choosing it from the session's hello (available cmdlets); undefined = nothing to run. */
export type RequestSpec = Request | ((hello: Hello) => Request | undefined);

export interface PoolConfig {
  /** Shared sessions at most. */
  readonly size: number;
  /** Remote sessions at most, all kinds and states counted. */
  readonly budget: number;
  readonly maxCommandsPerSession: number;
  readonly maxSessionAgeMs: number;
  readonly abandonedSessionTtlMs: number;
  readonly closeTimeoutMs: number;
  readonly autoFailover: boolean;
  readonly probeIntervalMs: number;
  /** Primary first. */
  readonly servers: readonly string[];
  /** A new, not yet started session for `server` (resolves the credential). */
  readonly newSession: (server: string, id: number) => Promise<Either<ExchangeError, PwshSession>>;
  /** Runs once on the first session that connects, before it serves anything (CAS discovery). */
  readonly onFirstConnect?: (run: (request: Request, timeoutMs: number) => Promise<Either<ExchangeError, CallOutput>>) => Promise<void>;
  readonly log: Logger;
}

export interface PoolStats {
  /** Sessions starting, idle, busy or held. */
  readonly live: number;
  readonly idle: number;
  readonly busy: number;
  /** Held by callers (openSession). */
  readonly held: number;
  readonly starting: number;
  /** Closing gracefully or being killed, process not yet gone. */
  readonly closing: number;
  /** Processes not yet exited. */
  readonly processes: number;
  readonly pids: readonly number[];
  /** Remote sessions left open by killed/crashed processes, still counted against the quota. */
  readonly abandonedOpen: number;
  readonly spawned: number;
  readonly recycled: number;
  readonly killed: number;
  readonly abandoned: number;
  readonly switches: number;
  /** Most remote sessions (live + closing + abandoned) counted at once. */
  readonly maxInUse: number;
  readonly server: string | undefined;
}
