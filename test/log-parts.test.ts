// Folding a log in parts: how many threads. Two only for a large log when a
// core is free for the second; an explicit choice is kept.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { chooseThreads, threadsFor } from '../adapters/log/parts.js';

const test = suite('log parts');
const MiB = 1024 * 1024;

test('two threads for a log of 64 MiB or more on 2 cores when the other core is idle; one when it is busy or the log is small', () => {
  assert.is(chooseThreads(300 * MiB, 2, 0.1), 2);
  assert.is(chooseThreads(300 * MiB, 2, 1.4), 2);
  assert.is(chooseThreads(300 * MiB, 2, 1.5), 1, 'another process keeps most of a core');
  assert.is(chooseThreads(300 * MiB, 2, 3.4), 1);
  assert.is(chooseThreads(63 * MiB, 2, 0), 1, 'below 64 MiB a worker costs more than it saves');
  assert.is(chooseThreads(300 * MiB, 1, 0), 1);
  assert.is(chooseThreads(300 * MiB, 8, 5), 2);
});

test("a what-if takes two threads only from 3 cores: on 2 its threads' collectors compete for the one other core", () => {
  assert.is(chooseThreads(300 * MiB, 2, 0.1, 3), 1);
  assert.is(chooseThreads(300 * MiB, 3, 0.1, 3), 2);
  assert.is(chooseThreads(300 * MiB, 3, 2.5, 3), 1, 'another process keeps most of a core');
  assert.is(chooseThreads(63 * MiB, 8, 0, 3), 1);
  assert.is(threadsFor(300 * MiB, { threads: 2 }, 'what-if'), 2, 'an explicit count is kept');
});

test('never more than two threads, never fewer than one; an explicit count is kept (property)', () => {
  fc.assert(
    fc.property(
      fc.nat({ max: 2 ** 40 }),
      fc.integer({ min: 1, max: 64 }),
      fc.double({ min: 0, max: 100, noNaN: true }),
      fc.integer({ min: 0, max: 8 }),
      (size, cores, load, minCores) => {
        const n = chooseThreads(size, cores, load, minCores);
        assert.ok(n === 1 || n === 2);
        if (n === 2) assert.ok(size >= 64 * MiB && cores >= 2 && cores >= minCores && load < cores - 0.5);
      },
    ),
  );
  assert.is(threadsFor(1, { threads: 3 }), 3);
  assert.is(threadsFor(10 * 2 ** 30, { threads: 0 }), 1);
});

test.run();
