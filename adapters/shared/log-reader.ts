// The one reader of the log's lines (docs/log-format.md), in two modes:
// - collecting (`scanLog`): every valid event kept in an array, for the store's
//   index (open) and `readLog`; a repeated id is confirmed on the spot against
//   the kept event and the line is invalid;
// - streaming (`streamLog`): each valid event handed to a callback and dropped,
//   so a million-line log is folded without holding it (holding it costs more in
//   garbage collection than the folds themselves); a repeated id hash is only a
//   suspect, confirmed by reading the two lines again (`confirmDuplicates`).
// Both read large chunks and split on newline bytes themselves; each line is
// decoded on its own (much faster than decoding the chunk and splitting it, and
// the same characters: no UTF-8 sequence holds a newline byte). Byte offsets are
// kept at buffer level so a torn tail is cut exactly, even inside a UTF-8 sequence.
import type { FileHandle } from 'node:fs/promises';
import type { StoredEvent } from '../../src/ports.js';
import { envelopeError, toStoredEvent } from './log-codec.js';
import { isTornFragment } from './log-torn.js';
import { IdSet, idHash, type Suspect } from './log-ids.js';

export interface LineError {
  readonly line: number;
  readonly message: string;
}

export interface TornTail {
  /** 1-based line number of the torn line. */
  readonly line: number;
  /** Its length in bytes, newline included when it had one. */
  readonly bytes: number;
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

/** Which lines a streaming read parses (a part of the log, read on one of several threads). */
export interface LineFilter {
  /** Whether to parse the line in buf[start, end) (decided from its bytes, before parsing). */
  keeps(buf: Buffer, start: number, end: number): boolean;
  /** Whether a stream, met at its first parsed event, is one this filter keeps. */
  owns(stream: string): boolean;
}

/** Thrown by a filtered read that met a stream its filter does not own: the filter does not hold for this log. */
export class StreamOutsideFilter extends Error {}

export interface StreamOptions {
  /** Bytes read so far and the file's size, after each chunk. */
  readonly onProgress?: (bytes: number, total: number) => void;
  /** Read size (default 8 MiB). */
  readonly chunkBytes?: number;
  /** Only these lines (every line is still counted). */
  readonly filter?: LineFilter;
  /** Read only the file's first `limit` bytes (default: to its end). */
  readonly limit?: number;
  /** Stop at the first invalid line (opening a store) instead of reporting every one. */
  readonly stopAtFirstError?: boolean;
  /** Start after lines already checked (a store's saved index): from their end, with their streams and ids. */
  readonly resume?: ResumePoint;
  /** Each run of whole lines read, in file order (a torn tail never): to hash the valid bytes. */
  readonly onLines?: (buf: Buffer, start: number, end: number) => void;
}

export interface ResumePoint {
  /** Byte offset where the next line starts. */
  readonly offset: number;
  /** Lines before it. */
  readonly lines: number;
  /** Every stream so far with its last revision (and the consumer's state for it). */
  readonly streams: Iterable<StreamHead>;
  /** Ids so far (hash to line), continued by the read. */
  readonly ids: IdSet;
}

/** What every read gives. */
interface LineRead {
  /** Every invalid line (its event was not handed over). */
  readonly errors: LineError[];
  readonly tornTail?: TornTail;
  /** Lines in the file, a torn last line included (0 when stopped at an error). */
  readonly lines: number;
  /** File length without the torn tail: where a writer truncates to (0 when stopped at an error). */
  readonly validBytes: number;
  /** Valid events handed over. */
  readonly events: number;
  /** The file's size when the read started (or the limit). */
  readonly bytes: number;
  /** The valid events' ids (line by hash). */
  readonly ids: IdSet;
}

export interface ScanResult extends LineRead {
  /** Every valid event, in log order. */
  readonly kept: StoredEvent[];
}

export interface StreamRead extends LineRead {
  /** Pairs of lines whose ids hash alike, to confirm with `confirmDuplicates`. */
  readonly suspects: Suspect[];
}

const CHUNK = 8 * 1024 * 1024;

/** Node's message without its trailing `, open '/the/path'` (callers name the path themselves). */
export const ioText = (err: unknown): string => (err instanceof Error ? err.message : String(err)).replace(/, \w+ '.*'$/, '');

/** A line that is not a valid event: why. */
class Invalid {
  constructor(readonly error: string) {}
}
type Checked = StoredEvent | Invalid;

/** A valid event, its stream, and its line's bytes in the file: [start, end), the newline included. */
export type OnEvent = (e: StoredEvent, stream: StreamHead, start: number, end: number) => void;

interface Mode {
  readonly onEvent: OnEvent;
  /** A valid line whose id hashes like line `first`'s: a message makes it invalid. */
  readonly onRepeat: (line: number, first: number, event: StoredEvent) => string | undefined;
  readonly stopAtFirstError: boolean;
}

/**
 * Scans the log behind `fh`, keeping every valid event. With `stopAtFirstError`
 * it returns as soon as one line is invalid (opening a store); otherwise it
 * reports every invalid line. I/O errors are thrown for the caller to turn into values.
 *
 * A torn tail (an unacknowledged append cut by a crash) is only the final
 * fragment after the last newline, and only when it is shaped like the start of
 * one of our lines (see log-torn.ts). A newline-terminated last line is checked like
 * any other: damage there is corruption, so opening the wrong file, or a log
 * with a damaged last event, never cuts anything.
 */
export async function scanLog(fh: FileHandle, stopAtFirstError: boolean): Promise<ScanResult> {
  const kept: StoredEvent[] = [];
  const read = await readLines(
    fh,
    {
      onEvent: (e) => {
        kept.push(e);
      },
      // Valid events are kept in line order (position = line - 1): the earlier one is found by position.
      onRepeat: (line, first, event) => {
        const earlier = atPosition(kept, first - 1);
        return earlier !== undefined && earlier.id === event.id
          ? `line ${line}: event id ${JSON.stringify(event.id)} repeats the id of line ${first}`
          : undefined;
      },
      stopAtFirstError,
    },
    {},
  );
  return { ...read, kept };
}

/**
 * Reads the log behind `fh` line by line, handing each valid event to `onEvent`
 * in log order; never modifies the file. Same checks and messages as `scanLog`,
 * except that repeated ids are left as suspects for `confirmDuplicates`.
 * Throws StreamOutsideFilter when `options.filter` does not hold, I/O errors as they come.
 */
export async function streamLog(fh: FileHandle, onEvent: OnEvent, options: StreamOptions = {}): Promise<StreamRead> {
  const suspects: Suspect[] = [];
  const read = await readLines(
    fh,
    {
      onEvent,
      onRepeat: (line, first) => {
        suspects.push({ line, first });
        return undefined;
      },
      stopAtFirstError: options.stopAtFirstError === true,
    },
    options,
  );
  return { ...read, suspects };
}

function atPosition(events: readonly StoredEvent[], position: number): StoredEvent | undefined {
  let lo = 0;
  let hi = events.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const p = events[mid]!.position;
    if (p === position) return events[mid];
    if (p < position) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

async function readLines(fh: FileHandle, mode: Mode, options: StreamOptions): Promise<LineRead> {
  const { filter, limit } = options;
  const total = limit ?? (await fh.stat()).size;
  const errors: LineError[] = [];
  const { resume } = options;
  const ids = resume?.ids ?? new IdSet();
  // Last revision per stream (updated even by a line out of sequence, so a single
  // gap is reported once rather than on every later line of the stream), and the
  // stream's name as first read (see StreamHead).
  const heads = new Map<string, StreamHead>();
  if (resume !== undefined) for (const h of resume.streams) heads.set(h.name, h);
  let head: StreamHead | undefined;
  let lastAt = '';
  let events = 0;

  const check = (text: string, no: number): Checked => {
    let value: unknown;
    try {
      value = JSON.parse(no === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    } catch (err) {
      return new Invalid(`line ${no}: not valid JSON (${(err as Error).message})`);
    }
    const bad = envelopeError(value);
    if (bad !== undefined) return new Invalid(`line ${no}: ${bad}`);
    const event = toStoredEvent(value as Record<string, unknown>) as { -readonly [K in keyof StoredEvent]: StoredEvent[K] };
    // Runs of one stream are common: compare with the previous line's before hashing.
    const name = event.stream;
    const h = head !== undefined && head.name === name ? head : heads.get(name);
    const prev = h?.revision;
    if (h === undefined) {
      if (filter !== undefined && !filter.owns(name)) throw new StreamOutsideFilter(name);
      heads.set(name, (head = { name, revision: event.revision, state: undefined }));
    } else {
      h.revision = event.revision;
      event.stream = h.name;
      head = h;
    }
    // Events of one batch share their instant: keep one string for it.
    if (event.at === lastAt) event.at = lastAt;
    else lastAt = event.at;
    // Position is the line's index: a corrupt line earlier does not shift the rest.
    if (event.position !== no - 1) {
      return new Invalid(`line ${no}: position ${event.position} does not continue the log (expected ${no - 1})`);
    }
    if (event.revision !== (prev ?? -1) + 1) {
      const after = prev === undefined ? 'nothing (a stream starts at 0)' : String(prev);
      return new Invalid(`line ${no}: revision ${event.revision} of stream ${JSON.stringify(event.stream)} follows ${after}`);
    }
    // Ids are unique in a log; a hash seen before is for the mode to judge, against each line that has it.
    const hash = idHash(event.id);
    if (ids.add(hash, no) !== 0) {
      for (const first of ids.linesWith(hash)) {
        if (first === no) continue;
        const repeated = mode.onRepeat(no, first, event);
        if (repeated !== undefined) return new Invalid(repeated);
      }
    }
    return event;
  };
  // `head` is the stream of the line just checked. False: stop reading.
  const take = (c: Checked, no: number, start = 0, end = 0): boolean => {
    if (c instanceof Invalid) {
      errors.push({ line: no, message: c.error });
      return !mode.stopAtFirstError;
    }
    events++;
    mode.onEvent(c, head!, start, end);
    return true;
  };
  const keeps = (buf: Buffer, s: number, e: number): boolean => filter === undefined || filter.keeps(buf, s, e);
  const stopped = (): LineRead => ({ errors, lines: 0, validBytes: 0, events, bytes: total, ids });

  let buf: Buffer = Buffer.allocUnsafe(options.chunkBytes ?? CHUNK);
  // The next chunk is read into the other buffer while this one's lines are checked (the read, a copy
  // from the page cache made off this thread, then costs no time here): made at the first read-ahead.
  let spare: Buffer | undefined;
  let base = resume?.offset ?? 0; // file offset of buf[0], always the start of a line
  let carry = 0; // bytes at the front of buf of a line not yet complete
  let lineNo = resume?.lines ?? 0;
  // After the first chunk, the id table is made as large as the ids the rest of the file holds at that
  // chunk's rate require (see IdSet.reserve), instead of doubling its way there.
  const from = { offset: base, ids: ids.size };
  let reserved = false;
  /** Reads file bytes from `offset` into `into` at `at` (to its end, or to the limit); resolves to their count. */
  const readInto = async (into: Buffer, at: number, offset: number): Promise<number> => {
    const want = limit === undefined ? into.length - at : Math.min(into.length - at, limit - offset);
    return want <= 0 ? 0 : (await fh.read(into, at, want, offset)).bytesRead;
  };
  let pending: Promise<number> | undefined = readInto(buf, 0, base);
  try {
    for (;;) {
      const bytesRead = await pending;
      pending = undefined;
      if (bytesRead === 0) break;
      const end = carry + bytesRead;
      const lastNl = buf.lastIndexOf(10, end - 1);
      if (lastNl < 0) {
        // No line ends in the buffer: read on into it (made larger once full).
        carry = end;
        if (carry === buf.length) {
          const bigger = Buffer.allocUnsafe(buf.length * 2);
          buf.copy(bigger, 0, 0, carry);
          buf = bigger;
        }
        pending = readInto(buf, carry, base + carry);
        continue;
      }
      // The unfinished line goes to the front of the other buffer, and the rest of the file is read after it.
      const next = end - (lastNl + 1);
      if (spare === undefined || spare.length !== buf.length) spare = Buffer.allocUnsafe(buf.length);
      buf.copy(spare, 0, lastNl + 1, end);
      pending = readInto(spare, next, base + end);
      for (let s = 0, nl = buf.indexOf(10, 0); nl >= 0 && nl <= lastNl; s = nl + 1, nl = buf.indexOf(10, s)) {
        lineNo += 1;
        if (keeps(buf, s, nl) && !take(check(buf.toString('utf8', s, nl), lineNo), lineNo, base + s, base + nl + 1)) return stopped();
      }
      options.onLines?.(buf, 0, lastNl + 1);
      const checked = buf;
      buf = spare;
      spare = checked;
      base += lastNl + 1;
      carry = next;
      if (!reserved) {
        reserved = true;
        ids.reserve(ids.size + Math.ceil(((ids.size - from.ids) / (base - from.offset)) * (total - base)));
      }
      options.onProgress?.(base, total);
    }
  } finally {
    // A read still running when the read stops early (an invalid line, a filter that does not hold):
    // settled before the caller may close the file.
    if (pending !== undefined) await pending.catch(() => 0);
  }
  const done = (extra: { lines: number; validBytes: number; tornTail?: TornTail }): LineRead => {
    options.onProgress?.(total, total);
    return { errors, events, bytes: total, ids, ...extra };
  };
  if (carry > 0) {
    // The file ends without a newline: an interrupted append if its shape allows.
    const no = lineNo + 1;
    if (!keeps(buf, 0, carry)) return done({ lines: no, validBytes: base + carry });
    if (isTornFragment(buf.subarray(0, carry))) return done({ lines: no, validBytes: base, tornTail: { line: no, bytes: carry } });
    const tail = check(buf.toString('utf8', 0, carry), no);
    const message =
      tail instanceof Invalid ? tail.error : `line ${no}: the last line has no newline and is not the start of an event of this log`;
    if (!take(new Invalid(message), no)) return stopped();
    return done({ lines: no, validBytes: base + carry });
  }
  return done({ lines: lineNo, validBytes: base });
}
