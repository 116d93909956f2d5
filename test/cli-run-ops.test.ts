// `eas-sync run` as an administrator's network has it: Graph and the token
// endpoint reached only through an authenticating CONNECT proxy, quarantine
// mails sent from the notification mailbox over EWS (NTLM), diagnostic logs
// to a file. Against the simulated Exchange, a Graph stand-in serving the
// same simulated tenant, a token endpoint stand-in and an EWS stand-in, all
// on loopback. A full sync completes with the decisions the all-simulated
// connector makes; no secret reaches the log file, the event log, the status
// or stderr; a wrong proxy password fails the sync with an error naming the
// proxy.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRight } from 'fp-ts/lib/Either.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { toGraphManagedDevice } from '../adapters/graph/index.js';
import { policyDocument } from '../src/policy.js';
import { startGraphServer, type GraphServer } from './support/graph-server.js';
import { ConnectProxy } from './support/connect-proxy.js';
import { TokenServer } from './support/token-server.js';
import { EwsServer } from './support/ews-server.js';
import { selfSignedCert } from './support/tls.js';

const test = suite('eas-sync run through the proxy, notifying over EWS');
const MAIN = fileURLToPath(new URL('../adapters/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'eas-run-ops-'));
const DEVICES = 300;
const SEED = 3;
const LOGIN = 'login.microsoftonline.com';
const TENANT = 'contoso.onmicrosoft.com';
const CLIENT = '11111111-2222-3333-4444-555555555555';
const SECRETS = {
  EAS_GRAPH_SECRET: 'graph-Client-S3cret',
  EAS_PROXY_USER: 'svc-proxy',
  EAS_PROXY_PASSWORD: 'Pr0xy-Pa55-w0rd',
  EAS_EWS_USER: 'CONTOSO\\svc-eas',
  EAS_EWS_PASSWORD: 'Ews-Pa55-w0rd!',
};
const ACCESS_TOKEN = 'eyJ0eXAi.access-token-from-the-stand-in';
const cert = selfSignedCert([LOGIN]);

let graph: GraphServer;
let proxy: ConnectProxy;
let tokens: TokenServer;
let ews: EwsServer;

test.before(async () => {
  const sim = simulateOrganization({ devices: DEVICES, seed: SEED, clock: () => Date.now() });
  const managed = await sim.intune.getManagedDevices();
  const groupIds = [...sim.policy.includedGroups, ...sim.policy.excludedGroups];
  const members = await sim.intune.getGroupMembers(groupIds);
  if (!isRight(managed) || !isRight(members)) throw new Error('simulated tenant');
  graph = await startGraphServer({
    devices: managed.right.map((d) => ({ ...toGraphManagedDevice(d) })),
    groups: Object.fromEntries([...members.right].map(([g, upns]) => [g, [...upns]])),
    tokens: [ACCESS_TOKEN],
  });
  tokens = await new TokenServer({
    host: LOGIN,
    tenant: TENANT,
    clientId: CLIENT,
    clientSecret: SECRETS.EAS_GRAPH_SECRET,
    token: ACCESS_TOKEN,
    cert: cert!,
  }).start();
  proxy = await new ConnectProxy({
    username: SECRETS.EAS_PROXY_USER,
    password: SECRETS.EAS_PROXY_PASSWORD,
    routes: { [`${LOGIN}:443`]: `127.0.0.1:${tokens.port}` },
  }).start();
  ews = await new EwsServer({ username: SECRETS.EAS_EWS_USER, password: SECRETS.EAS_EWS_PASSWORD, schemes: ['ntlm'] }).start();
  writeFileSync(join(dir, 'policy.json'), JSON.stringify(policyDocument(sim.policy), null, 2));
  writeFileSync(join(dir, 'ca.pem'), cert!.cert);
});
test.after(async () => {
  await proxy?.close();
  await graph?.close();
  await tokens?.close();
  await ews?.close();
});

function config(name: string, over: Record<string, unknown> = {}): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      organization: 'contoso',
      store: `./${name}.ndjson`,
      policy: './policy.json',
      exchange: { kind: 'simulator', devices: DEVICES, seed: SEED, parallelism: 2 },
      intune: {
        kind: 'graph',
        baseUrl: graph.url,
        tenantId: TENANT,
        clientId: CLIENT,
        clientSecretEnv: 'EAS_GRAPH_SECRET',
        proxy: { url: proxy.url, usernameEnv: 'EAS_PROXY_USER', passwordEnv: 'EAS_PROXY_PASSWORD' },
      },
      notifier: {
        kind: 'ews',
        url: ews.url,
        mailbox: 'eas-notify@contoso.com',
        usernameEnv: 'EAS_EWS_USER',
        passwordEnv: 'EAS_EWS_PASSWORD',
        authentication: 'ntlm',
      },
      log: { level: 'info', file: `./${name}.log` },
      status: { listen: '127.0.0.1:0' },
      ...over,
    }),
  );
  return path;
}
const childEnv = (over: Record<string, string> = {}) => {
  const env: NodeJS.ProcessEnv = { ...process.env, ...SECRETS, NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem'), ...over };
  delete env.HTTPS_PROXY;
  delete env.https_proxy;
  delete env.NO_PROXY;
  delete env.no_proxy;
  return env;
};

function assertNoSecret(where: string, text: string): void {
  for (const [name, value] of Object.entries(SECRETS)) {
    if (name.endsWith('_USER')) continue; // user names may be named in messages
    assert.not.ok(text.includes(value), `${where} contains ${name}`);
  }
  assert.not.ok(
    text.includes(Buffer.from(`${SECRETS.EAS_PROXY_USER}:${SECRETS.EAS_PROXY_PASSWORD}`).toString('base64')),
    `${where} contains the proxy's Basic credentials`,
  );
  assert.not.ok(text.includes(ACCESS_TOKEN), `${where} contains the access token`);
}

test('run completes full syncs with Graph through the proxy and mails over EWS; no secret anywhere', async () => {
  if (!cert) {
    console.log('# openssl unavailable: the token endpoint stand-in needs TLS; skipped');
    return;
  }
  // What the all-simulated connector decides, for comparison.
  writeFileSync(
    join(dir, 'sim.json'),
    JSON.stringify({
      organization: 'contoso',
      store: './sim.ndjson',
      policy: './policy.json',
      exchange: { kind: 'simulator', devices: DEVICES, seed: SEED },
      intune: { kind: 'simulator' },
    }),
  );
  const sim = spawnSync(process.execPath, [MAIN, 'sync', '--config', join(dir, 'sim.json'), '--json'], { encoding: 'utf8', cwd: dir });
  assert.is(sim.status, 0, sim.stderr);
  const simReport = JSON.parse(sim.stdout) as { access: Record<string, number>; notifications: { sent: number } };

  const child = spawn(process.execPath, [MAIN, 'run', '--config', config('ops')], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: childEnv(),
  });
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no status URL: ${stderr}`)), 30_000);
    child.stderr.on('data', (d) => {
      stderr += d;
      const m = /status on (http:\/\/[^\s]+)\/status/.exec(stderr);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`exited ${code}: ${stderr}`));
    });
  });
  try {
    const forced = await fetch(`${url}/sync?type=full&wait=true`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    const report = (await forced.json()) as {
      success: boolean;
      devices: number;
      access: Record<string, number>;
      errors: unknown[];
      notifications: { sent: number; failed: number };
    };
    assert.is(forced.status, 200, JSON.stringify(report.errors));
    assert.ok(report.success);
    assert.is(report.devices, DEVICES);
    assert.equal(report.access, simReport.access, 'the same decisions as with the simulated tenant');
    const status = await (await fetch(`${url}/status`)).text();
    assert.match(status, /"status": "connected"/);
    assertNoSecret('the status', status);

    // Everything Graph-bound went through the proxy, authenticated.
    assert.ok(proxy.records.length >= 2);
    assert.ok(proxy.records.every((r) => r.authorized && r.user === SECRETS.EAS_PROXY_USER));
    assert.ok(
      proxy.records.some((r) => r.target === `${LOGIN}:443`),
      'the token endpoint',
    );
    assert.ok(
      proxy.records.some((r) => r.target === new URL(graph.url).host),
      'Graph',
    );
    assert.ok(tokens.tokenRequests >= 1);
    assert.ok(graph.requests.length > 0 && graph.requests.every((r) => r.authorization === `Bearer ${ACCESS_TOKEN}`));
    // The first sync (at start) sent the quarantine mails over EWS; the forced one had none new.
    assert.is(ews.sent.length, simReport.notifications.sent);
    assert.ok(ews.sent.length > 0);
    assert.equal(ews.invalid, []);
    assert.ok(ews.sent.every((m) => m.from === 'eas-notify@contoso.com' && m.user === SECRETS.EAS_EWS_USER));
    assert.is(report.notifications.sent, 0);
  } finally {
    child.kill('SIGTERM');
  }
  assert.is(await exited, 0, stderr);
  const log = readFileSync(join(dir, 'ops.log'), 'utf8');
  const lines = log
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { event?: string; level: string });
  assert.is(lines.filter((l) => l.event === 'syncCompleted').length, 2);
  assertNoSecret('the diagnostic log', log);
  assertNoSecret('the event log', readFileSync(join(dir, 'ops.ndjson'), 'utf8'));
  assertNoSecret('stderr', stderr);
});

/** A child run without blocking this process: the stand-ins it talks to live here. */
function runAsync(args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const t = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('exit', (status) => {
      clearTimeout(t);
      resolve({ status, stdout, stderr });
    });
  });
}

test('a wrong proxy password fails the sync with an error naming the proxy, and no password anywhere', async () => {
  if (!cert) return;
  const before = proxy.records.length;
  const r = await runAsync(['sync', '--config', config('badproxy'), '--json'], childEnv({ EAS_PROXY_PASSWORD: 'Wr0ng-Pr0xy-Pass' }));
  assert.is(r.status, 1, r.stderr);
  const report = JSON.parse(r.stdout) as { success: boolean; errors: Array<{ kind: string; message: string }> };
  assert.not.ok(report.success);
  assert.is(report.errors[0]!.kind, 'intune.unauthorized');
  assert.match(
    report.errors[0]!.message,
    new RegExp(
      `proxy ${proxy.url.replace(/\./g, '\\.')} \\(as svc-proxy\\) from intune\\.proxy refused the credentials \\(407 Proxy Authentication Required\\)`,
    ),
  );
  const all = r.stdout + r.stderr + readFileSync(join(dir, 'badproxy.log'), 'utf8') + readFileSync(join(dir, 'badproxy.ndjson'), 'utf8');
  assert.not.ok(all.includes('Wr0ng-Pr0xy-Pass'));
  assertNoSecret('the failed sync', all);
  assert.match(readFileSync(join(dir, 'badproxy.log'), 'utf8'), /"event":"syncFailed".*refused the credentials/);
  assert.ok(proxy.records.length - before <= 3, 'refused credentials are not retried over and over');
});

test.run();
