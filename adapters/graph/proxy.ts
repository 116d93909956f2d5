// Reaching Graph and the token endpoint through the corporate HTTP(S) proxy.
// The proxy comes from the config's `intune.proxy` section, else from the
// standard HTTPS_PROXY / NO_PROXY environment variables (the config wins).
// Requests go through undici's ProxyAgent (CONNECT tunnel, Proxy-Authorization
// Basic); hosts named in noProxy are reached directly. The proxy's password
// only ever lives in the agent's header: every URL shown or error message
// names the proxy without credentials.
import { ProxyAgent, fetch as undiciFetch, type Dispatcher } from 'undici';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';

export interface ProxySettings {
  /** `http://proxy.contoso.com:3128` (no credentials in it). */
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  /** Hosts reached directly: `host`, `.domain` or `domain` (suffix match), `host:port`, an IP, or `*`. */
  readonly noProxy?: readonly string[];
  /** Where the settings came from, for messages: `intune.proxy` or `HTTPS_PROXY`. */
  readonly source?: string;
}

/** The `intune.proxy` section of the connector config. */
export interface ProxyConfig {
  readonly url: string;
  readonly usernameEnv?: string;
  readonly passwordEnv?: string;
  readonly noProxy?: readonly string[];
}

/** A request through the proxy failed because of the proxy itself (refused credentials, unreachable). */
export class ProxyError extends Error {
  override readonly name = 'ProxyError';
  constructor(
    message: string,
    readonly kind: 'auth' | 'unreachable' | 'refused',
  ) {
    super(message);
  }
}

/** A proxy URL checked: http or https, a host, no path, no query; credentials returned apart. */
export function parseProxyUrl(raw: string): Either<string, { url: string; username?: string; password?: string }> {
  let u: URL;
  try {
    u = new URL(raw.includes('://') ? raw : `http://${raw}`);
  } catch {
    return left('expected a proxy URL such as http://proxy.contoso.com:3128');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return left(`expected an http:// or https:// proxy URL, got ${u.protocol}//`);
  if (u.hostname === '') return left('expected a proxy URL with a host');
  if ((u.pathname !== '/' && u.pathname !== '') || u.search || u.hash) return left('a proxy URL has no path, query or fragment');
  const username = u.username ? decodeURIComponent(u.username) : undefined;
  const password = u.password ? decodeURIComponent(u.password) : undefined;
  u.username = '';
  u.password = '';
  return right({ url: u.origin, ...(username !== undefined ? { username } : {}), ...(password !== undefined ? { password } : {}) });
}

const splitList = (s: string | undefined): string[] =>
  (s ?? '')
    .split(/[,\s]+/)
    .map((x) => x.trim())
    .filter(Boolean);

/**
 * The proxy to use: the config section when there is one (its credentials
 * read from the environment variables it names), else HTTPS_PROXY (or
 * https_proxy) with NO_PROXY (or no_proxy). `undefined`: connect directly.
 * A Left names the field or variable, never a value.
 */
export function resolveProxy(
  config: ProxyConfig | undefined,
  env: NodeJS.ProcessEnv = process.env,
  field = 'intune.proxy',
): Either<string, ProxySettings | undefined> {
  if (config) {
    const p = parseProxyUrl(config.url);
    if (p._tag === 'Left') return left(`${field}.url: ${p.left}`);
    if (p.right.username !== undefined || p.right.password !== undefined) {
      return left(`${field}.url: credentials do not belong in the URL; name them with usernameEnv and passwordEnv`);
    }
    if ((config.usernameEnv === undefined) !== (config.passwordEnv === undefined)) {
      return left(`${field}: give both usernameEnv and passwordEnv, or neither`);
    }
    let username: string | undefined;
    let password: string | undefined;
    if (config.usernameEnv !== undefined && config.passwordEnv !== undefined) {
      username = env[config.usernameEnv];
      password = env[config.passwordEnv];
      if (username === undefined || username === '')
        return left(`${field}.usernameEnv: environment variable ${config.usernameEnv} is not set`);
      if (password === undefined || password === '')
        return left(`${field}.passwordEnv: environment variable ${config.passwordEnv} is not set`);
    }
    return right({
      url: p.right.url,
      ...(username !== undefined ? { username, password: password! } : {}),
      noProxy: config.noProxy ?? [],
      source: field,
    });
  }
  const name = env.HTTPS_PROXY !== undefined && env.HTTPS_PROXY !== '' ? 'HTTPS_PROXY' : env.https_proxy ? 'https_proxy' : undefined;
  if (!name) return right(undefined);
  const p = parseProxyUrl(env[name]!);
  if (p._tag === 'Left') return left(`environment variable ${name}: ${p.left}`);
  const noProxy = splitList(env.NO_PROXY !== undefined ? env.NO_PROXY : env.no_proxy);
  return right({
    url: p.right.url,
    ...(p.right.username !== undefined ? { username: p.right.username, password: p.right.password ?? '' } : {}),
    noProxy,
    source: name,
  });
}

/** True when `url`'s host is to be reached directly (curl's NO_PROXY rules, without CIDR). */
export function bypassesProxy(url: string, noProxy: readonly string[] = []): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  const host = u.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    let h = entry;
    let p: string | undefined;
    const m = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(entry);
    if (m && !(entry.split(':').length > 2 && !entry.startsWith('['))) {
      h = m[1]!;
      p = m[2];
    }
    h = h.replace(/^\*?\./, '');
    if (p !== undefined && p !== port) continue;
    if (host === h || host.endsWith(`.${h}`)) return true;
  }
  return false;
}

/** The proxy's URL with the user shown (never the password): for messages. */
export function describeProxy(s: ProxySettings): string {
  return `proxy ${s.url}${s.username ? ` (as ${s.username})` : ''}${s.source ? ` from ${s.source}` : ''}`;
}

/** Every form in which the password could leak: to scrub a message that somehow carries one. */
export function proxySecrets(s: ProxySettings): string[] {
  if (!s.password) return [];
  const basic = Buffer.from(`${s.username ?? ''}:${s.password}`).toString('base64');
  return [s.password, encodeURIComponent(s.password), basic].filter((x) => x.length >= 3);
}

function causeChain(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur; i++) {
    const x = cur as { message?: unknown; code?: unknown; cause?: unknown };
    if (typeof x.message === 'string' && x.message !== '') parts.push(typeof x.code === 'string' ? `${x.code}: ${x.message}` : x.message);
    cur = x.cause;
  }
  return parts.join(' <- ');
}

export interface ProxiedFetchOptions {
  /** Extra TLS options for the tunnelled connection (an internal CA, in tests). */
  readonly requestTls?: { readonly ca?: string | Buffer };
  /** TLS options for an https:// proxy itself. */
  readonly proxyTls?: { readonly ca?: string | Buffer };
}

export interface ProxiedFetch {
  readonly fetch: typeof fetch;
  readonly dispatcher: Dispatcher;
  close(): Promise<void>;
}

/**
 * A fetch that sends every request through the proxy (except noProxy hosts),
 * turning the proxy's own failures into a ProxyError that names the proxy:
 * 407 is `auth` (the credentials were refused), a connection failure to the
 * proxy `unreachable`, another non-200 answer to CONNECT `refused`.
 */
export function proxiedFetch(s: ProxySettings, o: ProxiedFetchOptions = {}): ProxiedFetch {
  const token = s.username !== undefined ? `Basic ${Buffer.from(`${s.username}:${s.password ?? ''}`).toString('base64')}` : undefined;
  const agent = new ProxyAgent({
    uri: s.url,
    ...(token ? { token } : {}),
    ...(o.requestTls ? { requestTls: { ...o.requestTls } } : {}),
    ...(o.proxyTls ? { proxyTls: { ...o.proxyTls } } : {}),
  });
  const secrets = proxySecrets(s);
  const scrub = (m: string) => secrets.reduce((acc, x) => acc.split(x).join('[redacted]'), m);
  const shown = describeProxy(s);
  const f = async (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (bypassesProxy(url, s.noProxy)) return globalThis.fetch(input, init);
    try {
      return await (undiciFetch as unknown as (i: unknown, init: unknown) => Promise<Response>)(url, {
        ...(init ?? {}),
        dispatcher: agent,
      });
    } catch (e) {
      const chain = scrub(causeChain(e));
      const status = /Proxy response \((\d{3})\)/.exec(chain)?.[1];
      if (status === '407')
        throw new ProxyError(
          `${shown} refused the credentials (407 Proxy Authentication Required)${s.username ? '' : ': the proxy wants credentials; set usernameEnv and passwordEnv'}`,
          'auth',
        );
      if (status) throw new ProxyError(`${shown} refused the tunnel to ${new URL(url).host} (${status})`, 'refused');
      if (
        /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/.test(chain) &&
        /proxy/i.test(chain) === false &&
        !(e as Error).name?.includes('Abort')
      ) {
        // undici reports a failed connection to the proxy as the request's own failure: say which it was.
        throw new ProxyError(`${shown}: cannot reach the proxy (${chain})`, 'unreachable');
      }
      const err = new Error(`${chain} (through ${shown})`);
      err.name = (e as Error)?.name ?? 'Error';
      throw err;
    }
  };
  return { fetch: f, dispatcher: agent, close: () => agent.close() };
}

/**
 * msal-node's HTTP client over a fetch (proxied): the token endpoint goes where
 * Graph goes. msal reports a failed request as a bare `network_error`, so the
 * last failure is kept for the token provider to name (`takeLastError`).
 */
export function fetchNetworkClient(f: typeof fetch): INetworkModule & { takeLastError(): Error | undefined } {
  let lastError: Error | undefined;
  const send = async <T>(
    url: string,
    method: 'GET' | 'POST',
    options?: NetworkRequestOptions,
    timeout?: number,
  ): Promise<NetworkResponse<T>> => {
    try {
      return await sendOnce<T>(url, method, options, timeout);
    } catch (e) {
      lastError = e as Error;
      throw e;
    }
  };
  const sendOnce = async <T>(
    url: string,
    method: 'GET' | 'POST',
    options?: NetworkRequestOptions,
    timeout?: number,
  ): Promise<NetworkResponse<T>> => {
    const res = await f(url, {
      method,
      headers: options?.headers ?? {},
      ...(method === 'POST' ? { body: options?.body ?? '' } : {}),
      ...(timeout ? { signal: AbortSignal.timeout(timeout) } : {}),
    });
    const headers: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      headers[k] = v;
    });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`the token endpoint answered ${res.status} with a body that is not JSON`);
    }
    return { headers, body: body as T, status: res.status };
  };
  return {
    sendGetRequestAsync: (url, options, timeout) => send(url, 'GET', options, timeout),
    sendPostRequestAsync: (url, options) => send(url, 'POST', options),
    takeLastError: () => {
      const e = lastError;
      lastError = undefined;
      return e;
    },
  };
}
