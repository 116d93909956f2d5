// Who may talk to the status endpoint: the token (compared in constant time),
// the Host header (against DNS rebinding) and the Origin of a POST (against
// cross-site requests). Pure functions over header values; every value here is
// chosen by the client.
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** True when `authorization` is `Bearer <token>` with the expected token. Both sides are hashed first, so neither length nor content leaks through timing. */
export function tokenMatches(expected: string, authorization: string | undefined): boolean {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
  const given = m ? m[1]! : '';
  // Hash even when the header is absent or malformed: the answer takes the same path.
  const equal = timingSafeEqual(digest(expected), digest(given));
  return m !== null && equal;
}

/** The host name of a Host header (lower case, no port, no brackets, no trailing dot), or undefined when it is not one. */
export function hostOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]\s/@]+))(?::(\d{1,5}))?$/.exec(header.trim());
  if (!m) return undefined;
  if (m[1] !== undefined) return isIP(m[1]) === 6 ? m[1].toLowerCase() : undefined;
  return m[2]!.toLowerCase().replace(/\.$/, '');
}

/**
 * DNS rebinding makes a browser send requests for the attacker's name to this
 * listener, so only names we know are served: `localhost`, the listen host,
 * the configured ones. An IP literal cannot be rebound (the browser connected
 * to exactly that address, so the page's origin is this server), so it passes.
 */
export function hostAllowed(header: string | undefined, names: ReadonlySet<string>): boolean {
  const h = hostOf(header);
  if (h === undefined) return false;
  return isIP(h) !== 0 || h === 'localhost' || names.has(h);
}

/** A POST's Origin, when a browser sent one, must be this server's own (scheme + the Host header). */
export function originAllowed(origin: string | undefined, hostHeader: string | undefined, scheme: 'http' | 'https' = 'http'): boolean {
  if (origin === undefined) return true;
  if (!hostHeader) return false;
  const port = scheme === 'https' ? /:443$/ : /:80$/;
  const own = `${scheme}://${hostHeader.trim().toLowerCase().replace(port, '')}`;
  return origin.trim().toLowerCase().replace(port, '') === own;
}

/** A simple content type (form or text) is one a cross-site page may POST without a CORS preflight. */
export function isJsonContentType(header: string | undefined): boolean {
  return /^application\/json[ \t]*(;.*)?$/i.test(header ?? '');
}

/** The caller's name from `X-EAS-Sync-Caller`, for attribution in the log: printable ASCII only, at most 64 characters. */
export function callerOf(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  return /^[\x21-\x7e][\x20-\x7e]{0,63}$/.test(header) ? header.trim() : undefined;
}
