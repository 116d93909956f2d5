// The EWS notifier against a loopback EWS stand-in that checks the envelope,
// the NTLMv2 handshake (per connection, proof checked, channel binding over
// TLS) or Basic, and answers Exchange's errors. NTLM against MS-NLMP's
// published test vectors; the envelope's escaping against hostile values;
// Autodiscover; ErrorServerBusy back-off; a refused password stops sending
// (one attempt, whatever the number of messages) and backs off; through the
// engine, one message per episode, failures recorded and retried, enforcement
// never held back.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import {
  ewsNotifier,
  createItemEnvelope,
  readCreateItemResponse,
  readAutodiscover,
  type EwsNotifierOptions,
} from '../adapters/ews/index.js';
import {
  ntHash,
  ntowfv2,
  ntlmv2Response,
  parseChallenge,
  negotiateMessage,
  authenticateMessage,
  parseAuthenticate,
  readAvPairs,
  AV,
} from '../adapters/ews/ntlm.js';
import { createEngine, type Engine } from '../src/engine.js';
import { simulateOrganization, type Simulation } from '../adapters/simulator/index.js';
import { memoryStore } from '../adapters/memory-store/index.js';
import type { EventStore, Notification, StoredEvent } from '../src/ports.js';
import { EwsServer } from './support/ews-server.js';
import { selfSignedCert } from './support/tls.js';
import { fixedClockScheduler } from './support/scheduler.js';

const test = suite('ews notifier');
const NOW = Date.parse('2026-11-26T08:00:00Z');
const USER = 'CONTOSO\\svc-eas';
const PASS = 'N0tify-P@ss!w0rd';
const MAILBOX = 'eas-notify@contoso.com';
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const servers: EwsServer[] = [];
const ews = async (o: Partial<ConstructorParameters<typeof EwsServer>[0]> = {}) => {
  const s = await new EwsServer({ username: USER, password: PASS, ...o }).start();
  servers.push(s);
  return s;
};
test.after(async () => {
  for (const s of servers) await s.close();
});

const note = (over: Partial<Notification> = {}): Notification => ({
  to: 'kim.akers@contoso.com',
  subject: 'Your iPhone cannot sync mail yet',
  html: '<p>Hello Kim, <a href="https://portal.manage.microsoft.com/">enroll</a></p>',
  deviceId: 'ApplF17XQ0001',
  mailbox: 'kim.akers',
  ...over,
});

function clock() {
  const c = { t: NOW, waits: [] as number[] };
  return {
    c,
    now: () => c.t,
    sleep: async (ms: number) => {
      c.waits.push(ms);
      c.t += ms;
    },
  };
}
const notifierFor = (s: EwsServer, over: Partial<EwsNotifierOptions> = {}) =>
  ewsNotifier({ url: s.url, mailbox: MAILBOX, authentication: 'ntlm', username: USER, password: PASS, ...over });

// ------------------------------------------------------------ NTLM
test('NTLMv2 matches the test vectors of MS-NLMP 4.2.4', () => {
  assert.is(ntHash('Password').toString('hex'), 'a4f49c406510bdcab6824ee7c30fd852');
  assert.is(ntowfv2('Password', 'User', 'Domain').toString('hex'), '0c868a403bfd7a93a3001ef22ef02e3f');
  const targetInfo = hex('02000c0044006f006d00610069006e0001000c0053006500720076006500720000000000');
  const r = ntlmv2Response('Password', 'User', 'Domain', hex('0123456789abcdef'), hex('aaaaaaaaaaaaaaaa'), Buffer.alloc(8), targetInfo);
  assert.is(r.lm.toString('hex'), '86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa');
  assert.is(r.nt.subarray(0, 16).toString('hex'), '68cd0ab851e51c96aabc927bebef6a1c');
  assert.is(
    r.nt.subarray(16).toString('hex'),
    '01010000000000000000000000000000aaaaaaaaaaaaaaaa00000000' + targetInfo.toString('hex') + '00000000',
  );
});

test('a challenge whose fields point outside the message is refused; the AUTHENTICATE names user and domain', () => {
  const good = Buffer.alloc(48);
  good.write('NTLMSSP\0', 0, 'latin1');
  good.writeUInt32LE(2, 8);
  good.writeUInt32LE(0x00800201, 20);
  good.writeUInt16LE(0, 40);
  good.writeUInt32LE(48, 44);
  assert.ok(parseChallenge(good.toString('base64')));
  const bad = Buffer.from(good);
  bad.writeUInt16LE(200, 40);
  bad.writeUInt32LE(48, 44);
  assert.is(parseChallenge(bad.toString('base64')), undefined);
  assert.is(parseChallenge(Buffer.from('NTLMSSP\0\x01\0\0\0', 'latin1').toString('base64')), undefined);
  assert.is(Buffer.from(negotiateMessage(), 'base64').readUInt32LE(8), 1);
  const msg = authenticateMessage(
    parseChallenge(good.toString('base64'))!,
    { username: 'CONTOSO\\svc', password: 'x' },
    { channelBinding: Buffer.alloc(16, 7) },
  );
  const parsed = parseAuthenticate(msg)!;
  assert.is(parsed.domain, 'CONTOSO');
  assert.is(parsed.user, 'svc');
  assert.ok(parsed.nt.length > 48, 'an NTLMv2 response, never v1');
  const pairs = readAvPairs(parsed.nt.subarray(16 + 28))!;
  assert.equal(pairs.find((p) => p.id === AV.CHANNEL_BINDINGS)?.value, Buffer.alloc(16, 7));
  const upn = parseAuthenticate(
    authenticateMessage(parseChallenge(good.toString('base64'))!, { username: 'svc@contoso.com', password: 'x' }),
  )!;
  assert.is(upn.domain, '');
  assert.is(upn.user, 'svc@contoso.com');
});

// ------------------------------------------------------------ the envelope
test('the envelope carries hostile values as escaped data: well-formed, and read back exactly', () => {
  const hostile = {
    from: MAILBOX,
    to: 'a&b@contoso.com',
    subject: 'Your </t:Subject><t:Evil/> "phone" cannot sync',
    html: '<p>Model: A&amp;B &lt;b&gt; ]]> <![CDATA[x]]></p>',
    deviceId: 'DEV"\'<&>\u0001\u0008\uFFFE\uD800end',
  };
  const xml = createItemEnvelope(hostile);
  assert.is(XMLValidator.validate(xml), true);
  assert.not.ok(xml.includes('<t:Evil/>'));
  const doc = new XMLParser({ ignoreAttributes: false, removeNSPrefix: true, parseTagValue: false, trimValues: false }).parse(xml);
  const m = doc.Envelope.Body.CreateItem.Items.Message;
  assert.is(m.Subject, hostile.subject);
  assert.is(m.Body['#text'], hostile.html);
  assert.is(m.ExtendedProperty.Value, 'DEV"\'<&>\uFFFD\uFFFD\uFFFD\uFFFDend', 'characters XML cannot carry are replaced, the rest kept');
  assert.is(m.ToRecipients.Mailbox.EmailAddress, 'a&b@contoso.com');
});

test('Exchange answers are read: success, an error code with its text, a busy fault with its back-off, Autodiscover', () => {
  assert.equal(
    readCreateItemResponse(
      '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><m:CreateItemResponse xmlns:m="m"><m:ResponseMessages><m:CreateItemResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode></m:CreateItemResponseMessage></m:ResponseMessages></m:CreateItemResponse></s:Body></s:Envelope>',
    ),
    { ok: true },
  );
  assert.is(readCreateItemResponse('<html>Sign in</html>'), undefined);
  assert.is(readCreateItemResponse('not xml <<<'), undefined);
  assert.equal(
    readAutodiscover(
      '<Autodiscover><Response><Account><Action>redirectAddr</Action><RedirectAddr>x@y.com</RedirectAddr></Account></Response></Autodiscover>',
    ),
    { kind: 'redirectAddr', address: 'x@y.com' },
  );
  assert.equal(
    readAutodiscover(
      '<Autodiscover><Response><Account><Protocol><Type>EXPR</Type><EwsUrl>https://ext/EWS/Exchange.asmx</EwsUrl></Protocol></Account></Response></Autodiscover>',
    ),
    { kind: 'ews', url: 'https://ext/EWS/Exchange.asmx' },
  );
});

// ------------------------------------------------------------ against the stand-in
test('NTLM: the message arrives as sent, from the notification mailbox, with a copy in its Sent Items', async () => {
  const s = await ews({ schemes: ['ntlm'] });
  const r = await notifierFor(s).send(note());
  assert.ok(isRight(r), JSON.stringify(r));
  assert.equal(s.invalid, []);
  assert.is(s.sent.length, 1);
  assert.equal(s.sent[0], {
    user: USER,
    from: MAILBOX,
    savedIn: MAILBOX,
    to: 'kim.akers@contoso.com',
    subject: 'Your iPhone cannot sync mail yet',
    html: note().html,
    deviceHeader: 'ApplF17XQ0001',
  });
  assert.equal(s.auth, { negotiate: 1, authenticate: 1, refused: 0, basic: 0, channelBound: 0 });
});

test('Basic: the credentials are checked and the message sent', async () => {
  const s = await ews({ schemes: ['basic'], username: 'svc-eas@contoso.com' });
  const r = await notifierFor(s, { authentication: 'basic', username: 'svc-eas@contoso.com' }).send(note());
  assert.ok(isRight(r), JSON.stringify(r));
  assert.is(s.sent.length, 1);
  assert.is(s.auth.basic, 1);
});

test('over TLS, NTLM carries the channel binding of the server certificate (Extended Protection)', async () => {
  const cert = selfSignedCert(['localhost']);
  if (!cert) {
    console.log('# openssl unavailable: TLS not tested');
    return;
  }
  const s = await ews({ schemes: ['ntlm'], cert });
  const refused = await notifierFor(s).send(note());
  assert.ok(isLeft(refused), 'an untrusted certificate is refused');
  assert.match(refused.left.message, /self.signed|certificate/i);
  const r = await notifierFor(s, { ca: cert.cert }).send(note());
  assert.ok(isRight(r), JSON.stringify(r));
  assert.is(s.auth.channelBound, 1);
  assert.is(s.sent.length, 1);
});

test('without a url, Autodiscover finds EWS from the mailbox address (the internal URL first)', async () => {
  const s = await ews();
  const dead = createNetServer();
  await new Promise<void>((res) => dead.listen(0, '127.0.0.1', () => res()));
  const deadPort = (dead.address() as AddressInfo).port;
  await new Promise<void>((res) => dead.close(() => res()));
  const domains: string[] = [];
  const n = ewsNotifier({
    mailbox: MAILBOX,
    authentication: 'ntlm',
    username: USER,
    password: PASS,
    autodiscoverCandidates: (domain) => {
      domains.push(domain);
      return [`http://127.0.0.1:${deadPort}/autodiscover/autodiscover.xml`, s.autodiscoverUrl];
    },
  });
  const r = await n.send(note());
  assert.ok(isRight(r), JSON.stringify(r));
  assert.equal(domains, ['contoso.com']);
  assert.equal(s.autodiscoverRequests, [MAILBOX]);
  assert.is(n.ewsUrl(), s.url);
  assert.is(s.sent.length, 1);
  await n.send(note({ deviceId: 'second' }));
  assert.is(s.autodiscoverRequests.length, 1, 'found once');
});

test('ErrorMailRecipientNotFound is a failure naming the code; the next message goes out', async () => {
  const s = await ews({ unknownRecipients: ['gone@contoso.com'] });
  const n = notifierFor(s);
  const r = await n.send(note({ to: 'gone@contoso.com' }));
  assert.ok(isLeft(r));
  assert.match(r.left.message, /^EWS ErrorMailRecipientNotFound: The recipient could not be found\. \(to gone@contoso\.com\)/);
  assert.ok(isRight(await n.send(note())));
  assert.is(s.sent.length, 1);
});

test('ErrorServerBusy: the back-off Exchange names is waited, then the message goes out; a long one fails fast without asking again', async () => {
  const s = await ews();
  const t = clock();
  const n = notifierFor(s, { now: t.now, sleep: t.sleep, maxBusyWaitMs: 60_000 });
  s.faults.push({ kind: 'serverBusy', backOffMs: 1500 });
  const r = await n.send(note());
  assert.ok(isRight(r), JSON.stringify(r));
  assert.equal(t.c.waits, [1500]);
  assert.is(s.sent.length, 1);

  s.faults.push({ kind: 'serverBusy', backOffMs: 10 * 60_000 });
  const long = await n.send(note({ deviceId: 'B' }));
  assert.ok(isLeft(long));
  assert.match(long.left.message, /asked to back off until 2026-11-26T08:10:01\.500Z \(ErrorServerBusy\)/);
  const requests = s.requests;
  const next = await n.send(note({ deviceId: 'C' }));
  assert.ok(isLeft(next));
  assert.is(s.requests, requests, 'nothing sent to a server that asked for a pause');
  t.c.t += 10 * 60_000;
  assert.ok(isRight(await n.send(note({ deviceId: 'D' }))));
  assert.equal(
    s.sent.map((m) => m.deviceHeader),
    ['ApplF17XQ0001', 'D'],
  );
});

test('a refused password: one attempt for many messages, no password in any message, and no attempt until the back-off ends', async () => {
  const s = await ews({ schemes: ['ntlm'] });
  const t = clock();
  const n = notifierFor(s, { password: 'Wr0ng-Pass-Word', now: t.now, sleep: t.sleep, authBackoffMs: 15 * 60_000 });
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) => n.send(note({ deviceId: `D${i}` }))));
  assert.ok(results.every(isLeft));
  assert.is(s.auth.authenticate, 1, 'the credentials were tried once');
  assert.is(s.auth.refused, 1);
  const first = results.find((r) => isLeft(r) && /refused the credentials/.test(r.left.message))!;
  assert.ok(isLeft(first));
  assert.match(
    first.left.message,
    /^EWS http:\/\/127\.0\.0\.1:\d+\/EWS\/Exchange\.asmx refused the credentials of CONTOSO\\svc-eas \(401, NTLM\); no notification is sent until 2026-11-26T08:15:00\.000Z/,
  );
  for (const r of results) {
    assert.ok(isLeft(r));
    assert.not.ok(r.left.message.includes('Wr0ng-Pass-Word'));
    assert.not.ok(r.left.message.includes(PASS));
  }
  const before = s.requests;
  t.c.t += 14 * 60_000;
  assert.ok(isLeft(await n.send(note())));
  assert.is(s.requests, before);
  // the back-off doubles while the password stays wrong
  t.c.t += 2 * 60_000;
  const again = await n.send(note());
  assert.ok(isLeft(again));
  assert.match(again.left.message, /no notification is sent until 2026-11-26T08:46:00\.000Z/);
  assert.is(s.auth.authenticate, 2);
});

test('a 401 from EWS after a good handshake also stops sending', async () => {
  const s = await ews();
  const t = clock();
  const n = notifierFor(s, { now: t.now, sleep: t.sleep });
  assert.ok(isRight(await n.send(note())));
  s.faults.push({ kind: 'status', status: 401 });
  const r = await n.send(note({ deviceId: 'X' }));
  assert.ok(isLeft(r));
  assert.match(r.left.message, /refused the credentials/);
  const before = s.requests;
  assert.ok(isLeft(await n.send(note({ deviceId: 'Y' }))));
  assert.is(s.requests, before);
});

// ------------------------------------------------------------ through the engine
const scheduler = fixedClockScheduler(NOW);
const engineWith = (sim: Simulation, n: ReturnType<typeof ewsNotifier>, store: EventStore = memoryStore()): Engine =>
  createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store,
    policy: sim.policy,
    notifier: n,
    parallelism: 4,
    scheduler,
  });
const events = async (store: EventStore): Promise<StoredEvent[]> => {
  const r = await store.readAll();
  if (!isRight(r)) throw new Error('read');
  return r.right;
};

test("through the engine: one message per device episode to the user's address, none on the next sync", async () => {
  const s = await ews();
  const sim = simulateOrganization({ devices: 200, seed: 4, clock: () => NOW });
  const engine = engineWith(sim, notifierFor(s));
  const r1 = await engine.fullSync();
  assert.ok(r1.success, JSON.stringify(r1.errors));
  const expected = engine
    .devices()
    .filter((d) => d.governed && (d.reason === 'notEnrolled' || d.reason === 'notCompliant') && d.access !== 'allow');
  assert.ok(expected.length > 5);
  assert.is(r1.notifications.sent, expected.length);
  assert.equal(s.invalid, []);
  assert.equal(new Set(s.sent.map((m) => m.deviceHeader)), new Set(expected.map((d) => d.deviceId)));
  const mailboxes = new Map(sim.exchange.state().mailboxes.map((m) => [m.identity, m]));
  for (const m of s.sent) {
    const d = expected.find((e) => e.deviceId === m.deviceHeader)!;
    assert.is(m.to, mailboxes.get(d.mailbox)!.primarySmtpAddress);
    assert.match(m.html, /Enroll it in Intune|compliance policy/);
  }
  const r2 = await engine.fullSync();
  assert.is(r2.notifications.sent + r2.notifications.failed, 0);
  assert.is(s.sent.length, expected.length);
});

test('through the engine: a refused password never holds enforcement back; failures are recorded and all go out once the account is fixed', async () => {
  const s = await ews({ schemes: ['ntlm'] });
  s.password = 'the-account-password-changed';
  const sim = simulateOrganization({ devices: 200, seed: 6, clock: () => NOW });
  const store = memoryStore();
  const t = clock();
  const engine = engineWith(sim, notifierFor(s, { now: t.now, sleep: t.sleep }), store);
  const r1 = await engine.fullSync();
  assert.ok(r1.success, 'a notification failure never fails the sync');
  assert.ok(r1.commands.issued > 0 && r1.commands.failed === 0);
  assert.is(sim.counters.commands, r1.commands.issued, 'enforcement ran in full');
  // The channel refused: one failure recorded, the rest not attempted and still due.
  assert.is(r1.notifications.failed, 1);
  const suspended = r1.warnings.find((w) => w.kind === 'notificationsSuspended');
  const notAttempted = Number(/(\d+) not attempted/.exec(suspended?.message ?? '')?.[1]);
  assert.ok(notAttempted > 5, suspended?.message);
  const due = r1.notifications.failed + notAttempted;
  assert.is(r1.notifications.sent, 0);
  assert.is(s.auth.authenticate, 1, 'one attempt with the refused password in the whole sync');
  const failed = (await events(store)).filter((e) => e.type === 'NotificationFailed');
  assert.is(failed.length, r1.notifications.failed);
  assert.not.ok(JSON.stringify(await events(store)).includes(PASS));

  // the next sync inside the back-off: still nothing sent, nothing asked
  const before = s.requests;
  const r2 = await engine.fullSync();
  assert.is(r2.notifications.failed, r1.notifications.failed);
  assert.is(s.requests, before);

  // the administrator fixes the account; after the back-off every pending message goes out once
  s.password = PASS;
  t.c.t += 15 * 60_000;
  const r3 = await engine.fullSync();
  assert.is(r3.notifications.sent, due, 'every message due goes out once');
  assert.is(r3.notifications.failed, 0);
  assert.equal(new Set(s.sent.map((m) => m.deviceHeader)).size, s.sent.length, 'no device notified twice');
  const r4 = await engine.fullSync();
  assert.is(r4.notifications.sent + r4.notifications.failed, 0);
});

test.run();
