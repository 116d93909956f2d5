// The `intune` section of the connector configuration file (README, "The connector as a service"),
// validated strictly (an unknown key or a bad value is an error with its path),
// and the Graph gateway it describes. Secrets are only ever named by
// environment variable; a missing variable is an error naming the variable,
// never showing a value.
import * as t from 'io-ts';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { decodeWith, strict } from '../../src/codec.js';
import { joinPath, type InputError } from '../shared/input-errors.js';
import { checkBaseUrl, graphIntuneGateway, GRAPH_V1, type GraphGatewayOptions, type GraphIntuneGateway } from './gateway.js';
import { clientCredentialsTokenProvider, envTokenProvider, type TokenProvider } from './token.js';
import { describeProxy, fetchNetworkClient, proxiedFetch, resolveProxy, type ProxiedFetchOptions } from './proxy.js';

const nonEmpty = (what: string) =>
  new t.Type<string, string, unknown>(
    what,
    (u): u is string => typeof u === 'string' && u.trim() !== '',
    (u, c) => (typeof u === 'string' && u.trim() !== '' ? t.success(u) : t.failure(u, c, `expected ${what}`)),
    t.identity,
  );

const EnvName = new t.Type<string, string, unknown>(
  'EnvName',
  (u): u is string => typeof u === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(u),
  (u, c) =>
    typeof u === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(u)
      ? t.success(u)
      : t.failure(u, c, 'expected the NAME of an environment variable (letters, digits, _): secrets are never written in the file'),
  t.identity,
);

const HttpsUrl = new t.Type<string, string, unknown>(
  'URL',
  (u): u is string => typeof u === 'string',
  (u, c) => {
    if (typeof u !== 'string') return t.failure(u, c, 'expected a URL string');
    try {
      checkBaseUrl(u);
      return t.success(u.replace(/\/+$/, ''));
    } catch (e) {
      return t.failure(u, c, (e as Error).message);
    }
  },
  t.identity,
);

const PositiveInt = new t.Type<number, number, unknown>(
  'positive integer',
  (u): u is number => typeof u === 'number' && Number.isInteger(u) && u > 0,
  (u, c) => (typeof u === 'number' && Number.isInteger(u) && u > 0 ? t.success(u) : t.failure(u, c, 'expected an integer ≥ 1')),
  t.identity,
);
const NonNegativeInt = new t.Type<number, number, unknown>(
  'integer ≥ 0',
  (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= 0,
  (u, c) => (typeof u === 'number' && Number.isInteger(u) && u >= 0 ? t.success(u) : t.failure(u, c, 'expected an integer ≥ 0')),
  t.identity,
);

const ProxyUrl = new t.Type<string, string, unknown>(
  'proxy URL',
  (u): u is string => typeof u === 'string',
  (u, c) =>
    typeof u === 'string' && /^https?:\/\/[^\s/@]+\/?$/i.test(u)
      ? t.success(u)
      : t.failure(
          u,
          c,
          'expected a proxy URL such as http://proxy.contoso.com:3128 (no path, and no credentials: name them with usernameEnv and passwordEnv)',
        ),
  t.identity,
);
export const ProxyConfigC = strict(
  { url: ProxyUrl },
  { usernameEnv: EnvName, passwordEnv: EnvName, noProxy: t.array(nonEmpty('a host name, .domain, host:port, an IP or *')) },
  'intune.proxy',
);

const GraphConfigC = strict(
  { kind: t.literal('graph') },
  {
    baseUrl: HttpsUrl,
    tenantId: nonEmpty('a tenant id'),
    clientId: nonEmpty('an application (client) id'),
    clientSecretEnv: EnvName,
    tokenEnv: EnvName,
    /** National clouds: e.g. https://login.microsoftonline.us/<tenant> */
    authority: HttpsUrl,
    /** National clouds: e.g. https://graph.microsoft.us/.default */
    scope: nonEmpty('a scope'),
    /** The corporate proxy for Graph and the token endpoint (else HTTPS_PROXY / NO_PROXY). */
    proxy: ProxyConfigC,
  },
  'intune (graph)',
);
const SimulatorConfigC = strict({ kind: t.literal('simulator') }, { devices: PositiveInt, seed: NonNegativeInt }, 'intune (simulator)');

export type GraphIntuneConfig = t.TypeOf<typeof GraphConfigC>;
export type SimulatorIntuneConfig = t.TypeOf<typeof SimulatorConfigC>;
export type IntuneConfig = GraphIntuneConfig | SimulatorIntuneConfig;

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

/**
 * The `intune` section of a parsed config file. Other top-level keys are
 * someone else's to validate and are left alone here.
 */
export function parseIntuneConfig(json: unknown, file: string): Either<InputError[], IntuneConfig> {
  if (!isRecord(json)) return left([{ file, path: '(root)', message: 'expected a JSON object (the connector configuration)' }]);
  const section = json['intune'];
  if (section === undefined)
    return left([
      {
        file,
        path: 'intune',
        message: 'required: { "kind": "graph", "tenantId", "clientId", "clientSecretEnv" } or { "kind": "graph", "tokenEnv" }',
      },
    ]);
  if (!isRecord(section)) return left([{ file, path: 'intune', message: 'expected an object' }]);
  const at = (path: string) => joinPath('intune', path);
  const kind = section['kind'];
  if (kind !== 'graph' && kind !== 'simulator') {
    return left([{ file, path: 'intune.kind', message: `expected "graph" or "simulator", got ${JSON.stringify(kind) ?? 'nothing'}` }]);
  }
  const r = kind === 'graph' ? decodeWith(GraphConfigC, section) : decodeWith(SimulatorConfigC, section);
  if (isLeft(r)) return left(r.left.map((i) => ({ file, path: at(i.path), message: i.message })));
  const c = r.right;
  if (c.kind === 'graph') {
    const credentials = ['tenantId', 'clientId', 'clientSecretEnv'] as const;
    const some = credentials.filter((k) => c[k] !== undefined);
    if (c.tokenEnv !== undefined && c.clientSecretEnv !== undefined) {
      return left([
        {
          file,
          path: at('tokenEnv'),
          message: 'give either tokenEnv (a bearer token) or tenantId + clientId + clientSecretEnv (client credentials), not both',
        },
      ]);
    }
    if (c.tokenEnv === undefined) {
      const missing = credentials.filter((k) => c[k] === undefined);
      if (missing.length > 0) {
        return left(
          missing.map((k) => ({
            file,
            path: at(k),
            message: some.length === 0 ? 'required (or name a bearer token with tokenEnv)' : 'required with client credentials',
          })),
        );
      }
    }
  }
  return right(c);
}

export interface GatewayFromConfig {
  readonly gateway: GraphIntuneGateway;
  /** `client credentials (tenant …, client …)` or `bearer token from $VAR`: for logs, no secret. */
  readonly auth: string;
  /** `proxy http://… (as user) from intune.proxy`, or undefined when Graph is reached directly. */
  readonly proxy?: string;
  /** Closes the proxy's connections. */
  close(): Promise<void>;
}

/**
 * The Graph gateway a config describes. Environment variables are read now
 * (a missing one is an InputError naming it and the config field), and the
 * token variable again at every request.
 */
export function graphGatewayFromConfig(
  c: GraphIntuneConfig,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<Omit<GraphGatewayOptions, 'tokenProvider' | 'baseUrl'>> = {},
  net: ProxiedFetchOptions = {},
): Either<InputError[], GatewayFromConfig> {
  const unset = (name: string, field: string): InputError => ({
    file,
    path: `intune.${field}`,
    message: `environment variable ${name} is not set`,
  });
  const proxy = resolveProxy(c.proxy, env);
  if (isLeft(proxy)) {
    const m = /^(intune\.proxy[\w.]*): (.*)$/.exec(proxy.left);
    return left([m ? { file, path: m[1]!, message: m[2]! } : { file, path: 'intune.proxy', message: proxy.left }]);
  }
  const proxied = proxy.right ? proxiedFetch(proxy.right, net) : undefined;
  let tokenProvider: TokenProvider;
  let auth: string;
  if (c.tokenEnv !== undefined) {
    const v = env[c.tokenEnv];
    if (v === undefined || v.trim() === '') return left([unset(c.tokenEnv, 'tokenEnv')]);
    tokenProvider = envTokenProvider(c.tokenEnv, env);
    auth = `bearer token from $${c.tokenEnv}`;
  } else {
    const secretVar = c.clientSecretEnv!;
    const secret = env[secretVar];
    if (secret === undefined || secret === '') return left([unset(secretVar, 'clientSecretEnv')]);
    tokenProvider = clientCredentialsTokenProvider({
      tenantId: c.tenantId!,
      clientId: c.clientId!,
      clientSecret: secret,
      ...(c.authority !== undefined ? { authority: c.authority } : {}),
      ...(c.scope !== undefined ? { scope: c.scope } : {}),
      ...(proxied ? { networkClient: fetchNetworkClient(proxied.fetch) } : {}),
    });
    auth = `client credentials (tenant ${c.tenantId!}, client ${c.clientId!})`;
  }
  const gateway = graphIntuneGateway({
    ...(proxied ? { fetch: proxied.fetch } : {}),
    ...overrides,
    baseUrl: c.baseUrl ?? GRAPH_V1,
    tokenProvider,
  });
  return right({
    gateway,
    auth,
    ...(proxy.right ? { proxy: describeProxy(proxy.right) } : {}),
    close: async () => {
      await proxied?.close();
    },
  });
}
