// Benchmark: replaying a file log against the floor of any NDJSON reader, the
// explain of one device in a large log, and what-if over 50,000 devices.
//   node dist/benchmarks/replay.js [--events 1000000] [--devices 5000] [--whatif-devices 50000] [--rounds 2] [--keep DIR]
// Each measurement runs in a fresh child process, as a CLI invocation would.
//
// The log is built (benchmarks/replay-log.ts) from the engine's own output: a simulated organization of
// --devices partnerships goes through three full syncs (the first; one after
// compliance changes, removed and new partnerships; one after a policy change),
// and its mailbox streams are then replicated under new names (mailbox
// identities, device ids, command ids get a copy suffix) until the log has
// --events lines. Every line is a valid event; every copy is a realistic
// history.
//
// In one run, interleaved --rounds times (best of each kept):
//   floor:   read the file in 8 MiB chunks, decode each line, JSON.parse it (one thread)
//   split:   the same with each chunk decoded whole and split (a conventional reader)
//   replay:  `replayFile`, what `eas-sync replay LOG` does: every line's envelope,
//            position and revision checked, every event decoded against the
//            schema, folded into the replay projections; on two threads for a
//            log this large (each reads every byte and parses the lines of its
//            own streams), so its CPU time is reported too
//   replay1: the same on one thread (and its result must equal replay's)
//   reader:  the file store's streaming reader alone (one thread, every line's envelope, position,
//            revision and id checked, nothing folded): what replay1 spends beyond it is the
//            schema decode and the fold
// The floor reads the same bytes in the same chunks and decodes the same lines
// the same way (each on its own) as replay's reader; ratio = floor time ÷
// replay time in the same run (ratio1 for replay1).
// Also JSON.parse alone over lines already in memory (parseOnly), for reference.
// what-if: `whatIfFile` as `eas-sync what-if` runs it (first round cold), and on
// one thread (its result must be the same), in a fresh process.
// Prints one JSON object per line.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { Policy, StoredEvent } from '../src/index.js';
import { whatIf } from '../projections/index.js';
import { baseLog, writeReplicated } from './replay-log.js';
import { replayFile, foldLogFile, explainFile, whatIfFile } from '../adapters/log/index.js';
import { benchArgs } from './args.js';
import { minorFaults, pageFaultMicros } from './page-faults.js';

const USAGE = 'node dist/benchmarks/replay.js [--events 1000000] [--devices 5000] [--whatif-devices 50000] [--rounds 2] [--keep DIR]';

const { values } = benchArgs(USAGE, {
  options: {
    events: { type: 'string', default: '1000000' },
    devices: { type: 'string', default: '5000' },
    'whatif-devices': { type: 'string', default: '50000' },
    rounds: { type: 'string', default: '2' },
    keep: { type: 'string' },
    child: { type: 'string' },
    log: { type: 'string' },
    arg: { type: 'string' },
  },
});
const EVENTS = Number(values.events);
const BASE_DEVICES = Number(values.devices);
const WHATIF_DEVICES = Number(values['whatif-devices']);
const ROUNDS = Math.max(1, Number(values.rounds));
const out = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');

// ------------------------------------------------------------------ measurements
/**
 * The floor of an NDJSON reader: read the file in 8 MiB chunks and JSON.parse
 * every line. `perLine` decodes each line on its own (the fastest way found, and
 * what the file store's reader does, for folds and for opening a store alike);
 * otherwise the chunk is decoded and split (what most readers do).
 */
async function floor(path: string, perLine: boolean): Promise<{ ms: number; lines: number }> {
  const t0 = performance.now();
  const fh = await open(path, 'r');
  let lines = 0;
  try {
    let buf = Buffer.allocUnsafe(8 * 1024 * 1024);
    let carry = 0;
    let offset = 0;
    for (;;) {
      if (carry === buf.length) {
        const b = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(b, 0, 0, carry);
        buf = b;
      }
      const { bytesRead } = await fh.read(buf, carry, buf.length - carry, offset + carry);
      if (bytesRead === 0) break;
      const end = carry + bytesRead;
      const last = buf.lastIndexOf(10, end - 1);
      if (last < 0) {
        carry = end;
        continue;
      }
      if (perLine) {
        for (let s = 0, nl = buf.indexOf(10, 0); nl >= 0 && nl <= last; s = nl + 1, nl = buf.indexOf(10, s)) {
          JSON.parse(buf.toString('utf8', s, nl));
          lines++;
        }
      } else {
        const parts = buf.toString('utf8', 0, last).split('\n');
        for (let i = 0; i < parts.length; i++) {
          JSON.parse(parts[i]!);
          lines++;
        }
      }
      buf.copy(buf, 0, last + 1, end);
      offset += last + 1;
      carry = end - (last + 1);
    }
  } finally {
    await fh.close();
  }
  return { ms: performance.now() - t0, lines };
}

function parseOnly(path: string, maxLines: number): { ms: number; lines: number } {
  const fd = openSync(path, 'r');
  const head = Buffer.allocUnsafe(Math.min(statSync(path).size, maxLines * 2048));
  let n = 0;
  try {
    for (let r = 1; r > 0 && n < head.length; n += r) r = readSync(fd, head, n, head.length - n, n);
  } finally {
    closeSync(fd);
  }
  // Each line a string of its own (as the readers hand them to JSON.parse), then timed alone, best of 3.
  const lines: string[] = [];
  for (let s = 0, nl = head.indexOf(10, 0); nl >= 0 && nl < n && lines.length < maxLines; s = nl + 1, nl = head.indexOf(10, s))
    lines.push(head.toString('utf8', s, nl));
  let ms = Infinity;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    for (let i = 0; i < lines.length; i++) JSON.parse(lines[i]!);
    ms = Math.min(ms, performance.now() - t0);
  }
  return { ms, lines: lines.length };
}

/** The reader as a one-thread replay runs it (foldLogFile), with nothing folded: every line checked, each event dropped. */
async function readerOnly(path: string): Promise<number> {
  const t0 = performance.now();
  const r = await foldLogFile(path, () => undefined);
  if (isLeft(r)) throw new Error(`reader: ${JSON.stringify(r.left)}`);
  return performance.now() - t0;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rate = (lines: number, ms: number) => Math.round(lines / (ms / 1000));

/** Runs one measurement in a fresh process (as a CLI invocation would be), returning its JSON line. */
function child(args: string[]): Record<string, unknown> {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`child ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

async function childMain(kind: string, log: string, arg: string | undefined): Promise<object> {
  if (kind === 'replay') {
    const floors: number[] = [];
    const splits: number[] = [];
    const replays: number[] = [];
    const replays1: number[] = [];
    const readers: number[] = [];
    const cpus: number[] = [];
    // Fresh pages touched by the floor and by the one-thread replay (page-faults.ts), fewest of the rounds.
    let floorFaults = Infinity;
    let replay1Faults = Infinity;
    let lines = 0;
    let threads = 0;
    let check: object = {};
    // The replay's result without the part that differs by design between threads (none should).
    const outcome = (rep: Awaited<ReturnType<typeof replayFile>>) => {
      if (isLeft(rep)) throw new Error('replay failed');
      const { state: _s, ...replayed } = rep.right.replay as typeof rep.right.replay & { state?: unknown };
      return JSON.stringify({ replayed, fold: rep.right.fold, errors: rep.right.errors });
    };
    for (let r = 0; r < ROUNDS; r++) {
      const f0 = minorFaults();
      const f = await floor(log, true);
      floors.push(f.ms);
      floorFaults = Math.min(floorFaults, minorFaults() - f0);
      splits.push((await floor(log, false)).ms);
      lines = f.lines;
      // As `eas-sync replay` runs (on two threads for a log this large), then on one thread.
      const c0 = process.cpuUsage();
      const t = performance.now();
      const rep = await replayFile(log);
      replays.push(performance.now() - t);
      const c = process.cpuUsage(c0);
      cpus.push((c.user + c.system) / 1000);
      const r0 = minorFaults();
      const t1 = performance.now();
      const rep1 = await replayFile(log, { threads: 1 });
      replays1.push(performance.now() - t1);
      replay1Faults = Math.min(replay1Faults, minorFaults() - r0);
      readers.push(await readerOnly(log));
      if (isLeft(rep) || isLeft(rep1)) throw new Error('replay failed');
      if (rep.right.replay.events !== lines) throw new Error(`replay read ${rep.right.replay.events} events of ${lines} lines`);
      if (outcome(rep) !== outcome(rep1)) throw new Error('replay on several threads differs from replay on one');
      threads = rep.right.threads;
      check = {
        events: rep.right.replay.events,
        devices: rep.right.replay.devices,
        errors: rep.right.errors.length,
        access: rep.right.replay.access,
      };
    }
    const po = parseOnly(log, 200_000);
    return {
      floorMs: Math.min(...floors),
      splitMs: Math.min(...splits),
      replayMs: Math.min(...replays),
      replay1Ms: Math.min(...replays1),
      readerMs: Math.min(...readers),
      replayCpuMs: Math.min(...cpus),
      threads,
      lines,
      parseOnly: po,
      replayed: check,
      floorMinorPageFaults: floorFaults,
      replay1MinorPageFaults: replay1Faults,
      pageFaultMicros: pageFaultMicros() ?? null,
    };
  }
  if (kind === 'explain') {
    const ms: number[] = [];
    let out: object = {};
    for (let r = 0; r < Math.max(3, ROUNDS); r++) {
      const t = performance.now();
      const x = await explainFile(log, arg!);
      ms.push(performance.now() - t);
      if (isLeft(x)) throw new Error(`explain failed: ${x.left.message}`);
      out = {
        via: x.right.via,
        parsedLines: x.right.parsedLines,
        access: x.right.explanation.access,
        reason: x.right.explanation.reason,
        timeline: x.right.explanation.timeline.length,
      };
    }
    return { ms, ...out };
  }
  // what-if: the file command (streamed; the first round is cold, as a CLI run is), then the pure function over events in memory.
  const policy = JSON.parse(readFileSync(arg!, 'utf8')) as Policy;
  const fileMs: number[] = [];
  const file1Ms: number[] = [];
  let changes = 0;
  let devices = 0;
  let threads = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t = performance.now();
    const res = await whatIfFile(log, policy);
    fileMs.push(performance.now() - t);
    const t1 = performance.now();
    const res1 = await whatIfFile(log, policy, { threads: 1 });
    file1Ms.push(performance.now() - t1);
    if (isLeft(res) || isLeft(res1)) throw new Error('what-if failed');
    if (JSON.stringify(res.right.result) !== JSON.stringify(res1.right.result))
      throw new Error('what-if on several threads differs from what-if on one');
    changes = res.right.result.changes.length;
    devices = res.right.result.devices;
    threads = res.right.threads;
  }
  const events: StoredEvent[] = [];
  await foldLogFile(log, (e) => events.push(e));
  const pureMs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = performance.now();
    whatIf(events, policy);
    pureMs.push(performance.now() - t);
  }
  return { fileMs, file1Ms, threads, pureMs, changes, devices };
}

async function main() {
  const dir = values.keep ?? mkdtempSync(join(tmpdir(), 'eas-bench-replay-'));
  mkdirSync(dir, { recursive: true });
  try {
    const g0 = performance.now();
    const base = await baseLog(BASE_DEVICES);
    const orgEvents = base.events.filter((e) => !e.stream.startsWith('eas-mailbox-')).length;
    const perCopy = base.events.length - orgEvents;
    const devicesPerCopy = new Set(
      base.events.filter((e) => e.type === 'PartnershipDiscovered').map((e) => (e.data as { deviceId: string }).deviceId),
    ).size;

    // what-if over WHATIF_DEVICES devices, with a stricter policy (default block).
    const wCopies = Math.max(1, Math.round(WHATIF_DEVICES / devicesPerCopy));
    const wLog = join(dir, 'what-if.ndjson');
    const wLines = writeReplicated(wLog, base.events, wCopies);
    const policyFile = join(dir, 'stricter.json');
    writeFileSync(policyFile, JSON.stringify({ ...base.policy, defaultAccessLevel: 'block' }));
    const w = child(['what-if', '--log', wLog, '--arg', policyFile]);
    out({
      bench: 'what-if',
      devices: w.devices,
      lines: wLines,
      bytes: statSync(wLog).size,
      changes: w.changes,
      // whatIfFile as the CLI runs it (threads: what it chose), its first (cold) run, and on one thread.
      fileMs: Math.round(Math.min(...(w.fileMs as number[]))),
      firstMs: Math.round((w.fileMs as number[])[0]!),
      threads: w.threads,
      file1Ms: Math.round(Math.min(...(w.file1Ms as number[]))),
      pureMs: Math.round(Math.min(...(w.pureMs as number[]))),
      limitMs: 2000,
    });
    if (!values.keep) rmSync(wLog, { force: true });

    // The large log.
    const copies = Math.max(1, Math.round((EVENTS - orgEvents) / perCopy));
    const log = join(dir, 'replay.ndjson');
    const lines = writeReplicated(log, base.events, copies);
    const bytes = statSync(log).size;
    const generateMs = performance.now() - g0;

    const r = child(['replay', '--log', log]);
    const floorMs = r.floorMs as number;
    const replayMs = r.replayMs as number;
    const replay1Ms = r.replay1Ms as number;
    const splitMs = r.splitMs as number;
    const po = r.parseOnly as { ms: number; lines: number };
    const replayRate = lines / (replayMs / 1000);
    out({
      bench: 'replay',
      lines,
      bytes,
      bytesPerLine: Math.round(bytes / lines),
      copies,
      baseDevices: BASE_DEVICES,
      // The headline: read + per-line decode + JSON.parse on one thread, nothing else,
      // against `eas-sync replay` as it runs (on `threads` threads; its CPU time
      // on all of them in replayCpuMs), and the same replay on one thread.
      jsonParseLinesPerSec: rate(lines, floorMs),
      replayLinesPerSec: Math.round(replayRate),
      ratio: +(floorMs / replayMs).toFixed(3),
      target: 0.8,
      threads: r.threads,
      replay1LinesPerSec: rate(lines, replay1Ms),
      ratio1: +(floorMs / replay1Ms).toFixed(3),
      // Where replay1's time goes beyond the floor: the reader's checks (readerMs - floorMs), then the
      // schema decode and the fold (replay1Ms - readerMs).
      readerMs: Math.round(r.readerMs as number),
      checksOverFloorMs: Math.round((r.readerMs as number) - floorMs),
      foldOverReaderMs: Math.round(replay1Ms - (r.readerMs as number)),
      // JSON.parse alone over lines already in memory (no reading, no decoding).
      parseOnlyLinesPerSec: rate(po.lines, po.ms),
      ratioToParseOnly: +(replayRate / (po.lines / (po.ms / 1000))).toFixed(3),
      // A conventional reader: decode each chunk, split it, JSON.parse the lines.
      chunkSplitLinesPerSec: rate(lines, splitMs),
      ratioToChunkSplit: +(splitMs / replayMs).toFixed(3),
      floorMs: Math.round(floorMs),
      splitMs: Math.round(splitMs),
      replayMs: Math.round(replayMs),
      replay1Ms: Math.round(replay1Ms),
      replayCpuMs: Math.round(r.replayCpuMs as number),
      // Fresh pages the floor and the one-thread replay touched, and one's price here (page-faults.ts).
      floorMinorPageFaults: r.floorMinorPageFaults,
      replay1MinorPageFaults: r.replay1MinorPageFaults,
      pageFaultMicros: r.pageFaultMicros,
      replayed: r.replayed,
      rounds: ROUNDS,
      generateMs: Math.round(generateMs),
    });

    // explain of one device of a middle copy, by the byte scan, in a fresh process.
    const c = Math.floor(copies / 2);
    const id = c === 0 ? base.turned : `${base.turned}~${c}`;
    const x = child(['explain', '--log', log, '--arg', id]);
    const ms = x.ms as number[];
    out({
      bench: 'explain',
      lines,
      bytes,
      deviceId: id,
      explainMs: Math.round(median(ms)),
      firstMs: Math.round(ms[0]!),
      via: x.via,
      parsedLines: x.parsedLines,
      limitMs: 1000,
      access: x.access,
      reason: x.reason,
      timeline: x.timeline,
    });
  } finally {
    if (!values.keep) rmSync(dir, { recursive: true, force: true });
  }
}

if (values.child) process.stdout.write(JSON.stringify(await childMain(values.child, values.log!, values.arg)) + '\n');
else await main();
