// ExchangeGateway over remote PowerShell: facts in, commands out, as data.
// Each port call becomes one or two requests {op, args} for the constant script;
// nothing here writes PowerShell text.
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { CasMailbox, DeviceAccessRule, ExchangeServer, MobileDevice, OrgSettings } from '../../src/facts.js';
import type { CasMailboxQuery, ExchangeError, ExchangeGateway, ExchangeSession, MobileDeviceQuery } from '../../src/ports.js';
import type { ExchangeCommand, ListChange } from '../../src/commands.js';
import type { CredentialProvider, Credentials } from './credentials.js';
import { DEFAULT_SHELL_QUOTA_WAIT_MS, redact, secretForms } from './errors.js';
import {
  decodeCasMailbox, decodeDeviceAccessRule, decodeExchangeServer, decodeMobileDevice, decodeOrgSettings, decodeOutput, decodeUser,
  type UserRecord,
} from './decode.js';
import { SessionPool, type PoolStats, type Request, type RequestSpec } from './pool.js';
import { toWire, type PsValue } from './protocol.js';
import { PwshSession, type Authentication, type Hello, type Logger, type SpawnFn } from './session.js';

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

export interface PowerShellGateway extends ExchangeGateway {
  openSession(): Promise<Either<ExchangeError, ExchangeSession>>;
  switchServer(fqdn: string): Promise<Either<ExchangeError, void>>;
  currentServer(): string | undefined;
  /** Known Client Access servers, the primary first. */
  servers(): readonly string[];
  stats(): PoolStats;
  close(): Promise<void>;
}

type Args = Record<string, PsValue>;

const request = (op: string, args: Args = {}): Request => ({ op, args: toWire(args) as Request['args'] });

const listChange = (c: ListChange): PsValue | undefined => {
  const h: Record<string, PsValue> = {};
  if (c.add.length > 0) h['Add'] = [...c.add];
  if (c.remove.length > 0) h['Remove'] = [...c.remove];
  return Object.keys(h).length > 0 ? h : undefined;
};

/**
 * The request for one command: the cmdlet (from the allowlist) and its parameters
 * as data. Exported for the property tests; the gateway uses nothing else.
 */
export function commandRequest(c: ExchangeCommand): Either<ExchangeError, { op: string; args: Args }> {
  switch (c.kind) {
    case 'setCasMailbox': {
      const args: Args = { Identity: c.mailbox };
      const a = listChange(c.allowedDeviceIds);
      const b = listChange(c.blockedDeviceIds);
      if (a !== undefined) args['ActiveSyncAllowedDeviceIDs'] = a;
      if (b !== undefined) args['ActiveSyncBlockedDeviceIDs'] = b;
      return right({ op: 'Set-CasMailbox', args });
    }
    case 'setOrgSettings': {
      const args: Args = {};
      if (c.defaultAccessLevel !== undefined) args['DefaultAccessLevel'] = c.defaultAccessLevel;
      if (c.userMailInsert !== undefined) args['UserMailInsert'] = c.userMailInsert;
      if (c.adminMailRecipients !== undefined) args['AdminMailRecipients'] = c.adminMailRecipients.length > 0 ? [...c.adminMailRecipients] : null;
      return right({ op: 'Set-ActiveSyncOrganizationSettings', args });
    }
    case 'newDeviceAccessRule':
      return right({
        op: 'New-ActiveSyncDeviceAccessRule',
        args: { Characteristic: c.characteristic, QueryString: c.queryString, AccessLevel: c.accessLevel },
      });
    case 'setDeviceAccessRule':
      return right({ op: 'Set-ActiveSyncDeviceAccessRule', args: { Identity: c.name, AccessLevel: c.accessLevel } });
    case 'removeDeviceAccessRule':
      return right({ op: 'Remove-ActiveSyncDeviceAccessRule', args: { Identity: c.name } });
    default: {
      const k = (c as { kind?: unknown }).kind;
      return left({ kind: 'other', message: `unknown command kind ${JSON.stringify(k)}` });
    }
  }
}

/** `fn` over `items` with at most `limit` running at once; results in input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const HOST = /^[A-Za-z0-9][A-Za-z0-9.-]*$/;

const hasCmdlet = (h: Hello, name: string) => h.cmdlets.some((c) => c.toLowerCase() === name.toLowerCase());
const lc = (s: string) => s.toLowerCase();

function positiveInt(name: string, v: number | undefined, dflt: number, min = 1): number {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x < min) throw new TypeError(`powershellGateway: ${name} must be an integer ≥ ${min}, got ${String(v)}`);
  return x;
}

/** The gateway. Throws TypeError on invalid options; every runtime failure is an Either. */
export function powershellGateway(options: PowerShellGatewayOptions): PowerShellGateway {
  const o = options;
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
  if (scheme !== 'http' && scheme !== 'https') throw new TypeError(`powershellGateway: scheme must be http or https, got ${String(scheme)}`);
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
    throw new TypeError(`powershellGateway: connection must be { kind: 'remote' } or { kind: 'module', path }, got ${JSON.stringify(connection)}`);
  }
  if (size < parallelism) {
    log({ level: 'warn', event: 'parallelismCapped', message: `parallelism ${parallelism} capped at ${size} (PowerShellMaxConcurrency ${maxConcurrency} − 2)` });
  }

  /** Every credential the provider returned (password and account name, in each encoding), redacted from every text. */
  const secrets = new Set<string>();
  const secretList = () => [...secrets].sort((a, b) => b.length - a.length);
  const scrubbed = new Set<string>((o.credentials as { variables?: readonly string[] } | undefined)?.variables ?? []);

  const childEnv = (creds: Credentials | undefined): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...(o.env ?? {}) };
    for (const k of Object.keys(env)) {
      const v = env[k];
      if (scrubbed.has(k) || (creds && v !== undefined && (v === creds.password || (creds.password.length >= 4 && v.includes(creds.password))))) delete env[k];
    }
    return env;
  };

  const newSession = async (server: string, id: number): Promise<Either<ExchangeError, PwshSession>> => {
    let creds: Credentials | undefined;
    if (o.credentials) {
      try {
        creds = await o.credentials();
      } catch (e) {
        return left({ kind: 'accessDenied', message: `the credential provider failed: ${redact(String((e as Error)?.message ?? e), secretList())}` });
      }
      if (!creds || typeof creds.username !== 'string' || typeof creds.password !== 'string' || creds.username === '') {
        return left({ kind: 'accessDenied', message: 'the credential provider returned no username and password' });
      }
      for (const f of secretForms(creds.password)) secrets.add(f);
      // the account name too (long enough not to blank out ordinary words)
      if (creds.username.length >= 4) for (const f of secretForms(creds.username)) secrets.add(f);
    }
    return right(new PwshSession({
      id, server,
      connectionUri: uriOf(server),
      authentication,
      ...(creds ? { credentials: creds } : {}),
      allowRedirection: o.allowRedirection ?? false,
      skipCertificateCheck: o.skipCertificateCheck ?? false,
      ...(connection.kind === 'module' ? { module: connection.path } : {}),
      pwshPath,
      pwshArgsPrefix: o.pwshArgsPrefix ?? [],
      env: childEnv(creds),
      ...(o.spawn ? { spawn: o.spawn } : {}),
      connectTimeoutMs, closeTimeoutMs, shellQuotaWaitMs,
      secrets: secretList(),
      log,
    }));
  };

  const discovered = (records: readonly ExchangeServer[]) => {
    const known = pool.servers();
    const fresh = records.filter((s) => s.isClientAccessServer && HOST.test(s.fqdn)
      && !known.some((x) => lc(x) === lc(s.fqdn) || lc(x) === lc(s.name) || lc(x) === lc(s.fqdn).split('.')[0]));
    const added = pool.addServers(fresh.map((s) => s.fqdn));
    if (added.length > 0) log({ level: 'info', event: 'serversDiscovered', message: `Client Access servers for failover: ${added.join(', ')}` });
  };

  const pool = new SessionPool({
    size, budget,
    maxCommandsPerSession: positiveInt('maxCommandsPerSession', o.maxCommandsPerSession, 999),
    maxSessionAgeMs: positiveInt('maxSessionAgeMs', o.maxSessionAgeMs, 14 * 60_000),
    abandonedSessionTtlMs: positiveInt('abandonedSessionTtlMs', o.abandonedSessionTtlMs, 15 * 60_000, 0),
    closeTimeoutMs,
    autoFailover: failover,
    probeIntervalMs: positiveInt('probeIntervalMs', o.probeIntervalMs, 5 * 60_000, 0),
    servers: [o.server, ...(o.servers ?? [])].filter((x, i, all) => all.findIndex((y) => lc(y) === lc(x)) === i),
    newSession,
    log,
    ...(failover ? {
      onFirstConnect: async (run) => {
        const r = await run(request('Get-ExchangeServer'), commandTimeoutMs);
        if (isLeft(r)) {
          log({ level: 'warn', event: 'discoveryFailed', message: `cannot list the Client Access servers for failover: ${r.left.message}` });
          return;
        }
        const d = decodeOutput('Get-ExchangeServer', r.right.chunks, decodeExchangeServer);
        if (isLeft(d)) log({ level: 'warn', event: 'discoveryFailed', message: d.left.message });
        else discovered(d.right);
      },
    } satisfies Partial<ConstructorParameters<typeof SessionPool>[0]> : {}),
  });

  const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

  /** A read: idempotent, so retried on a fresh session (connectionLost) or after the named wait (throttled). */
  async function read(spec: RequestSpec): Promise<Either<ExchangeError, readonly unknown[] | undefined>> {
    for (let attempt = 0; ; attempt++) {
      const r = await pool.run(spec, commandTimeoutMs);
      if (!isLeft(r)) return right(r.right?.chunks);
      const e = r.left;
      const retryable = e.kind === 'connectionLost' || (e.kind === 'throttled' && e.waitMs <= maxReadThrottleWaitMs);
      if (!retryable || attempt >= readRetries) return r;
      log({ level: 'info', event: 'readRetry', message: `retrying a read after ${e.kind}: ${e.message}` });
      if (e.kind === 'throttled') await sleep(e.waitMs);
    }
  }

  const deviceCmdlet = (h: Hello) => (hasCmdlet(h, 'Get-MobileDevice') ? 'Get-MobileDevice' : 'Get-ActiveSyncDevice');

  async function getMobileDevices(query?: MobileDeviceQuery): Promise<Either<ExchangeError, MobileDevice[]>> {
    let after: number | undefined;
    if (query?.firstSyncAfter !== undefined) {
      after = Date.parse(query.firstSyncAfter);
      if (Number.isNaN(after)) return left({ kind: 'other', message: `firstSyncAfter is not a date: ${JSON.stringify(query.firstSyncAfter)}` });
    }
    const args: Args = { ResultSize: 'Unlimited' };
    if (after !== undefined) args['FirstSyncAfter'] = new Date(after).toISOString();
    let op = 'Get-MobileDevice';
    const r = await read((h) => { op = deviceCmdlet(h); return request(op, args); });
    if (isLeft(r)) return r;
    const d = decodeOutput(op, r.right ?? [], decodeMobileDevice);
    if (isLeft(d) || after === undefined) return d;
    // the server-side filter has a margin (time zones); this is the exact cut
    const cut = after;
    return right(d.right.filter((x) => x.firstSyncTime !== undefined && Date.parse(x.firstSyncTime) > cut));
  }

  function joinUpns(mailboxes: CasMailbox[], users: readonly UserRecord[]): CasMailbox[] {
    const byKey = new Map<string, string>();
    for (const u of users) {
      if (!u.userPrincipalName) continue;
      for (const k of [u.distinguishedName, u.guid, u.identity]) if (k) byKey.set(lc(k), u.userPrincipalName);
    }
    return mailboxes.map((m) => {
      if (m.userPrincipalName) return m;
      const upn = [m.distinguishedName, m.guid, m.identity].map((k) => (k ? byKey.get(lc(k)) : undefined)).find((x) => x !== undefined);
      return upn ? { ...m, userPrincipalName: upn } : m;
    });
  }

  const userSpec = (args: Args): RequestSpec => (h) => (hasCmdlet(h, 'Get-User') ? request('Get-User', args) : undefined);
  let warnedNoGetUser = false;

  async function users(args: Args, notFoundIsEmpty: boolean): Promise<Either<ExchangeError, UserRecord[]>> {
    if (!resolveUpns) return right([]);
    const r = await read(userSpec(args));
    if (isLeft(r)) {
      if (notFoundIsEmpty && r.left.kind === 'notFound') return right([]);
      if (r.left.kind === 'accessDenied') {
        log({ level: 'warn', event: 'noUserPrincipalNames', message: `Get-User refused (${r.left.message}); mailboxes are matched without their UPN` });
        return right([]);
      }
      return r;
    }
    if (r.right === undefined) {
      if (!warnedNoGetUser) {
        warnedNoGetUser = true;
        log({ level: 'warn', event: 'noUserPrincipalNames', message: 'Get-User is not available to this account; mailboxes are matched without their UPN' });
      }
      return right([]);
    }
    return decodeOutput('Get-User', r.right, decodeUser);
  }

  async function getCasMailboxes(query?: CasMailboxQuery): Promise<Either<ExchangeError, CasMailbox[]>> {
    if (query?.identities) {
      const results = await mapLimit(query.identities, size, async (identity): Promise<Either<ExchangeError, CasMailbox[]>> => {
        const r = await read(request('Get-CasMailbox', { Identity: identity }));
        if (isLeft(r)) return r.left.kind === 'notFound' ? right<ExchangeError, CasMailbox[]>([]) : r;
        const d = decodeOutput('Get-CasMailbox', r.right ?? [], decodeCasMailbox);
        if (isLeft(d) || d.right.length === 0) return d;
        const u = await users({ Identity: identity }, true);
        if (isLeft(u)) return u;
        return right(joinUpns(d.right, u.right));
      });
      const out: CasMailbox[] = [];
      const seen = new Set<string>();
      for (const r of results) {
        if (isLeft(r)) return r;
        for (const m of r.right) {
          const key = lc(m.guid ?? m.distinguishedName ?? m.identity);
          if (!seen.has(key)) { seen.add(key); out.push(m); }
        }
      }
      return right(out);
    }
    const r = await read(request('Get-CasMailbox', { WithPartnership: true, ResultSize: 'Unlimited' }));
    if (isLeft(r)) return r;
    const d = decodeOutput('Get-CasMailbox', r.right ?? [], decodeCasMailbox);
    if (isLeft(d) || d.right.length === 0) return d;
    const u = await users({ ResultSize: 'Unlimited' }, false);
    if (isLeft(u)) return u;
    return right(joinUpns(d.right, u.right));
  }

  async function getOrgSettings(): Promise<Either<ExchangeError, OrgSettings>> {
    const r = await read(request('Get-ActiveSyncOrganizationSettings'));
    if (isLeft(r)) return r;
    const d = decodeOutput('Get-ActiveSyncOrganizationSettings', r.right ?? [], decodeOrgSettings);
    if (isLeft(d)) return d;
    const first = d.right[0];
    if (!first) return left({ kind: 'invalidOutput', message: 'Get-ActiveSyncOrganizationSettings returned nothing', path: 'Get-ActiveSyncOrganizationSettings' });
    return right(first);
  }

  async function getDeviceAccessRules(): Promise<Either<ExchangeError, DeviceAccessRule[]>> {
    const r = await read(request('Get-ActiveSyncDeviceAccessRule'));
    if (isLeft(r)) return r;
    return decodeOutput('Get-ActiveSyncDeviceAccessRule', r.right ?? [], decodeDeviceAccessRule);
  }

  async function getExchangeServers(): Promise<Either<ExchangeError, ExchangeServer[]>> {
    const r = await read(request('Get-ExchangeServer'));
    if (isLeft(r)) return r;
    const d = decodeOutput('Get-ExchangeServer', r.right ?? [], decodeExchangeServer);
    if (!isLeft(d) && failover) discovered(d.right);
    return d;
  }

  async function execute(command: ExchangeCommand): Promise<Either<ExchangeError, void>> {
    const c = commandRequest(command);
    if (isLeft(c)) return c;
    const r = await pool.run(request(c.right.op, c.right.args), commandTimeoutMs);
    if (isLeft(r)) return r;
    for (const w of r.right?.warnings ?? []) log({ level: 'debug', event: 'cmdletWarning', message: `${c.right.op}: ${w}` });
    return right(undefined);
  }

  /** A session of the caller's own (the engine's lanes): its commands run one after another on one remote session. */
  async function openSession(): Promise<Either<ExchangeError, ExchangeSession>> {
    const a = await pool.acquireExclusive();
    if (isLeft(a)) return a;
    const s = a.right;
    let closed = false;
    return right({
      server: s.server,
      async execute(command: ExchangeCommand): Promise<Either<ExchangeError, void>> {
        if (closed) return left({ kind: 'sessionBroken', message: 'the session was closed' });
        const c = commandRequest(command);
        if (isLeft(c)) return c;
        const req = request(c.right.op, c.right.args);
        const r = await s.call(req.op, req.args, commandTimeoutMs);
        if (isLeft(r)) return r;
        for (const w of r.right.warnings) log({ level: 'debug', event: 'cmdletWarning', message: `${c.right.op}: ${w}`, server: s.server, session: s.id });
        return right(undefined);
      },
      async close(): Promise<void> {
        if (closed) return;
        closed = true;
        pool.releaseExclusive(s);
      },
    });
  }

  /** CAS failover: new sessions go to `fqdn` once one connects there (connectionLost otherwise, nothing changes). */
  async function switchServer(fqdn: string): Promise<Either<ExchangeError, void>> {
    if (typeof fqdn !== 'string' || !HOST.test(fqdn)) return left({ kind: 'other', message: `not a server name: ${JSON.stringify(fqdn)}` });
    return pool.switchTo(fqdn);
  }

  return {
    getMobileDevices,
    getCasMailboxes,
    getOrgSettings,
    getDeviceAccessRules,
    getExchangeServers,
    execute,
    openSession,
    switchServer,
    currentServer: () => pool.currentServer(),
    servers: () => pool.servers(),
    stats: () => pool.stats(),
    close: () => pool.close(),
  };
}
