// Graph's URLs and answers as this gateway reads them: which base URLs are
// allowed, how a URL is shown without its secrets, Retry-After, and what an
// error answer (JSON, an HTML error page, nothing) says.
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/lib/Either.js';
import { show } from '../shared/input-errors.js';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
const SENSITIVE_QUERY = /^(access_token|token|code|client_secret|sig|signature|password|key)$/i;

/** The base URL, validated: https, or http on loopback (tests). Throws on a bad URL: that is configuration. */
export function checkBaseUrl(baseUrl: string): URL {
  let u: URL;
  try {
    u = new URL(baseUrl);
  } catch {
    throw new TypeError(`Graph base URL is not a URL: ${JSON.stringify(baseUrl)}`);
  }
  if (u.username || u.password) throw new TypeError('Graph base URL must not carry credentials');
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && LOOPBACK.has(u.hostname))) {
    throw new TypeError(`Graph base URL must be https (plain http only on loopback), got ${u.protocol}//${u.host}`);
  }
  if (u.search || u.hash) throw new TypeError('Graph base URL must not have a query or fragment');
  return u;
}

/** A URL as shown in errors: no credentials, no sensitive query values. */
export function showUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '(unparseable URL)';
  }
  const sensitive = [...u.searchParams.keys()].filter((k) => SENSITIVE_QUERY.test(k));
  if (!u.username && !u.password && sensitive.length === 0) return url; // keep Graph's readable `$select=a,b` form
  u.username = '';
  u.password = '';
  for (const k of sensitive) u.searchParams.set(k, 'REDACTED');
  return u.href;
}

/** Retry-After: delta-seconds or an HTTP-date. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

// ------------------------------------------------------------ Graph error bodies
export const GraphErrorBodyC = t.type({
  error: t.intersection([
    t.type({ code: t.string }),
    t.partial({ message: t.string, innerError: t.partial({ 'request-id': t.string, 'client-request-id': t.string, date: t.string }) }),
  ]),
});

export function htmlTitle(text: string): string | undefined {
  const m = /<title[^>]*>([^<]{0,200})<\/title>/i.exec(text);
  return m ? m[1]!.trim() : undefined;
}

export function snippet(text: string): string {
  const title = htmlTitle(text);
  if (title) return `an HTML page titled ${JSON.stringify(title)}`;
  const s = text.replace(/\s+/g, ' ').trim();
  if (s === '') return 'an empty body';
  return JSON.stringify(s.length > 80 ? s.slice(0, 77) + '...' : s);
}

/** `404 Request_ResourceNotFound: Resource 'x' does not exist (request-id …)` */
export function describeStatus(status: number, statusText: string, body: string): { text: string; code?: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  const e = GraphErrorBodyC.decode(json);
  if (!isLeft(e)) {
    const err = e.right.error;
    const rid = err.innerError?.['request-id'];
    return { text: `${status} ${err.code}: ${err.message ?? '(no message)'}${rid ? ` (request-id ${rid})` : ''}`, code: err.code };
  }
  return { text: `${status} ${statusText || 'error'}, with ${snippet(body)}` };
}

export const errorMessage = (e: unknown): string => {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    const c = cause instanceof Error ? `: ${(cause as NodeJS.ErrnoException).code ?? cause.message}` : '';
    return e.name === 'TimeoutError' ? 'timed out' : `${e.message}${c}`;
  }
  return String(e);
};

// ------------------------------------------------------------ group members
export const UpnC = new t.Type<string, string, unknown>(
  'userPrincipalName',
  (u): u is string => typeof u === 'string' && u.trim() !== '',
  (u, c) =>
    typeof u === 'string' && u.trim() !== ''
      ? t.success(u)
      : u === null || u === undefined
        ? t.failure(
            u,
            c,
            'missing: Graph returned a member user without its userPrincipalName (limited information: the app cannot read users; grant User.Read.All)',
          )
        : t.failure(u, c, `expected a user principal name, got ${show(u)}`),
  t.identity,
);
export const MembersPageC = t.intersection([
  t.type({ value: t.array(t.type({ userPrincipalName: UpnC })) }),
  t.partial({ '@odata.nextLink': t.union([t.string, t.null]) }),
]);

// ------------------------------------------------------------ the gateway
