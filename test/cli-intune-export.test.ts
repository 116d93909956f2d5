// `eas-sync intune-export --config FILE` as users run it (a child process),
// against the loopback Graph: the export, --out, exit codes, secrets by
// environment variable only.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { parseIntuneConfig, graphGatewayFromConfig } from '../adapters/graph/index.js';
import { formatInputError } from '../adapters/shared/input-errors.js';
import { decodeManagedDevice, decodeManagedDevices } from '../adapters/exports/graph.js';
import { startGraphServer, type GraphRecord, type GraphServer } from './support/graph-server.js';

const test = suite('eas-sync intune-export');
const MAIN = fileURLToPath(new URL('../adapters/cli/main.js', import.meta.url));
const COMMAND = new URL('../adapters/cli/intune-export.js', import.meta.url).href;
const IO = new URL('../adapters/cli/io.js', import.meta.url).href;
const registered = readFileSync(MAIN, 'utf8').includes('intune-export');
// Until main.ts registers the command, a shim maps errors to exit codes exactly as main does.
const SHIM = `
const [{ intuneExport }, io] = await Promise.all([import(${JSON.stringify(COMMAND)}), import(${JSON.stringify(IO)})]);
try { process.exitCode = await intuneExport(process.argv.slice(2)); }
catch (err) {
  if (err instanceof io.UsageError || err instanceof io.InputFailure) { process.stderr.write('eas-sync: ' + err.message + '\\n'); process.exitCode = 2; }
  else { process.stderr.write('eas-sync: ' + (err instanceof io.WorkFailure ? err.message : 'internal error: ' + (err && err.stack || err)) + '\\n'); process.exitCode = 1; }
}`;

const TOKEN = 'cli-graph-token-7Hq2';
const dir = mkdtempSync(join(tmpdir(), 'eas-intune-export-'));
const SHIM_FILE = join(dir, 'intune-export-shim.mjs');
if (!registered) writeFileSync(SHIM_FILE, SHIM);
let server: GraphServer;

function run(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const argv = registered ? [MAIN, 'intune-export', ...args] : [SHIM_FILE, ...args];
  const childEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, NO_COLOR: '1', ...env })) if (v !== undefined) childEnv[k] = v;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { cwd: dir, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function configFile(name: string, intune: Record<string, unknown>): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    JSON.stringify(
      {
        organization: 'contoso',
        store: './eas-sync.ndjson',
        policy: './policy.json',
        exchange: {
          kind: 'powershell',
          cas: 'cas01.contoso.com',
          usernameEnv: 'EAS_EXCHANGE_USER',
          passwordEnv: 'EAS_EXCHANGE_PASSWORD',
          parallelism: 1,
          casFailover: true,
        },
        intune,
        schedule: { quickMinutes: 15, fullDailyAt: '02:00' },
        status: { listen: '127.0.0.1:8089' },
      },
      null,
      2,
    ),
  );
  return path;
}

const DEVICES: GraphRecord[] = Array.from({ length: 430 }, (_, i) => ({
  id: `md-${i}`,
  easDeviceId: `EAS${i}`,
  userPrincipalName: `u${i}@contoso.com`,
  emailAddress: `u${i}@contoso.com`,
  complianceState: i % 3 === 0 ? 'noncompliant' : 'compliant',
  managementAgent: 'mdm',
  lastSyncDateTime: new Date(Date.parse('2026-11-26T08:00:00Z') - i * 3_600_000).toISOString(),
  complianceGracePeriodExpirationDateTime: '9999-12-31T23:59:59Z',
  deviceName: `Phone ${i}`,
  model: 'Pixel 8',
  operatingSystem: 'Android',
}));
const expected = DEVICES.map((d) => {
  const r = decodeManagedDevice(d);
  if (!isRight(r)) throw new Error('fixture');
  return r.right;
});

test.before(async () => {
  server = await startGraphServer({ devices: DEVICES, pageSize: 100, tokens: [TOKEN] });
});
test.after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});
test.before.each(() => {
  server.requests.length = 0;
  server.clearFaults();
});

test('--help exits 0 with the usage', async () => {
  const r = await run(['--help']);
  assert.is(r.code, 0);
  assert.match(r.stdout, /Usage: eas-sync intune-export --config FILE/);
});

test('with a bearer token from the environment: every device, as one Graph-shaped JSON array on stdout', async () => {
  const cfg = configFile('token.json', { kind: 'graph', baseUrl: server.url, tokenEnv: 'EAS_TEST_GRAPH_TOKEN' });
  const r = await run(['--config', cfg], { EAS_TEST_GRAPH_TOKEN: TOKEN });
  assert.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as unknown[];
  assert.ok(Array.isArray(out));
  assert.is(out.length, 430);
  const decoded = decodeManagedDevices(out, 'stdout');
  assert.ok(isRight(decoded));
  if (isRight(decoded)) assert.equal(decoded.right, expected);
  assert.is(server.count('managedDevices'), 5);
  assert.ok(server.requests.every((q) => q.authorization === `Bearer ${TOKEN}`));
  assert.not.ok(r.stderr.includes(TOKEN));
});

test('--out FILE --json writes the array to the file (mode 600) and prints a summary', async () => {
  const cfg = configFile('token-out.json', { kind: 'graph', baseUrl: server.url, tokenEnv: 'EAS_TEST_GRAPH_TOKEN' });
  const outFile = join(dir, 'managed-devices.json');
  const r = await run(['--config', cfg, '--out', outFile, '--json', '--changed-since', '2026-11-25T08:00:00Z'], {
    EAS_TEST_GRAPH_TOKEN: TOKEN,
  });
  assert.is(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout) as { devices: number; out: string; requests: number };
  assert.is(summary.devices, 24);
  assert.is(summary.out, outFile);
  assert.is(summary.requests, 1);
  assert.is((JSON.parse(readFileSync(outFile, 'utf8')) as unknown[]).length, 24);
  assert.is(statSync(outFile).mode & 0o777, 0o600);
  assert.is(server.requests[0]!.query.get('$filter'), 'lastSyncDateTime gt 2026-11-25T08:00:00.000Z');
});

test('a missing environment variable is exit 2 naming the variable and the config field, never a value', async () => {
  const cfg = configFile('missing.json', { kind: 'graph', baseUrl: server.url, tokenEnv: 'EAS_TEST_GRAPH_TOKEN' });
  const r = await run(['--config', cfg], { EAS_TEST_GRAPH_TOKEN: undefined });
  assert.is(r.code, 2);
  assert.match(r.stderr, /intune\.tokenEnv: environment variable EAS_TEST_GRAPH_TOKEN is not set/);
  assert.is(r.stdout, '');
  assert.is(server.requests.length, 0);

  const cc = configFile('cc.json', {
    kind: 'graph',
    tenantId: 'contoso.onmicrosoft.com',
    clientId: '11111111-2222-3333-4444-555555555555',
    clientSecretEnv: 'EAS_TEST_GRAPH_SECRET',
  });
  const r2 = await run(['--config', cc], { EAS_TEST_GRAPH_SECRET: undefined });
  assert.is(r2.code, 2);
  assert.match(r2.stderr, /intune\.clientSecretEnv: environment variable EAS_TEST_GRAPH_SECRET is not set/);
});

test('the intune section is validated strictly (path of the bad key), the other sections are tolerated', async () => {
  const typo = configFile('typo.json', { kind: 'graph', tenantID: 'x', clientId: 'y', clientSecretEnv: 'S' });
  const r = await run(['--config', typo]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /typo\.json: intune\.tenantID: unknown key "tenantID"/);

  const inline = configFile('inline.json', { kind: 'graph', tenantId: 't', clientId: 'c', clientSecret: 'do-not-echo-me' });
  const r2 = await run(['--config', inline]);
  assert.is(r2.code, 2);
  assert.match(r2.stderr, /intune\.clientSecret: unknown key/);
  assert.not.ok(r2.stderr.includes('do-not-echo-me'));

  assert.is((await run([])).code, 2);
});

test('config validation (in-process): paths and messages for each mistake', async () => {
  const check = (intune: unknown, pattern: RegExp) => {
    const r = parseIntuneConfig({ organization: 'contoso', intune }, 'c.json');
    assert.ok(isLeft(r), JSON.stringify(intune));
    if (isLeft(r)) assert.match(r.left.map(formatInputError).join('\n'), pattern);
  };
  check(
    { kind: 'graph', tenantId: 't', clientId: 'c', clientSecretEnv: 'S', tokenEnv: 'T' },
    /c\.json: intune\.tokenEnv: give either tokenEnv/,
  );
  check({ kind: 'graph', baseUrl: 'http://graph.example/v1.0', tokenEnv: 'T' }, /intune\.baseUrl: .*must be https/);
  check({ kind: 'graph', tokenEnv: 'eyJ0eXAi.secret.token' }, /intune\.tokenEnv: expected the NAME of an environment variable/);
  check({ kind: 'graph' }, /intune\.tenantId: required \(or name a bearer token with tokenEnv\)/);
  check({ kind: 'graph', tenantId: 't', clientSecretEnv: 'S' }, /intune\.clientId: required with client credentials/);
  check({ kind: 'exchange' }, /intune\.kind: expected "graph" or "simulator"/);
  check({ kind: 'simulator', devices: 0 }, /intune\.devices: expected an integer ≥ 1/);
  check('graph', /intune: expected an object/);
  const none = parseIntuneConfig({ organization: 'contoso' }, 'c.json');
  assert.ok(isLeft(none) && /intune: required/.test(formatInputError(none.left[0]!)));
  const ok = parseIntuneConfig(
    { organization: 'contoso', anything: { else: 1 }, intune: { kind: 'graph', baseUrl: 'http://127.0.0.1:1/v1.0/', tokenEnv: 'T' } },
    'c.json',
  );
  assert.ok(isRight(ok) && ok.right.kind === 'graph' && ok.right.baseUrl === 'http://127.0.0.1:1/v1.0');
  if (isRight(ok) && ok.right.kind === 'graph') {
    const missing = graphGatewayFromConfig(ok.right, 'c.json', {});
    assert.ok(isLeft(missing) && formatInputError(missing.left[0]!) === 'c.json: intune.tokenEnv: environment variable T is not set');
    const built = graphGatewayFromConfig(ok.right, 'c.json', { T: 'x' });
    assert.ok(isRight(built) && built.right.auth === 'bearer token from $T');
  }

  const broken = join(dir, 'broken.json');
  writeFileSync(broken, '{ "intune": { "kind": "graph", }');
  const r5 = await run(['--config', broken]);
  assert.is(r5.code, 2);
  assert.match(r5.stderr, /broken\.json line 1/);
  assert.match((await run(['--config', join(dir, 'absent.json')])).stderr, /absent\.json: file not found/);
});

test('Graph failing is exit 1 with the error (and, with --json, one JSON document naming the URL)', async () => {
  const cfg = configFile('fail.json', { kind: 'graph', baseUrl: server.url, tokenEnv: 'EAS_TEST_GRAPH_TOKEN' });
  const wrong = 'expired-token-Zx9';
  const r = await run(['--config', cfg], { EAS_TEST_GRAPH_TOKEN: wrong });
  assert.is(r.code, 1);
  assert.match(r.stderr, /Graph failed \(unauthorized\): GET .*managedDevices.*401 InvalidAuthenticationToken/);
  assert.is(r.stdout, '');
  assert.not.ok(r.stderr.includes(wrong));

  let n = 0;
  server.fault({ kind: 'html' }, { match: (q) => q.resource === 'managedDevices' && ++n === 3 });
  const r2 = await run(['--config', cfg, '--json'], { EAS_TEST_GRAPH_TOKEN: TOKEN });
  assert.is(r2.code, 1);
  const doc = JSON.parse(r2.stdout) as { error: { kind: string; url: string; path: string } };
  assert.is(doc.error.kind, 'invalidResponse');
  assert.match(doc.error.url, /managedDevices\?\$select=.*\$skiptoken=/);
  assert.is(doc.error.path, '(root)');
});

test('intune.kind simulator exports the simulated tenant', async () => {
  const cfg = configFile('sim.json', { kind: 'simulator', devices: 40, seed: 3 });
  const r = await run(['--config', cfg]);
  assert.is(r.code, 0, r.stderr);
  const decoded = decodeManagedDevices(JSON.parse(r.stdout), 'stdout');
  assert.ok(isRight(decoded) && decoded.right.length > 0);
});

test.run();
