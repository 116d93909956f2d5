// eas-access-sync/ews: the Notifier over Exchange Web Services, sending from
// the notification mailbox as the original connector did: CreateItem with
// MessageDisposition=SendAndSaveCopy (a copy in the mailbox's Sent Items),
// the engine's subject and HTML body, to the user's primary address, with the
// X-EAS-Access-Sync-Device header the SMTP notifier also sets. The EWS URL is
// given or found by Autodiscover from the mailbox's address; NTLM (v2, with
// channel binding over TLS) or Basic.
//
// Failures are values (Left sendFailed) that the engine records and retries
// at the next sync; they never hold enforcement back. Exchange's own answers:
// ErrorServerBusy waits the BackOffMilliseconds it names (all sends wait) and
// retries, or fails fast while the wait is longer than maxBusyWaitMs; a
// refused credential stops every send (no request reaches the server) for an
// exponentially growing back-off, so a wrong password is tried once per
// back-off and never locks the account. Until a send has gone through, sends
// go one at a time, so a wrong password costs one attempt, not one per lane.
// No message ever carries the password.
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { Notification, Notifier, NotifyError } from '../../src/ports.js';
import { createItemEnvelope, readCreateItemResponse } from './xml.js';
import { checkServiceUrl, postAuthenticated, type EwsCredentials, type HttpFailure } from './http.js';
import { autodiscoverEwsUrl, type Candidates } from './autodiscover.js';

export interface EwsNotifierOptions {
  /** e.g. https://mail.contoso.com/EWS/Exchange.asmx; default: Autodiscover from `mailbox`. */
  readonly url?: string;
  /** The notification mailbox (sender; its Sent Items keep the copies). */
  readonly mailbox: string;
  readonly authentication: 'ntlm' | 'basic';
  /** `CONTOSO\svc-eas` or `svc-eas@contoso.com` */
  readonly username: string;
  readonly password: string;
  /** Per request. Default 60 s. */
  readonly timeoutMs?: number;
  /** PEM of an internal CA (or set NODE_EXTRA_CA_CERTS). */
  readonly ca?: string | Buffer;
  readonly rejectUnauthorized?: boolean;
  /** The longest ErrorServerBusy back-off a send waits for; a longer one fails it (retried next sync). Default 60 s. */
  readonly maxBusyWaitMs?: number;
  /** Busy answers one send waits through before it fails. Default 3. */
  readonly maxBusyRetries?: number;
  /** After refused credentials, no send is tried for this long, doubling per further refusal. Default 15 min. */
  readonly authBackoffMs?: number;
  /** Cap of that back-off. Default 4 h. */
  readonly maxAuthBackoffMs?: number;
  /** Autodiscover endpoints for a domain (tests). */
  readonly autodiscoverCandidates?: Candidates;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface EwsNotifier extends Notifier {
  /** The EWS URL in use, once known. */
  ewsUrl(): string | undefined;
  close(): Promise<void>;
}

/** One plain address: no display name, no list. */
const PLAIN_ADDRESS = /^[^\s@<>",;:()\[\]\\]+@[^\s@<>",;:()\[\]\\]+$/;
const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ');
const iso = (ms: number) => new Date(ms).toISOString();

export function ewsNotifier(o: EwsNotifierOptions): EwsNotifier {
  if (!PLAIN_ADDRESS.test(o.mailbox)) throw new TypeError('ewsNotifier: mailbox must be one plain e-mail address');
  if (o.authentication !== 'ntlm' && o.authentication !== 'basic') throw new TypeError('ewsNotifier: authentication must be ntlm or basic');
  if (o.url !== undefined) {
    const u = checkServiceUrl(o.url);
    if (u._tag === 'Left') throw new TypeError(`ewsNotifier: url ${u.left}`);
  }
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const maxBusyWaitMs = o.maxBusyWaitMs ?? 60_000;
  const maxBusyRetries = o.maxBusyRetries ?? 3;
  const authBackoffMs = o.authBackoffMs ?? 15 * 60_000;
  const maxAuthBackoffMs = o.maxAuthBackoffMs ?? 4 * 3_600_000;
  const creds: EwsCredentials = { authentication: o.authentication, username: o.username, password: o.password };
  const http = {
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    ...(o.ca !== undefined ? { ca: o.ca } : {}),
    ...(o.rejectUnauthorized !== undefined ? { rejectUnauthorized: o.rejectUnauthorized } : {}),
  };

  const secrets = [o.password, Buffer.from(`${o.username}:${o.password}`).toString('base64'), encodeURIComponent(o.password)].filter(
    (s) => s.length >= 3,
  );
  const redact = (s: string) => secrets.reduce((acc, x) => acc.split(x).join('[redacted]'), s);
  // authFailed / unavailable: the channel refused, so the engine sends nothing more this sync.
  const fail = (message: string, kind: NotifyError['kind'] = 'sendFailed'): Either<NotifyError, void> =>
    left({ kind, message: redact(oneLine(message)) });

  let url: string | undefined = o.url !== undefined ? new URL(o.url).href : undefined;
  let discovering: Promise<Either<HttpFailure, string>> | undefined;
  let confirmed = false;
  let authFailures = 0;
  let blocked: { until: number; reason: string } | undefined;
  let busyUntil = 0;
  let gate: Promise<void> = Promise.resolve();

  const refused = (message: string) => {
    authFailures++;
    confirmed = false;
    const wait = Math.min(maxAuthBackoffMs, authBackoffMs * 2 ** (authFailures - 1));
    blocked = { until: now() + wait, reason: `${message} at ${iso(now())}` };
    return fail(`${message}; no notification is sent until ${iso(blocked.until)} (so as not to lock the account)`, 'authFailed');
  };

  async function ewsUrl(): Promise<Either<HttpFailure, string>> {
    if (url) return right(url);
    discovering ??= autodiscoverEwsUrl(o.mailbox, creds, {
      ...http,
      ...(o.autodiscoverCandidates ? { candidates: o.autodiscoverCandidates } : {}),
    });
    const r = await discovering;
    discovering = undefined;
    if (r._tag === 'Right') url = r.right;
    return r;
  }

  async function sendOnce(n: Notification): Promise<Either<NotifyError, void>> {
    if (blocked && now() < blocked.until)
      return fail(`not sent: ${blocked.reason}; next attempt after ${iso(blocked.until)}`, 'authFailed');
    const where = await ewsUrl();
    if (where._tag === 'Left') return where.left.kind === 'auth' ? refused(where.left.message) : fail(where.left.message);
    const target = new URL(where.right);
    const envelope = createItemEnvelope({
      from: o.mailbox,
      to: n.to,
      subject: oneLine(n.subject),
      html: n.html,
      deviceId: oneLine(n.deviceId),
    });
    for (let attempt = 0; ; attempt++) {
      const wait = busyUntil - now();
      if (wait > 0) {
        if (wait > maxBusyWaitMs || attempt > maxBusyRetries)
          return fail(`not sent: EWS ${target.origin} asked to back off until ${iso(busyUntil)} (ErrorServerBusy)`, 'unavailable');
        await sleep(wait);
      }
      const r = await postAuthenticated(target, envelope, creds, {
        ...http,
        headers: { SOAPAction: '"http://schemas.microsoft.com/exchange/services/2006/messages/CreateItem"' },
      });
      if (r._tag === 'Left') return r.left.kind === 'auth' ? refused(`EWS ${r.left.message}`) : fail(`EWS ${r.left.message}`);
      const res = r.right;
      if (res.status >= 300 && res.status < 400)
        return fail(`EWS ${target.href} redirected (${res.status}) to ${String(res.headers.location ?? 'nowhere')}: check notifier.url`);
      const outcome = res.status === 200 || res.status === 500 ? readCreateItemResponse(res.body) : undefined;
      if (!outcome) return fail(`EWS ${target.href} answered ${res.status} without a SOAP response`);
      confirmed = true;
      authFailures = 0;
      blocked = undefined;
      if (outcome.ok) return right(undefined);
      if (outcome.code === 'ErrorServerBusy') {
        busyUntil = Math.max(busyUntil, now() + (outcome.backOffMs ?? 5_000));
        if (attempt < maxBusyRetries) continue;
      }
      return fail(`EWS ${outcome.code}: ${outcome.message} (to ${n.to}) [${target.origin}]`);
    }
  }

  return {
    async send(n: Notification): Promise<Either<NotifyError, void>> {
      if (!PLAIN_ADDRESS.test(n.to)) return fail(`not a plain e-mail address: ${JSON.stringify(n.to)}`);
      if (confirmed) return sendOnce(n);
      // Until the credentials are known good, one send at a time.
      const prev = gate;
      let release!: () => void;
      gate = new Promise<void>((r) => {
        release = r;
      });
      await prev;
      try {
        return await sendOnce(n);
      } finally {
        release();
      }
    },
    ewsUrl: () => url,
    async close() {
      /* connections are per message and already closed */
    },
  };
}

export { createItemEnvelope, readCreateItemResponse, readAutodiscover, xmlText } from './xml.js';
export { autodiscoverEwsUrl, defaultCandidates } from './autodiscover.js';
export { postAuthenticated, checkServiceUrl } from './http.js';
export type { EwsCredentials, HttpFailure } from './http.js';
