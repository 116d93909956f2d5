// Benchmark: a full sync with nothing changed, two builds side by side in one
// process. This machine is shared and its speed moves between processes by
// more than most changes to the planner gain; two engines in one process, their
// syncs alternating on a settled heap, see the same machine.
//   node --expose-gc dist/benchmarks/second-sync-ab.js --a <dist of the base> [--b <dist>] [--devices 50000] [--rounds 6]
// A build is a `dist` directory (`npx tsc -p tsconfig.json --outDir <dir>` in a
// worktree of the base commit). Each engine runs a first full sync over a
// recorded organization (benchmarks/recorded-org.ts), then `rounds` syncs with
// nothing changed, A and B in turn (the order swapped every round). Prints one
// JSON line: each build's µs of CPU a device per round, their medians and B ÷ A.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { settle } from './settle.js';
import { abLine, engineAbArgs, engineBuild, recordedEngine } from './ab.js';
import type { Engine } from '../src/engine.js';

const USAGE = 'node --expose-gc dist/benchmarks/second-sync-ab.js --a <dist> [--b <dist>] [--devices 50000] [--rounds 6]';

const { a: base, b: other, devices, rounds } = engineAbArgs(USAGE, 50000);
const dir = mkdtempSync(join(tmpdir(), 'eas-ab-'));

interface Side {
  readonly engine: Engine;
  close(): Promise<void>;
}

/** An engine of the build at `root` over its own recorded organization, after its first full sync. */
async function side(root: string, tag: string): Promise<Side> {
  const build = await engineBuild(root);
  const rec = build.recorded;
  const sim = build.simulateOrganization({ devices, seed: 1 });
  const org = rec.recordedOrganization(await rec.recordAnswers(sim));
  const { engine, close } = await recordedEngine(build, sim, org, join(dir, `${tag}.ndjson`));
  const first = await engine.fullSync();
  if (!first.success) throw new Error(`${tag}: the first sync failed`);
  // Exchange as the first sync left it, recorded again: the next syncs find nothing to do.
  await rec.applyToSimulator(sim, org.commands);
  org.replace(await rec.recordAnswers(sim));
  return { engine, close };
}

async function timed(s: Side): Promise<number> {
  await settle(200);
  const c0 = process.cpuUsage();
  const r = await s.engine.fullSync();
  const c = process.cpuUsage(c0);
  if (!r.success || r.commands.issued > 0) throw new Error('a sync with nothing changed failed or issued commands');
  return +((c.user + c.system) / devices).toFixed(2);
}

try {
  const a = await side(base, 'a');
  const b = await side(other, 'b');
  const xa: number[] = [];
  const xb: number[] = [];
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      xa.push(await timed(a));
      xb.push(await timed(b));
    } else {
      xb.push(await timed(b));
      xa.push(await timed(a));
    }
  }
  await a.close();
  await b.close();
  process.stdout.write(
    abLine(
      { bench: 'second-sync-ab', devices, rounds },
      'cpuMicrosPerDevice',
      { dist: resolve(base), values: xa },
      { dist: resolve(other), values: xb },
    ),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
