// The gateway's options, checked once (TypeError on a bad one) and with their defaults.
import { DEFAULT_SHELL_QUOTA_WAIT_MS } from './errors.js';
import type { CredentialProvider } from './credentials.js';
import type { Authentication, Logger, SpawnFn } from './session.js';

export interface PowerShellGatewayOptions {
  /** The primary Client Access server (FQDN), e.g. `cas01.contoso.com`. */
  readonly server: string;
  /** Further Client Access servers for autoFailover, in order. */
  readonly servers?: readonly string[];
  /**
   * Fail over inside the gateway: discover the other CAS (Get-ExchangeServer) after the
   * first connection, try the next one when a session cannot connect, probe the primary.
   * Default false: the engine's CAS failover drives `switchServer` (and records each switch);
   * turn this on when embedding the gateway without the engine.
   */
  readonly autoFailover?: boolean;
  /** Default `http` (Kerberos protects the traffic); use `https` with Basic. */
  readonly scheme?: 'http' | 'https';
  /** Default `Kerberos`. */
  readonly authentication?: Authentication;
  /** The remote PowerShell endpoint of a server. Default `<scheme>://<server>/PowerShell/`. */
  readonly connectionUri?: (server: string) => string;
  /** The service account's credential. Without it, Kerberos uses the process's own identity. */
  readonly credentials?: CredentialProvider;
  /** New-PSSession -AllowRedirection (Basic over https). Default false. */
  readonly allowRedirection?: boolean;
  /** Skip CA/CN/revocation checks of the https certificate (lab servers only). Default false. */
  readonly skipCertificateCheck?: boolean;
  /**
   * How a session reaches Exchange. Default `{ kind: 'remote' }`: New-PSSession to the
   * server's /PowerShell/ endpoint and Import-PSSession. `{ kind: 'module', path }` imports
   * that PowerShell module first, whose New-PSSession, Import-PSSession and Remove-PSSession
   * take the place of PowerShell's (a stand-in for Exchange, for tests and labs); everything
   * else the script does is the same.
   */
  readonly connection?: ConnectionOption;
  /** The PowerShell 7 executable. Default `pwsh` (on PATH). */
  readonly pwshPath?: string;
  /** Arguments put before pwsh's own (tests run a stand-in: `node fake-pwsh.js`). */
  readonly pwshArgsPrefix?: readonly string[];
  /** Extra environment for the child. Credential variables (see envCredentials) are removed from it. */
  readonly env?: Readonly<Record<string, string>>;
  /** Concurrent remote sessions. Default 1, as the original connector. */
  readonly parallelism?: number;
  /** The account's PowerShellMaxConcurrency. Default 18; at most maxConcurrency − 2 sessions are used. */
  readonly maxConcurrency?: number;
  /** A session is recycled (Remove-PSSession, new session) after this many requests. Default 999 (before 1,000). */
  readonly maxCommandsPerSession?: number;
  /** …or once it is this old. Default 14 minutes (before 15). */
  readonly maxSessionAgeMs?: number;
  /** Connecting (New-PSSession, Import-PSSession, Set-ADServerSettings) may take this long. Default 120 s. */
  readonly connectTimeoutMs?: number;
  /** Longest silence from a running request (between output chunks) before its process is killed. Default 300 s. */
  readonly commandTimeoutMs?: number;
  /** How long a graceful close may take before the process is killed. Default 15 s. */
  readonly closeTimeoutMs?: number;
  /** Wait after "maximum number of N concurrent shells". Default 5 s. */
  readonly shellQuotaWaitMs?: number;
  /** How long a killed process's remote session is assumed to count against the quota. Default 15 minutes. */
  readonly abandonedSessionTtlMs?: number;
  /** With autoFailover, how often to try the primary again after failing over. Default 5 minutes. */
  readonly probeIntervalMs?: number;
  /** Reads (idempotent) are retried this many times on connectionLost and throttled. Default 2. Commands are never retried here. */
  readonly readRetries?: number;
  /** Longest throttling wait a read honours before retrying; longer waits fail the read as throttled. Default 60 s. */
  readonly maxReadThrottleWaitMs?: number;
  /** Join UserPrincipalName from Get-User (one bulk call per full read). Default true; skipped if the account lacks Get-User. */
  readonly resolveUserPrincipalNames?: boolean;
  /** Structured log; every text from PowerShell is redacted before it gets here. */
  readonly logger?: Logger;
  /** Replaces child_process.spawn (tests). */
  readonly spawn?: SpawnFn;
}

export type ConnectionOption = { readonly kind: 'remote' } | { readonly kind: 'module'; readonly path: string };

export const HOST = /^[A-Za-z0-9][A-Za-z0-9.-]*$/;

export const lc = (s: string) => s.toLowerCase();

function positiveInt(name: string, v: number | undefined, dflt: number, min = 1): number {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x < min) throw new TypeError(`powershellGateway: ${name} must be an integer ≥ ${min}, got ${String(v)}`);
  return x;
}

/** The options with every default applied. */
export interface ResolvedOptions {
  readonly authentication: Authentication;
  readonly maxConcurrency: number;
  /** Remote sessions at most (maxConcurrency − 2). */
  readonly budget: number;
  /** Shared sessions: parallelism, capped by the budget. */
  readonly size: number;
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly closeTimeoutMs: number;
  readonly readRetries: number;
  readonly maxReadThrottleWaitMs: number;
  readonly shellQuotaWaitMs: number;
  readonly failover: boolean;
  readonly resolveUpns: boolean;
  readonly uriOf: (server: string) => string;
  readonly log: Logger;
  readonly pwshPath: string;
  readonly connection: ConnectionOption;
  readonly maxCommandsPerSession: number;
  readonly maxSessionAgeMs: number;
  readonly abandonedSessionTtlMs: number;
  readonly probeIntervalMs: number;
  /** Primary first, without duplicates (case-insensitive). */
  readonly servers: readonly string[];
}

/** Checks the options in a fixed order (the first bad one is the TypeError) and applies the defaults. */
export function resolveOptions(o: PowerShellGatewayOptions): ResolvedOptions {
  if (typeof o.server !== 'string' || !HOST.test(o.server)) {
    throw new TypeError(`powershellGateway: server must be a host name, got ${JSON.stringify(o.server)}`);
  }
  for (const s of o.servers ?? []) {
    if (!HOST.test(s)) throw new TypeError(`powershellGateway: servers must be host names, got ${JSON.stringify(s)}`);
  }
  const authentication = o.authentication ?? 'Kerberos';
  if (!['Kerberos', 'Basic', 'Negotiate', 'Default'].includes(authentication)) {
    throw new TypeError(`powershellGateway: authentication must be Kerberos, Basic, Negotiate or Default, got ${String(authentication)}`);
  }
  if (authentication === 'Basic' && !o.credentials) throw new TypeError('powershellGateway: Basic authentication needs credentials');
  const scheme = o.scheme ?? 'http';
  if (scheme !== 'http' && scheme !== 'https')
    throw new TypeError(`powershellGateway: scheme must be http or https, got ${String(scheme)}`);
  const maxConcurrency = positiveInt('maxConcurrency', o.maxConcurrency, 18, 3);
  const budget = maxConcurrency - 2;
  const parallelism = positiveInt('parallelism', o.parallelism, 1);
  const size = Math.min(parallelism, budget);
  const commandTimeoutMs = positiveInt('commandTimeoutMs', o.commandTimeoutMs, 300_000);
  const connectTimeoutMs = positiveInt('connectTimeoutMs', o.connectTimeoutMs, 120_000);
  const closeTimeoutMs = positiveInt('closeTimeoutMs', o.closeTimeoutMs, 15_000);
  const readRetries = positiveInt('readRetries', o.readRetries, 2, 0);
  const maxReadThrottleWaitMs = positiveInt('maxReadThrottleWaitMs', o.maxReadThrottleWaitMs, 60_000, 0);
  const shellQuotaWaitMs = positiveInt('shellQuotaWaitMs', o.shellQuotaWaitMs, DEFAULT_SHELL_QUOTA_WAIT_MS, 0);
  const failover = o.autoFailover ?? false;
  const resolveUpns = o.resolveUserPrincipalNames ?? true;
  const uriOf = o.connectionUri ?? ((server: string) => `${scheme}://${server}/PowerShell/`);
  const log: Logger = o.logger ?? (() => undefined);
  const pwshPath = o.pwshPath ?? 'pwsh';
  const connection = o.connection ?? { kind: 'remote' };
  if (connection.kind === 'module' ? typeof connection.path !== 'string' || connection.path.trim() === '' : connection.kind !== 'remote') {
    throw new TypeError(
      `powershellGateway: connection must be { kind: 'remote' } or { kind: 'module', path }, got ${JSON.stringify(connection)}`,
    );
  }
  if (size < parallelism) {
    log({
      level: 'warn',
      event: 'parallelismCapped',
      message: `parallelism ${parallelism} capped at ${size} (PowerShellMaxConcurrency ${maxConcurrency} − 2)`,
    });
  }
  return {
    authentication,
    maxConcurrency,
    budget,
    size,
    commandTimeoutMs,
    connectTimeoutMs,
    closeTimeoutMs,
    readRetries,
    maxReadThrottleWaitMs,
    shellQuotaWaitMs,
    failover,
    resolveUpns,
    uriOf,
    log,
    pwshPath,
    connection,
    maxCommandsPerSession: positiveInt('maxCommandsPerSession', o.maxCommandsPerSession, 999),
    maxSessionAgeMs: positiveInt('maxSessionAgeMs', o.maxSessionAgeMs, 14 * 60_000),
    abandonedSessionTtlMs: positiveInt('abandonedSessionTtlMs', o.abandonedSessionTtlMs, 15 * 60_000, 0),
    probeIntervalMs: positiveInt('probeIntervalMs', o.probeIntervalMs, 5 * 60_000, 0),
    servers: [o.server, ...(o.servers ?? [])].filter((x, i, all) => all.findIndex((y) => lc(y) === lc(x)) === i),
  };
}
