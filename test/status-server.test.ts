// The status endpoint against a stand-in engine, over real loopback sockets:
// request targets that break URL parsing, the token, Host and Origin checks,
// /healthz, the shutdown path, and a bad listen address.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, createServer as createTcpServer } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { selfSignedCert } from './support/tls.js';
import { isRight } from 'fp-ts/lib/Either.js';
import {
  listenStatus,
  parseTarget,
  type StatusServer,
  type StatusServerOptions,
  type StatusTarget,
} from '../adapters/cli/status-server.js';
import type { ConnectorStatusView, EngineMetrics, SyncReport } from '../src/engine.js';
import type { SyncKind } from '../src/connector.js';
import { histogram } from '../src/histogram.js';

const test = suite('status server');
const NOW = Date.parse('2026-11-26T08:00:00Z');
const TOKEN = 'tok-0123456789abcdef-secret';

function standIn(over: Partial<ConnectorStatusView> = {}) {
  const requests: SyncKind[] = [];
  let finish: ((r: SyncReport) => void) | undefined;
  const report = (kind: SyncKind): SyncReport => ({
    syncId: 's1',
    kind,
    success: true,
    startedAt: new Date(NOW).toISOString(),
    completedAt: new Date(NOW).toISOString(),
    devices: 1,
    mailboxes: 1,
    access: { allow: 1, block: 0, quarantine: 0 },
    commands: { issued: 1, succeeded: 0, failed: 1, throttleWaits: 0, throttleWaitMs: 0 },
    sessions: { opened: 1, recycled: 0, replaced: 0 },
    notifications: { sent: 0, failed: 0 },
    drift: 0,
    decisionsChanged: 0,
    grandfathered: 0,
    lifecycle: { wipesSent: 0, wipesAcknowledged: 0, stale: 0, removed: 0, deferred: 0, unjudged: 0 },
    casSwitches: [],
    eventsAppended: 3,
    warnings: [],
    errors: [{ kind: 'command.failed', message: 'setCasMailbox alice@contoso.com: refused', mailbox: 'alice@contoso.com' }],
  });
  const target: StatusTarget & { requests: SyncKind[]; hold: boolean; release(): void } = {
    requests,
    hold: false,
    status: () => ({
      organization: 'contoso',
      status: 'connected',
      fenced: false,
      lastSuccessfulSync: { full: new Date(NOW - 60 * 60_000).toISOString() },
      servers: [],
      access: { allow: 1, block: 0, quarantine: 0 },
      pendingIntents: 0,
      ...over,
    }),
    metrics: (): EngineMetrics => ({
      syncs: { full: { succeeded: 1, failed: 0 }, quick: { succeeded: 0, failed: 0 } },
      commands: { succeeded: 0, failed: 0 },
      throttleWaits: 0,
      throttleWaitMs: 0,
      sessionsOpened: 0,
      casSwitches: 0,
      notifications: { sent: 0, failed: 0 },
      syncDurationSeconds: { full: histogram([1]), quick: histogram([1]) },
      commandLatencySeconds: histogram([1]),
    }),
    requestSync(kind) {
      requests.push(kind);
      if (!target.hold) return Promise.resolve(report(kind));
      return new Promise((res) => {
        finish = () => res(report(kind));
      });
    },
    release() {
      finish?.(report('full'));
    },
  };
  return target;
}

async function serve(
  o: Partial<StatusServerOptions> = {},
  target: StatusTarget = standIn(),
): Promise<{ server: StatusServer; port: number; logs: string[] }> {
  const logs: string[] = [];
  const r = await listenStatus({
    listen: { host: '127.0.0.1', port: 0 },
    healthMaxFullSyncAgeMinutes: 26 * 60,
    now: () => NOW,
    log: (l) => logs.push(l),
    ...o,
  });
  if (!isRight(r)) throw new Error(r.left);
  r.right.attach(target);
  return { server: r.right, port: Number(/:(\d+)$/.exec(r.right.url)![1]), logs };
}

/** One raw HTTP/1.1 exchange: what a client may send, unfiltered by fetch. Resolves with the status line and body. */
function raw(port: number, text: string, secure = false): Promise<{ status: number; body: string; headers: string }> {
  return new Promise((resolve, reject) => {
    const s = secure
      ? tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false }, () => s.write(text))
      : connect(port, '127.0.0.1', () => s.write(text));
    let data = '';
    s.setTimeout(5000, () => {
      s.destroy();
      reject(new Error(`no answer to ${JSON.stringify(text)}`));
    });
    s.on('data', (d) => {
      data += d;
    });
    s.on('error', reject);
    s.on('close', () => {
      const [head = '', body = ''] = data.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), body, headers: head });
    });
  });
}
const request = (port: number, method: string, target: string, headers: Record<string, string> = {}, secure = false) =>
  raw(
    port,
    `${method} ${target} HTTP/1.1\r\n${Object.entries({ host: `127.0.0.1:${port}`, connection: 'close', ...headers })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('')}\r\n`,
    secure,
  );

test('request targets that URL cannot parse are a 400 and the server keeps serving', async () => {
  const { server, port } = await serve();
  // Each of these passes Node's HTTP parser and makes `new URL(target, base)` throw.
  for (const target of ['//', '///', '//[', 'http://[', 'http://[::1/', '//x:99999/', 'http://%zz/', '//@/', '//x:port/']) {
    assert.throws(() => new URL(target, 'http://localhost'), undefined, `URL accepts ${target}; pick another`);
    const r = await request(port, 'GET', target);
    assert.is(r.status, 400, target);
  }
  assert.is((await request(port, 'GET', '/status')).status, 200);
  await server.close(0);
});

test('parseTarget never throws and keeps the path and query apart', () => {
  assert.equal(parseTarget('/sync?type=full&wait=true')?.path, '/sync');
  assert.is(parseTarget('/sync?type=full&wait=true')?.query.get('type'), 'full');
  assert.is(parseTarget('/%')?.path, '/%');
  assert.is(parseTarget('*'), undefined);
  assert.is(parseTarget('http://127.0.0.1/status'), undefined);
  assert.is(parseTarget(undefined), undefined);
});

test('an error inside a handler is a 500 for that request only', async () => {
  const broken = {
    ...standIn(),
    status: (): ConnectorStatusView => {
      throw new Error('projection bug');
    },
  };
  const { server, port, logs } = await serve({}, broken);
  assert.is((await request(port, 'GET', '/status')).status, 500);
  assert.is((await request(port, 'GET', '/metrics')).status, 500);
  assert.ok(logs.some((l) => l.includes('projection bug')));
  assert.is((await request(port, 'GET', '/nothing')).status, 404);
  await server.close(0);
});

test('without a token, POST /sync needs a JSON content type, so a cross-site form cannot send it', async () => {
  const target = standIn();
  const { server, port } = await serve({}, target);
  for (const ct of [undefined, 'application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
    const r = await request(
      port,
      'POST',
      '/sync?type=full',
      ct ? { 'content-type': ct, 'content-length': '0' } : { 'content-length': '0' },
    );
    assert.is(r.status, 415, String(ct));
  }
  assert.is(target.requests.length, 0);
  const ok = await request(port, 'POST', '/sync?type=full', { 'content-type': 'application/json', 'content-length': '0' });
  assert.is(ok.status, 202);
  assert.equal(target.requests, ['full']);
  await server.close(0);
});

test('refuses a POST whose Origin is another site', async () => {
  const target = standIn();
  const { server, port } = await serve({}, target);
  const json = { 'content-type': 'application/json', 'content-length': '0' };
  assert.is((await request(port, 'POST', '/sync', { ...json, origin: 'https://evil.example' })).status, 403);
  assert.is((await request(port, 'POST', '/sync', { ...json, origin: 'null' })).status, 403);
  assert.is((await request(port, 'POST', '/sync', { ...json, origin: `http://127.0.0.1:${port + 1}` })).status, 403);
  assert.is(target.requests.length, 0);
  assert.is((await request(port, 'POST', '/sync', { ...json, origin: `http://127.0.0.1:${port}` })).status, 202);
  await server.close(0);
});

test('refuses a Host header it does not know (DNS rebinding), and serves loopback names, IP literals and allowed hosts', async () => {
  const { server, port } = await serve({ allowedHosts: ['status.contoso.com'] });
  for (const host of ['evil.example', `evil.example:${port}`, 'localhost.evil.example', '']) {
    assert.is((await request(port, 'GET', '/status', { host })).status, 403, host);
  }
  for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'status.contoso.com', `STATUS.contoso.com.:${port}`]) {
    assert.is((await request(port, 'GET', '/status', { host })).status, 200, host);
  }
  await server.close(0);
});

test('with a token, POST /sync and every read need it, a loopback /healthz probe does not; the token is never logged or echoed', async () => {
  const target = standIn();
  const { server, port, logs } = await serve({ token: TOKEN }, target);
  const json = { 'content-type': 'application/json', 'content-length': '0' };
  const none = await request(port, 'POST', '/sync?type=full', json);
  assert.is(none.status, 401);
  assert.match(none.headers, /www-authenticate: Bearer/i);
  assert.is((await request(port, 'POST', '/sync?type=full', { ...json, authorization: `Bearer ${TOKEN}x` })).status, 401);
  assert.is((await request(port, 'POST', '/sync?type=full', { ...json, authorization: `Bearer ${TOKEN.slice(0, -1)}` })).status, 401);
  assert.is((await request(port, 'POST', '/sync?type=full', { ...json, authorization: TOKEN })).status, 401);
  assert.is(target.requests.length, 0);
  // The token header is enough: it cannot be sent cross-site without a preflight.
  const ok = await request(port, 'POST', '/sync?type=full&wait=true', {
    authorization: `Bearer ${TOKEN}`,
    'content-length': '0',
    'x-eas-sync-caller': 'ops-bot',
  });
  assert.is(ok.status, 200);
  assert.equal(target.requests, ['full']);
  // Authenticated: the whole report, addresses included.
  assert.match(ok.body, /alice@contoso\.com/);
  assert.is((await request(port, 'GET', '/status')).status, 401);
  assert.is((await request(port, 'GET', '/metrics')).status, 401);
  assert.is((await request(port, 'GET', '/status', { authorization: `Bearer ${TOKEN}` })).status, 200);
  assert.is((await request(port, 'GET', '/healthz')).status, 200);
  assert.ok(
    logs.some((l) => /requested by status-api token caller "ops-bot" from 127\.0\.0\.1/.test(l)),
    logs.join('\n'),
  );
  assert.not.ok([...logs, ok.body, ok.headers].some((l) => l.includes(TOKEN)));
  await server.close(0);
});

test('without a token, the ?wait=true report carries no addresses', async () => {
  const { server, port } = await serve();
  const r = await request(port, 'POST', '/sync?type=full&wait=true', { 'content-type': 'application/json', 'content-length': '0' });
  assert.is(r.status, 200);
  const body = JSON.parse(r.body) as { redacted: boolean; errors: unknown[] };
  assert.is(body.redacted, true);
  assert.equal(body.errors, [{ kind: 'command.failed' }]);
  assert.not.match(r.body, /alice/);
  await server.close(0);
});

test('a listener named as reachable from other machines needs TLS and the token on every request', async () => {
  // The name is not loopback (so it is treated as reachable); the injected lookup keeps the test on 127.0.0.1.
  const cert = selfSignedCert(['status.contoso.com']);
  if (!cert) throw new Error('openssl is needed for this test');
  const { server, port } = await serve({
    listen: { host: 'status.contoso.com', port: 0 },
    token: TOKEN,
    tls: cert,
    lookup: async () => ({ address: '127.0.0.1', family: 4 }),
  });
  const host = { host: 'status.contoso.com' };
  for (const path of ['/status', '/metrics', '/healthz', '/nothing'])
    assert.is((await request(port, 'GET', path, host, true)).status, 401, path);
  assert.is((await request(port, 'GET', '/status', { ...host, authorization: `Bearer ${TOKEN}` }, true)).status, 200);
  await server.close(0);
  const refused = await listenStatus({
    listen: { host: 'status.contoso.com', port: 0 },
    healthMaxFullSyncAgeMinutes: 60,
    lookup: async () => ({ address: '127.0.0.1', family: 4 }),
  });
  assert.ok(refused._tag === 'Left' && /reachable from other machines; set console\.tokenEnv/.test(refused.left));
  const plain = await listenStatus({
    listen: { host: 'status.contoso.com', port: 0 },
    token: TOKEN,
    healthMaxFullSyncAgeMinutes: 60,
    lookup: async () => ({ address: '127.0.0.1', family: 4 }),
  });
  assert.ok(plain._tag === 'Left' && /configure status\.tls/.test(plain.left));
});

test('/healthz is 200 while connected with a recent full sync, else 503 with the reason', async () => {
  const cases: Array<[Partial<ConnectorStatusView>, number, RegExp | undefined]> = [
    [{}, 200, undefined],
    [{ lastSuccessfulSync: { full: new Date(NOW - 27 * 3600_000).toISOString() } }, 503, /minutes old \(limit 1560\)/],
    [{ lastSuccessfulSync: {} }, 503, /no successful full sync yet/],
    [{ status: 'disconnected' }, 503, /status is disconnected/],
    [{ fenced: true, status: 'disconnected' }, 503, /fenced/],
  ];
  for (const [over, code, reason] of cases) {
    const { server, port } = await serve({}, standIn(over));
    const r = await request(port, 'GET', '/healthz');
    assert.is(r.status, code, JSON.stringify(over));
    const body = JSON.parse(r.body) as { healthy: boolean; reasons: string[] };
    assert.is(body.healthy, code === 200);
    if (reason) assert.match(body.reasons.join('; '), reason);
    await server.close(0);
  }
  const { server, port } = await serve({ healthMaxFullSyncAgeMinutes: 30 });
  assert.is((await request(port, 'GET', '/healthz')).status, 503);
  await server.close(0);
});

test('drain refuses new syncs with 503 and /healthz says stopping; close ends silent and stalled connections', async () => {
  const target = standIn();
  target.hold = true;
  const { server, port } = await serve({}, target);
  // A wait=true request in flight, a silent socket and one stalled mid-headers.
  const waiting = request(port, 'POST', '/sync?type=full&wait=true', { 'content-type': 'application/json', 'content-length': '0' });
  const silent = connect(port, '127.0.0.1');
  const stalled = connect(port, '127.0.0.1', () => stalled.write('GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n'));
  const ended = (s: typeof silent) =>
    new Promise<void>((res) => {
      s.on('close', () => res());
      s.on('error', () => {});
    });
  const silentClosed = ended(silent);
  const stalledClosed = ended(stalled);
  const keepAlive = connect(port, '127.0.0.1');
  await new Promise<void>((res) => keepAlive.once('connect', () => res()));
  while (target.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
  server.drain();
  // On a connection opened before the drain, a new sync is refused.
  const refused = await new Promise<string>((res) => {
    let d = '';
    keepAlive.on('data', (x) => {
      d += x;
      if (d.includes('\r\n\r\n')) res(d);
    });
    keepAlive.write('POST /sync?type=quick HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n');
  });
  assert.match(refused, /^HTTP\/1\.1 503/);
  assert.equal(target.requests, ['full']);
  const closing = server.close(200);
  target.release();
  assert.is((await waiting).status, 200);
  await closing;
  await silentClosed;
  await stalledClosed;
});

test('an address in use or a name that does not resolve is an error naming it, not a throw', async () => {
  const blocker = createTcpServer();
  await new Promise<void>((res) => blocker.listen(0, '127.0.0.1', res));
  const port = (blocker.address() as { port: number }).port;
  const inUse = await listenStatus({ listen: { host: '127.0.0.1', port }, healthMaxFullSyncAgeMinutes: 60 });
  assert.ok(inUse._tag === 'Left');
  assert.match(inUse.left, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\)`));
  blocker.close();
  const unresolved = await listenStatus({
    listen: { host: 'no-such-host.invalid', port: 8089 },
    token: TOKEN,
    healthMaxFullSyncAgeMinutes: 60,
    lookup: async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    },
  });
  assert.ok(unresolved._tag === 'Left');
  assert.match(unresolved.left, /cannot resolve "no-such-host\.invalid" \(ENOTFOUND\)/);
});

test('a client that never finishes its headers is answered 408 and disconnected once headersTimeoutMs passes, over HTTP and HTTPS', async () => {
  // Node enforces the bounds only on its connection check (every 30 s unless told): a
  // 200 ms bound must be answered long before raw()'s own 5 s bound.
  const cert = selfSignedCert(['localhost']);
  for (const tls of cert ? [undefined, cert] : [undefined]) {
    const { server, port } = await serve({ headersTimeoutMs: 200, requestTimeoutMs: 400, ...(tls ? { tls } : {}) });
    try {
      const r = await raw(port, 'GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n', tls !== undefined);
      assert.is(r.status, 408, tls ? 'https' : 'http');
    } finally {
      await server.close(0);
    }
  }
});

test.run();
