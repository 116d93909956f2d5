// Runs every compiled test file in its own process (two at a time: this is a
// 2-core machine), echoes their output, and ends with the plain summary line
// `N passed, N failed` that CI reads. A file that crashes before uvu prints its
// totals counts as one failure, so a broken file can never pass silently.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = new URL('../dist/test/', import.meta.url).pathname;
const filter = process.argv[2];
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.test.js') && (!filter || f.includes(filter)))
  .sort();
const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '');

// The real-PowerShell tests (pwsh-*.test.js) need pwsh 7: looked for once here
// (EAS_PWSH_PATH, then .tools/pwsh/pwsh as .ci/run installs it, then PATH) and
// passed on, so that a skip is said once, plainly, rather than by every file.
function probePwsh() {
  const repo = new URL('../.tools/pwsh/pwsh', import.meta.url).pathname;
  const candidates = [process.env.EAS_PWSH_PATH, existsSync(repo) ? repo : undefined, 'pwsh'].filter(Boolean);
  const why = [];
  for (const path of candidates) {
    const r = spawnSync(path, ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', '$PSVersionTable.PSVersion.ToString()'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (r.error) {
      why.push(`${path}: ${r.error.code ?? r.error.message}`);
      continue;
    }
    const version = r.stdout.trim();
    if (r.status !== 0 || !/^\d+\.\d+/.test(version)) {
      why.push(`${path}: exited ${r.status}`);
      continue;
    }
    if (Number(version.split('.')[0]) < 7) {
      why.push(`${path}: PowerShell ${version} is older than 7`);
      continue;
    }
    return { path, version };
  }
  return {
    reason: `no PowerShell 7 starts here (${why.join('; ')}); bash .ci/run installs it (dotnet tool install --tool-path .tools/pwsh PowerShell --version 7.6.10)`,
  };
}
const pwshEnv = {};
let pwshNote;
if (files.some((f) => f.startsWith('pwsh-'))) {
  const p = probePwsh();
  if (p.path) Object.assign(pwshEnv, { EAS_PWSH: p.path, EAS_PWSH_VERSION: p.version });
  else {
    Object.assign(pwshEnv, { EAS_PWSH_SKIPPED: p.reason });
    pwshNote =
      process.env.EAS_REQUIRE_PWSH === '1'
        ? `real-PowerShell tests FAILED to start (EAS_REQUIRE_PWSH=1): ${p.reason}`
        : `real-PowerShell tests skipped: ${p.reason}`;
  }
}

function runOne(file) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(dir, file)], {
      env: { ...process.env, ...pwshEnv, NO_COLOR: '1', FORCE_COLOR: '0' },
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
      let p = 0,
        f = 0;
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
if (pwshNote) console.log(`\n${pwshNote}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || files.length === 0 ? 1 : 0);
