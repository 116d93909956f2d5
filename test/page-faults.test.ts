// The benchmarks' count and price of fresh pages (benchmarks/page-faults.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { minorFaults, pageFaultMicros, withFaults } from '../benchmarks/page-faults.js';

// Linux counts minor faults; elsewhere the figures are reported as absent, not as zero cost.
const counted = process.platform === 'linux';

test('counts the pages a fresh buffer takes when it is first written', async () => {
  if (!counted) return;
  const size = 8 * 1024 * 1024;
  const { faults } = await withFaults(async () => {
    const b = Buffer.alloc(size);
    b.fill(7);
    return b.length;
  });
  // One fault a page at most (4 KiB pages), and far more than none: huge pages would take fewer.
  assert.ok(faults > 0, `faults: ${faults}`);
  assert.ok(faults <= size / 4096 + 64, `faults: ${faults}`);
});

test('the count only grows', () => {
  const a = minorFaults();
  Buffer.alloc(1024 * 1024).fill(1);
  assert.ok(minorFaults() >= a);
});

test('prices a fresh page where faults are counted', () => {
  const micros = pageFaultMicros(1);
  if (!counted) return assert.is(micros, undefined);
  assert.type(micros, 'number');
  assert.ok(micros! > 0, `µs a page: ${micros}`);
});

test.run();
