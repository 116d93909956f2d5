// Reads a whole log in large chunks and splits on newline bytes itself (logs run
// to a million lines). Byte offsets are tracked at buffer level so a torn tail is
// cut exactly, even when it ends inside a UTF-8 sequence.
import type { FileHandle } from 'node:fs/promises';
import type { StoredEvent } from '../../src/ports.js';
import { envelopeError, toStoredEvent } from '../shared/log-codec.js';
import { isTornFragment } from './torn.js';
import { IdSet, idHash } from './id-set.js';

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

export interface ScanResult {
  readonly events: StoredEvent[];
  readonly errors: LineError[];
  readonly tornTail?: TornTail;
  /** Lines in the file, a torn one included (0 when stopped at an error). */
  readonly lines: number;
  /** File length without the torn tail: where a writer truncates to. */
  readonly validBytes: number;
  /** The valid events' ids (position + 1 by hash), for the store's index. */
  readonly ids: IdSet;
}

const CHUNK = 8 * 1024 * 1024;

type Checked = { readonly event: StoredEvent } | { readonly error: string; readonly json: boolean };

/**
 * Scans the log behind `fh`. With `stopAtFirstError` it returns as soon as one
 * line is invalid (opening a store); otherwise it reports every invalid line.
 * I/O errors are thrown for the caller to turn into values.
 *
 * A torn tail (an unacknowledged append cut by a crash) is only the final
 * fragment after the last newline, and only when it is shaped like the start of
 * one of our lines (see torn.ts). A newline-terminated last line is checked like
 * any other: damage there is corruption, so opening the wrong file, or a log
 * with a damaged last event, never cuts anything.
 */
export async function scanLog(fh: FileHandle, stopAtFirstError: boolean): Promise<ScanResult> {
  const events: StoredEvent[] = [];
  const errors: LineError[] = [];
  // Last revision seen per stream, updated even by a line out of sequence so a
  // single gap is reported once rather than on every later line of the stream.
  const revisions = new Map<string, number>();
  // Ids are unique in a log; a repeated one is corruption like any other bad line.
  const ids = new IdSet();

  const check = (text: string, no: number): Checked => {
    let value: unknown;
    try {
      value = JSON.parse(no === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    } catch (err) {
      return { error: `line ${no}: not valid JSON (${(err as Error).message})`, json: false };
    }
    const bad = envelopeError(value);
    if (bad !== undefined) return { error: `line ${no}: ${bad}`, json: true };
    const event = toStoredEvent(value as Record<string, unknown>);
    const prev = revisions.get(event.stream);
    revisions.set(event.stream, event.revision);
    // Position is the line's index: a corrupt line earlier does not shift the rest.
    if (event.position !== no - 1) {
      return { error: `line ${no}: position ${event.position} does not continue the log (expected ${no - 1})`, json: true };
    }
    if (event.revision !== (prev ?? -1) + 1) {
      const after = prev === undefined ? 'nothing (a stream starts at 0)' : String(prev);
      return { error: `line ${no}: revision ${event.revision} of stream ${JSON.stringify(event.stream)} follows ${after}`, json: true };
    }
    const hash = idHash(event.id);
    const first = ids.find(hash);
    // Valid events are kept in order, so position + 1 recorded with the hash finds the earlier one.
    if (first !== 0) {
      const earlier = events.find((e) => e.position === first - 1);
      if (earlier !== undefined && earlier.id === event.id) return { error: `line ${no}: event id ${JSON.stringify(event.id)} repeats the id of line ${first}`, json: true };
    } else ids.add(hash, event.position + 1);
    return { event };
  };
  const take = (c: Checked, no: number): boolean => {
    if ('event' in c) {
      events.push(c.event);
      return true;
    }
    errors.push({ line: no, message: c.error });
    return !stopAtFirstError;
  };
  const stopped = (): ScanResult => ({ events, errors, lines: 0, validBytes: 0, ids });

  let buf = Buffer.allocUnsafe(CHUNK);
  let base = 0; // file offset of buf[0], always the start of a line
  let carry = 0; // bytes at the front of buf of a line not yet complete
  let lineNo = 0;

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
    if (lastNl < 0) {
      carry = end;
      continue;
    }
    const parts = buf.toString('utf8', 0, lastNl).split('\n');
    for (const part of parts) {
      lineNo += 1;
      if (!take(check(part, lineNo), lineNo)) return stopped();
    }
    buf.copy(buf, 0, lastNl + 1, end);
    base += lastNl + 1;
    carry = end - (lastNl + 1);
  }

  if (carry > 0) {
    // The file ends without a newline: an interrupted append if its shape allows.
    const no = lineNo + 1;
    if (isTornFragment(buf.subarray(0, carry))) {
      return { events, errors, tornTail: { line: no, bytes: carry }, lines: no, validBytes: base, ids };
    }
    const text = buf.toString('utf8', 0, carry);
    const tail = check(text, no);
    const message = 'error' in tail ? tail.error : `line ${no}: the last line has no newline and is not the start of an event of this log`;
    if (!take({ error: message, json: true }, no)) return stopped();
    return { events, errors, lines: no, validBytes: base + carry, ids };
  }
  return { events, errors, lines: lineNo, validBytes: base, ids };
}
