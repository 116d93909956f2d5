// The connector configuration file (README, "The connector as a service"), validated strictly: an
// unknown key or a bad value is an error with its path. Secrets are only ever
// named by environment variable.
import * as t from 'io-ts';
import { readFile } from 'node:fs/promises';
import { dirname, resolve, isAbsolute } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import { strict, decodeWith } from '../../src/codec.js';
import { decodeText, parseJsonText } from '../exports/text.js';
import { formatInputError } from '../shared/input-errors.js';
import { InputFailure } from './io.js';
import { hasInlineCredentials, isEventStoreDbSpec, withCredentials } from '../shared/connection-string.js';
import { parseListen, isLoopback, type ListenAddress } from './listen.js';
import { ProxyConfigC } from '../graph/config.js';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  new t.Type<number, number, unknown>(
    `integer ${min}..${max}`,
    (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= min && u <= max,
    (u, c) =>
      typeof u === 'number' && Number.isInteger(u) && u >= min && u <= max
        ? t.success(u)
        : t.failure(u, c, `expected an integer from ${min} to ${max}`),
    t.identity,
  );
const envName = new t.Type<string, string, unknown>(
  'environment variable name',
  (u): u is string => typeof u === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(u),
  (u, c) =>
    typeof u === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(u)
      ? t.success(u)
      : t.failure(u, c, 'expected the NAME of an environment variable (secrets are never written in the file)'),
  t.identity,
);
const hhmm = new t.Type<string, string, unknown>(
  'HH:MM',
  (u): u is string => typeof u === 'string' && /^([01]?\d|2[0-3]):[0-5]\d$/.test(u),
  (u, c) => (typeof u === 'string' && /^([01]?\d|2[0-3]):[0-5]\d$/.test(u) ? t.success(u) : t.failure(u, c, 'expected a UTC time HH:MM')),
  t.identity,
);
const listen = new t.Type<string, string, unknown>(
  'host:port',
  (u): u is string => typeof u === 'string' && typeof parseListen(u) === 'object',
  (u, c) => {
    if (typeof u !== 'string') return t.failure(u, c, 'expected host:port, e.g. 127.0.0.1:8089');
    const a = parseListen(u);
    return typeof a === 'object' ? t.success(u) : t.failure(u, c, a);
  },
  t.identity,
);
const hostName = new t.Type<string, string, unknown>(
  'host name',
  (u): u is string => typeof u === 'string' && /^[A-Za-z0-9.-]{1,253}$/.test(u),
  (u, c) =>
    typeof u === 'string' && /^[A-Za-z0-9.-]{1,253}$/.test(u)
      ? t.success(u)
      : t.failure(u, c, 'expected a host name as clients write it in the Host header, without port'),
  t.identity,
);

const common = { parallelism: int(1, 64), casFailover: t.boolean, maxConcurrency: int(3, 1000) };
const ExchangeSimulator = strict(
  { kind: t.literal('simulator') },
  { devices: int(1, 1_000_000), seed: int(0), latencyMs: int(0, 60_000), runspaces: int(1, 1000), ...common },
  'exchange (simulator)',
);
const Connection = t.union([
  strict({ kind: t.literal('remote') }, {}, 'exchange.connection (remote)'),
  strict({ kind: t.literal('module'), path: t.string }, {}, 'exchange.connection (module)'),
]);
const ExchangePowerShell = strict(
  { kind: t.literal('powershell'), cas: t.string },
  {
    connection: Connection,
    pwsh: t.string,
    authentication: t.keyof({ Kerberos: null, Basic: null, Negotiate: null }),
    https: t.boolean,
    usernameEnv: envName,
    passwordEnv: envName,
    commandTimeoutMs: int(1000),
    ...common,
  },
  'exchange (powershell)',
);
// devices/seed are read by intune-export alone; a connector takes them from exchange.
const IntuneSimulator = strict({ kind: t.literal('simulator') }, { devices: int(1, 1_000_000), seed: int(0) }, 'intune (simulator)');
const IntuneGraph = strict(
  { kind: t.literal('graph') },
  {
    baseUrl: t.string,
    tenantId: t.string,
    clientId: t.string,
    clientSecretEnv: envName,
    tokenEnv: envName,
    authority: t.string,
    scope: t.string,
    proxy: ProxyConfigC,
  },
  'intune (graph)',
);
const Smtp = strict(
  { kind: t.literal('smtp'), host: t.string, port: int(1, 65535), from: t.string },
  { secure: t.boolean, requireTLS: t.boolean, usernameEnv: envName, passwordEnv: envName, rejectUnauthorized: t.boolean },
  'notifier (smtp)',
);
const Ews = strict(
  {
    kind: t.literal('ews'),
    mailbox: t.string,
    usernameEnv: envName,
    passwordEnv: envName,
    authentication: t.keyof({ ntlm: null, basic: null }),
  },
  { url: t.string },
  'notifier (ews)',
);
const Log = strict(
  {},
  { level: t.keyof({ trace: null, debug: null, info: null, warn: null, error: null, fatal: null }), file: t.string },
  'log',
);

const EXCHANGE = { simulator: ExchangeSimulator, powershell: ExchangePowerShell } as const;
const INTUNE = { simulator: IntuneSimulator, graph: IntuneGraph } as const;
const NOTIFIER = { smtp: Smtp, ews: Ews } as const;

/** The config's shape with the given codecs for the sections that have kinds. */
const configWith = <X extends t.Mixed, I extends t.Mixed, N extends t.Mixed>(exchange: X, intune: I, notifier: N) =>
  strict(
    { organization: t.string, store: t.string, policy: t.string, exchange, intune },
    {
      schedule: strict({}, { quickMinutes: int(1, 24 * 60), fullDailyAt: hhmm }, 'schedule'),
      status: strict(
        {},
        {
          listen,
          tokenEnv: envName,
          allowedHosts: t.array(hostName),
          healthMaxFullSyncAgeMinutes: int(1, 366 * 24 * 60),
          tls: strict({ certFile: t.string, keyFile: t.string }, {}, 'status.tls'),
        },
        'status',
      ),
      console: strict({}, { tokenEnv: envName }, 'console'),
      overrides: strict({}, { maxDays: int(1, 365) }, 'overrides'),
      cleanup: strict({}, { mailboxesPerSync: int(1, 10_000_000) }, 'cleanup'),
      notifier,
      log: Log,
      connectorId: t.string,
      grandfathering: t.boolean,
      storeCredentials: strict({ usernameEnv: envName, passwordEnv: envName }, {}, 'storeCredentials'),
    },
    'config',
  );

export const ConnectorConfigC = configWith(
  t.union([ExchangeSimulator, ExchangePowerShell]),
  t.union([IntuneSimulator, IntuneGraph]),
  t.union([Smtp, Ews]),
);
export type ConnectorConfig = t.TypeOf<typeof ConnectorConfigC>;

/**
 * The codec to check a document with: where a section names a kind we know,
 * only that kind's shape, so errors are about what the file chose (not the
 * other kinds' keys); otherwise a message listing the kinds.
 */
function codecFor(doc: unknown): t.Decoder<unknown, ConnectorConfig> {
  const pick = (codecs: Record<string, t.Mixed>, k: string): t.Mixed => {
    const chosen = (doc as Record<string, Record<string, unknown> | undefined> | null)?.[k]?.kind;
    if (typeof chosen === 'string' && Object.prototype.hasOwnProperty.call(codecs, chosen)) return codecs[chosen]!;
    const kinds = Object.keys(codecs)
      .map((x) => JSON.stringify(x))
      .join(' or ');
    return new t.Type<unknown, unknown, unknown>(
      k,
      (_u): _u is unknown => false,
      (u, c) => {
        const kind = (u as Record<string, unknown> | null)?.kind;
        return t.failure(
          kind,
          [...c, { key: 'kind', type: t.never, actual: kind }],
          `expected ${kinds}${kind === undefined ? '' : `, got ${JSON.stringify(kind)}`}`,
        );
      },
      t.identity,
    );
  };
  return configWith(pick(EXCHANGE, 'exchange'), pick(INTUNE, 'intune'), pick(NOTIFIER, 'notifier'));
}

/** Secrets that work only as a pair: both variables named, or neither. */
function pairError(section: { usernameEnv?: string; passwordEnv?: string } | undefined, where: string): string | undefined {
  if (section === undefined || (section.usernameEnv === undefined) === (section.passwordEnv === undefined)) return undefined;
  const missing = section.usernameEnv === undefined ? 'usernameEnv' : 'passwordEnv';
  return `${where}.${missing}: missing; give usernameEnv and passwordEnv together (or neither)`;
}

/** Reads and validates a config file; relative paths are resolved against its folder. */
export async function readConfig(path: string): Promise<ConnectorConfig> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new InputFailure(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const json = parseJsonText(decodeText(bytes), path);
  if (isLeft(json)) throw new InputFailure(formatInputError(json.left));
  const r = decodeWith(codecFor(json.right), json.right);
  if (isLeft(r))
    throw new InputFailure(
      r.left
        .slice(0, 10)
        .map((i) => `${path}: ${i.path}: ${i.message}`)
        .join('\n'),
    );
  const unpaired =
    pairError(r.right.notifier, 'notifier') ??
    (r.right.exchange.kind === 'powershell' ? pairError(r.right.exchange, 'exchange') : undefined);
  if (unpaired !== undefined) throw new InputFailure(`${path}: ${unpaired}`);
  if (hasInlineCredentials(r.right.store)) {
    // The value is not echoed: it holds a password.
    throw new InputFailure(
      `${path}: store: credentials written in the connection string are refused (secrets are never written in the file); give the connection string without them and name the variables in "storeCredentials": { "usernameEnv": "…", "passwordEnv": "…" }`,
    );
  }
  if (r.right.storeCredentials !== undefined && !isEventStoreDbSpec(r.right.store)) {
    throw new InputFailure(`${path}: storeCredentials: only an EventStoreDB store (esdb://…) takes credentials; "store" is a file`);
  }
  const base = dirname(resolve(path));
  const rel = (p: string) => (isEventStoreDbSpec(p) || isAbsolute(p) ? p : resolve(base, p));
  const c = r.right;
  // A simulated Exchange may meet the real Graph (a trial of the Intune side); a simulated Intune never meets the real Exchange.
  if (c.intune.kind === 'simulator' && c.exchange.kind !== 'simulator') {
    throw new InputFailure(
      `${path}: exchange.kind and intune.kind: the simulated Intune belongs to the simulated Exchange; use "simulator" for both, or a real Intune`,
    );
  }
  if (c.intune.kind === 'graph' && !c.intune.tokenEnv && !(c.intune.tenantId && c.intune.clientId && c.intune.clientSecretEnv)) {
    throw new InputFailure(`${path}: intune: give tokenEnv, or tenantId, clientId and clientSecretEnv`);
  }
  checkStatus(path, c);
  const x = c.exchange;
  const exchange =
    x.kind === 'powershell' && x.connection?.kind === 'module'
      ? { ...x, connection: { ...x.connection, path: rel(x.connection.path) } }
      : x;
  return {
    ...c,
    exchange,
    store: rel(c.store),
    policy: rel(c.policy),
    ...(c.log?.file !== undefined ? { log: { ...c.log, file: rel(c.log.file) } } : {}),
  };
}

/** The store to open: the connection string with its credentials from the environment (never shown). */
export function storeSpecOf(c: ConnectorConfig): string {
  const cred = c.storeCredentials;
  if (cred === undefined) return c.store;
  return withCredentials(
    c.store,
    secretFromEnv(cred.usernameEnv, 'storeCredentials.usernameEnv'),
    secretFromEnv(cred.passwordEnv, 'storeCredentials.passwordEnv'),
  );
}

/** A listener other machines can reach has no safe unauthenticated or plain-HTTP mode. */
function checkStatus(path: string, c: ConnectorConfig): void {
  const status = c.status;
  const a = statusListen(status);
  if (status?.tokenEnv && c.console?.tokenEnv && status.tokenEnv !== c.console.tokenEnv) {
    throw new InputFailure(
      `${path}: console.tokenEnv and status.tokenEnv name different variables (${c.console.tokenEnv}, ${status.tokenEnv}); the console and the status endpoint share one listener and one token: keep console.tokenEnv`,
    );
  }
  if (!isLoopback(a.host) && !tokenEnvOf(c)) {
    throw new InputFailure(
      `${path}: status.listen: "${status!.listen}" is reachable from other machines; set console.tokenEnv (the environment variable holding the token every request must carry), or listen on 127.0.0.1`,
    );
  }
  if (!isLoopback(a.host) && !status?.tls) {
    throw new InputFailure(
      `${path}: status.listen: "${status!.listen}" is reachable from other machines; set status.tls (certFile, keyFile) so the token never crosses the network in the clear, or listen on 127.0.0.1`,
    );
  }
}

/** The variable holding the console's and status endpoint's token: console.tokenEnv, or its older name status.tokenEnv. */
export const tokenEnvOf = (c: ConnectorConfig): string | undefined => c.console?.tokenEnv ?? c.status?.tokenEnv;

/** The status listener's address (default 127.0.0.1:8089). */
export function statusListen(status: ConnectorConfig['status']): ListenAddress {
  const a = parseListen(status?.listen ?? '127.0.0.1:8089');
  if (typeof a === 'string') throw new Error(`status.listen passed validation but does not parse: ${a}`);
  return a;
}

/** The value of a secret's environment variable; a missing one is bad input naming the variable (never a value). */
export function secretFromEnv(name: string, what: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') throw new InputFailure(`${what}: environment variable ${name} is not set`);
  return v;
}
