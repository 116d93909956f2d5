// Benchmark: `replayFile` on one thread, two builds side by side in one
// process (see second-sync-ab.ts for why: this machine's speed moves between
// processes by more than a change to the readers gains).
//   node dist/benchmarks/replay-ab.js --a <dist of the base> [--b <dist>] --log <file log> [--rounds 5]
// Each round replays the log once with each build, on one thread, the order
// swapped every round; both must give the same summary. Prints one JSON line:
// each build's milliseconds per round, their medians and B ÷ A.
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs } from './args.js';
import { abLine } from './ab.js';

const USAGE = 'node dist/benchmarks/replay-ab.js --a <dist> [--b <dist>] --log <file> [--rounds 5]';

const { values } = benchArgs(USAGE, {
  options: {
    a: { type: 'string' },
    b: { type: 'string' },
    log: { type: 'string' },
    rounds: { type: 'string', default: '5' },
  },
});
if (values.a === undefined || values.log === undefined) {
  process.stderr.write(`${values.a === undefined ? '--a' : '--log'} is required\nusage: ${USAGE}\n`);
  process.exit(2);
}
const log = values.log;
const rounds = Number(values.rounds);
// This build's own dist (…/dist/benchmarks/replay-ab.js) is B by default.
const here = resolve(fileURLToPath(import.meta.url), '..', '..');

type ReplayFile = (typeof import('../adapters/log/index.js'))['replayFile'];

async function replayOf(root: string): Promise<ReplayFile> {
  return ((await import(join(resolve(root), 'adapters/log/index.js'))) as typeof import('../adapters/log/index.js')).replayFile;
}

/** Milliseconds of one replay on one thread, and what it found (to compare the builds). */
async function timed(replay: ReplayFile): Promise<{ ms: number; summary: string }> {
  const t0 = performance.now();
  const r = await replay(log, { threads: 1 });
  const ms = performance.now() - t0;
  if (r._tag === 'Left') throw new Error(`${log}: ${JSON.stringify(r.left)}`);
  const { events, devices, access } = r.right.replay;
  return { ms, summary: JSON.stringify({ events, devices, access, errors: r.right.errors.length }) };
}

const a = await replayOf(values.a);
const b = await replayOf(values.b ?? here);
const xa: number[] = [];
const xb: number[] = [];
for (let i = 0; i < rounds; i++) {
  // By side, not by function: a build measured against itself is one module, its replayFile the same function.
  const ra = i % 2 === 0 ? await timed(a) : undefined;
  const rb = await timed(b);
  const ra2 = ra ?? (await timed(a));
  if (ra2.summary !== rb.summary) throw new Error(`the builds replay ${log} differently: ${ra2.summary} against ${rb.summary}`);
  xa.push(+ra2.ms.toFixed(2));
  xb.push(+rb.ms.toFixed(2));
}
process.stdout.write(
  abLine(
    { bench: 'replay-ab', log, rounds },
    'ms',
    { dist: resolve(values.a), values: xa },
    { dist: resolve(values.b ?? here), values: xb },
  ),
);
