// benchmarks/first-sync-ab.ts: two builds' first full syncs measured in one
// process. Run here over this build against itself, small.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { abRunner } from './support/engine-ab.js';

const ab = abRunner('first-sync-ab');

test('measures both builds round after round and prints their medians, the ratio and the fresh pages', () => {
  const out = ab.measured() as { minorPageFaultsPerDevice?: { a: unknown; b: unknown } };
  assert.type(out.minorPageFaultsPerDevice?.a, 'number');
  assert.type(out.minorPageFaultsPerDevice?.b, 'number');
});

test('refuses to run without a base build or without a collector it can call', () => ab.refusesWithoutBaseOrGc());

test.run();
