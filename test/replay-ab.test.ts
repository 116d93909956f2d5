// benchmarks/replay-ab.ts: two builds' one-thread replays of one log, in one
// process. Run here over this build against itself, on a small engine-made log.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine } from '../src/engine.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { openFileStore } from '../adapters/file-store/index.js';

const script = fileURLToPath(new URL('../benchmarks/replay-ab.js', import.meta.url));
const dist = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'eas-replay-ab-'));
const run = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: 120_000 });

test('replays the log with both builds round after round and prints their medians and the ratio', async () => {
  const log = join(dir, 'small.ndjson');
  const sim = simulateOrganization({ devices: 40, seed: 3 });
  const opened = await openFileStore(log);
  if (opened._tag === 'Left') throw new Error(JSON.stringify(opened.left));
  const engine = createEngine({ ...sim, store: opened.right, parallelism: 2 });
  assert.ok((await engine.fullSync()).success);
  await opened.right.close();

  const r = run('--a', dist, '--log', log, '--rounds', '3');
  assert.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as {
    bench: string;
    a: { ms: number[]; median: number };
    b: { ms: number[]; median: number };
    ratio: number;
  };
  assert.is(out.bench, 'replay-ab');
  for (const side of [out.a, out.b]) {
    assert.is(side.ms.length, 3);
    assert.ok(side.ms.includes(side.median));
  }
  assert.is(out.ratio, +(out.b.median / out.a.median).toFixed(3));
});

test('refuses to run without a base build or a log', () => {
  const noBase = run('--log', 'x.ndjson');
  assert.is(noBase.status, 2);
  assert.match(noBase.stderr, '--a is required');
  const noLog = run('--a', dist);
  assert.is(noLog.status, 2);
  assert.match(noLog.stderr, '--log is required');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
