// Benchmark: the engine's start on EventStoreDB, with and without the snapshot
// in its stream (adapters/eventstoredb/snapshots.ts), after weeks of operation.
//   node dist/benchmarks/esdb-start.js [--devices 50000] [--days 30] [--rounds 3] [--log YEAR.ndjson]
// (--log: a log kept by `year-log.js --keep`, with its YEAR.ndjson.build.json, instead of building one.)
// The log is built as benchmarks/year-log.ts builds it (a file log), copied
// into the in-process EventStoreDB of the tests (run as a process of its own)
// with `eas-sync copy`; then the snapshot the engine writes after its daily
// full sync is saved to the snapshot stream (it covers the log up to the last
// day's full sync; the day's quick syncs after it are folded on top).
// Each start runs in a fresh child process with a new connection, as a
// restart would: open the store, then the engine's start path (src/start.ts)
// until the state is ready for the first quick sync. Rounds are interleaved,
// the best of each kept. Both starts must give the same state (its hash is
// compared). The server is a stand-in, in memory: the ratio between the two
// starts is the figure; absolute times on a real node differ.
// Prints one JSON object per line.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isLeft } from 'fp-ts/lib/Either.js';
import { createAppender } from '../src/append.js';
import { createStateLoader, type SnapshotNote } from '../src/start.js';
import { emptyOrgState, loadOrgState } from '../src/state.js';
import { snapshotText } from '../src/snapshot.js';
import { eventStoreDbStore, type EventStoreDbStore } from '../adapters/eventstoredb/index.js';
import { startServerChild } from './esdb-serve.js';
import { benchArgs } from './args.js';

const USAGE = 'node dist/benchmarks/esdb-start.js [--devices 50000] [--days 30] [--rounds 3] [--log YEAR.ndjson]';

const { values } = benchArgs(USAGE, {
  options: {
    devices: { type: 'string', default: '50000' },
    days: { type: 'string', default: '30' },
    rounds: { type: 'string', default: '3' },
    child: { type: 'string' },
    esdb: { type: 'string' },
    arg: { type: 'string' },
    log: { type: 'string' },
  },
});
const TARGET_SECONDS = 3;
const ORG = 'contoso';
const seconds = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e9;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

async function connect(spec: string): Promise<EventStoreDbStore> {
  const s = await eventStoreDbStore(spec);
  if (isLeft(s)) throw new Error(JSON.stringify(s.left));
  return s.right;
}

async function child(mode: string, spec: string, arg: string | undefined): Promise<unknown> {
  if (mode === 'snapshot') {
    // The snapshot the daily full sync leaves: the log folded up to its end, saved to the stream.
    const position = Number(arg);
    const store = await connect(spec);
    const all = await store.readAll();
    if (isLeft(all)) throw new Error(all.left.kind);
    const s = loadOrgState(ORG, all.right.slice(0, position + 1));
    if (isLeft(s)) throw new Error(s.left.message);
    const covers = { position, id: all.right[position]!.id };
    const t = process.hrtime.bigint();
    const text = snapshotText(s.right, covers);
    const saved = await store.snapshots(ORG).save(text, covers);
    if (isLeft(saved)) throw new Error(saved.left.message);
    const writeSeconds = seconds(t);
    await store.close();
    return { writeSeconds, chars: text.length, events: all.right.length };
  }
  // mode start: with or without the snapshot.
  const t = process.hrtime.bigint();
  const store = await connect(spec);
  const notes: SnapshotNote[] = [];
  const appender = createAppender(store, () => emptyOrgState(ORG), { schema: 1 });
  const snapshots = arg === 'snapshot' ? { store: store.snapshots(ORG), onNote: (n: SnapshotNote) => notes.push(n) } : undefined;
  const state = await createStateLoader(ORG, store, appender, snapshots).load();
  const startSeconds = seconds(t);
  const note = notes[0];
  if (arg === 'snapshot' && note?.kind !== 'loaded') throw new Error(`the snapshot was not used: ${JSON.stringify(note)}`);
  const stateSha256 = createHash('sha256')
    .update(snapshotText(state, { position: 0, id: '' }))
    .digest('hex');
  await store.close();
  return {
    startSeconds,
    folded: note !== undefined && 'events' in note ? note.events : undefined,
    stateSha256,
    rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
  };
}

function run(mode: string, spec: string, arg?: string): Record<string, unknown> {
  const r = spawnSync(
    process.execPath,
    ['--max-old-space-size=8192', fileURLToPath(import.meta.url), '--child', mode, '--esdb', spec, ...(arg ? ['--arg', arg] : [])],
    { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 },
  );
  if (r.status !== 0) throw new Error(`${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

function node(script: string, args: string[]): string {
  const r = spawnSync(process.execPath, ['--max-old-space-size=12288', fileURLToPath(new URL(script, import.meta.url)), ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  if (r.status !== 0) throw new Error(`${script} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

async function main(): Promise<void> {
  if (values.child) {
    process.stdout.write(`${JSON.stringify(await child(values.child, values.esdb!, values.arg))}\n`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'eas-esdb-start-'));
  const log = join(dir, 'log.ndjson');
  const server = await startServerChild();
  const common = { bench: 'esdb-start', node: process.version, devices: Number(values.devices), days: Number(values.days) };
  try {
    const source = values.log ?? log;
    const built = JSON.parse(
      values.log !== undefined
        ? readFileSync(`${values.log}.build.json`, 'utf8')
        : node('./year-log.js', ['--child', 'build', '--log', log, '--devices', values.devices, '--days', values.days])
            .trim()
            .split('\n')
            .pop()!,
    ) as { events: number; lastFullSyncEnd: number };
    const logBytes = statSync(source).size;
    let t = process.hrtime.bigint();
    node('../adapters/cli/main.js', ['copy', source, server.connectionString, '--json']);
    const copySeconds = seconds(t);
    rmSync(log, { force: true });
    t = process.hrtime.bigint();
    const snap = run('snapshot', server.connectionString, String(built.lastFullSyncEnd));
    process.stdout.write(
      `${JSON.stringify({ ...common, events: built.events, fileLogMb: round3(logBytes / 2 ** 20), copySeconds: round3(copySeconds), snapshot: { covers: built.lastFullSyncEnd, ...snap } })}\n`,
    );
    const best: Record<string, Record<string, unknown>> = {};
    const modes = ['log', 'snapshot'];
    for (let i = 0; i < Number(values.rounds); i++) {
      for (const mode of modes) {
        const m = run('start', server.connectionString, mode);
        if (!best[mode] || (m.startSeconds as number) < (best[mode].startSeconds as number)) best[mode] = m;
      }
    }
    for (const mode of modes) {
      const m = best[mode]!;
      process.stdout.write(
        `${JSON.stringify({ ...common, from: mode === 'log' ? 'log only ($all from its start)' : 'snapshot stream + $all after it', ...m, startSeconds: round3(m.startSeconds as number) })}\n`,
      );
    }
    const same = best.log!.stateSha256 === best.snapshot!.stateSha256;
    process.stdout.write(
      `${JSON.stringify({
        ...common,
        goal: 5,
        figure: 'start with the snapshot, s (in-process stand-in server)',
        value: round3(best.snapshot!.startSeconds as number),
        target: `< ${TARGET_SECONDS}`,
        met: (best.snapshot!.startSeconds as number) < TARGET_SECONDS,
        logOverSnapshot: round3((best.log!.startSeconds as number) / (best.snapshot!.startSeconds as number)),
        sameState: same,
      })}\n`,
    );
    if (!same) throw new Error('the start from the snapshot gave another state than the start from the log');
  } finally {
    server.child.stdin?.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
