// eas-sync replay LOG: folds a log; reports every invalid line; never writes.
//
// `foldLogFile` streams the log: each valid event is handed to a callback and
// then dropped, so a million-line log is folded without holding it in memory
// (holding it costs more in garbage collection than the folds themselves). It
// checks every line exactly as the file store's `readLog` does (same messages,
// same torn-tail rule; test/replay.test.ts compares the two on damaged logs).
import { open, type FileHandle } from 'node:fs/promises';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { StoredEvent, StoreError } from '../../src/ports.js';
import { envelopeError, toStoredEvent } from '../file-store/codec.js';
import type { LineError, TornTail } from '../file-store/index.js';
import { createReplay, type ReplayResult } from '../../projections/replay.js';
import { parse } from './args.js';
import { isEsdb, describeStoreError, foldEventStoreDb, displaySpec, checkSpec } from './store.js';
import { print, printJson, UsageError, InputFailure, progressBar } from './io.js';

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

export interface FoldLogOptions {
  /** Bytes read so far and the file's size, after each chunk. */
  readonly onProgress?: (bytes: number, total: number) => void;
  /** Read size (default 8 MiB). */
  readonly chunkBytes?: number;
}

const ioText = (err: unknown): string => (err instanceof Error ? err.message : String(err)).replace(/, \w+ '.*'$/, '');
const couldBeTorn = (text: string): boolean => text.length === 0 || text[0] === '{' || text[0] === '\u0000';
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
export async function foldLogFile(path: string, onEvent: (e: StoredEvent) => void, options: FoldLogOptions = {}): Promise<Either<StoreError, LogFold>> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    return left({ kind: 'io', message: `log ${path}: cannot open: ${ioText(err)}` });
  }
  try {
    return right(await scan(fh, onEvent, options));
  } catch (err) {
    return left({ kind: 'io', message: `log ${path}: cannot read: ${ioText(err)}` });
  } finally {
    await fh.close().catch(() => undefined);
  }
}

async function scan(fh: FileHandle, onEvent: (e: StoredEvent) => void, options: FoldLogOptions): Promise<LogFold> {
  const total = (await fh.stat()).size;
  const errors: LineError[] = [];
  // Last revision per stream, and the stream's name as first read: every event
  // of a stream is handed over with that one string, so the consumer's maps and
  // sets find it by its cached hash and by identity (a million fresh names
  // hashed and compared again and again cost more than the folds).
  const heads = new Map<string, { readonly name: string; revision: number }>();
  let last: { readonly name: string; revision: number } | undefined;
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
    const head = last !== undefined && last.name === event.stream ? last : heads.get(event.stream);
    const prev = head?.revision;
    if (head === undefined) heads.set(event.stream, last = { name: event.stream, revision: event.revision });
    else { head.revision = event.revision; event.stream = head.name; last = head; }
    // Events of one batch share their instant: keep one string for it.
    if (event.at === lastAt) event.at = lastAt; else lastAt = event.at;
    if (event.position !== no - 1) {
      return new Invalid(`line ${no}: position ${event.position} does not continue the log (expected ${no - 1})`, true);
    }
    if (event.revision !== (prev ?? -1) + 1) {
      const after = prev === undefined ? 'nothing (a stream starts at 0)' : String(prev);
      return new Invalid(`line ${no}: revision ${event.revision} of stream ${JSON.stringify(event.stream)} follows ${after}`, true);
    }
    return event;
  };
  const take = (c: Checked, no: number): void => {
    if (c instanceof Invalid) errors.push({ line: no, message: c.error });
    else { events++; onEvent(c); }
  };

  let buf = Buffer.allocUnsafe(options.chunkBytes ?? 8 * 1024 * 1024);
  let base = 0;
  let carry = 0;
  let lineNo = 0;
  let pending: string | undefined;
  let pendingStart = 0;
  for (;;) {
    if (carry === buf.length) {
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, carry);
      buf = bigger;
    }
    const { bytesRead } = await fh.read(buf, carry, buf.length - carry, base + carry);
    if (bytesRead === 0) break;
    const end = carry + bytesRead;
    const lastNl = buf.lastIndexOf(10, end - 1);
    if (lastNl < 0) { carry = end; continue; }
    // Each line decoded on its own: much faster than decoding the chunk and
    // splitting it (and the same characters: no UTF-8 sequence holds a newline byte).
    for (let s = 0, nl = buf.indexOf(10, 0); nl >= 0 && nl <= lastNl; s = nl + 1, nl = buf.indexOf(10, s)) {
      if (pending !== undefined) take(check(pending, lineNo), lineNo);
      pending = buf.toString('utf8', s, nl);
      lineNo += 1;
    }
    pendingStart = base + (lastNl > 0 ? buf.lastIndexOf(10, lastNl - 1) : -1) + 1;
    buf.copy(buf, 0, lastNl + 1, end);
    base += lastNl + 1;
    carry = end - (lastNl + 1);
    options.onProgress?.(base, total);
  }
  const done = (extra: { lines: number; tornTail?: TornTail }): LogFold => {
    options.onProgress?.(total, total);
    return { errors, events, bytes: total, ...extra };
  };
  if (carry > 0) {
    if (pending !== undefined) take(check(pending, lineNo), lineNo);
    const no = lineNo + 1;
    const text = buf.toString('utf8', 0, carry);
    const tail = check(text, no);
    if (tail instanceof Invalid && (tail.json || !couldBeTorn(text))) {
      take(tail, no);
      return done({ lines: no });
    }
    return done({ lines: no, tornTail: { line: no, bytes: carry } });
  }
  if (pending !== undefined) {
    const last = check(pending, lineNo);
    if (last instanceof Invalid && !last.json && couldBeTorn(pending)) {
      return done({ lines: lineNo, tornTail: { line: lineNo, bytes: base - pendingStart } });
    }
    take(last, lineNo);
  }
  return done({ lines: lineNo });
}

export interface ReplayFileResult {
  readonly replay: ReplayResult;
  readonly fold: LogFold;
  /** Invalid lines and undecodable events, by line. */
  readonly errors: ReadonlyArray<{ line: number; message: string }>;
}

/** Folds the log at `path` through `replay` without holding it in memory. */
export async function replayFile(path: string, options: FoldLogOptions = {}): Promise<Either<StoreError, ReplayFileResult>> {
  const r = createReplay();
  const folded: Either<StoreError, LogFold> = isEsdb(path)
    ? await foldEventStoreDb(path, (e) => r.push(e)).then((x) => (x._tag === 'Left' ? x : right({ errors: x.right.errors, lines: x.right.events, events: x.right.events, bytes: 0 })))
    : await foldLogFile(path, (e) => r.push(e), options);
  if (folded._tag === 'Left') return folded;
  const result = r.result();
  const errors = [
    ...folded.right.errors.map((e) => ({ line: e.line, message: e.message.replace(/^line \d+: /, '') })),
    // A valid envelope's position is its line index.
    ...result.invalid.map((i) => ({ line: i.position + 1, message: i.message })),
  ].sort((a, b) => a.line - b.line);
  return right({ replay: result, fold: folded.right, errors });
}

/** The log path argument of a read-only command: a file (or, where allowed, an esdb:// store). */
export function logPath(path: string | undefined, command: string, allowEsdb = false): string {
  if (!path) throw new UsageError(`${command} needs a LOG (see eas-sync ${command} --help)`);
  if (isEsdb(path)) {
    if (!allowEsdb) throw new UsageError(`"${displaySpec(path)}": ${command} reads file logs only; copy the store to a file first (eas-sync copy)`);
    checkSpec(path);
  }
  return path;
}

/** A store error of a read-only command as a CLI failure (exit 2). */
export function readFailure(path: string, e: StoreError): InputFailure {
  return new InputFailure(e.kind === 'corrupt' ? describeStoreError(e) : `${path}: ${describeStoreError(e)}`);
}

export async function replay(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { devices: { type: 'boolean' } }, 1);
  if (values.help) { print(REPLAY_HELP); return 0; }
  const path = logPath(positionals[0], 'replay', true);
  const bar = progressBar('replay MB');
  const scanned = await replayFile(path, { onProgress: (done, total) => bar.update(Math.round(done / 1e6), Math.max(1, Math.round(total / 1e6))) });
  bar.end();
  if (scanned._tag === 'Left') throw readFailure(path, scanned.left);
  const { replay: r, fold, errors } = scanned.right;
  const latest = [r.lastSuccessfulSync?.full, r.lastSuccessfulSync?.quick].filter((x): x is string => !!x).sort().pop() ?? null;
  const out = {
    log: displaySpec(path),
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
    print(`${displaySpec(path)}: ${r.events} events in ${r.streams} streams`);
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
