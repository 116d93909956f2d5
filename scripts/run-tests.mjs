// Runs every compiled test file in its own process (two at a time: this is a
// 2-core machine), echoes their output, and ends with the plain summary line
// `N passed, N failed` that CI reads. A file that crashes before uvu prints its
// totals counts as one failure, so a broken file can never pass silently.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = new URL('../dist/test/', import.meta.url).pathname;
const filter = process.argv[2];
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.test.js') && (!filter || f.includes(filter)))
  .sort();
const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');

function runOne(file) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(dir, file)], {
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => {
      const text = strip(out);
      const total = Number(/Total:\s+(\d+)/.exec(text)?.[1] ?? NaN);
      const passed = Number(/Passed:\s+(\d+)/.exec(text)?.[1] ?? NaN);
      const skipped = Number(/Skipped:\s+(\d+)/.exec(text)?.[1] ?? 0);
      let p = 0, f = 0;
      if (Number.isFinite(total) && Number.isFinite(passed)) {
        p = passed;
        // uvu's Total counts the tests that ran; skipped ones are not in it.
        f = total - passed;
        void skipped;
        if (code !== 0 && f === 0) f = 1;
      } else {
        f = 1;
      }
      resolve({ file, code, text, passed: p, failed: f });
    });
  });
}

const queue = [...files];
const results = [];
async function worker() {
  while (queue.length) {
    const file = queue.shift();
    const r = await runOne(file);
    process.stdout.write(`\n# ${file} (exit ${r.code})\n${r.text}`);
    results.push(r);
  }
}
await Promise.all([worker(), worker()]);
const passed = results.reduce((a, r) => a + r.passed, 0);
const failed = results.reduce((a, r) => a + r.failed, 0);
const bad = results.filter((r) => r.failed > 0).map((r) => r.file);
if (files.length === 0) console.log('no test files found');
if (bad.length) console.log(`\nfailing files: ${bad.join(', ')}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || files.length === 0 ? 1 : 0);
