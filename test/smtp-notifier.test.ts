// The SMTP notifier against an SMTP server on loopback (smtp-server) that
// records every message: STARTTLS, implicit TLS and AUTH reach the server as
// configured; through the engine, one message per device episode, none on the
// next sync, one again after the device was allowed and then lost access; a
// failing server never holds enforcement back and the failure is retried.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { smtpNotifier, htmlToText, type SmtpNotifier, type SmtpNotifierOptions } from '../adapters/smtp/index.js';
import { createEngine, type Engine } from '../src/engine.js';
import { simulateOrganization, type Simulation } from '../adapters/simulator/index.js';
import { memoryStore } from '../adapters/memory-store/index.js';
import type { EventStore, StoredEvent } from '../src/ports.js';
import { fixedClockScheduler } from './support/scheduler.js';

const test = suite('smtp notifier');
const NOW = Date.parse('2026-11-26T08:00:00Z');
const USER = 'eas-notify@contoso.com';
const PASS = 'Pa55-w0rd!Secret';

// ------------------------------------------------------------ a self-signed certificate, made now
const certDir = mkdtempSync(join(tmpdir(), 'eas-smtp-'));
const made = spawnSync(
  'openssl',
  [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout',
    join(certDir, 'key.pem'),
    '-out',
    join(certDir, 'cert.pem'),
  ],
  { encoding: 'utf8' },
);
const TLS = made.status === 0 ? { key: readFileSync(join(certDir, 'key.pem')), cert: readFileSync(join(certDir, 'cert.pem')) } : undefined;
if (!TLS) console.log('# openssl unavailable: TLS cases run without TLS (plain + AUTH)');

// ------------------------------------------------------------ a recording SMTP server
interface Received {
  readonly from: string;
  readonly to: string[];
  readonly raw: string;
  readonly secure: boolean;
  readonly user?: string;
  readonly headers: Map<string, string>;
  readonly html: string;
  readonly text: string;
}

function decodePart(headers: string, body: string): string {
  const enc = /content-transfer-encoding:\s*([^\s;]+)/i.exec(headers)?.[1]?.toLowerCase();
  if (enc === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (enc === 'quoted-printable') {
    const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h: string) => `%${h}`);
    return decodeURIComponent(bytes.replace(/%(?![0-9A-F]{2})/gi, '%25'));
  }
  return body;
}

function parseMessage(raw: string): { headers: Map<string, string>; html: string; text: string } {
  const [head = '', ...rest] = raw.split(/\r?\n\r?\n/);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) headers.set(line.slice(0, i).toLowerCase(), line.slice(i + 1).trim());
  }
  const body = rest.join('\r\n\r\n');
  const boundary = /boundary="?([^";]+)"?/i.exec(headers.get('content-type') ?? '')?.[1];
  let html = '';
  let text = '';
  if (boundary) {
    for (const part of body.split(`--${boundary}`)) {
      const [ph = '', ...pb] = part.replace(/^\r?\n/, '').split(/\r?\n\r?\n/);
      const content = decodePart(ph, pb.join('\r\n\r\n').replace(/\r?\n$/, ''));
      if (/content-type:\s*text\/html/i.test(ph)) html = content;
      else if (/content-type:\s*text\/plain/i.test(ph)) text = content.replace(/\r\n/g, '\n');
    }
  }
  return { headers, html, text };
}

interface Recorder {
  readonly port: number;
  readonly messages: Received[];
  readonly auths: Array<{ user: string; pass: string; secure: boolean }>;
  /** While > 0, DATA is refused with a 451 (and the counter goes down). */
  failNext: number;
  close(): Promise<void>;
}

async function startSmtp(options: Partial<SMTPServerOptions> & { tls?: boolean; requireAuth?: boolean } = {}): Promise<Recorder> {
  const { tls = Boolean(TLS), requireAuth = true, ...rest } = options;
  const rec: Recorder = {
    port: 0,
    messages: [],
    auths: [],
    failNext: 0,
    close: () => new Promise<void>((res) => server.close(() => res())),
  };
  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    authOptional: !requireAuth,
    allowInsecureAuth: !tls,
    ...(tls && TLS ? { key: TLS.key, cert: TLS.cert } : { hideSTARTTLS: true }),
    onAuth(auth, session, cb) {
      rec.auths.push({ user: auth.username ?? '', pass: auth.password ?? '', secure: session.secure });
      if (auth.username === USER && auth.password === PASS) cb(null, { user: auth.username });
      else cb(new Error('Invalid username or password'));
    },
    onData(stream, session: SMTPServerSession, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (rec.failNext > 0) {
          rec.failNext--;
          const err = new Error('Mailbox temporarily unavailable') as Error & { responseCode: number };
          err.responseCode = 451;
          cb(err);
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        rec.messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          secure: session.secure,
          ...(session.user !== undefined ? { user: session.user } : {}),
          ...parseMessage(raw),
        });
        cb();
      });
    },
    ...rest,
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  (rec as { port: number }).port = (server.server.address() as AddressInfo).port;
  return rec;
}

const servers: Recorder[] = [];
const notifiers: SmtpNotifier[] = [];
async function smtp(options: Parameters<typeof startSmtp>[0] = {}): Promise<Recorder> {
  const s = await startSmtp(options);
  servers.push(s);
  return s;
}
function notifier(port: number, over: Partial<SmtpNotifierOptions> = {}): SmtpNotifier {
  const n = smtpNotifier({
    host: '127.0.0.1',
    port,
    from: '"IT Helpdesk" <helpdesk@contoso.com>',
    auth: { user: USER, pass: PASS },
    ...(TLS ? { requireTLS: true, tls: { ca: TLS.cert } } : {}),
    timeoutMs: 5000,
    name: 'eas-sync.test',
    ...over,
  });
  notifiers.push(n);
  return n;
}

test.after(async () => {
  await Promise.all(notifiers.map((n) => n.close()));
  await Promise.all(servers.map((s) => s.close()));
  rmSync(certDir, { recursive: true, force: true });
});

const note = (over: Partial<{ to: string; subject: string; html: string; deviceId: string }> = {}) => ({
  to: 'kim.akers@contoso.com',
  subject: 'Action needed: your iPhone cannot sync mail',
  html: '<p>Hello Kim &amp; co,</p><p>Your iPhone (&lt;iPhone15C2&gt;) cannot sync: the device is not enrolled.</p><p><a href="https://portal.manage.microsoft.com/?a=1&amp;b=2">https://portal.manage.microsoft.com/?a=1&amp;b=2</a></p>',
  deviceId: 'ApplC39GQ9UJDTDM',
  mailbox: 'contoso.com/Users/Kim Akers',
  ...over,
});

// ------------------------------------------------------------ unit: the text alternative
test('htmlToText: paragraphs, breaks, links and entities', () => {
  assert.is(
    htmlToText('<p>Hello Kim &amp; co,</p><p>Line<br>two</p><p>Enroll: <a href="https://x.example/?a=1&amp;b=2">here</a></p>'),
    'Hello Kim & co,\n\nLine\ntwo\n\nEnroll: here (https://x.example/?a=1&b=2)',
  );
  assert.is(htmlToText('<a href="https://x.example/">https://x.example/</a>'), 'https://x.example/');
  assert.is(htmlToText('<style>p{color:red}</style><ul><li>one</li><li>&lt;two&gt;</li></ul>'), '- one\n- <two>');
  assert.is(htmlToText('&#39;&#x41;&nbsp;&unknown;'), "'A &unknown;");
});

// ------------------------------------------------------------ transport settings
test('STARTTLS + AUTH: the server sees TLS before credentials; subject, html, text alternative and recipient arrive', async () => {
  const s = await smtp();
  const n = notifier(s.port);
  assert.ok(isRight(await n.verify()));
  const r = await n.send(note());
  assert.ok(isRight(r), isLeft(r) ? r.left.message : '');
  assert.is(s.messages.length, 1);
  const m = s.messages[0]!;
  assert.equal(m.to, ['kim.akers@contoso.com']);
  assert.is(m.from, 'helpdesk@contoso.com');
  assert.is(m.user, USER);
  assert.is(m.secure, Boolean(TLS));
  assert.ok(s.auths.length >= 1 && s.auths.every((a) => a.user === USER && a.pass === PASS && a.secure === Boolean(TLS)));
  assert.is(m.headers.get('subject'), 'Action needed: your iPhone cannot sync mail');
  assert.is(m.headers.get('x-eas-access-sync-device'), 'ApplC39GQ9UJDTDM');
  assert.match(m.headers.get('content-type')!, /multipart\/alternative/);
  assert.is(m.html, note().html);
  assert.is(
    m.text,
    'Hello Kim & co,\n\nYour iPhone (<iPhone15C2>) cannot sync: the device is not enrolled.\n\nhttps://portal.manage.microsoft.com/?a=1&b=2',
  );
});

test('implicit TLS (secure: true) reaches the server over TLS', async () => {
  if (!TLS) return;
  const s = await smtp({ secure: true });
  const n = notifier(s.port, { secure: true, requireTLS: false });
  const r = await n.send(note());
  assert.ok(isRight(r), isLeft(r) ? r.left.message : '');
  assert.is(s.messages.length, 1);
  assert.ok(s.messages[0]!.secure);
});

test('requireTLS against a server that offers no STARTTLS fails instead of sending in clear', async () => {
  if (!TLS) return;
  const s = await smtp({ tls: false, requireAuth: false });
  const n = notifier(s.port, { auth: undefined, requireTLS: true });
  const r = await n.send(note());
  assert.ok(isLeft(r));
  assert.is(s.messages.length, 0);
});

test('an untrusted certificate is refused unless its CA is given', async () => {
  if (!TLS) return;
  const s = await smtp();
  const r = await notifier(s.port, { tls: {} }).send(note());
  assert.ok(isLeft(r));
  if (isLeft(r)) assert.match(r.left.message, /certificate/i);
  assert.is(s.messages.length, 0);
});

test('a wrong password is Left authFailed, the password appears nowhere, and no second login is tried while backing off', async () => {
  const s = await smtp();
  const wrong = 'Wr0ng-Pa55word';
  let clock = NOW;
  const n = notifier(s.port, { auth: { user: USER, pass: wrong }, now: () => clock, authBackoff: { initialMs: 60_000, maxMs: 240_000 } });
  const v = await n.verify();
  assert.ok(isLeft(v));
  const r = await n.send(note());
  assert.ok(isLeft(r));
  for (const e of [v, r]) {
    if (!isLeft(e)) continue;
    assert.is(e.left.kind, 'authFailed');
    assert.match(e.left.message, /EAUTH/);
    assert.not.ok(e.left.message.includes(wrong));
    assert.not.ok(e.left.message.includes(Buffer.from(wrong).toString('base64')));
  }
  assert.is(s.auths.filter((a) => a.pass === wrong).length, 1, 'one login attempt, the send was not tried');
  if (isLeft(r)) assert.match(r.left.message, /^not tried: .*next login attempt after 2026/);
  clock += 61_000;
  const again = await n.send(note());
  assert.ok(isLeft(again) && again.left.kind === 'authFailed');
  assert.is(s.auths.filter((a) => a.pass === wrong).length, 2, 'tried once more after the back-off');
  clock += 61_000; // the next back-off is twice as long: still waiting
  await n.send(note());
  assert.is(s.auths.filter((a) => a.pass === wrong).length, 2);
  assert.is(s.messages.length, 0);
});

test('a recipient that is not one plain address is refused before anything is sent', async () => {
  const s = await smtp();
  const n = notifier(s.port);
  for (const to of ['kim@contoso.com, mallory@evil.example', 'Kim <kim@contoso.com>', 'kim@contoso.com\r\nBcc: x@evil.example', 'nobody']) {
    const r = await n.send(note({ to }));
    assert.ok(isLeft(r), to);
  }
  assert.is(s.messages.length, 0);
});

test('an unreachable server is Left sendFailed naming host and port, quickly', async () => {
  const probe = createNetServer();
  await new Promise<void>((res) => probe.listen(0, '127.0.0.1', () => res()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((res) => probe.close(() => res()));
  const r = await notifier(port).send(note());
  assert.ok(isLeft(r));
  if (isLeft(r)) assert.match(r.left.message, new RegExp(`ECONNREFUSED.*\\[127\\.0\\.0\\.1:${port}\\]$`));
});

// ------------------------------------------------------------ through the engine
const scheduler = fixedClockScheduler(NOW);

function engineWith(sim: Simulation, n: SmtpNotifier, store: EventStore = memoryStore()): Engine {
  return createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store,
    policy: sim.policy,
    notifier: n,
    parallelism: 4,
    scheduler,
  });
}
const deviceOf = (m: Received) => m.headers.get('x-eas-access-sync-device')!;
const events = async (store: EventStore): Promise<StoredEvent[]> => {
  const r = await store.readAll();
  if (!isRight(r)) throw new Error('read');
  return r.right;
};

test('through the engine: one message per device episode, none on the next sync, one again after allowed-then-lost', async () => {
  const s = await smtp();
  const sim = simulateOrganization({ devices: 300, seed: 4, clock: () => NOW });
  const engine = engineWith(sim, notifier(s.port));

  const r1 = await engine.fullSync();
  assert.ok(r1.success, JSON.stringify(r1.errors));
  const expected = engine
    .devices()
    .filter((d) => d.governed && (d.reason === 'notEnrolled' || d.reason === 'notCompliant') && d.access !== 'allow');
  assert.ok(expected.length > 5);
  assert.is(r1.notifications.sent, expected.length);
  assert.is(s.messages.length, expected.length);
  assert.equal(new Set(s.messages.map(deviceOf)), new Set(expected.map((d) => d.deviceId)));
  const mailboxes = new Map(sim.exchange.state().mailboxes.map((m) => [m.identity, m]));
  for (const m of s.messages) {
    const d = expected.find((e) => e.deviceId === deviceOf(m))!;
    assert.equal(m.to, [mailboxes.get(d.mailbox)!.primarySmtpAddress]);
    assert.match(m.html, /Enroll it in Intune/);
    assert.ok(m.text.length > 0 && !m.text.includes('<p>'));
  }

  const r2 = await engine.fullSync();
  assert.is(r2.notifications.sent + r2.notifications.failed, 0);
  assert.is(s.messages.length, expected.length);

  // The device is enrolled and compliant: allowed, no message. Then it turns noncompliant: one message.
  const target = expected.find((d) => d.reason === 'notEnrolled')!;
  const mb = mailboxes.get(target.mailbox)!;
  const enrolled = sim.intune.enroll({
    userPrincipalName: mb.userPrincipalName ?? mb.primarySmtpAddress,
    easDeviceId: target.deviceId,
    complianceState: 'compliant',
  });
  const r3 = await engine.fullSync();
  assert.ok(r3.success);
  assert.is(engine.devices().find((d) => d.deviceId === target.deviceId)!.access, 'allow');
  assert.is(s.messages.length, expected.length);
  sim.intune.setCompliance(enrolled.id, 'noncompliant');
  const r4 = await engine.fullSync();
  assert.ok(r4.success);
  assert.is(r4.notifications.sent, 1);
  assert.is(s.messages.length, expected.length + 1);
  const again = s.messages.at(-1)!;
  assert.is(deviceOf(again), target.deviceId);
  assert.match(again.html, /compliance policy/);
});

test('through the engine: device-chosen values arrive HTML-escaped, and the subject stays one line', async () => {
  const s = await smtp();
  const sim = simulateOrganization({ devices: 60, seed: 8, clock: () => NOW });
  const engine = engineWith(sim, notifier(s.port));
  await engine.fullSync();
  const governed = engine.devices().find((d) => d.governed && d.reason === 'notEnrolled')!;
  const before = s.messages.length;
  sim.exchange.addPartnership({
    mailbox: governed.mailbox,
    deviceId: 'HOSTILE0001',
    deviceType: 'Phone<img src=x onerror=alert(1)>\r\nBcc: x@evil.example',
    deviceModel: 'A&B "quoted" <b>',
  });
  const r = await engine.fullSync();
  assert.ok(r.success, JSON.stringify(r.errors));
  const m = s.messages.slice(before).find((x) => deviceOf(x) === 'HOSTILE0001')!;
  assert.ok(m, 'the hostile device got its notification');
  assert.not.ok(m.html.includes('<img'));
  assert.match(m.html, /Phone&lt;img src=x onerror=alert\(1\)&gt;/);
  assert.match(m.html, /A&amp;B &quot;quoted&quot; &lt;b&gt;/);
  assert.not.ok(m.headers.has('bcc'));
  assert.equal(m.to.length, 1);
  assert.match(
    m.headers.get('subject')!,
    /^Action needed: your Phone<img src=x onerror=alert\(1\)> Bcc: x@evil\.example cannot sync mail$/,
  );
});

test('through the engine: a failing server never holds enforcement back; the failure is recorded and retried next sync', async () => {
  const s = await smtp();
  const sim = simulateOrganization({ devices: 200, seed: 6, clock: () => NOW });
  const store = memoryStore();
  const engine = engineWith(sim, notifier(s.port), store);
  s.failNext = 3;
  const r1 = await engine.fullSync();
  assert.ok(r1.success, 'a notification failure never fails the sync');
  assert.is(r1.notifications.failed, 3);
  assert.ok(r1.notifications.sent > 0);
  assert.ok(r1.commands.issued > 0 && r1.commands.failed === 0);
  assert.is(sim.counters.commands, r1.commands.issued, 'enforcement ran in full');
  const failed = (await events(store)).filter((e) => e.type === 'NotificationFailed');
  assert.is(failed.length, 3);
  assert.match(JSON.stringify(failed[0]!.data), /451/);
  assert.ok(r1.warnings.some((w) => w.kind === 'notificationFailed'));

  const r2 = await engine.fullSync();
  assert.is(r2.notifications.sent, 3);
  assert.is(r2.notifications.failed, 0);
  assert.equal(new Set(s.messages.map(deviceOf)).size, s.messages.length, 'no device notified twice');
  const r3 = await engine.fullSync();
  assert.is(r3.notifications.sent + r3.notifications.failed, 0);
});

test('through the engine: an unreachable SMTP server stops notifications for that sync, and the sync still succeeds', async () => {
  const probe = createNetServer();
  await new Promise<void>((res) => probe.listen(0, '127.0.0.1', () => res()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((res) => probe.close(() => res()));
  const sim = simulateOrganization({ devices: 80, seed: 3, clock: () => NOW });
  const store = memoryStore();
  const r = await engineWith(sim, notifier(port), store).fullSync();
  assert.ok(r.success);
  assert.is(r.notifications.sent, 0);
  assert.ok(r.notifications.failed > 0 && r.notifications.failed <= 4, `at most one per lane in flight, got ${r.notifications.failed}`);
  assert.ok(r.warnings.some((w) => w.kind === 'notificationsSuspended'));
  const failed = (await events(store)).filter((e) => e.type === 'NotificationFailed');
  assert.is(failed.length, r.notifications.failed);
  assert.not.ok(JSON.stringify(failed).includes(PASS));
});

test('through the engine: a wrong password costs one login per back-off, not one per pending notification', async () => {
  const s = await smtp();
  const wrong = 'not-the-password';
  let clock = NOW;
  const sim = simulateOrganization({ devices: 300, seed: 4, clock: () => NOW });
  const store = memoryStore();
  const n = notifier(s.port, {
    auth: { user: USER, pass: wrong },
    now: () => clock,
    authBackoff: { initialMs: 15 * 60_000 },
    maxConnections: 1,
  });
  const engine = createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store,
    policy: sim.policy,
    notifier: n,
    parallelism: 1,
    scheduler,
  });
  const r1 = await engine.fullSync();
  assert.ok(r1.success, 'enforcement is not held back');
  assert.ok(r1.commands.issued > 0);
  const due = engine
    .devices()
    .filter((d) => d.governed && (d.reason === 'notEnrolled' || d.reason === 'notCompliant') && d.access !== 'allow').length;
  assert.ok(due > 20, `many notifications pending (${due})`);
  assert.is(s.auths.length, 1, 'one failed login in the whole sync');
  assert.is(r1.notifications.failed, 1);
  assert.is((await events(store)).filter((e) => e.type === 'NotificationFailed').length, 1);
  const w = r1.warnings.find((x) => x.kind === 'notificationsSuspended');
  assert.ok(w && new RegExp(`${due - 1} not attempted`).test(w.message), w?.message);

  const r2 = await engine.fullSync();
  assert.is(s.auths.length, 1, 'the next sync inside the back-off logs in no more');
  assert.is(r2.notifications.failed, 1);
  clock += 16 * 60_000;
  await engine.fullSync();
  assert.is(s.auths.length, 2, 'after the back-off: one attempt');
  assert.is(s.messages.length, 0);
});

test.run();
