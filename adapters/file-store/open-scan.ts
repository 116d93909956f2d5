// Opening a log: every line checked and indexed (disk-index.ts), or, when the
// index saved beside the log (log-index-file.ts) still matches the log's bytes,
// only the lines after it. Either way the valid bytes are hashed as they are
// read, so the store can save its index again later without reading the log.
import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { isLeft } from 'fp-ts/lib/Either.js';
import { streamLog, type LineError, type ResumePoint, type TornTail } from '../shared/log-reader.js';
import { confirmDuplicates } from '../shared/log-ids.js';
import { DiskIndex, type DiskHead } from './disk-index.js';
import { loadLogIndex, type SavedIndex } from './log-index-file.js';
import { readHashed } from './hashed-read.js';

/** Whether the saved index was used: the store tells, it never fails because of one. */
export type LogIndexNote =
  /** Used: `events` lines were taken from it, `checked` lines after it were read and checked. */
  | { readonly kind: 'loaded'; readonly events: number; readonly checked: number }
  /** Not used (none, damaged, not matching the log): every line was read and checked. */
  | { readonly kind: 'rebuilt'; readonly reason: string; readonly checked: number };

export interface OpenScan {
  readonly index: DiskIndex;
  /** The first invalid line (a confirmed repeated id included). */
  readonly bad?: LineError;
  readonly tornTail?: TornTail;
  readonly validBytes: number;
  /** SHA-256 of the valid bytes so far, to be continued by appends. */
  readonly hash: Hash;
  readonly note: LogIndexNote;
}

const CHUNK = 8 * 1024 * 1024;

export async function openScan(fh: FileHandle, logPath: string): Promise<OpenScan> {
  const size = (await fh.stat()).size;
  const saved = await loadLogIndex(logPath);
  let reason = isLeft(saved) ? saved.left : saved.right === undefined ? 'none yet' : undefined;
  let index: DiskIndex | undefined;
  let taken = 0;
  let hash = createHash('sha256');
  if (!isLeft(saved) && saved.right !== undefined) {
    const matched = await matchPrefix(fh, saved.right.prefix, size, hash);
    if (typeof matched === 'string') {
      reason = matched;
      hash = createHash('sha256');
    } else {
      index = DiskIndex.from(saved.right.data);
      taken = saved.right.data.count;
    }
  }
  const scan = await scanFrom(fh, index, hash);
  const checked = scan.index.length - taken;
  const note: LogIndexNote =
    index === undefined
      ? { kind: 'rebuilt', reason: reason ?? 'none yet', checked }
      : { kind: 'loaded', events: scan.index.length - checked, checked };
  return { ...scan, hash, note };
}

/** Hashes the log's first bytes into `hash`; a reason when they are not those the index was made from. @internal */
export async function matchPrefix(
  fh: FileHandle,
  prefix: SavedIndex['prefix'],
  size: number,
  hash: Hash,
  chunkBytes = CHUNK,
): Promise<true | string> {
  const { bytes, sha256 } = prefix;
  if (size < bytes) return `the log (${size} bytes) is shorter than the ${bytes} bytes its index covers`;
  // Two buffers in turn: one is hashed while the next piece is read into the other (hashed-read.ts).
  const length = Math.min(chunkBytes, Math.max(bytes, 1));
  const buffers = [Buffer.allocUnsafe(length), Buffer.allocUnsafe(length)] as const;
  const pieceOf = (k: number) => buffers[k % 2]!.subarray(0, Math.min(length, bytes - k * length));
  if (!(await readHashed(fh, 0, Math.ceil(bytes / length), pieceOf, hash))) return 'the log ended while its indexed part was read';
  return hash.copy().digest('hex') === sha256 ? true : `the log's first ${bytes} bytes are not those its index was made from`;
}

/** Checks and indexes the lines after `from` (the saved index) or all of them. */
async function scanFrom(fh: FileHandle, from: DiskIndex | undefined, hash: Hash): Promise<Omit<OpenScan, 'hash' | 'note'>> {
  const index = from ?? new DiskIndex();
  const resume: ResumePoint | undefined = from?.resumePoint();
  const read = await streamLog(
    fh,
    (e, stream, start, end) => {
      // The reader hands every event of a stream with one StreamHead: its state holds the index's head record.
      const head = (stream.state as DiskHead | undefined) ?? (stream.state = index.headRecord(stream.name));
      index.push(head, e.revision, start, end);
    },
    { stopAtFirstError: true, ...(resume === undefined ? {} : { resume }), onLines: (buf, s, e) => hash.update(buf.subarray(s, e)) },
  );
  // The reader's id table (hash to line = position + 1) is the index's (the saved one, continued, when resumed).
  index.adoptIds(read.ids);
  // A repeated id hash is only a suspect: read both lines again to judge it.
  const repeats = read.suspects.length === 0 ? [] : await confirmDuplicates(fh, read.suspects);
  const first = [...repeats, ...read.errors].sort((a, b) => a.line - b.line)[0];
  if (first !== undefined) return { index, bad: first, validBytes: 0 };
  return read.tornTail === undefined
    ? { index, validBytes: read.validBytes }
    : { index, validBytes: read.validBytes, tornTail: read.tornTail };
}
