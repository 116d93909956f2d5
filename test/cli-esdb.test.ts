// `--store esdb://…` where a store is named: demo into EventStoreDB, replay from it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEsdbServer, type EsdbServer } from './support/esdb-server.js';

const test = suite('eas-sync with EventStoreDB');
const MAIN = fileURLToPath(new URL('../adapters/cli/main.js', import.meta.url));
let server: EsdbServer;

// Async spawn: the in-process server must keep answering while the CLI runs.
function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test.before(async () => {
  server = await startEsdbServer();
});
test.after(async () => {
  await server.stop();
});

test('demo --store esdb://… syncs into EventStoreDB and replay esdb://… reproduces its access counts', async () => {
  const demo = await run(['demo', '--devices', '1500', '--store', server.connectionString, '--json']);
  assert.is(demo.code, 0, demo.stderr);
  const d = JSON.parse(demo.stdout);
  assert.is(d.verified, true);
  const replay = await run(['replay', server.connectionString, '--json']);
  assert.is(replay.code, 0, replay.stderr);
  const r = JSON.parse(replay.stdout);
  assert.equal(r.access, d.access);
  assert.is(r.devices, 1500);
  assert.is(r.connector.status, 'connected');
});

test('explain and what-if read file logs only, and say so', async () => {
  const r = await run(['explain', server.connectionString, 'x']);
  assert.is(r.code, 2);
  assert.match(r.stderr, /file logs only/);
});

const SECRET = 'Pa55:w@rd%21-not-for-logs';
const withSecret = (cs: string) => cs.replace('esdb://', `esdb://admin:${encodeURIComponent(SECRET)}@`);

test('replay of an unreachable node never prints the credentials of its connection string', async () => {
  // A port nothing listens on (the server's own port, closed by a second server's stop, is not needed: port 1 refuses).
  const cs = withSecret('esdb://127.0.0.1:1?tls=false');
  for (const args of [
    ['replay', cs, '--json'],
    ['replay', cs],
    [`copy`, cs, join(tmpdir(), 'never.ndjson')],
  ]) {
    const r = await run(args);
    assert.is(r.code === 0, false, args.join(' '));
    const all = r.stdout + r.stderr;
    assert.not.match(all, encodeURIComponent(SECRET));
    assert.not.match(all, SECRET);
    assert.not.match(all, 'admin:');
    assert.match(r.stderr, /esdb:\/\/127\.0\.0\.1:1/);
  }
});

test('a config with credentials written in an esdb:// store is refused without echoing them; storeCredentials names variables', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'eas-esdb-config-'));
  writeFileSync(
    join(dir, 'policy.json'),
    JSON.stringify({ enabled: true, defaultAccessLevel: 'quarantine', includedGroups: [], excludedGroups: [], platformExceptions: [] }),
  );
  const config = (over: Record<string, unknown>) => {
    const path = join(dir, `c-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(
      path,
      JSON.stringify({
        organization: 'fabrikam',
        policy: './policy.json',
        exchange: { kind: 'simulator', devices: 30, seed: 2 },
        intune: { kind: 'simulator' },
        ...over,
      }),
    );
    return path;
  };
  const inline = await run(['sync', '--config', config({ store: withSecret(server.connectionString) })]);
  assert.is(inline.code, 2);
  assert.match(inline.stderr, /store: credentials written in the connection string are refused/);
  assert.not.match(inline.stderr, SECRET);
  assert.not.match(inline.stderr, encodeURIComponent(SECRET));

  const named = config({
    store: server.connectionString,
    storeCredentials: { usernameEnv: 'EAS_TEST_ESDB_USER', passwordEnv: 'EAS_TEST_ESDB_PASSWORD' },
  });
  const missing = await run(['sync', '--config', named]);
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /EAS_TEST_ESDB_PASSWORD|EAS_TEST_ESDB_USER/);
  const ok = await run(['sync', '--config', named, '--json'], { EAS_TEST_ESDB_USER: 'admin', EAS_TEST_ESDB_PASSWORD: SECRET });
  assert.is(ok.code, 0, ok.stderr);
  assert.not.match(ok.stdout + ok.stderr, SECRET);
  // (This in-process node runs without TLS, where the client sends no credentials:
  // that they are put into the connection string is checked in connection-string.test.ts.)
});

test('sync on an esdb:// store keeps a snapshot per organization in a stream of its own; a damaged one is said and not used', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'eas-esdb-snapshot-'));
  writeFileSync(
    join(dir, 'policy.json'),
    JSON.stringify({ enabled: true, defaultAccessLevel: 'quarantine', includedGroups: [], excludedGroups: [], platformExceptions: [] }),
  );
  const config = (organization: string, seed: number) => {
    const path = join(dir, `${organization}.json`);
    writeFileSync(
      path,
      JSON.stringify({
        organization,
        store: server.connectionString,
        policy: './policy.json',
        exchange: { kind: 'simulator', devices: 40, seed },
        intune: { kind: 'simulator' },
      }),
    );
    return path;
  };
  const orgs = [config('northwind', 3), config('tailspin', 4)];
  // Two organizations on one node: each full sync writes its own snapshot; each quick sync starts from it without a word.
  for (const c of orgs) {
    const full = await run(['sync', '--config', c, '--json']);
    assert.is(full.code, 0, full.stderr);
    assert.not.match(full.stderr, /snapshot/);
  }
  const ends = (org: string) =>
    server.events().filter((e) => e.stream === `eas-snapshot-${org}` && e.type === 'eas-access-sync.snapshot-end');
  assert.is(ends('northwind').length, 1);
  assert.is(ends('tailspin').length, 1);
  for (const c of orgs) {
    const quick = await run(['sync', '--config', c, '--quick', '--json']);
    assert.is(quick.code, 0, quick.stderr);
    assert.not.match(quick.stderr, /snapshot/);
  }
  server.appendRaw('eas-snapshot-northwind', 'eas-access-sync.snapshot-end', {}, { format: 'eas-access-sync/esdb-snapshot', first: 'x' });
  const damaged = await run(['sync', '--config', orgs[0]!, '--quick', '--json']);
  assert.is(damaged.code, 0, damaged.stderr);
  assert.match(
    damaged.stderr,
    /snapshot EventStoreDB .*eas-snapshot-northwind.* not used \(.*malformed.*\); state folded from the log \(\d+ events\)/,
  );
  assert.is(JSON.parse(damaged.stdout).success, true);
});

test.run();
