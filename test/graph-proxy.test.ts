// Graph and the token endpoint through the corporate proxy: a loopback CONNECT
// proxy that requires Proxy-Authorization tunnels to a Graph stand-in and to a
// token-endpoint stand-in (reached by its real host name, routed by the proxy
// to loopback). The config's proxy wins over HTTPS_PROXY; NO_PROXY hosts go
// direct; a wrong password is one refused CONNECT and an error naming the
// proxy, never the password.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import {
  graphGatewayFromConfig,
  resolveProxy,
  bypassesProxy,
  parseProxyUrl,
  proxiedFetch,
  clientCredentialsTokenProvider,
  fetchNetworkClient,
  parseIntuneConfig,
  type GraphIntuneConfig,
} from '../adapters/graph/index.js';
import { startGraphServer, type GraphServer } from './support/graph-server.js';
import { ConnectProxy } from './support/connect-proxy.js';
import { TokenServer } from './support/token-server.js';
import { selfSignedCert } from './support/tls.js';

const test = suite('graph through a proxy');
const PROXY_USER = 'svc-eas';
const PROXY_PASS = 'Pr0xy-S3cret!';
const TOKEN = 'graph-token-1';
const LOGIN = 'login.microsoftonline.com';
const TENANT = 'contoso.onmicrosoft.com';
const CLIENT = '11111111-2222-3333-4444-555555555555';
const CLIENT_SECRET = 'client-S3cret-value';

const devices = Array.from({ length: 30 }, (_, i) => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  easDeviceId: `EAS${i}`,
  userPrincipalName: `user${i}@contoso.com`,
  emailAddress: `user${i}@contoso.com`,
  complianceState: 'compliant',
  managementAgent: 'mdm',
  lastSyncDateTime: '2026-11-26T07:00:00Z',
  complianceGracePeriodExpirationDateTime: '9999-12-31T23:59:59Z',
  deviceName: `D${i}`,
  model: 'iPhone',
  operatingSystem: 'iOS',
}));

let graph: GraphServer;
let proxy: ConnectProxy;
const cert = selfSignedCert([LOGIN]);
let tokens: TokenServer | undefined;

test.before(async () => {
  graph = await startGraphServer({ devices, pageSize: 10 });
  if (cert)
    tokens = await new TokenServer({
      host: LOGIN,
      tenant: TENANT,
      clientId: CLIENT,
      clientSecret: CLIENT_SECRET,
      token: TOKEN,
      cert,
    }).start();
  proxy = await new ConnectProxy({
    username: PROXY_USER,
    password: PROXY_PASS,
    ...(tokens ? { routes: { [`${LOGIN}:443`]: `127.0.0.1:${tokens.port}` } } : {}),
  }).start();
});
test.after(async () => {
  await proxy.close();
  await graph.close();
  await tokens?.close();
});

const env = (over: Record<string, string> = {}) => ({
  EAS_PROXY_USER: PROXY_USER,
  EAS_PROXY_PASS: PROXY_PASS,
  EAS_GRAPH_TOKEN: TOKEN,
  ...over,
});
const withProxy = (over: Partial<GraphIntuneConfig> = {}): GraphIntuneConfig => ({
  kind: 'graph',
  baseUrl: graph.url,
  tokenEnv: 'EAS_GRAPH_TOKEN',
  proxy: { url: proxy.url, usernameEnv: 'EAS_PROXY_USER', passwordEnv: 'EAS_PROXY_PASS' },
  ...over,
});

test('the config section is validated strictly, and credentials in its URL are refused', () => {
  const ok = parseIntuneConfig(
    { intune: { kind: 'graph', tokenEnv: 'T', proxy: { url: 'http://proxy.contoso.com:3128', noProxy: ['.contoso.com'] } } },
    'c.json',
  );
  assert.ok(isRight(ok));
  const typo = parseIntuneConfig({ intune: { kind: 'graph', tokenEnv: 'T', proxy: { url: 'http://p:3128', pasword: 'x' } } }, 'c.json');
  assert.ok(isLeft(typo) && typo.left.some((e) => e.path === 'intune.proxy.pasword'));
  const inUrl = resolveProxy({ url: 'http://bob:hunter2@proxy:3128' }, {});
  assert.ok(isLeft(inUrl));
  assert.match(inUrl.left, /credentials do not belong in the URL/);
  assert.not.match(inUrl.left, /hunter2/);
  const half = resolveProxy({ url: 'http://proxy:3128', usernameEnv: 'U' }, { U: 'x' });
  assert.ok(isLeft(half) && /both usernameEnv and passwordEnv/.test(half.left));
  const missing = resolveProxy({ url: 'http://proxy:3128', usernameEnv: 'U', passwordEnv: 'P' }, { U: 'x' });
  assert.ok(isLeft(missing));
  assert.is(missing.left, 'intune.proxy.passwordEnv: environment variable P is not set');
});

test('HTTPS_PROXY and NO_PROXY are used when the config says nothing, and the config wins over them', () => {
  const fromEnv = resolveProxy(undefined, { HTTPS_PROXY: 'http://u%40corp:p%3Ass@envproxy:8080', NO_PROXY: 'localhost,.corp.local' });
  assert.ok(isRight(fromEnv));
  assert.equal(fromEnv.right, {
    url: 'http://envproxy:8080',
    username: 'u@corp',
    password: 'p:ss',
    noProxy: ['localhost', '.corp.local'],
    source: 'HTTPS_PROXY',
  });
  const lower = resolveProxy(undefined, { https_proxy: 'proxy2:3128' });
  assert.ok(isRight(lower) && lower.right?.url === 'http://proxy2:3128');
  const none = resolveProxy(undefined, {});
  assert.ok(isRight(none) && none.right === undefined);
  const wins = resolveProxy({ url: 'http://cfgproxy:3128' }, { HTTPS_PROXY: 'http://envproxy:8080', NO_PROXY: '*' });
  assert.ok(isRight(wins));
  assert.is(wins.right?.url, 'http://cfgproxy:3128');
  assert.equal(wins.right?.noProxy, []);
  assert.ok(isLeft(parseProxyUrl('ftp://proxy:21')));
  assert.ok(isLeft(parseProxyUrl('http://proxy:3128/path')));
});

test('NO_PROXY matches hosts, domain suffixes, ports, addresses and *', () => {
  const list = ['.contoso.com', 'intranet', 'graph.local:8443', '10.1.2.3', '[::1]'];
  assert.ok(bypassesProxy('https://mail.contoso.com/x', list));
  assert.ok(bypassesProxy('https://contoso.com/', list));
  assert.not.ok(bypassesProxy('https://notcontoso.com/', list));
  assert.ok(bypassesProxy('http://intranet/', list));
  assert.ok(bypassesProxy('https://graph.local:8443/', list));
  assert.not.ok(bypassesProxy('https://graph.local/', list));
  assert.ok(bypassesProxy('https://10.1.2.3/', list));
  assert.ok(bypassesProxy('http://[::1]:80/', list));
  assert.not.ok(bypassesProxy('https://graph.microsoft.com/v1.0', list));
  assert.ok(bypassesProxy('https://graph.microsoft.com/v1.0', ['*']));
});

test('a sync of Graph passes through the proxy with its credentials', async () => {
  const r = graphGatewayFromConfig(withProxy(), 'c.json', env());
  assert.ok(isRight(r));
  assert.match(r.right.proxy!, new RegExp(`^proxy ${proxy.url} \\(as ${PROXY_USER}\\) from intune.proxy$`));
  const before = proxy.records.length;
  const graphBefore = graph.requests.length;
  const got = await r.right.gateway.getManagedDevices();
  await r.right.close();
  assert.ok(isRight(got), JSON.stringify(got));
  assert.is(got.right.length, 30);
  const mine = proxy.records.slice(before);
  assert.ok(mine.length >= 1);
  assert.ok(mine.every((x) => x.authorized && x.user === PROXY_USER && x.target === new URL(graph.url).host));
  assert.is(graph.requests.length - graphBefore, 3, 'three pages, all through the tunnel');
});

test('a wrong proxy password is one refused CONNECT and an error naming the proxy, not the password', async () => {
  const wrong = 'Wr0ng-Pr0xy-Pass';
  const r = graphGatewayFromConfig(withProxy(), 'c.json', env({ EAS_PROXY_PASS: wrong }));
  assert.ok(isRight(r));
  const before = proxy.records.length;
  const graphBefore = graph.requests.length;
  const got = await r.right.gateway.getManagedDevices();
  await r.right.close();
  assert.ok(isLeft(got));
  assert.is(got.left.kind, 'unauthorized');
  assert.match(
    got.left.message,
    new RegExp(`proxy ${proxy.url.replace(/[.]/g, '\\.')} \\(as ${PROXY_USER}\\) from intune\\.proxy refused the credentials \\(407`),
  );
  for (const s of [wrong, Buffer.from(`${PROXY_USER}:${wrong}`).toString('base64'), PROXY_PASS])
    assert.not.ok(JSON.stringify(got.left).includes(s));
  assert.is(proxy.records.length - before, 1, 'not retried: retries would count against the proxy account');
  assert.is(proxy.records[proxy.records.length - 1]!.authorized, false);
  assert.is(graph.requests.length - graphBefore, 0);
});

test('a host in noProxy is reached directly', async () => {
  const r = graphGatewayFromConfig(
    withProxy({ proxy: { url: proxy.url, usernameEnv: 'EAS_PROXY_USER', passwordEnv: 'EAS_PROXY_PASS', noProxy: ['127.0.0.1'] } }),
    'c.json',
    env(),
  );
  assert.ok(isRight(r));
  const before = proxy.records.length;
  const got = await r.right.gateway.getManagedDevices();
  await r.right.close();
  assert.ok(isRight(got));
  assert.is(proxy.records.length, before);
});

test('HTTPS_PROXY from the environment carries Graph when the config names no proxy', async () => {
  const url = new URL(proxy.url);
  const r = graphGatewayFromConfig(
    withProxy({ proxy: undefined }),
    'c.json',
    env({ HTTPS_PROXY: `http://${PROXY_USER}:${encodeURIComponent(PROXY_PASS)}@${url.host}` }),
  );
  assert.ok(isRight(r));
  assert.match(r.right.proxy!, /from HTTPS_PROXY$/);
  assert.not.ok(r.right.proxy!.includes(PROXY_PASS));
  const before = proxy.tunnels;
  const got = await r.right.gateway.getManagedDevices();
  await r.right.close();
  assert.ok(isRight(got));
  assert.ok(proxy.tunnels > before);
});

test('the token endpoint is reached through the proxy (msal over the proxied fetch)', async () => {
  if (!tokens || !cert) {
    console.log('# openssl unavailable: token endpoint over TLS not tested');
    return;
  }
  const p = proxiedFetch({ url: proxy.url, username: PROXY_USER, password: PROXY_PASS }, { requestTls: { ca: cert.cert } });
  const provider = clientCredentialsTokenProvider({
    tenantId: TENANT,
    clientId: CLIENT,
    clientSecret: CLIENT_SECRET,
    networkClient: fetchNetworkClient(p.fetch),
  });
  const before = tokens.tokenRequests;
  const token = await provider();
  assert.is(token, TOKEN);
  assert.is(tokens.tokenRequests - before, 1);
  assert.ok(proxy.records.some((x) => x.target === `${LOGIN}:443` && x.authorized));
  // and with the wrong password, the token error names the proxy and not the password
  const bad = proxiedFetch({ url: proxy.url, username: PROXY_USER, password: 'nope-nope-nope' }, { requestTls: { ca: cert.cert } });
  const failing = clientCredentialsTokenProvider({
    tenantId: TENANT,
    clientId: CLIENT,
    clientSecret: CLIENT_SECRET,
    networkClient: fetchNetworkClient(bad.fetch),
  });
  const err = await failing().then(
    () => undefined,
    (e: Error) => e,
  );
  assert.ok(err);
  assert.match(err.message, /refused the credentials \(407/, err.message);
  assert.not.ok(err.message.includes('nope-nope-nope'));
  assert.not.ok(err.message.includes(CLIENT_SECRET));
  await p.close();
  await bad.close();
});

test.run();
