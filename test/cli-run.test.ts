// `eas-sync sync` and `eas-sync run` with a config file (simulated organization).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { policyDocument } from '../src/policy.js';

const test = suite('eas-sync sync and run');
const MAIN = fileURLToPath(new URL('../adapters/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'eas-run-'));
const policy = policyDocument(simulateOrganization({ devices: 300, seed: 3 }).policy);
writeFileSync(join(dir, 'policy.json'), JSON.stringify(policy, null, 2));
const config = (over: Record<string, unknown> = {}) => {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify({
    organization: 'contoso', store: './connector.ndjson', policy: './policy.json',
    exchange: { kind: 'simulator', devices: 300, seed: 3, parallelism: 2 }, intune: { kind: 'simulator' },
    schedule: { quickMinutes: 15, fullDailyAt: '02:00' }, status: { listen: '127.0.0.1:0' },
    ...over,
  }));
  return path;
};
const run = (args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', cwd: dir });

test('sync --config runs one full sync and reports it', () => {
  const r = run(['sync', '--config', config({ store: './one.ndjson' }), '--json']);
  assert.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.is(out.kind, 'full');
  assert.is(out.success, true);
  assert.is(out.devices, 300);
  assert.is(out.status.status, 'connected');
  const quick = run(['sync', '--config', config({ store: './one.ndjson' }), '--quick', '--json']);
  assert.is(quick.status, 0, quick.stderr);
  assert.is(JSON.parse(quick.stdout).kind, 'quick');
});

test('a config with a typo is exit 2 naming the file and the path', () => {
  const r = run(['sync', '--config', config({ schedule: { quickMinuts: 5 } })]);
  assert.is(r.status, 2);
  assert.match(r.stderr, /config-.*\.json: schedule\.quickMinuts: unknown key/);
  const secret = run(['sync', '--config', config({ exchange: { kind: 'simulator', passwordEnv: 'x' } })]);
  assert.is(secret.status, 2);
  assert.match(secret.stderr, /exchange\.passwordEnv: unknown key/);
  const literal = run(['sync', '--config', config({ exchange: { kind: 'powershell', cas: 'cas01', passwordEnv: 'hunter2!' } })]);
  assert.is(literal.status, 2);
  assert.match(literal.stderr, /exchange\.passwordEnv: expected the NAME of an environment variable/);
});

test('run serves /status, /metrics and POST /sync on loopback, and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, [MAIN, 'run', '--config', config({ store: './run.ndjson' })], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d) => { stderr += d; const m = /status on (http:\/\/[^\s]+)\/status/.exec(stderr); if (m) resolve(m[1]!); });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const forced = await fetch(`${url}/sync?type=full&wait=true`, { method: 'POST' });
  assert.is(forced.status, 200);
  const report = await forced.json() as { kind: string; success: boolean };
  assert.is(report.kind, 'full');
  const status = await (await fetch(`${url}/status`)).json() as { status: string; access: { allow: number }; lastSuccessfulSync: { full?: string } };
  assert.is(status.status, 'connected');
  assert.ok(status.lastSuccessfulSync.full);
  assert.ok(status.access.allow > 0);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.match(metrics, /eas_sync_syncs_total\{organization="contoso",kind="full",result="succeeded"\} [1-9]/);
  assert.match(metrics, /eas_sync_devices\{organization="contoso",access="allow"\} [1-9]/);
  assert.match(metrics, /# TYPE eas_sync_commands_total counter/);
  const queued = await fetch(`${url}/sync?type=quick`, { method: 'POST' });
  assert.is(queued.status, 202);
  assert.is((await fetch(`${url}/sync?type=weekly`, { method: 'POST' })).status, 400);
  const code = await new Promise<number | null>((resolve) => { child.on('exit', resolve); child.kill('SIGTERM'); });
  assert.is(code, 0, stderr);
  assert.match(stderr, /stopping/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
