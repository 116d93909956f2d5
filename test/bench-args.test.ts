// The benchmarks' command lines (benchmarks/args.ts): a mistyped option or a
// number option given text stops the run at once, with what was wrong and the
// usage, before anything is generated or measured.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bench = (name: string, ...args: string[]) =>
  spawnSync(process.execPath, [fileURLToPath(new URL(`../benchmarks/${name}.js`, import.meta.url)), ...args], {
    encoding: 'utf8',
    timeout: 30_000,
  });

test('an unknown option is named with the usage, exit code 2, no stack trace', () => {
  const r = bench('full-sync', '--devise', '5000');
  assert.is(r.status, 2);
  assert.match(r.stderr, "Unknown option '--devise'");
  assert.match(r.stderr, 'usage: npm run bench -- [--devices 5000,50000]');
  assert.not.match(r.stderr, '    at ');
  assert.is(r.stdout, '');
});

test('a number option given text is refused with what it expected and what it got', () => {
  const r = bench('full-sync', '--devices', '5k');
  assert.is(r.status, 2);
  assert.match(r.stderr, '--devices: expected a number or numbers separated by commas, got "5k"');
  // An option without a default can be named a number option too.
  const exceptions = bench('full-sync', '--exceptions', 'many');
  assert.is(exceptions.status, 2);
  assert.match(exceptions.stderr, '--exceptions: expected a number, got "many"');
  const one = bench('replay', '--rounds', 'two');
  assert.is(one.status, 2);
  assert.match(one.stderr, '--rounds: expected a number, got "two"');
  assert.match(one.stderr, 'usage: node dist/benchmarks/replay.js');
});

test('options that are not numbers (a directory, a log) take any text', () => {
  // --keep takes a directory: refused only for the unknown option after it, not for its own text.
  const r = bench('year-log', '--keep', 'some dir', '--nope');
  assert.is(r.status, 2);
  const [first] = r.stderr.split('\n');
  assert.match(first!, "Unknown option '--nope'");
  assert.not.match(first!, '--keep');
});

test.run();
