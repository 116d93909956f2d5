// EventStoreDB/KurrentDB connection strings as text: which strings are one, and
// how to show one without the `user:password@` it may carry. Dependency-free,
// so every command (and the store adapter) redacts in this one place without
// loading the EventStoreDB client.

const SCHEME = /^(esdb|esdb\+discover|kurrentdb|kurrentdb\+discover|kdb|kdb\+discover):\/\//i;
// The client's own rule for the optional `user:password@` part after the scheme.
const CREDENTIALS = /^([^:]+:[^@]+)@/;
// Anything before an `@` in the authority, whatever the client would make of it.
const USERINFO = /^[^@/?#]*@/;

/** Whether `s` names an EventStoreDB store rather than a file. */
export const isEventStoreDbSpec = (s: string): boolean => SCHEME.test(s.trim());

export interface ConnectionParts {
  /** Lower-cased scheme, e.g. `esdb+discover`. */
  readonly scheme: string;
  /** `user:password` as written (URL-encoded), when present. */
  readonly credentials: string | undefined;
  /** Everything after the credentials: hosts, path, query. */
  readonly rest: string;
}

export function splitConnectionString(s: string): ConnectionParts | undefined {
  const m = SCHEME.exec(s.trim());
  if (m === null) return undefined;
  const after = s.trim().slice(m[0].length);
  const c = CREDENTIALS.exec(after);
  return { scheme: m[1]!.toLowerCase(), credentials: c?.[1], rest: c === null ? after : after.slice(c[0].length) };
}

/** Whether the string carries any user information (`user@`, `user:password@`). */
export function hasInlineCredentials(s: string): boolean {
  const m = SCHEME.exec(s.trim());
  return m !== null && USERINFO.test(s.trim().slice(m[0].length));
}

/** The connection string without any user information (any `scheme://user:password@` form too). */
export function redactConnectionString(s: string): string {
  const m = SCHEME.exec(s.trim());
  if (m === null) return s.replace(/\/\/[^@/?#]*@/, '//');
  return `${m[1]!.toLowerCase()}://${s.trim().slice(m[0].length).replace(USERINFO, '')}`;
}

/** The connection string with credentials put in (URL-encoded), replacing any there. */
export function withCredentials(s: string, username: string, password: string): string {
  const redacted = redactConnectionString(s);
  const m = SCHEME.exec(redacted)!;
  return `${m[1]}://${encodeURIComponent(username)}:${encodeURIComponent(password)}@${redacted.slice(m[0].length)}`;
}

/** Every form in which a connection string's secrets could appear in a message. */
function secretsOf(s: string): string[] {
  const m = SCHEME.exec(s.trim());
  if (m === null) return [];
  const info = /^([^@/?#]*)@/.exec(s.trim().slice(m[0].length))?.[1];
  if (info === undefined || info === '') return [];
  const secrets = new Set<string>([info]);
  const colon = info.indexOf(':');
  if (colon >= 0) {
    const password = info.slice(colon + 1);
    secrets.add(password);
    try {
      secrets.add(decodeURIComponent(password));
    } catch {
      /* not URL-encoded */
    }
    try {
      secrets.add(Buffer.from(decodeURIComponent(info)).toString('base64'));
    } catch {
      /* ignore */
    }
  }
  return [...secrets].filter((x) => x.length > 0).sort((a, b) => b.length - a.length);
}

/** Removes every trace of the connection strings' credentials from a message. */
export function scrub(message: string, ...connectionStrings: readonly string[]): string {
  let out = message;
  for (const cs of connectionStrings) {
    if (!isEventStoreDbSpec(cs)) continue;
    out = out.split(cs.trim()).join(redactConnectionString(cs));
    // Longest first, so the whole `user:password` goes before the password alone.
    for (const secret of secretsOf(cs)) out = out.split(secret).join('***');
  }
  return out;
}
