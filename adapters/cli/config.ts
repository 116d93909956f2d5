// The connector configuration file (contract.md), validated strictly: an
// unknown key or a bad value is an error with its path. Secrets are only ever
// named by environment variable.
import * as t from 'io-ts';
import { readFile } from 'node:fs/promises';
import { dirname, resolve, isAbsolute } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import { strict, decodeWith } from '../../src/codec.js';
import { decodeText, parseJsonText } from '../exports/text.js';
import { formatInputError } from '../exports/errors.js';
import { InputFailure } from './io.js';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => new t.Type<number, number, unknown>(
  `integer ${min}..${max}`,
  (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= min && u <= max,
  (u, c) => (typeof u === 'number' && Number.isInteger(u) && u >= min && u <= max ? t.success(u) : t.failure(u, c, `expected an integer from ${min} to ${max}`)),
  t.identity,
);
const envName = new t.Type<string, string, unknown>(
  'environment variable name',
  (u): u is string => typeof u === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(u),
  (u, c) => (typeof u === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(u) ? t.success(u) : t.failure(u, c, 'expected the NAME of an environment variable (secrets are never written in the file)')),
  t.identity,
);
const hhmm = new t.Type<string, string, unknown>('HH:MM', (u): u is string => typeof u === 'string' && /^([01]?\d|2[0-3]):[0-5]\d$/.test(u),
  (u, c) => (typeof u === 'string' && /^([01]?\d|2[0-3]):[0-5]\d$/.test(u) ? t.success(u) : t.failure(u, c, 'expected a UTC time HH:MM')), t.identity);
const listen = new t.Type<string, string, unknown>('host:port', (u): u is string => typeof u === 'string' && /^[^:\s]+:\d{1,5}$/.test(u),
  (u, c) => (typeof u === 'string' && /^[^:\s]+:\d{1,5}$/.test(u) ? t.success(u) : t.failure(u, c, 'expected host:port, e.g. 127.0.0.1:8089')), t.identity);

const common = { parallelism: int(1, 64), casFailover: t.boolean, maxConcurrency: int(3, 1000) };
const ExchangeSimulator = strict({ kind: t.literal('simulator') }, { devices: int(1, 1_000_000), seed: int(0), latencyMs: int(0, 60_000), runspaces: int(1, 1000), ...common }, 'exchange (simulator)');
const Connection = t.union([
  strict({ kind: t.literal('remote') }, {}, 'exchange.connection (remote)'),
  strict({ kind: t.literal('module'), path: t.string }, {}, 'exchange.connection (module)'),
]);
const ExchangePowerShell = strict(
  { kind: t.literal('powershell'), cas: t.string },
  { connection: Connection, pwsh: t.string, authentication: t.keyof({ Kerberos: null, Basic: null, Negotiate: null }), https: t.boolean, usernameEnv: envName, passwordEnv: envName, commandTimeoutMs: int(1000), ...common },
  'exchange (powershell)',
);
// devices/seed are read by intune-export alone; a connector takes them from exchange.
const IntuneSimulator = strict({ kind: t.literal('simulator') }, { devices: int(1, 1_000_000), seed: int(0) }, 'intune (simulator)');
const IntuneGraph = strict(
  { kind: t.literal('graph') },
  { baseUrl: t.string, tenantId: t.string, clientId: t.string, clientSecretEnv: envName, tokenEnv: envName, authority: t.string, scope: t.string },
  'intune (graph)',
);
const Smtp = strict(
  { kind: t.literal('smtp'), host: t.string, port: int(1, 65535), from: t.string },
  { secure: t.boolean, requireTLS: t.boolean, usernameEnv: envName, passwordEnv: envName, rejectUnauthorized: t.boolean },
  'notifier (smtp)',
);

export const ConnectorConfigC = strict(
  { organization: t.string, store: t.string, policy: t.string, exchange: t.union([ExchangeSimulator, ExchangePowerShell]), intune: t.union([IntuneSimulator, IntuneGraph]) },
  {
    schedule: strict({}, { quickMinutes: int(1, 24 * 60), fullDailyAt: hhmm }, 'schedule'),
    status: strict({}, { listen }, 'status'),
    notifier: Smtp,
    connectorId: t.string,
    grandfathering: t.boolean,
  },
  'config',
);
export type ConnectorConfig = t.TypeOf<typeof ConnectorConfigC>;

/** Union errors list every branch; keep the branch whose `kind` the file chose. */
function pickBranch(issues: { path: string; message: string }[], doc: unknown): { path: string; message: string }[] {
  const kinds = (k: 'exchange' | 'intune') => (doc as Record<string, Record<string, unknown>>)?.[k]?.kind;
  return issues.filter((i) => {
    for (const k of ['exchange', 'intune'] as const) {
      if (!i.path.startsWith(`${k}.`) && i.path !== k) continue;
      const kind = kinds(k);
      if (i.path === `${k}.kind` && typeof kind === 'string' && i.message.includes(`"${kind}"`)) return false;
    }
    return true;
  });
}

/** Reads and validates a config file; relative paths are resolved against its folder. */
export async function readConfig(path: string): Promise<ConnectorConfig> {
  let bytes: Uint8Array;
  try { bytes = await readFile(path); } catch (err) { throw new InputFailure(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`); }
  const json = parseJsonText(decodeText(bytes), path);
  if (isLeft(json)) throw new InputFailure(formatInputError(json.left));
  const r = decodeWith(ConnectorConfigC, json.right);
  if (isLeft(r)) {
    const issues = pickBranch(r.left, json.right);
    throw new InputFailure(issues.slice(0, 10).map((i) => `${path}: ${i.path}: ${i.message}`).join('\n'));
  }
  const base = dirname(resolve(path));
  const rel = (p: string) => (/^(esdb|kurrentdb|kdb)(\+discover)?:\/\//i.test(p) || isAbsolute(p) ? p : resolve(base, p));
  const c = r.right;
  if ((c.exchange.kind === 'simulator') !== (c.intune.kind === 'simulator')) {
    throw new InputFailure(`${path}: exchange.kind and intune.kind: the simulator provides both sides of one organization; use "simulator" for both or for neither`);
  }
  if (c.intune.kind === 'graph' && !c.intune.tokenEnv && !(c.intune.tenantId && c.intune.clientId && c.intune.clientSecretEnv)) {
    throw new InputFailure(`${path}: intune: give tokenEnv, or tenantId, clientId and clientSecretEnv`);
  }
  const x = c.exchange;
  const exchange = x.kind === 'powershell' && x.connection?.kind === 'module' ? { ...x, connection: { ...x.connection, path: rel(x.connection.path) } } : x;
  return { ...c, exchange, store: rel(c.store), policy: rel(c.policy) };
}

/** The value of a secret's environment variable; a missing one is bad input naming the variable (never a value). */
export function secretFromEnv(name: string, what: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') throw new InputFailure(`${what}: environment variable ${name} is not set`);
  return v;
}
