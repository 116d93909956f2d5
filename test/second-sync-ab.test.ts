// benchmarks/second-sync-ab.ts: two builds' nothing-changed full syncs measured
// in one process. Run here over this build against itself, small.
import { test } from 'uvu';
import { abRunner } from './support/engine-ab.js';

const ab = abRunner('second-sync-ab');

test('measures both builds round after round and prints their medians and the ratio', () => {
  ab.measured();
});

test('refuses to run without a base build or without a collector it can call', () => ab.refusesWithoutBaseOrGc());

test.run();
