// Benchmark: a first full sync, two builds side by side in one process (as
// second-sync-ab.ts does for a sync with nothing changed). Every round each
// build makes a fresh store and engine and runs a first full sync over its
// recorded organization (benchmarks/recorded-org.ts, recorded once per build),
// A and B in turn (the order swapped every round), on a settled heap.
//   node --expose-gc dist/benchmarks/first-sync-ab.js --a <dist of the base> [--b <dist>] [--devices 100000] [--rounds 6]
// Prints one JSON line: each build's µs of CPU a device per round, their
// medians and B ÷ A, and each build's median of fresh pages a device (page-faults.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { settle } from './settle.js';
import { abLine, engineAbArgs, engineBuild, median, recordedEngine } from './ab.js';
import { minorFaults } from './page-faults.js';

const USAGE = 'node --expose-gc dist/benchmarks/first-sync-ab.js --a <dist> [--b <dist>] [--devices 100000] [--rounds 6]';

const { a: base, b: other, devices, rounds } = engineAbArgs(USAGE, 100000);
const dir = mkdtempSync(join(tmpdir(), 'eas-first-ab-'));

/** A build's modules and its recorded organization's answers; `run` makes a store and an engine and times a first full sync. */
async function side(root: string, tag: string) {
  const build = await engineBuild(root);
  const sim = build.simulateOrganization({ devices, seed: 1 });
  const answers = await build.recorded.recordAnswers(sim);
  let n = 0;
  return async (): Promise<{ cpu: number; faults: number }> => {
    const org = build.recorded.recordedOrganization(answers);
    const { engine, close } = await recordedEngine(build, sim, org, join(dir, `${tag}-${n++}.ndjson`));
    await settle(200);
    const f0 = minorFaults();
    const c0 = process.cpuUsage();
    const r = await engine.fullSync();
    const c = process.cpuUsage(c0);
    const faults = minorFaults() - f0;
    await close();
    if (!r.success) throw new Error(`${tag}: a first sync failed`);
    return { cpu: +((c.user + c.system) / devices).toFixed(2), faults: +(faults / devices).toFixed(3) };
  };
}

try {
  const a = await side(base, 'a');
  const b = await side(other, 'b');
  const xa: Array<{ cpu: number; faults: number }> = [];
  const xb: Array<{ cpu: number; faults: number }> = [];
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      xa.push(await a());
      xb.push(await b());
    } else {
      xb.push(await b());
      xa.push(await a());
    }
  }
  process.stdout.write(
    abLine(
      {
        bench: 'first-sync-ab',
        devices,
        rounds,
        minorPageFaultsPerDevice: { a: median(xa.map((x) => x.faults)), b: median(xb.map((x) => x.faults)) },
      },
      'cpuMicrosPerDevice',
      { dist: resolve(base), values: xa.map((x) => x.cpu) },
      { dist: resolve(other), values: xb.map((x) => x.cpu) },
    ),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
