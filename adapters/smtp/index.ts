// eas-access-sync/smtp: the Notifier over SMTP (nodemailer). The engine renders
// the policy's template (placeholders HTML-escaped, subject on one line) and
// hands over subject and html; this adapter adds a plain-text alternative and
// sends one message to the mailbox's primary SMTP address. A failure is a
// value (Left sendFailed), whose message never contains the password: the
// engine records it and retries on the next sync, without holding back
// enforcement.
import { createTransport } from 'nodemailer';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { Notification, Notifier, NotifyError } from '../../src/ports.js';

export interface SmtpNotifierOptions {
  readonly host: string;
  /** 587 (STARTTLS), 465 (implicit TLS) or 25. */
  readonly port: number;
  /** Implicit TLS from the first byte (port 465). */
  readonly secure?: boolean;
  /** Insist on STARTTLS: fail rather than send in clear (port 587). Without it STARTTLS is still used when offered. */
  readonly requireTLS?: boolean;
  readonly auth?: { readonly user: string; readonly pass: string };
  /** The notification account, e.g. `"IT Helpdesk" <helpdesk@contoso.com>`. */
  readonly from: string;
  readonly tls?: {
    /** Default true. Prefer `ca` over turning verification off. */
    readonly rejectUnauthorized?: boolean;
    /** PEM of the CA (or the self-signed certificate) the server's certificate chains to. */
    readonly ca?: string | Buffer;
    /** The name to check the certificate against when `host` is an address. */
    readonly servername?: string;
    readonly minVersion?: 'TLSv1.2' | 'TLSv1.3';
  };
  /** The name sent in EHLO. Default nodemailer's (the machine's hostname). */
  readonly name?: string;
  /** Connection, greeting and socket timeouts. Default 30 s. */
  readonly timeoutMs?: number;
  /** Concurrent SMTP connections (pooled). Default 2. */
  readonly maxConnections?: number;
  /**
   * After the server refuses the credentials, no login is tried again for this
   * long, doubling at each further refusal up to `maxMs` (defaults 15 min and
   * 6 h): a wrong password must not lock a directory-backed service account.
   */
  readonly authBackoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /** The clock for the back-off (default Date.now). */
  readonly now?: () => number;
}

export interface SmtpNotifier extends Notifier {
  /** Connects, negotiates TLS and authenticates, without sending anything. */
  verify(): Promise<Either<NotifyError, void>>;
  /** Closes pooled connections. */
  close(): Promise<void>;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', '#39': "'" };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+\d*|#39);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

/** A readable plain-text alternative of the rendered HTML: paragraphs, line breaks, links as `text (url)`. */
export function htmlToText(html: string): string {
  let s = html.replace(/\r\n?/g, '\n');
  s = s.replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, '');
  s = s.replace(
    /<a\b[^>]*?\bhref\s*=\s*("([^"]*)"|'([^']*)'|([^\s>]+))[^>]*>([\s\S]*?)<\/a\s*>/gi,
    (_m, _q, dq: string | undefined, sq: string | undefined, bare: string | undefined, inner: string) => {
      // still entity-encoded: the final pass decodes everything once
      const href = (dq ?? sq ?? bare ?? '').trim();
      const text = inner.replace(/<[^>]*>/g, '').trim();
      return href === '' || decodeEntities(text) === decodeEntities(href) ? text : `${text} (${href})`;
    },
  );
  s = s.replace(/\s*\n\s*/g, ' ');
  s = s.replace(/<br\s*\/?>/gi, '\n');
  s = s.replace(/<li\b[^>]*>/gi, '\n- ');
  s = s.replace(/<\/(p|div|h[1-6]|ul|ol|table|tr|blockquote)\s*>/gi, '\n\n');
  s = s.replace(/<(p|div|h[1-6]|ul|ol|table|tr|blockquote)\b[^>]*>/gi, '\n\n');
  s = s.replace(/<[^>]*>/g, '');
  s = decodeEntities(s);
  return s
    .split('\n')
    .map((l) => l.replace(/[ \t]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** One plain address: no display name, no list, nothing a header or an SMTP command could be split on. */
const PLAIN_ADDRESS = /^[^\s@<>",;:()\[\]\\]+@[^\s@<>",;:()\[\]\\]+$/;

const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ');

export function smtpNotifier(o: SmtpNotifierOptions): SmtpNotifier {
  if (typeof o.host !== 'string' || o.host === '') throw new TypeError('smtpNotifier: host is required');
  if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535)
    throw new TypeError(`smtpNotifier: port must be 1-65535, got ${String(o.port)}`);
  if (typeof o.from !== 'string' || o.from.trim() === '') throw new TypeError('smtpNotifier: from is required');
  const timeout = o.timeoutMs ?? 30_000;
  const transporter = createTransport({
    pool: true,
    maxConnections: o.maxConnections ?? 2,
    maxMessages: 100,
    host: o.host,
    port: o.port,
    secure: o.secure === true,
    requireTLS: o.requireTLS === true,
    ...(o.auth ? { auth: { user: o.auth.user, pass: o.auth.pass } } : {}),
    ...(o.name ? { name: o.name } : {}),
    tls: {
      rejectUnauthorized: o.tls?.rejectUnauthorized ?? true,
      ...(o.tls?.ca !== undefined ? { ca: o.tls.ca } : {}),
      ...(o.tls?.servername !== undefined ? { servername: o.tls.servername } : {}),
      minVersion: o.tls?.minVersion ?? 'TLSv1.2',
    },
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    disableFileAccess: true,
    disableUrlAccess: true,
  });

  // Whatever a server or a library says, the password never reaches a message.
  const secrets: string[] = [];
  if (o.auth?.pass) {
    const { user, pass } = o.auth;
    secrets.push(
      pass,
      Buffer.from(pass).toString('base64'),
      Buffer.from(`\u0000${user}\u0000${pass}`).toString('base64'),
      encodeURIComponent(pass),
    );
  }
  const redact = (s: string) => secrets.filter((x) => x.length >= 3).reduce((acc, x) => acc.split(x).join('[redacted]'), s);
  const describe = (err: unknown): string => {
    if (typeof err !== 'object' || err === null) return redact(String(err));
    const e = err as { code?: unknown; message?: unknown; responseCode?: unknown; command?: unknown };
    const code = typeof e.code === 'string' ? `${e.code}: ` : '';
    const msg = typeof e.message === 'string' ? e.message : String(err);
    const cmd = typeof e.command === 'string' && e.command !== '' ? ` (during ${e.command.split(' ')[0]})` : '';
    return redact(`${code}${oneLine(msg)}${cmd} [${o.host}:${o.port}]`);
  };

  // nodemailer's codes: EAUTH/ENOAUTH the credentials; the others the connection.
  const kindOf = (err: unknown): NotifyError['kind'] => {
    const code = (err as { code?: unknown } | null)?.code;
    if (code === 'EAUTH' || code === 'ENOAUTH') return 'authFailed';
    if (code === 'ECONNECTION' || code === 'ETIMEDOUT' || code === 'ESOCKET' || code === 'EDNS' || code === 'ETLS' || code === 'EPROTOCOL')
      return 'unavailable';
    return 'sendFailed';
  };
  const now = o.now ?? Date.now;
  const initialMs = o.authBackoff?.initialMs ?? 15 * 60_000;
  const maxMs = o.authBackoff?.maxMs ?? 6 * 60 * 60_000;
  let refused: { at: number; until: number; delayMs: number; message: string } | undefined;
  let proven = false;
  let probe: Promise<void> | undefined;
  const failure = (err: unknown): NotifyError => {
    const kind = kindOf(err);
    const message = describe(err);
    if (kind === 'authFailed') {
      const delayMs = refused === undefined ? initialMs : Math.min(maxMs, refused.delayMs * 2);
      refused = { at: now(), until: now() + delayMs, delayMs, message };
      return { kind, message: `${message}; no login is tried again before ${new Date(refused.until).toISOString()}` };
    }
    return { kind, message };
  };
  /** While backing off: the refusal, without contacting the server. */
  const backingOff = (): NotifyError | undefined =>
    refused !== undefined && now() < refused.until
      ? {
          kind: 'authFailed',
          message: `not tried: the server refused the credentials at ${new Date(refused.at).toISOString()} (${refused.message}); next login attempt after ${new Date(refused.until).toISOString()}`,
        }
      : undefined;

  return {
    async send(n: Notification): Promise<Either<NotifyError, void>> {
      if (!PLAIN_ADDRESS.test(n.to)) return left({ kind: 'sendFailed', message: `not a plain e-mail address: ${JSON.stringify(n.to)}` });
      // Until one message has gone through, sends wait for the one in flight:
      // a wrong password then costs one login, not one per connection or lane.
      while (!proven && probe !== undefined) await probe;
      const waiting = backingOff();
      if (waiting !== undefined) return left(waiting);
      let done!: () => void;
      if (!proven)
        probe = new Promise<void>((res) => {
          done = res;
        });
      try {
        await transporter.sendMail({
          from: o.from,
          to: { name: '', address: n.to },
          subject: oneLine(n.subject),
          html: n.html,
          text: htmlToText(n.html),
          headers: { 'X-EAS-Access-Sync-Device': oneLine(n.deviceId) },
          disableFileAccess: true,
          disableUrlAccess: true,
        });
        proven = true;
        return right(undefined);
      } catch (err) {
        return left(failure(err));
      } finally {
        if (done !== undefined) {
          probe = undefined;
          done();
        }
      }
    },
    async verify(): Promise<Either<NotifyError, void>> {
      const waiting = backingOff();
      if (waiting !== undefined) return left(waiting);
      try {
        await transporter.verify();
        refused = undefined;
        proven = true;
        return right(undefined);
      } catch (err) {
        return left(failure(err));
      }
    },
    async close(): Promise<void> {
      transporter.close();
    },
  };
}
