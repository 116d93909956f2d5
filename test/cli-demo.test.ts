// `eas-sync demo` and the logs it replaces: the lock comes first, a log in use
// is never removed, only a log of this format is ever replaced.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isLeft } from 'fp-ts/lib/Either.js';
import { openFileStore, type FileStore } from '../adapters/file-store/index.js';

const test = suite('eas-sync demo');
const MAIN = fileURLToPath(new URL('../adapters/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'eas-demo-'));
const run = (args: string[], cwd = dir) => {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
async function hold(path: string): Promise<FileStore> {
  const r = await openFileStore(path);
  if (isLeft(r)) throw new Error(JSON.stringify(r.left));
  return r.right;
}

test('never removes a log another process holds, even with --force', async () => {
  const log = join(dir, 'held.ndjson');
  assert.is(run(['demo', '--devices', '40', '--log', log, '--json']).code, 0);
  const before = readFileSync(log);
  const holder = await hold(log); // this process now holds the lock, as a running connector would
  try {
    const r = run(['demo', '--devices', '40', '--log', log, '--force', '--json']);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, /is locked by process \d+/);
    assert.ok(existsSync(log), 'the held log still exists');
    assert.ok(readFileSync(log).equals(before), 'and is byte-identical');
  } finally {
    await holder.close();
  }
});

test('never removes the default demo log while another process holds it', async () => {
  const cwd = mkdtempSync(join(dir, 'default-'));
  assert.is(run(['demo', '--devices', '30', '--json'], cwd).code, 0);
  const log = join(cwd, 'eas-sync-demo.ndjson');
  const before = readFileSync(log);
  const holder = await hold(log);
  try {
    const r = run(['demo', '--devices', '30', '--json'], cwd);
    assert.is(r.code, 1);
    assert.ok(readFileSync(log).equals(before));
  } finally {
    await holder.close();
  }
});

test('--force replaces a log that is not in use and says which file it replaced', () => {
  const log = join(dir, 'replace-me.ndjson');
  assert.is(run(['demo', '--devices', '40', '--log', log, '--json']).code, 0);
  const size = readFileSync(log).length;
  const refused = run(['demo', '--devices', '40', '--log', log, '--json']);
  assert.is(refused.code, 2);
  assert.match(refused.stderr, /pass --force to replace it/);
  const r = run(['demo', '--devices', '40', '--log', log, '--force', '--json']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`replaced the existing log ${log.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(${size} bytes\\)`));
  const out = JSON.parse(r.stdout);
  assert.equal(out.replaced, { log, bytes: size });
  assert.is(out.verified, true);
});

test('--force refuses to replace a file that is not an event log and leaves it untouched', () => {
  for (const [name, text] of [
    ['config.json', '{"organization":"contoso"}\n'],
    ['notes.txt', 'remember the milk\n'],
    ['blob.bin', '{\u0000\u0001binary'],
  ] as const) {
    const path = join(dir, name);
    writeFileSync(path, text);
    const r = run(['demo', '--devices', '20', '--log', path, '--force']);
    assert.is(r.code, 2, `${name}: ${r.stderr}`);
    assert.match(r.stderr, /not an event log of this format/);
    assert.is(readFileSync(path, 'utf8'), text);
  }
});

test('a reader that closes the pipe early ends the output quietly: the demo finishes and exits 0', async () => {
  const { spawn } = await import('node:child_process');
  const log = join(dir, 'epipe.ndjson');
  const child = spawn(process.execPath, [MAIN, 'demo', '--devices', '60', '--log', log, '--json'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.destroy(); // like `| head -c0`: nobody reads
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
  assert.is(code, 0, stderr);
  assert.not.match(stderr, /EPIPE|Error:|at /);
  assert.ok(readFileSync(log, 'utf8').includes('"type":"SyncCompleted"'), 'the sync ran to its end');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
