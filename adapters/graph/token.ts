// Bearer tokens for Microsoft Graph. The gateway asks a TokenProvider for a
// token before every request (providers cache), and once more with
// `forceRefresh` after a 401. A provider fails by rejecting; the gateway turns
// that into an `unauthorized` IntuneError. Tokens and secrets never appear in
// error messages.
import { ConfidentialClientApplication, type INetworkModule } from '@azure/msal-node';

export interface TokenRequest {
  /** Skip any cache: the last token was refused (401). */
  readonly forceRefresh?: boolean;
}

export type TokenProvider = (request?: TokenRequest) => Promise<string>;

/** A token provider could not produce a token. The message names no secret. */
export class TokenError extends Error {
  override readonly name = 'TokenError';
}

export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

/** `Bearer abc` and `abc` are the same token. */
const bare = (token: string): string => token.trim().replace(/^Bearer\s+/i, '');

/** Always the same token (tests, short scripts). A 401 cannot be cured by refreshing it. */
export function staticTokenProvider(token: string): TokenProvider {
  const t = bare(token);
  return async () => {
    if (t === '') throw new TokenError('the static token is empty');
    return t;
  };
}

/**
 * The token held by an environment variable, read at every request (so a
 * wrapper that rotates it in-process is honoured). A missing or empty variable
 * is a TokenError naming the variable, never a value.
 */
export function envTokenProvider(varName: string, env: NodeJS.ProcessEnv = process.env): TokenProvider {
  return async () => {
    const v = env[varName];
    if (v === undefined || bare(v) === '')
      throw new TokenError(`environment variable ${varName} is not set (it should hold a Graph bearer token)`);
    return bare(v);
  };
}

export interface ClientCredentialsOptions {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Default `https://login.microsoftonline.com/<tenantId>` (national clouds: their login host + tenant). */
  readonly authority?: string;
  /** Default `https://graph.microsoft.com/.default` (national clouds: their Graph host + `/.default`). */
  readonly scope?: string;
  /** msal's HTTP client: a proxy-aware client, or a fake in tests. Default msal's own. */
  readonly networkClient?: INetworkModule;
}

function describe(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const e = err as { errorCode?: unknown; errorMessage?: unknown; message?: unknown };
    const code = typeof e.errorCode === 'string' && e.errorCode !== '' ? `${e.errorCode}: ` : '';
    const msg =
      typeof e.errorMessage === 'string' && e.errorMessage !== ''
        ? e.errorMessage
        : typeof e.message === 'string'
          ? e.message
          : String(err);
    return code + msg;
  }
  return String(err);
}

/**
 * App-only tokens through msal-node's ConfidentialClientApplication
 * (client-credentials grant). msal keeps the token in its in-memory cache and
 * fetches a new one before it expires (5 minutes ahead); `forceRefresh` skips
 * the cache. Concurrent callers share one token request.
 */
export function clientCredentialsTokenProvider(o: ClientCredentialsOptions): TokenProvider {
  for (const k of ['tenantId', 'clientId', 'clientSecret'] as const) {
    if (typeof o[k] !== 'string' || o[k].trim() === '') throw new TokenError(`clientCredentialsTokenProvider: ${k} is required`);
  }
  const authority = (o.authority ?? `https://login.microsoftonline.com/${encodeURIComponent(o.tenantId)}`).replace(/\/+$/, '');
  const scope = o.scope ?? GRAPH_SCOPE;
  const app = new ConfidentialClientApplication({
    auth: { clientId: o.clientId, authority, clientSecret: o.clientSecret },
    ...(o.networkClient ? { system: { networkClient: o.networkClient } } : {}),
  });
  const secret = o.clientSecret;
  const redact = (s: string) => s.split(secret).join('[redacted]').split(encodeURIComponent(secret)).join('[redacted]');
  let inflight: { promise: Promise<string>; forced: boolean } | undefined;

  return (request) => {
    const force = request?.forceRefresh === true;
    // a forced request in flight serves everyone; a plain one serves plain callers
    if (inflight && (inflight.forced || !force)) return inflight.promise;
    const promise: Promise<string> = app
      .acquireTokenByClientCredential({ scopes: [scope], skipCache: force })
      .then(
        (r) => {
          if (!r || typeof r.accessToken !== 'string' || r.accessToken === '') throw new TokenError(`no access token from ${authority}`);
          return r.accessToken;
        },
        (err: unknown) => {
          // msal replaces a network client's error with a generic network_error: the client's own says what happened (e.g. the proxy refused).
          const net = (o.networkClient as { takeLastError?: () => Error | undefined } | undefined)?.takeLastError?.();
          throw new TokenError(
            `token request to ${authority} for client ${o.clientId} failed: ${redact(net ? net.message : describe(err))}`,
          );
        },
      )
      .finally(() => {
        if (inflight?.promise === promise) inflight = undefined;
      });
    inflight = { promise, forced: force };
    return promise;
  };
}
