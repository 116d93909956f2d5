// Benchmark: the engine's start after a year of operation, with and without a snapshot.
//   node dist/benchmarks/year-log.js [--devices 50000] [--days 365] [--rounds 2] [--keep DIR]
// The log is built by benchmarks/year-log-build.ts (real days with the engine
// and the simulator, the rest copied from them; see there and the README).
// The snapshot is the one the engine writes after its daily full sync: it
// covers the log up to the last day's full sync, and the day's quick syncs
// after it are folded on top.
// Each phase runs in a fresh child process (as a restart would); start =
// open the file store (lock, scan of the whole log), then the engine's start
// path (src/start.ts: snapshot read and checked, the log after it folded):
// the state is then ready for the first quick sync. Rounds are interleaved,
// the best of each kept. Prints one JSON object per line.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isLeft } from 'fp-ts/lib/Either.js';
import { createAppender } from '../src/append.js';
import { createStateLoader, type SnapshotNote } from '../src/start.js';
import { emptyOrgState, loadOrgState } from '../src/state.js';
import { parseSnapshot, snapshotText } from '../src/snapshot.js';
import { logIndexPath, openFileStore } from '../adapters/file-store/index.js';
import { fileSnapshotStore } from '../adapters/file-store/snapshot.js';
import { buildYearLog } from './year-log-build.js';
import { benchArgs } from './args.js';

const USAGE = 'node dist/benchmarks/year-log.js [--devices 50000] [--days 365] [--rounds 2] [--keep DIR]';

const { values } = benchArgs(USAGE, {
  options: {
    devices: { type: 'string', default: '50000' },
    days: { type: 'string', default: '365' },
    rounds: { type: 'string', default: '2' },
    keep: { type: 'string' },
    reuse: { type: 'boolean' },
    child: { type: 'string' },
    log: { type: 'string' },
    arg: { type: 'string' },
  },
});
const TARGET_SECONDS = 3;
const ORG = 'contoso';
const seconds = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e9;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

async function child(mode: string, log: string, arg: string | undefined): Promise<unknown> {
  if (mode === 'build') {
    const sizes: number[] = [];
    const t = process.hrtime.bigint();
    const y = await buildYearLog({
      path: log,
      devices: Number(values.devices),
      days: Number(values.days),
      onDay: () => sizes.push(statSync(log).size),
    });
    return { ...y, dayBytes: sizes, buildSeconds: seconds(t), dayEnds: undefined, ends: y.dayEnds };
  }
  if (mode === 'floor') {
    // What any reader of the file pays at least: its bytes read in 8 MiB chunks and its lines found.
    const t = process.hrtime.bigint();
    const fh = await open(log, 'r');
    const buf = Buffer.alloc(8 * 2 ** 20);
    let lines = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      for (let i = buf.indexOf(10); i >= 0 && i < bytesRead; i = buf.indexOf(10, i + 1)) lines++;
    }
    await fh.close();
    return { readSeconds: seconds(t), lines };
  }
  if (mode === 'snapread') {
    // The snapshot's share of a start: file read and checksum, then JSON.parse and checks.
    const t = process.hrtime.bigint();
    const text = await fileSnapshotStore(log).load();
    if (isLeft(text) || text.right === undefined) throw new Error('no snapshot');
    const readSeconds = seconds(t);
    const t1 = process.hrtime.bigint();
    const parsed = parseSnapshot(ORG, text.right);
    if (isLeft(parsed)) throw new Error(parsed.left);
    return { readSeconds, parseSeconds: seconds(t1) };
  }
  if (mode === 'snapshot') {
    // What the engine writes after the last full sync: the state up to it.
    const position = Number(arg);
    const store = await openFileStore(log, { readOnly: true });
    if (isLeft(store)) throw new Error(store.left.kind);
    const all = await store.right.readAll();
    if (isLeft(all)) throw new Error(all.left.kind);
    const s = loadOrgState(ORG, all.right.slice(0, position + 1));
    if (isLeft(s)) throw new Error(s.left.message);
    const t = process.hrtime.bigint();
    const covers = { position, id: all.right[position]!.id };
    const text = snapshotText(s.right, covers);
    const saved = await fileSnapshotStore(log).save(text, covers);
    if (isLeft(saved)) throw new Error(saved.left.message);
    return { writeSeconds: seconds(t), bytes: statSync(`${log}.snapshot`).size };
  }
  // mode start: with or without the snapshot; `noindex` removes the store's saved index first.
  const [from, index] = (arg ?? 'log').split('+');
  if (index === 'noindex') rmSync(logIndexPath(log), { force: true });
  const t0 = process.hrtime.bigint();
  // As `eas-sync serve` starts: the snapshot is read while the log's index is checked.
  const snapshotStore = fileSnapshotStore(log);
  if (from === 'snapshot' && process.env.NOPREFETCH === undefined) snapshotStore.prefetch();
  const store = await openFileStore(log);
  if (isLeft(store)) throw new Error(store.left.kind);
  const openSeconds = seconds(t0);
  const t1 = process.hrtime.bigint();
  const notes: SnapshotNote[] = [];
  const appender = createAppender(store.right, () => emptyOrgState(ORG), { schema: 1 });
  const snapshots = from === 'snapshot' ? { store: snapshotStore, onNote: (n: SnapshotNote) => notes.push(n) } : undefined;
  const state = await createStateLoader(ORG, store.right, appender, snapshots).load();
  const foldSeconds = seconds(t1);
  const startSeconds = seconds(t0);
  let devices = 0;
  for (const m of state.mailboxes.values()) devices += Object.keys(m.devices).length;
  await store.right.close();
  const mem = process.memoryUsage();
  return {
    openSeconds,
    foldSeconds,
    startSeconds,
    devices,
    note: notes[0],
    logIndex: store.right.logIndex,
    rssMB: Math.round(mem.rss / 2 ** 20),
  };
}

function run(mode: string, log: string, arg?: string): Record<string, unknown> {
  const r = spawnSync(
    process.execPath,
    [
      '--max-old-space-size=12288',
      fileURLToPath(import.meta.url),
      '--child',
      mode,
      '--log',
      log,
      ...(arg ? ['--arg', arg] : []),
      '--devices',
      values.devices,
      '--days',
      values.days,
    ],
    { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 },
  );
  if (r.status !== 0) throw new Error(`${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

async function main(): Promise<void> {
  if (values.child) {
    process.stdout.write(`${JSON.stringify(await child(values.child, values.log!, values.arg))}\n`);
    return;
  }
  const dir = values.keep ?? mkdtempSync(join(tmpdir(), 'eas-year-'));
  const log = join(dir, 'year.ndjson');
  try {
    // --reuse with --keep: the log and snapshot of an earlier run in that directory.
    const saved = `${log}.build.json`;
    const built = (values.reuse === true && existsSync(saved) ? JSON.parse(readFileSync(saved, 'utf8')) : run('build', log)) as {
      events: number;
      firstSyncEvents: number;
      ends: number[];
      dayBytes: number[];
      lastFullSyncEnd: number;
      buildSeconds: number;
    };
    writeFileSync(saved, JSON.stringify(built));
    const days = Number(values.days);
    const bytes = statSync(log).size;
    const ends = built.ends;
    // Sizes after the first full sync, then after each day.
    const [firstBytes, ...dayBytes] = built.dayBytes as [number, ...number[]];
    // Growth per day after the first full sync, over the whole year (real and copied days alike).
    const perDay = {
      events: round3((ends[ends.length - 1]! - built.firstSyncEvents) / days),
      bytes: Math.round((bytes - firstBytes) / days),
      realDay0: { events: ends[0]! - built.firstSyncEvents, bytes: dayBytes[0]! - firstBytes },
      realDay1WithPolicyChange: { events: ends[1]! - ends[0]!, bytes: dayBytes[1]! - dayBytes[0]! },
    };
    const snap = run('snapshot', log, String(built.lastFullSyncEnd));
    const floor = run('floor', log);
    const snapRead = run('snapread', log);
    process.stdout.write(
      `${JSON.stringify({
        bench: 'year-log',
        devices: Number(values.devices),
        days,
        logBytes: bytes,
        events: built.events,
        firstFullSyncEvents: built.firstSyncEvents,
        perDay,
        buildSeconds: round3(built.buildSeconds),
        snapshot: {
          bytes: snap.bytes,
          writeSeconds: round3(snap.writeSeconds as number),
          coversPosition: built.lastFullSyncEnd,
          tailEvents: built.events - 1 - built.lastFullSyncEnd,
        },
      })}\n`,
    );
    process.stdout.write(
      `${JSON.stringify({ bench: 'year-read-floor', readSeconds: round3(floor.readSeconds as number), lines: floor.lines })}\n`,
    );
    process.stdout.write(
      `${JSON.stringify({ bench: 'year-snapshot-read', readAndChecksumSeconds: round3(snapRead.readSeconds as number), parseSeconds: round3(snapRead.parseSeconds as number) })}\n`,
    );
    const best: Record<string, Record<string, unknown>> = {};
    // Without the store's index (removed before the run; the run saves it again), then with it.
    const modes = ['log+noindex', 'snapshot+noindex', 'snapshot+index'];
    for (let r = 0; r < Number(values.rounds); r++) {
      for (const mode of modes) {
        const m = run('start', log, mode);
        if (!best[mode] || (m.startSeconds as number) < (best[mode].startSeconds as number)) best[mode] = m;
      }
    }
    for (const mode of modes) {
      const m = best[mode]!;
      process.stdout.write(
        `${JSON.stringify({
          bench: 'year-start',
          from: mode.startsWith('log') ? 'log only' : 'snapshot + log after it',
          storeIndex: mode.endsWith('+index') ? 'saved index + lines after it' : 'every line checked',
          openSeconds: round3(m.openSeconds as number),
          foldSeconds: round3(m.foldSeconds as number),
          startSeconds: round3(m.startSeconds as number),
          target: TARGET_SECONDS,
          met: (m.startSeconds as number) < TARGET_SECONDS,
          devices: m.devices,
          rssMB: m.rssMB,
          note: m.note,
          logIndex: m.logIndex,
        })}\n`,
      );
    }
    const ratio = (best['log+noindex']!.foldSeconds as number) / (best['snapshot+noindex']!.foldSeconds as number);
    const openRatio = (best['snapshot+noindex']!.openSeconds as number) / (best['snapshot+index']!.openSeconds as number);
    process.stdout.write(
      `${JSON.stringify({ bench: 'year-start-ratio', foldWithoutOverWith: round3(ratio), openWithoutOverWithIndex: round3(openRatio) })}\n`,
    );
  } finally {
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
