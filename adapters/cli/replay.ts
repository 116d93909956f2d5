// eas-sync replay LOG: folds a log; reports every invalid line; never writes.
//
// `foldLogFile` streams the log: each valid event is handed to a callback and
// then dropped, so a million-line log is folded without holding it in memory
// (holding it costs more in garbage collection than the folds themselves). It
// checks every line exactly as the file store's `readLog` does (same messages,
// same torn-tail rule; test/replay.test.ts compares the two on damaged logs).
import { open, stat, type FileHandle } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { StoredEvent, StoreError } from '../../src/ports.js';
import { envelopeError, toStoredEvent } from '../shared/log-codec.js';
import type { LineError, TornTail } from '../file-store/index.js';
import { isTornFragment } from '../file-store/torn.js';
import { IdSet, confirmDuplicates, idHash, type IdSetData, type Suspect } from '../file-store/id-set.js';
import { createReplay, mergeReplayParts, type ReplayPart, type ReplayResult } from '../../projections/replay.js';
import type { WhatIfContext } from '../../projections/what-if.js';
import type { Policy } from '../../src/policy.js';
import { parse } from './args.js';
import { print, printRaw, printJson, UsageError, InputFailure, progressBar } from './io.js';

// A worker of foldInParts (below) needs none of the store adapters, and the
// EventStoreDB client takes longer to load than the worker takes to start.
const WORKER_TAG = 'eas-sync log part';
const isPartWorker = !isMainThread && (workerData as { tag?: unknown } | null)?.tag === WORKER_TAG;
const store = (isPartWorker ? undefined : await import('./store.js')) as typeof import('./store.js');

export const REPLAY_HELP = `Usage: eas-sync replay LOG [--devices] [--json]

Folds an event log (read-only): connector status, access counts, last
successful full and quick syncs, pending intents, drift found, the policy in
force. Every invalid line is reported; a corrupted line is exit 2; a torn last
line (a crash during append) is reported but not fatal. --devices lists every
device's state (deviceStates in the JSON). A progress bar goes to stderr when it
is a terminal.`;

export interface LogFold {
  /** Every invalid line (its event was not handed over). */
  readonly errors: LineError[];
  readonly tornTail?: TornTail;
  /** Lines in the file, a torn last line included. */
  readonly lines: number;
  /** Valid events handed to the callback. */
  readonly events: number;
  readonly bytes: number;
}

/** A part's read: its fold, plus the ids it saw and the pairs of lines whose ids hash alike. */
interface PartRead extends LogFold {
  readonly ids: IdSetData;
  readonly suspects: Suspect[];
}

/** The fold without the id bookkeeping, with the repeated ids among its errors. */
async function withDuplicates(fh: FileHandle, read: PartRead, more: readonly Suspect[] = []): Promise<LogFold> {
  const { ids: _ids, suspects, ...fold } = read;
  const repeated = await confirmDuplicates(fh, [...suspects, ...more]);
  return repeated.length === 0 ? fold : { ...fold, errors: [...fold.errors, ...repeated].sort((a, b) => a.line - b.line) };
}

/**
 * A stream as the reader knows it: its name as first read (every event of the
 * stream is handed over with this one string, so a consumer's maps find it by
 * its cached hash and by identity) and its last revision. `state` is the
 * consumer's: a fold keeps its own record of the stream there, and finds it
 * without a lookup of its own (one map lookup per line instead of two).
 */
export interface StreamHead {
  readonly name: string;
  revision: number;
  state: unknown;
}

export interface FoldLogOptions {
  /** Bytes read so far and the file's size, after each chunk. */
  readonly onProgress?: (bytes: number, total: number) => void;
  /** Read size (default 8 MiB). */
  readonly chunkBytes?: number;
  /**
   * Threads that fold a file log (`replayFile`, `whatIfFile`): by default 2 for
   * a log of 64 MiB or more on a machine with 2 cores or more, else 1. See
   * `foldInParts` and `threadsFor`.
   */
  readonly threads?: number;
}

const ioText = (err: unknown): string => (err instanceof Error ? err.message : String(err)).replace(/, \w+ '.*'$/, '');
/** A line that is not a valid event: why, and whether it was JSON at all. */
class Invalid {
  constructor(readonly error: string, readonly json: boolean) {}
}
type Checked = StoredEvent | Invalid;

/**
 * Reads the log at `path` line by line, handing each valid event to `onEvent`
 * in log order; never modifies the file. The checks and messages are those of
 * the file store's `readLog` (envelope, position = line index, revisions 0.. per
 * stream, torn last line).
 */
export async function foldLogFile(path: string, onEvent: (e: StoredEvent, stream: StreamHead) => void, options: FoldLogOptions = {}): Promise<Either<StoreError, LogFold>> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    return left({ kind: 'io', message: `log ${path}: cannot open: ${ioText(err)}` });
  }
  try {
    return right(await withDuplicates(fh, await scan(fh, onEvent, options)));
  } catch (err) {
    return left({ kind: 'io', message: `log ${path}: cannot read: ${ioText(err)}` });
  } finally {
    await fh.close().catch(() => undefined);
  }
}

// ------------------------------------------------------------ parts
// A fold per stream can run on several threads, each reading the whole file
// but parsing only the lines of its own streams: what costs is JSON.parse and
// the fold, not reading bytes. A line goes to a part by a hash of its stream
// name's bytes, taken before parsing from the `{"stream":"eas-mailbox-…"`
// that opens every line the stores write; every other line (org streams, lines
// written some other way, damaged lines) goes to part 0. After parsing, each
// part checks that every stream it sees (once, at the stream's first event) is
// one of its own by the name it parsed; if not (a name escaped in JSON, a
// duplicated key: hand-edited lines), the partition does not hold and the
// caller folds the whole log on one thread instead.

/** Which of `count` parts reads a line, and the range it reads up to. */
interface Part {
  readonly index: number;
  readonly count: number;
  /** The file's size when the parts started: every part reads the same lines. */
  readonly limit: number;
}

/** A stream met by a part that is not its own: the partition does not hold. */
class NotMine extends Error {}

const MAILBOX_LINE = Buffer.from('{"stream":"eas-mailbox-');
const NAME_FROM = '{"stream":"'.length;

/**
 * A hash of a stream name's bytes [from, to): FNV-1a over its last 24 bytes
 * (where names differ; enough to spread them), mixed (FNV's low bits alone are
 * poor). -1 if a byte could not stand unescaped in a JSON string.
 */
function hashName(bytes: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = Math.max(from, to - 24); i < to; i++) {
    const b = bytes[i]!;
    if (b === 0x22 || b === 0x5c || b < 0x20) return -1;
    h = Math.imul(h ^ b, 0x01000193);
  }
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b); h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35); h ^= h >>> 16;
  return h >>> 0;
}

/** The part of the line in buf[s, e), from its bytes. */
function partOfLine(buf: Buffer, s: number, e: number, count: number): number {
  if (e - s <= MAILBOX_LINE.length) return 0;
  for (let i = 0; i < MAILBOX_LINE.length; i++) if (buf[s + i] !== MAILBOX_LINE[i]) return 0;
  const q = buf.indexOf(0x22, s + NAME_FROM);
  if (q < 0 || q >= e) return 0;
  const h = hashName(buf, s + NAME_FROM, q);
  return h < 0 ? 0 : h % count;
}

/** The part of a stream, from its name (the same as `partOfLine` for a line that writes the name plainly). */
function partOfStream(name: string, count: number): number {
  if (!name.startsWith('eas-mailbox-')) return 0;
  const bytes = Buffer.from(name, 'utf8');
  const h = hashName(bytes, 0, bytes.length);
  return h < 0 ? 0 : h % count;
}

async function scan(fh: FileHandle, onEvent: (e: StoredEvent, stream: StreamHead) => void, options: FoldLogOptions, part?: Part): Promise<PartRead> {
  const total = part?.limit ?? (await fh.stat()).size;
  const errors: LineError[] = [];
  const ids = new IdSet();
  const suspects: Suspect[] = [];
  // Last revision per stream, and the stream's name as first read (see StreamHead).
  const heads = new Map<string, StreamHead>();
  let head: StreamHead | undefined;
  let lastAt = '';
  let events = 0;

  const check = (text: string, no: number): Checked => {
    let value: unknown;
    try {
      value = JSON.parse(no === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    } catch (err) {
      return new Invalid(`line ${no}: not valid JSON (${(err as Error).message})`, false);
    }
    const bad = envelopeError(value);
    if (bad !== undefined) return new Invalid(`line ${no}: ${bad}`, true);
    const event = toStoredEvent(value as Record<string, unknown>) as { -readonly [K in keyof StoredEvent]: StoredEvent[K] };
    // Runs of one stream are common: compare with the previous line's before hashing.
    const name = event.stream;
    const h = head !== undefined && head.name === name ? head : heads.get(name);
    const prev = h?.revision;
    if (h === undefined) {
      if (part !== undefined && partOfStream(name, part.count) !== part.index) throw new NotMine();
      heads.set(name, head = { name, revision: event.revision, state: undefined });
    } else {
      h.revision = event.revision; event.stream = h.name; head = h;
    }
    // Events of one batch share their instant: keep one string for it.
    if (event.at === lastAt) event.at = lastAt; else lastAt = event.at;
    if (event.position !== no - 1) {
      return new Invalid(`line ${no}: position ${event.position} does not continue the log (expected ${no - 1})`, true);
    }
    if (event.revision !== (prev ?? -1) + 1) {
      const after = prev === undefined ? 'nothing (a stream starts at 0)' : String(prev);
      return new Invalid(`line ${no}: revision ${event.revision} of stream ${JSON.stringify(event.stream)} follows ${after}`, true);
    }
    // Ids are unique in a log: a hash seen before is checked exactly once the read is done.
    const first = ids.add(idHash(event.id), no);
    if (first !== 0) suspects.push({ line: no, first });
    return event;
  };
  // `head` is the stream of the line just checked.
  const take = (c: Checked, no: number): void => {
    if (c instanceof Invalid) errors.push({ line: no, message: c.error });
    else { events++; onEvent(c, head!); }
  };
  const mine = (buf: Buffer, s: number, e: number): boolean => part === undefined || partOfLine(buf, s, e, part.count) === part.index;

  let buf = Buffer.allocUnsafe(options.chunkBytes ?? 8 * 1024 * 1024);
  let base = 0;
  let carry = 0;
  let lineNo = 0;
  for (;;) {
    if (carry === buf.length) {
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, carry);
      buf = bigger;
    }
    const want = part === undefined ? buf.length - carry : Math.min(buf.length - carry, part.limit - base - carry);
    const bytesRead = want === 0 ? 0 : (await fh.read(buf, carry, want, base + carry)).bytesRead;
    if (bytesRead === 0) break;
    const end = carry + bytesRead;
    const lastNl = buf.lastIndexOf(10, end - 1);
    if (lastNl < 0) { carry = end; continue; }
    // Each line decoded on its own: much faster than decoding the chunk and
    // splitting it (and the same characters: no UTF-8 sequence holds a newline byte).
    for (let s = 0, nl = buf.indexOf(10, 0); nl >= 0 && nl <= lastNl; s = nl + 1, nl = buf.indexOf(10, s)) {
      lineNo += 1;
      if (mine(buf, s, nl)) take(check(buf.toString('utf8', s, nl), lineNo), lineNo);
    }
    buf.copy(buf, 0, lastNl + 1, end);
    base += lastNl + 1;
    carry = end - (lastNl + 1);
    options.onProgress?.(base, total);
  }
  const done = (extra: { lines: number; tornTail?: TornTail }): PartRead => {
    options.onProgress?.(total, total);
    return { errors, events, bytes: total, ...extra, ids: ids.data(), suspects };
  };
  if (carry > 0) {
    // No newline at the end: an interrupted append if its shape allows (file store's torn.ts).
    const no = lineNo + 1;
    if (!mine(buf, 0, carry)) return done({ lines: no });
    if (isTornFragment(buf.subarray(0, carry))) return done({ lines: no, tornTail: { line: no, bytes: carry } });
    const tail = check(buf.toString('utf8', 0, carry), no);
    take(tail instanceof Invalid ? tail : new Invalid(`line ${no}: the last line has no newline and is not the start of an event of this log`, true), no);
    return done({ lines: no });
  }
  return done({ lines: lineNo });
}
/**
 * A fold that can run in a part. What it gives crosses threads, so it is plain
 * data: `part()` after the scan; for a fold in two phases, `finish(input)` then
 * gives its final result from an input the caller makes from every part's `part()`.
 */
export interface PartFold {
  push(e: StoredEvent, stream: StreamHead): void;
  part(): unknown;
  finish?(input: unknown): unknown;
}
/** The folds a worker can run, by name (a worker is given names, not functions); loaded when used. */
const PART_FOLDS = {
  replay: async (): Promise<PartFold> => createReplay(),
  'what-if': async (): Promise<PartFold> => {
    const { createWhatIf } = await import('../../projections/what-if.js');
    const f = createWhatIf();
    return {
      push: (e, stream) => f.push(e, stream),
      part: () => f.scanned(),
      finish: (input) => { const { policy, context } = input as WhatIfJudgement; return f.judge(policy, context); },
    };
  },
} as const;
export type PartKind = keyof typeof PART_FOLDS;
/** The second phase of a what-if in parts. */
export interface WhatIfJudgement { readonly policy: Policy; readonly context: WhatIfContext }

interface PartJob { readonly tag: typeof WORKER_TAG; readonly kind: PartKind; readonly path: string; readonly part: Part; readonly chunkBytes?: number }
type PartReply = { readonly fold: PartRead; readonly part: unknown } | { readonly notMine: true } | { readonly error: string };
type FinishReply = { readonly result: unknown } | { readonly error: string };

/** Logs this large are folded on two threads by default; below, starting a worker costs more than it saves. */
const PARALLEL_FROM = 64 * 1024 * 1024;

/**
 * Threads to fold a file log of `size` bytes with (see FoldLogOptions.threads).
 * (Two threads win when a second core is free; while other work keeps both
 * cores busy they take longer than one.)
 */
export function threadsFor(size: number, options: FoldLogOptions): number {
  if (options.threads !== undefined) return Math.max(1, Math.floor(options.threads));
  return size >= PARALLEL_FROM && availableParallelism() >= 2 ? 2 : 1;
}

/** A worker's replies, in order. */
function replies(w: Worker): () => Promise<PartReply & FinishReply> {
  const queue: unknown[] = [];
  let wake: (() => void) | undefined;
  const push = (m: unknown) => { queue.push(m); wake?.(); };
  w.on('message', push);
  w.once('error', (err) => push({ error: String(err) }));
  w.once('exit', () => push({ error: 'the worker exited' }));
  return async () => {
    while (queue.length === 0) await new Promise<void>((r) => { wake = r; });
    return queue.shift() as PartReply & FinishReply;
  };
}

/**
 * Folds the file log at `path` (its first `size` bytes) with `kind`'s fold in
 * `threads` parts: part 0 on this thread, the others in workers, each over its
 * own streams (see "parts" above). With `next`, the folds run a second phase on
 * the input `next` makes of every part's `part()`, and `results` are their
 * `finish` results. Undefined when the log cannot be folded in parts (a stream
 * read by the wrong part, a worker that failed, a read error): the caller then
 * folds it on one thread, which also reports a read error as it should.
 * @internal (for the CLI's commands)
 */
export async function foldInParts(
  path: string, kind: PartKind, threads: number, size: number, options: FoldLogOptions, next?: (parts: unknown[]) => unknown,
): Promise<{ fold: LogFold; parts: unknown[]; results: unknown[] } | undefined> {
  const workers: Worker[] = [];
  const replyOf: Array<() => Promise<PartReply & FinishReply>> = [];
  for (let index = 1; index < threads; index++) {
    const job: PartJob = { tag: WORKER_TAG, kind, path, part: { index, count: threads, limit: size }, ...(options.chunkBytes !== undefined ? { chunkBytes: options.chunkBytes } : {}) };
    const w = new Worker(new URL(import.meta.url), { workerData: job });
    workers.push(w);
    replyOf.push(replies(w));
  }
  try {
    const fold = await PART_FOLDS[kind]();
    const own = await runPart(path, fold, { index: 0, count: threads, limit: size }, options);
    if (!('fold' in own)) return undefined;
    const others = await Promise.all(replyOf.map((r) => r()));
    const folds = [own.fold];
    const parts = [own.part];
    for (const r of others) {
      if (!('fold' in r)) return undefined;
      folds.push(r.fold);
      parts.push(r.part);
    }
    const results: unknown[] = [];
    if (next !== undefined) {
      const input = next(parts);
      for (const w of workers) w.postMessage({ input });
      results.push(fold.finish!(input));
      for (const r of await Promise.all(replyOf.map((r) => r()))) {
        if (!('result' in r)) return undefined;
        results.push(r.result);
      }
    }
    // Ids are unique across the whole log: the parts' ids are put together here.
    const ids = new IdSet(folds[0]!.ids);
    const cross = folds.slice(1).flatMap((f) => ids.merge(f.ids));
    const merged: PartRead = { ...mergeFolds(folds), ids: ids.data(), suspects: folds.flatMap((f) => f.suspects) };
    let fh: FileHandle;
    try { fh = await open(path, 'r'); } catch { return undefined; }
    try {
      return { fold: await withDuplicates(fh, merged, cross), parts, results };
    } catch {
      return undefined;
    } finally {
      await fh.close().catch(() => undefined);
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

async function runPart(path: string, fold: PartFold, part: Part, options: FoldLogOptions): Promise<PartReply> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
    const folded = await scan(fh, (e, h) => fold.push(e, h), options, part);
    return { fold: folded, part: fold.part() };
  } catch (err) {
    return err instanceof NotMine ? { notMine: true } : { error: ioText(err) };
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/** The parts' reads of one file as one read (every part counted every line), shaped as `scan` shapes one. */
function mergeFolds(folds: readonly PartRead[]): LogFold {
  const tornTail = folds.find((f) => f.tornTail !== undefined)?.tornTail;
  return {
    errors: folds.flatMap((f) => f.errors).sort((a, b) => a.line - b.line),
    events: folds.reduce((n, f) => n + f.events, 0),
    bytes: folds[0]!.bytes,
    lines: folds[0]!.lines,
    ...(tornTail !== undefined ? { tornTail } : {}),
  };
}

// A worker of foldInParts: this module is its script.
if (isPartWorker) {
  const job = workerData as PartJob;
  const port = parentPort!;
  const fold = await PART_FOLDS[job.kind]();
  port.postMessage(await runPart(job.path, fold, job.part, job.chunkBytes !== undefined ? { chunkBytes: job.chunkBytes } : {}));
  // A second phase, if the caller has one; else the caller ends the worker.
  port.once('message', (m: { input: unknown }) => {
    try {
      port.postMessage({ result: fold.finish!(m.input) });
    } catch (err) {
      port.postMessage({ error: String(err) });
    }
  });
}

export interface ReplayFileResult {
  readonly replay: ReplayResult;
  readonly fold: LogFold;
  /** Invalid lines and undecodable events, by line. */
  readonly errors: ReadonlyArray<{ line: number; message: string }>;
  /** Threads that folded the log (1 when a log could not be folded in parts). */
  readonly threads: number;
}

/** Folds the log at `path` through `replay` without holding it in memory (on two threads when it is large). */
export async function replayFile(path: string, options: FoldLogOptions = {}): Promise<Either<StoreError, ReplayFileResult>> {
  let folded: Either<StoreError, LogFold>;
  let result: ReplayResult;
  const size = store.isEsdb(path) ? 0 : await stat(path).then((s) => s.size, () => 0);
  const threads = threadsFor(size, options);
  const inParts = threads > 1 ? await foldInParts(path, 'replay', threads, size, options) : undefined;
  if (inParts !== undefined) {
    folded = right(inParts.fold);
    result = mergeReplayParts(inParts.parts as ReplayPart[]);
  } else {
    const r = createReplay();
    folded = store.isEsdb(path)
      ? await store.foldEventStoreDb(path, (e) => r.push(e)).then((x) => (x._tag === 'Left' ? x : right({ errors: x.right.errors, lines: x.right.events, events: x.right.events, bytes: 0 })))
      : await foldLogFile(path, (e, head) => r.push(e, head), options);
    result = r.result();
  }
  if (folded._tag === 'Left') return folded;
  const errors = [
    ...folded.right.errors.map((e) => ({ line: e.line, message: e.message.replace(/^line \d+: /, '') })),
    // A valid envelope's position is its line index.
    ...result.invalid.map((i) => ({ line: i.position + 1, message: i.message })),
  ].sort((a, b) => a.line - b.line);
  return right({ replay: result, fold: folded.right, errors, threads: inParts !== undefined ? threads : 1 });
}

/** The log path argument of a read-only command: a file (or, where allowed, an esdb:// store). */
export function logPath(path: string | undefined, command: string, allowEsdb = false): string {
  if (!path) throw new UsageError(`${command} needs a LOG (see eas-sync ${command} --help)`);
  if (store.isEsdb(path)) {
    if (!allowEsdb) throw new UsageError(`"${store.displaySpec(path)}": ${command} reads file logs only; copy the store to a file first (eas-sync copy)`);
  }
  return path;
}

/** A store error of a read-only command as a CLI failure (exit 2). */
export function readFailure(path: string, e: StoreError): InputFailure {
  return new InputFailure(e.kind === 'corrupt' ? store.describeStoreError(e) : `${store.displaySpec(path)}: ${store.describeStoreError(e)}`);
}

export async function replay(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { devices: { type: 'boolean' } }, 1);
  if (values.help) { printRaw(REPLAY_HELP); return 0; }
  const path = logPath(positionals[0], 'replay', true);
  const bar = progressBar('replay MB');
  const scanned = await replayFile(path, { onProgress: (done, total) => bar.update(Math.round(done / 1e6), Math.max(1, Math.round(total / 1e6))) });
  bar.end();
  if (scanned._tag === 'Left') throw readFailure(path, scanned.left);
  const { replay: r, fold, errors } = scanned.right;
  const latest = [r.lastSuccessfulSync?.full, r.lastSuccessfulSync?.quick].filter((x): x is string => !!x).sort().pop() ?? null;
  const out = {
    log: store.displaySpec(path),
    events: r.events, streams: r.streams, devices: r.devices, access: r.access,
    lastSuccessfulSync: latest,
    lastSuccessful: { full: r.lastSuccessfulSync?.full ?? null, quick: r.lastSuccessfulSync?.quick ?? null },
    connector: r.connector,
    organizations: r.organizations,
    pendingIntents: r.pendingIntents,
    drift: r.drift,
    policy: r.policy,
    policyRevision: r.policyRevision,
    errors,
    tornTail: fold.tornTail ?? null,
    ...(values.devices ? { deviceStates: r.deviceStates } : {}),
  };
  if (values.json) printJson(out);
  else {
    print(`${store.displaySpec(path)}: ${r.events} events in ${r.streams} streams`);
    print(`Connector ${r.connector.organization ?? '-'}: ${r.connector.status}; last successful full sync ${out.lastSuccessful.full ?? 'never'}, quick sync ${out.lastSuccessful.quick ?? 'never'}`);
    if (r.connector.lastError) print(`Last error (${r.connector.lastError.at}): ${r.connector.lastError.message}`);
    print(`Devices: ${r.devices} — ${r.access.allow} allow, ${r.access.block} block, ${r.access.quarantine} quarantine`);
    print(`Pending intents: ${r.pendingIntents}; drift found: ${r.drift}; policy revision ${r.policyRevision ?? '-'}`);
    if (out.tornTail) print(`Torn last line ${out.tornTail.line} (${out.tornTail.bytes} bytes): an append interrupted by a crash; it was never acknowledged`);
    for (const e of errors) print(`error: line ${e.line}: ${e.message}`);
    if (values.devices) for (const d of r.deviceStates) print(`${d.access.padEnd(10)} ${d.reason.padEnd(20)} ${d.deviceId.padEnd(28)} ${d.mailbox}`);
  }
  return errors.length > 0 ? 2 : 0;
}
