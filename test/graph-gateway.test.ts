// The Intune gateway over Microsoft Graph, against a loopback server that
// behaves like Graph: paging, $select/$filter, throttling, retries, token
// refresh, malformed bodies, paging guards, the request budget, and the msal
// token provider's wiring (with a fake network client: no network at all).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight, type Either } from 'fp-ts/lib/Either.js';
import type { INetworkModule, NetworkResponse } from '@azure/msal-node';
import {
  graphIntuneGateway,
  staticTokenProvider,
  envTokenProvider,
  clientCredentialsTokenProvider,
  TokenError,
  DEFAULT_BUDGET,
  MANAGED_DEVICE_SELECT,
  parseRetryAfter,
  toGraphManagedDevice,
  type GraphGatewayOptions,
  type TokenProvider,
} from '../adapters/graph/index.js';
import { decodeManagedDevice, decodeManagedDevices } from '../adapters/exports/graph.js';
import type { ManagedDevice } from '../src/facts.js';
import type { IntuneError } from '../src/ports.js';
import { startGraphServer, type GraphRecord, type GraphServer } from './support/graph-server.js';

const test = suite('graph gateway');
const T0 = Date.parse('2026-11-26T08:00:00Z');
const TOKEN = 'graph-token-1';

function graphDevice(i: number): GraphRecord {
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    easDeviceId: i % 17 === 0 ? '' : `EAS${String(i).padStart(8, '0')}`,
    userPrincipalName: `user${i % 400}@contoso.com`,
    emailAddress: `user${i % 400}@contoso.com`,
    complianceState: ['compliant', 'noncompliant', 'inGracePeriod', 'unknown'][i % 4],
    managementAgent: i % 11 === 0 ? 'eas' : 'mdm',
    lastSyncDateTime: new Date(T0 - i * 60_000).toISOString(),
    complianceGracePeriodExpirationDateTime: i % 4 === 2 ? new Date(T0 + 86_400_000).toISOString() : '9999-12-31T23:59:59Z',
    deviceName: `Device ${i}`,
    model: 'iPhone 15',
    operatingSystem: 'iOS',
    // properties the gateway does not select
    osVersion: '17.1',
    serialNumber: `SN${i}`,
    imei: null,
  };
}

const decodeAll = (records: readonly GraphRecord[]): ManagedDevice[] =>
  records.map((r) => {
    const d = decodeManagedDevice(r);
    if (isLeft(d)) throw new Error(JSON.stringify(d.left));
    return d.right;
  });

const DEVICES = Array.from({ length: 2350 }, (_, i) => graphDevice(i));
const GROUP_A = '6f1b2a8e-0000-4000-8000-00000000000a';
const GROUP_B = '6f1b2a8e-0000-4000-8000-00000000000b';
const MEMBERS_A = Array.from({ length: 23 }, (_, i) => `User${i}@Contoso.com`);
const MEMBERS_B = ['Kim.Akers@contoso.com', 'user3@contoso.com'];
const GROUP_C = '6f1b2a8e-0000-4000-8000-00000000000c';
const MEMBERS_C = Array.from({ length: 200 }, (_, i) => `member${i}@contoso.com`);

let server: GraphServer;

function fakeTime() {
  const c = { t: T0 };
  const waits: number[] = [];
  return {
    waits,
    now: () => c.t,
    sleep: async (ms: number) => {
      waits.push(ms);
      c.t += ms;
    },
  };
}

function gateway(over: Partial<GraphGatewayOptions> = {}, s: GraphServer = server) {
  const time = fakeTime();
  const g = graphIntuneGateway({
    baseUrl: s.url,
    tokenProvider: staticTokenProvider(TOKEN),
    sleep: time.sleep,
    now: time.now,
    random: () => 0.5,
    ...over,
  });
  return { g, time };
}

function expectLeft<A>(r: Either<IntuneError, A>): IntuneError {
  if (isRight(r))
    throw new assert.Assertion({ message: 'expected a Left', actual: 'Right', expects: 'Left', operator: 'isLeft', generated: false });
  return r.left;
}

test.before(async () => {
  server = await startGraphServer({
    devices: DEVICES,
    groups: { [GROUP_A]: MEMBERS_A, [GROUP_B]: MEMBERS_B, [GROUP_C]: MEMBERS_C },
    pageSize: 100,
    memberPageSize: 10,
  });
});
test.after(async () => {
  await server.close();
});
test.before.each(() => {
  server.requests.length = 0;
  server.clearFaults();
  server.tokens.clear();
  server.tokens.add(TOKEN);
});

// ------------------------------------------------------------ paging, $select, $filter
test("follows @odata.nextLink to the end: every device, in order, with $select of the engine's fields", async () => {
  const { g } = gateway();
  const r = await g.getManagedDevices();
  assert.ok(isRight(r));
  if (!isRight(r)) return;
  assert.is(r.right.length, 2350);
  assert.equal(r.right, decodeAll(DEVICES));
  assert.is(server.count('managedDevices'), 24);
  for (const req of server.requests) {
    assert.is(req.authorization, `Bearer ${TOKEN}`);
    assert.equal(req.query.get('$select')!.split(','), [...MANAGED_DEVICE_SELECT]);
    assert.is(req.query.get('$filter'), null);
  }
  assert.is(new Set(server.requests.map((q) => q.url)).size, 24);
  assert.is(g.stats.requests, 24);
});

test('changedSince sends $filter=lastSyncDateTime gt <instant> and returns only those devices', async () => {
  const { g } = gateway();
  const since = new Date(T0 - 150 * 60_000).toISOString();
  const r = await g.getManagedDevices({ changedSince: since });
  assert.ok(isRight(r));
  if (!isRight(r)) return;
  assert.is(r.right.length, 150);
  assert.is(server.requests[0]!.query.get('$filter'), `lastSyncDateTime gt ${since}`);
  assert.match(server.requests[0]!.url, /\$filter=lastSyncDateTime%20gt%20/);
  const bad = expectLeft(await g.getManagedDevices({ changedSince: 'yesterday' }));
  assert.is(bad.kind, 'other');
});

test('group members: transitive users of each group, paged, lower-cased, with $select and ConsistencyLevel', async () => {
  const { g } = gateway();
  const r = await g.getGroupMembers([GROUP_A, GROUP_B, GROUP_A]);
  assert.ok(isRight(r));
  if (!isRight(r)) return;
  assert.equal([...r.right.keys()], [GROUP_A, GROUP_B]);
  assert.equal(
    [...r.right.get(GROUP_A)!],
    MEMBERS_A.map((m) => m.toLowerCase()),
  );
  assert.equal([...r.right.get(GROUP_B)!], ['kim.akers@contoso.com', 'user3@contoso.com']);
  assert.is(server.count('groupMembers'), 3 + 1);
  for (const req of server.requests) {
    assert.is(req.query.get('$select'), 'userPrincipalName');
    assert.is(req.consistencyLevel, 'eventual');
  }
  const empty = await g.getGroupMembers([]);
  assert.ok(isRight(empty) && empty.right.size === 0);
});

test('an unknown group is Left other naming the group and the URL', async () => {
  const { g } = gateway();
  const e = expectLeft(await g.getGroupMembers([GROUP_A, 'deadbeef-0000-4000-8000-000000000000']));
  assert.is(e.kind, 'other');
  assert.match(e.message, /group deadbeef-0000-4000-8000-000000000000 not found/);
  assert.match(e.message, /404 Request_ResourceNotFound/);
  assert.match(e.url!, /\/groups\/deadbeef-0000-4000-8000-000000000000\/transitiveMembers\/microsoft\.graph\.user/);
});

test("a member without userPrincipalName (Graph's limited information) is an error at its path, not a smaller group", async () => {
  const { g } = gateway();
  server.fault(
    {
      kind: 'shape',
      mutate: (p) => ({ ...p, value: (p['value'] as GraphRecord[]).map((m, i) => (i === 3 ? { ...m, userPrincipalName: null } : m)) }),
    },
    { match: (q) => q.resource === 'groupMembers' },
  );
  const e = expectLeft(await g.getGroupMembers([GROUP_A]));
  assert.is(e.kind, 'invalidResponse');
  if (e.kind !== 'invalidResponse') return;
  assert.is(e.path, 'value[3].userPrincipalName');
  assert.match(e.message, /User\.Read\.All/);
});

// ------------------------------------------------------------ throttling
test('429 with Retry-After (seconds): waits exactly what Graph names, then completes', async () => {
  const { g, time } = gateway();
  server.fault({ kind: 'status', status: 429, retryAfter: '7' }, { times: 2, match: (q) => q.query.has('$skiptoken') });
  const r = await g.getManagedDevices();
  assert.ok(isRight(r) && r.right.length === 2350);
  assert.equal(time.waits, [7000, 7000]);
  assert.is(g.stats.throttled, 2);
  assert.is(server.count('managedDevices'), 26);
});

test('429 with Retry-After as an HTTP-date waits until that date', async () => {
  const { g, time } = gateway();
  server.fault({ kind: 'status', status: 429, retryAfter: new Date(T0 + 12_000).toUTCString() });
  const r = await g.getManagedDevices();
  assert.ok(isRight(r));
  assert.equal(time.waits, [12_000]);
  assert.is(parseRetryAfter('Thu, 26 Nov 2026 08:00:30 GMT', T0), 30_000);
  assert.is(parseRetryAfter('bogus', T0), undefined);
  assert.is(parseRetryAfter('0', T0), 0);
});

test('429 without Retry-After: exponential backoff with jitter, bounded, then Left throttled naming the URL', async () => {
  // jitter 0.5: half-way between cap/2 and cap, cap = 1 s · 2^(n-1)
  const { g, time } = gateway({ maxThrottleRetries: 4 });
  server.fault({ kind: 'status', status: 429 }, { times: 3 });
  assert.ok(isRight(await g.getManagedDevices()));
  assert.equal(time.waits, [750, 1500, 3000]);

  // jitter at its extremes stays within [cap/2, cap], and the cap holds
  for (const rnd of [0, 0.999999]) {
    const { g: g2, time: t2 } = gateway({ random: () => rnd, maxThrottleRetries: 10, backoff: { baseMs: 1000, maxMs: 8000 } });
    server.fault({ kind: 'status', status: 429 }, { times: 10 });
    assert.ok(isRight(await g2.getGroupMembers([GROUP_B])));
    assert.is(t2.waits.length, 10);
    t2.waits.forEach((w, i) => {
      const cap = Math.min(8000, 1000 * 2 ** i);
      assert.ok(w >= cap / 2 && w <= cap, `wait ${i + 1} = ${w}, cap ${cap}`);
    });
  }

  const { g: g3 } = gateway({ maxThrottleRetries: 2 });
  server.clearFaults();
  server.fault({ kind: 'status', status: 429 }, { times: 100 });
  const sent = server.requests.length;
  const e = expectLeft(await g3.getManagedDevices());
  assert.is(server.requests.length - sent, 3);
  assert.is(e.kind, 'throttled');
  assert.match(e.url!, /\/deviceManagement\/managedDevices/);
  assert.match(e.message, /429 TooManyRequests/);
});

test('a Retry-After longer than maxWaitMs fails fast as throttled, with the wait it named', async () => {
  const { g, time } = gateway({ maxWaitMs: 60_000 });
  server.fault({ kind: 'status', status: 429, retryAfter: '3600' });
  const e = expectLeft(await g.getManagedDevices());
  assert.is(e.kind, 'throttled');
  if (e.kind === 'throttled') assert.is(e.retryAfterMs, 3_600_000);
  assert.equal(time.waits, []);
});

// ------------------------------------------------------------ 5xx
test('503 is retried with backoff and the list is complete; a persistent 503 is Left unavailable after a bounded number of tries', async () => {
  const { g, time } = gateway();
  server.fault({ kind: 'status', status: 503 }, { times: 2, match: (q) => q.query.has('$skiptoken') });
  const r = await g.getManagedDevices();
  assert.ok(isRight(r) && r.right.length === 2350);
  assert.equal(time.waits, [750, 1500]);
  assert.is(g.stats.retries, 2);

  server.requests.length = 0;
  const { g: g2 } = gateway({ maxRetries: 3 });
  server.fault({ kind: 'status', status: 503, retryAfter: '2' }, { times: 100 });
  const e = expectLeft(await g2.getManagedDevices());
  assert.is(e.kind, 'unavailable');
  assert.match(e.message, /503 ServiceUnavailable/);
  assert.match(e.message, /gave up after 4 attempts/);
  assert.match(e.url!, /\/deviceManagement\/managedDevices\?\$select=/);
  assert.is(server.requests.length, 4);
});

test('a 502 HTML page from a gateway is retried like any 5xx and described by its title', async () => {
  const { g } = gateway({ maxRetries: 1 });
  server.fault(
    { kind: 'status', status: 502, contentType: 'text/html', body: '<html><head><title>502 Bad Gateway</title></head></html>' },
    { times: 5 },
  );
  const e = expectLeft(await g.getManagedDevices());
  assert.is(e.kind, 'unavailable');
  assert.match(e.message, /HTML page titled "502 Bad Gateway"/);
});

test('a connection refused is Left unavailable after the retries, not a throw', async () => {
  const gone = await startGraphServer({ devices: [] });
  const url = gone.url;
  await gone.close();
  const time = fakeTime();
  const g = graphIntuneGateway({
    baseUrl: url,
    tokenProvider: staticTokenProvider(TOKEN),
    sleep: time.sleep,
    now: time.now,
    random: () => 0.5,
    maxRetries: 2,
  });
  const e = expectLeft(await g.getManagedDevices());
  assert.is(e.kind, 'unavailable');
  assert.match(e.message, /no response/);
  assert.is(time.waits.length, 2);
});

// ------------------------------------------------------------ 401
test('401: the token is refreshed once (forceRefresh) and the request succeeds', async () => {
  server.tokens.clear();
  server.tokens.add('fresh-token');
  const calls: boolean[] = [];
  const provider: TokenProvider = async (req) => {
    calls.push(req?.forceRefresh === true);
    return req?.forceRefresh ? 'fresh-token' : 'stale-token';
  };
  const { g } = gateway({ tokenProvider: provider });
  const r = await g.getGroupMembers([GROUP_B]);
  assert.ok(isRight(r));
  assert.equal(calls, [false, true]);
  assert.equal(
    server.requests.map((q) => q.authorization),
    ['Bearer stale-token', 'Bearer fresh-token'],
  );
  assert.is(g.stats.tokenRefreshes, 1);
  // a retry after the refresh (here a 503) does not force yet another token
  calls.length = 0;
  let handedOut = 0;
  const provider2: TokenProvider = async (req) => {
    calls.push(req?.forceRefresh === true);
    return handedOut++ === 0 ? 'stale-token' : 'fresh-token';
  };
  const { g: g2 } = gateway({ tokenProvider: provider2 });
  server.fault({ kind: 'status', status: 503 }, { match: (q) => q.authorization === 'Bearer fresh-token' });
  assert.ok(isRight(await g2.getGroupMembers([GROUP_B])));
  assert.equal(calls, [false, true, false]);
});

test('401 again after the refresh is Left unauthorized; the token appears nowhere in the error', async () => {
  const SECRET = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.secret-payload.signature';
  const { g } = gateway({ tokenProvider: staticTokenProvider(SECRET) });
  const e = expectLeft(await g.getManagedDevices());
  assert.is(e.kind, 'unauthorized');
  assert.match(e.message, /401 InvalidAuthenticationToken/);
  assert.is(server.requests.length, 2);
  assert.not.ok(JSON.stringify(e).includes(SECRET));
  assert.not.ok(JSON.stringify(e).includes('secret-payload'));
});

test('a server that echoes the Authorization header in its error never gets the token into the error', async () => {
  const { g } = gateway();
  server.fault({
    kind: 'status',
    status: 400,
    body: JSON.stringify({ error: { code: 'BadRequest', message: `bad header Authorization: Bearer ${TOKEN} and raw ${TOKEN}` } }),
  });
  const e = expectLeft(await g.getManagedDevices());
  assert.is(e.kind, 'other');
  assert.not.ok(JSON.stringify(e).includes(TOKEN), e.message);
  assert.match(e.message, /\[redacted\]/);
});

test('403 is Left unauthorized naming the permissions the app needs', async () => {
  const { g } = gateway();
  server.fault({ kind: 'status', status: 403 });
  const e = expectLeft(await g.getManagedDevices());
  assert.is(e.kind, 'unauthorized');
  assert.match(e.message, /DeviceManagementManagedDevices\.Read\.All/);
});

test('a token provider that fails is Left unauthorized, and nothing is sent', async () => {
  const { g } = gateway({ tokenProvider: envTokenProvider('EAS_TEST_NO_SUCH_VAR', {}) });
  const e = expectLeft(await g.getManagedDevices());
  assert.is(e.kind, 'unauthorized');
  assert.match(e.message, /EAS_TEST_NO_SUCH_VAR is not set/);
  assert.is(server.requests.length, 0);
});

// ------------------------------------------------------------ malformed bodies
test('a 200 HTML page is Left invalidResponse naming the URL (page 3), never a shorter list', async () => {
  const { g } = gateway();
  let n = 0;
  server.fault({ kind: 'html' }, { match: (q) => q.resource === 'managedDevices' && ++n === 3 });
  const e = expectLeft(await g.getManagedDevices());
  assert.is(e.kind, 'invalidResponse');
  if (e.kind !== 'invalidResponse') return;
  assert.is(e.path, '(root)');
  assert.match(e.message, /expected a JSON body, got text\/html/);
  assert.match(e.message, /Sign in to your account/);
  assert.match(e.url!, /\$skiptoken=/);
});

test('a truncated JSON body is Left invalidResponse naming the URL', async () => {
  const { g } = gateway();
  server.fault({ kind: 'truncated' }, { match: (q) => q.query.has('$skiptoken') });
  const e = expectLeft(await g.getManagedDevices());
  assert.is(e.kind, 'invalidResponse');
  assert.match(e.message, /not valid JSON/);
  assert.match(e.url!, /managedDevices\?\$select=.*\$skiptoken=/);
});

test('a body cut off mid-way is retried; cut off every time it is Left invalidResponse', async () => {
  const { g } = gateway();
  server.fault({ kind: 'cut' }, { match: (q) => q.query.has('$skiptoken') });
  const ok = await g.getManagedDevices();
  assert.ok(isRight(ok) && ok.right.length === 2350);

  const { g: g2 } = gateway({ maxRetries: 2 });
  server.fault({ kind: 'cut' }, { times: 100 });
  const e = expectLeft(await g2.getManagedDevices());
  assert.is(e.kind, 'invalidResponse');
  assert.match(e.message, /cut off/);
});

test("an unexpected shape is Left invalidResponse with the field's path and the page", async () => {
  const { g } = gateway();
  server.fault({ kind: 'shape', mutate: (p) => ({ ...p, value: { oops: true } }) });
  const e1 = expectLeft(await g.getManagedDevices());
  assert.is(e1.kind, 'invalidResponse');
  if (e1.kind === 'invalidResponse') assert.is(e1.path, 'value');

  let n = 0;
  server.fault(
    {
      kind: 'shape',
      mutate: (p) => ({ ...p, value: (p['value'] as GraphRecord[]).map((d, i) => (i === 5 ? { ...d, complianceState: 'sortOf' } : d)) }),
    },
    { match: (q) => q.resource === 'managedDevices' && ++n === 3 },
  );
  const e2 = expectLeft(await g.getManagedDevices());
  assert.is(e2.kind, 'invalidResponse');
  if (e2.kind !== 'invalidResponse') return;
  assert.is(e2.path, 'value[5].complianceState');
  assert.match(e2.message, /^page 3 of managed devices/);
  assert.match(e2.message, /"sortOf"/);

  server.fault({ kind: 'shape', mutate: () => [1, 2, 3] });
  const e3 = expectLeft(await g.getManagedDevices());
  assert.is(e3.kind, 'invalidResponse');

  server.fault({ kind: 'shape', mutate: (p) => ({ ...p, '@odata.nextLink': 42 }) });
  const e4 = expectLeft(await g.getManagedDevices());
  if (e4.kind === 'invalidResponse') assert.is(e4.path, '@odata.nextLink');
  else assert.unreachable(e4.kind);
});

// ------------------------------------------------------------ paging guards
test("a nextLink to another host (or scheme) is refused: the token never leaves Graph's origin", async () => {
  const urls: string[] = [];
  const spy: typeof fetch = (input, init) => {
    urls.push(String(input));
    return fetch(input, init);
  };
  for (const foreign of [
    'http://evil.example:8080/v1.0/deviceManagement/managedDevices?$skiptoken=x',
    server.url.replace('http:', 'https:') + '/deviceManagement/managedDevices?$skiptoken=x',
    'http://localhost' + server.origin.slice('http://127.0.0.1'.length) + '/v1.0/x',
  ]) {
    const { g } = gateway({ fetch: spy });
    server.fault({ kind: 'nextLink', nextLink: foreign });
    const e = expectLeft(await g.getManagedDevices());
    assert.is(e.kind, 'invalidResponse');
    if (e.kind === 'invalidResponse') assert.is(e.path, '@odata.nextLink');
    assert.match(e.message, /another origin/);
  }
  assert.ok(urls.length > 0 && urls.every((u) => u.startsWith(server.origin + '/')), urls.join('\n'));
});

test('a nextLink that loops back to an earlier page is refused', async () => {
  const { g } = gateway();
  const first = `${server.url}/deviceManagement/managedDevices?$select=${MANAGED_DEVICE_SELECT.join(',')}`;
  let n = 0;
  server.fault({ kind: 'nextLink', nextLink: first }, { match: (q) => q.resource === 'managedDevices' && ++n === 2 });
  const e = expectLeft(await g.getManagedDevices());
  assert.is(e.kind, 'invalidResponse');
  assert.match(e.message, /paging loop after 2 pages/);
  assert.is(server.requests.length, 2);
});

test('a redirect is not followed', async () => {
  const { g } = gateway();
  server.fault({ kind: 'status', status: 302, headers: { location: 'https://login.example/elsewhere' } });
  const e = expectLeft(await g.getManagedDevices());
  assert.is(e.kind, 'other');
  assert.match(e.message, /redirect \(302\) to https:\/\/login\.example/);
  assert.is(server.requests.length, 1);
});

// ------------------------------------------------------------ budget
test('the request budget: never more than N requests in any window, measured on the injected clock', async () => {
  const time = fakeTime();
  const starts: number[] = [];
  const spy: typeof fetch = (input, init) => {
    starts.push(time.now());
    return fetch(input, init);
  };
  const g = graphIntuneGateway({
    baseUrl: server.url,
    tokenProvider: staticTokenProvider(TOKEN),
    fetch: spy,
    sleep: time.sleep,
    now: time.now,
    budget: { requests: 5, perMs: 1000 },
  });
  const [a, b] = await Promise.all([g.getManagedDevices(), g.getGroupMembers([GROUP_A, GROUP_B])]);
  assert.ok(isRight(a) && a.right.length === 2350);
  assert.ok(isRight(b));
  assert.is(starts.length, 24 + 4);
  const sorted = [...starts].sort((x, y) => x - y);
  for (let i = 0; i + 5 < sorted.length; i++)
    assert.ok(sorted[i + 5]! - sorted[i]! >= 1000, `requests ${i}..${i + 5} within ${sorted[i + 5]! - sorted[i]!} ms`);
  assert.ok(time.waits.length > 0);
  // the default stays below Intune's 2,000 requests per 20 s per app per tenant
  assert.ok((DEFAULT_BUDGET.requests / DEFAULT_BUDGET.perMs) * 20_000 < 2000);
});

test('a 429 pauses every request of the gateway, not only the throttled one', async () => {
  // A clock running 1,000× faster than the wall clock: Graph's "30 s" is 30 ms of real waiting,
  // so concurrent requests really are in flight while the pause lasts.
  const started = Date.now();
  const now = () => T0 + (Date.now() - started) * 1000;
  const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, Math.ceil(ms / 1000)));
  const log: Array<{ url: string; at: number }> = [];
  let pausedUntil = -1;
  let throttledAt = -1;
  const spy: typeof fetch = async (input, init) => {
    log.push({ url: String(input), at: now() });
    const res = await fetch(input, init);
    if (res.status === 429) {
      throttledAt = log.length;
      pausedUntil = now() + 30_000;
    }
    return res;
  };
  const g = graphIntuneGateway({ baseUrl: server.url, tokenProvider: staticTokenProvider(TOKEN), fetch: spy, sleep, now });
  server.fault({ kind: 'status', status: 429, retryAfter: '30' }, { match: (q) => q.resource === 'managedDevices' });
  const [devices, members] = await Promise.all([
    g.getManagedDevices({ changedSince: new Date(T0 - 60_000 * 250).toISOString() }),
    g.getGroupMembers([GROUP_C]),
  ]);
  assert.ok(isRight(devices) && devices.right.length === 250);
  assert.ok(isRight(members) && members.right.get(GROUP_C)!.size === 200);
  assert.ok(throttledAt > 0);
  const later = log.slice(throttledAt);
  assert.ok(
    later.some((e) => e.url.includes('/groups/')),
    'group requests were still to come after the 429',
  );
  for (const e of later)
    assert.ok(e.at >= pausedUntil - 1000, `${e.url} sent inside the pause (${pausedUntil - e.at} ms early on the gateway's clock)`);
});

// ------------------------------------------------------------ export shape
test("devices written back in Graph's shape decode to the same devices (what intune-export writes)", async () => {
  const { g } = gateway();
  const r = await g.getManagedDevices();
  if (!isRight(r)) throw new Error('expected devices');
  const again = decodeManagedDevices(JSON.parse(JSON.stringify(r.right.map(toGraphManagedDevice))), 'export.json');
  assert.ok(isRight(again));
  if (isRight(again)) assert.equal(again.right, r.right);
});

// ------------------------------------------------------------ token providers
interface FakeNet extends INetworkModule {
  posts: Array<{ url: string; body: string }>;
  gets: string[];
  expiresIn: number;
  fail?: { status: number; body: unknown };
}
function fakeNetwork(): FakeNet {
  let n = 0;
  const net: FakeNet = {
    posts: [],
    gets: [],
    expiresIn: 3599,
    async sendGetRequestAsync<T>(url: string): Promise<NetworkResponse<T>> {
      net.gets.push(url);
      return { status: 404, headers: {}, body: {} as T };
    },
    async sendPostRequestAsync<T>(url: string, options?: { body?: string }): Promise<NetworkResponse<T>> {
      net.posts.push({ url, body: options?.body ?? '' });
      if (net.fail) return { status: net.fail.status, headers: {}, body: net.fail.body as T };
      n++;
      return {
        status: 200,
        headers: {},
        body: { token_type: 'Bearer', expires_in: net.expiresIn, ext_expires_in: net.expiresIn, access_token: `msal-token-${n}` } as T,
      };
    },
  };
  return net;
}

test('client credentials through msal: one token request, then the cache; forceRefresh asks again; nothing leaves the process', async () => {
  const net = fakeNetwork();
  const provider = clientCredentialsTokenProvider({
    tenantId: 'contoso-tenant-id',
    clientId: 'app-id',
    clientSecret: 'sup3r-s3cret',
    networkClient: net,
  });
  const [a, b] = await Promise.all([provider(), provider()]);
  assert.is(a, 'msal-token-1');
  assert.is(b, 'msal-token-1');
  assert.is(await provider(), 'msal-token-1');
  assert.is(net.posts.length, 1);
  const post = net.posts[0]!;
  assert.match(post.url, /^https:\/\/login\.microsoftonline\.com\/contoso-tenant-id\/oauth2\/v2\.0\/token/);
  const form = new URLSearchParams(post.body);
  assert.is(form.get('grant_type'), 'client_credentials');
  assert.is(form.get('scope'), 'https://graph.microsoft.com/.default');
  assert.is(form.get('client_id'), 'app-id');
  assert.is(await provider({ forceRefresh: true }), 'msal-token-2');
  assert.is(net.posts.length, 2);
  assert.is(await provider(), 'msal-token-2');
  assert.is(net.posts.length, 2);
});

test('msal refreshes a token that is about to expire (within 5 minutes)', async () => {
  const net = fakeNetwork();
  net.expiresIn = 120;
  const provider = clientCredentialsTokenProvider({ tenantId: 't', clientId: 'c', clientSecret: 's3cr3t-value', networkClient: net });
  assert.is(await provider(), 'msal-token-1');
  assert.is(await provider(), 'msal-token-2');
  net.expiresIn = 3599;
  assert.is(await provider(), 'msal-token-3');
  assert.is(await provider(), 'msal-token-3');
});

test('a refused client secret is a TokenError without the secret; through the gateway it is Left unauthorized', async () => {
  const net = fakeNetwork();
  const secret = 'Wrong~Secret.Value_123';
  net.fail = {
    status: 401,
    body: {
      error: 'invalid_client',
      error_description: `AADSTS7000215: Invalid client secret provided (${secret}).`,
      error_codes: [7000215],
    },
  };
  const provider = clientCredentialsTokenProvider({ tenantId: 't', clientId: 'c', clientSecret: secret, networkClient: net });
  const err = await provider().then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof TokenError);
  assert.match((err as Error).message, /token request to https:\/\/login\.microsoftonline\.com\/t for client c failed/);
  assert.not.ok((err as Error).message.includes(secret));
  const { g } = gateway({ tokenProvider: provider });
  const e = expectLeft(await g.getManagedDevices());
  assert.is(e.kind, 'unauthorized');
  assert.not.ok(JSON.stringify(e).includes(secret));
  assert.is(server.requests.length, 0);
});

test('env and static token providers', async () => {
  assert.is(await envTokenProvider('EAS_TOKEN', { EAS_TOKEN: 'Bearer abc ' })(), 'abc');
  const missing = await envTokenProvider('EAS_TOKEN', {})().then(
    () => '',
    (e: Error) => e.message,
  );
  assert.match(missing, /environment variable EAS_TOKEN is not set/);
  assert.is(await staticTokenProvider('xyz')({ forceRefresh: true }), 'xyz');
  assert.throws(() => clientCredentialsTokenProvider({ tenantId: 't', clientId: '', clientSecret: 's' }), /clientId is required/);
  assert.throws(
    () => graphIntuneGateway({ baseUrl: 'http://graph.example/v1.0', tokenProvider: staticTokenProvider('x') }),
    /must be https/,
  );
});

test.run();
