// benchmarks/first-sync-ab.ts: two builds' first full syncs measured in one
// process. Run here over this build against itself, small.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../benchmarks/first-sync-ab.js', import.meta.url));
const dist = fileURLToPath(new URL('..', import.meta.url));
const run = (flags: string[], ...args: string[]) =>
  spawnSync(process.execPath, [...flags, script, ...args], { encoding: 'utf8', timeout: 120_000 });

test('measures both builds round after round and prints their medians, the ratio and the fresh pages', () => {
  const r = run(['--expose-gc'], '--a', dist, '--devices', '300', '--rounds', '3');
  assert.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as {
    bench: string;
    devices: number;
    a: { cpuMicrosPerDevice: number[]; median: number };
    b: { cpuMicrosPerDevice: number[]; median: number };
    ratio: number;
    minorPageFaultsPerDevice: { a: number; b: number };
  };
  assert.is(out.bench, 'first-sync-ab');
  assert.is(out.devices, 300);
  for (const side of [out.a, out.b]) {
    assert.is(side.cpuMicrosPerDevice.length, 3);
    assert.ok(side.cpuMicrosPerDevice.every((x) => x > 0));
    assert.ok(side.cpuMicrosPerDevice.includes(side.median));
  }
  assert.is(out.ratio, +(out.b.median / out.a.median).toFixed(3));
  assert.type(out.minorPageFaultsPerDevice.a, 'number');
  assert.type(out.minorPageFaultsPerDevice.b, 'number');
});

test('refuses to run without a base build or without a collector it can call', () => {
  const noBase = run(['--expose-gc']);
  assert.is(noBase.status, 2);
  assert.match(noBase.stderr, '--a is required');
  const noGc = run([], '--a', dist);
  assert.is(noGc.status, 2);
  assert.match(noGc.stderr, 'run node with --expose-gc');
});

test.run();
