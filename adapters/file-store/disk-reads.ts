// Reading events back from the log file by the index's line offsets. Every line
// read is checked again (JSON, envelope, position): the file was valid when
// opened, so a failure here means it was changed underneath the store, which
// is reported as `corrupt` with the line, never skipped.
import type { FileHandle } from 'node:fs/promises';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { StoredEvent, StoreError } from '../../src/ports.js';
import { envelopeError, toStoredEvent } from '../shared/log-codec.js';
import type { DiskIndex } from './disk-index.js';

const CHUNK = 8 * 1024 * 1024;

export interface LineSource {
  readonly path: string;
  readonly fh: FileHandle;
  readonly index: DiskIndex;
}

/** Events at positions [from, to), in order. */
export async function readPositions(src: LineSource, from: number, to: number): Promise<Either<StoreError, StoredEvent[]>> {
  const out: StoredEvent[] = [];
  const bad = await readSpan(src, from, to, (e) => out.push(e));
  return bad === undefined ? right(out) : left(bad);
}

/** Each event at positions [from, to) to `onEvent` as read (a chunk at a time), none held. */
export async function forEachPosition(
  src: LineSource,
  from: number,
  to: number,
  onEvent: (e: StoredEvent) => void,
): Promise<Either<StoreError, number>> {
  const bad = await readSpan(src, from, to, onEvent);
  return bad === undefined ? right(Math.max(0, to - from)) : left(bad);
}

/** Events at the given positions (ascending), reading each run of neighbours at once. */
export async function readScattered(src: LineSource, positions: readonly number[]): Promise<Either<StoreError, StoredEvent[]>> {
  const out: StoredEvent[] = [];
  for (let i = 0; i < positions.length;) {
    let j = i + 1;
    while (j < positions.length && positions[j] === positions[j - 1]! + 1) j++;
    const bad = await readSpan(src, positions[i]!, positions[j - 1]! + 1, (e) => out.push(e));
    if (bad !== undefined) return left(bad);
    i = j;
  }
  return right(out);
}

/** The id of the event at `position` (to confirm that an appended id repeats it). */
export async function idAt(src: LineSource, position: number): Promise<Either<StoreError, string>> {
  const r = await readPositions(src, position, position + 1);
  return r._tag === 'Left' ? r : right(r.right[0]!.id);
}

async function readSpan(src: LineSource, from: number, to: number, onEvent: (e: StoredEvent) => void): Promise<StoreError | undefined> {
  const { index } = src;
  let buf = Buffer.allocUnsafe(Math.min(CHUNK, index.offsetOf(to) - index.offsetOf(from)));
  for (let p = from; p < to;) {
    const base = index.offsetOf(p);
    let q = p + 1;
    while (q < to && index.offsetOf(q + 1) - base <= CHUNK) q++;
    const length = index.offsetOf(q) - base;
    if (buf.length < length) buf = Buffer.allocUnsafe(length);
    let got = 0;
    try {
      while (got < length) {
        const { bytesRead } = await src.fh.read(buf, got, length - got, base + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
    } catch (err) {
      return { kind: 'io', message: `log ${src.path}: cannot read: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (got < length) return changed(src.path, p, 'the file is shorter than when it was opened');
    for (let i = p; i < q; i++) {
      const s = index.offsetOf(i) - base;
      const e = index.offsetOf(i + 1) - base - 1;
      if (buf[e] !== 10) return changed(src.path, i, 'the line no longer ends where it did');
      const checked = decode(buf.toString('utf8', s, e), i);
      if (typeof checked === 'string') return changed(src.path, i, checked);
      onEvent(checked);
    }
    p = q;
  }
  return undefined;
}

function decode(text: string, position: number): StoredEvent | string {
  let value: unknown;
  try {
    value = JSON.parse(position === 0 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    return `not valid JSON (${(err as Error).message})`;
  }
  const bad = envelopeError(value);
  if (bad !== undefined) return bad;
  const event = toStoredEvent(value as Record<string, unknown>);
  return event.position === position ? event : `position ${event.position} where ${position} was`;
}

function changed(path: string, position: number, why: string): StoreError {
  return {
    kind: 'corrupt',
    file: path,
    line: position + 1,
    message: `log ${path}: line ${position + 1}: ${why}; the file was changed after the store opened it (reopen it)`,
  };
}
