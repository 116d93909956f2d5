// `--store esdb://…` where a store is named: demo into EventStoreDB, replay from it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startEsdbServer, type EsdbServer } from './support/esdb-server.js';

const test = suite('eas-sync with EventStoreDB');
const MAIN = fileURLToPath(new URL('../adapters/cli/main.js', import.meta.url));
let server: EsdbServer;

// Async spawn: the in-process server must keep answering while the CLI runs.
function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test.before(async () => { server = await startEsdbServer(); });
test.after(async () => { await server.stop(); });

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

test.run();
