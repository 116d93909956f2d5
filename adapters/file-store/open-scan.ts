// Opening a log: every line checked and indexed (disk-index.ts), or, when the
// index saved beside the log (log-index-file.ts) still matches the log's bytes,
// only the lines after it. Either way the valid bytes are hashed as they are
// read (in blocks, block-hash.ts), so the store can save its index again later
// without reading the log.
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { isLeft } from 'fp-ts/lib/Either.js';
import { streamLog, type LineError, type ResumePoint, type TornTail } from '../shared/log-reader.js';
import { confirmDuplicates } from '../shared/log-ids.js';
import { DiskIndex, type DiskHead } from './disk-index.js';
import { loadLogIndex, type IndexedPrefix } from './log-index-file.js';
import { readHashed } from './hashed-read.js';
import { BLOCK_BYTES, BlockHash, type BlockPrefix, type Updatable } from './block-hash.js';
import { checkBlocksOnWorker, type BlockCheck } from './verify-blocks.js';

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
  /** The valid bytes so far, hashed in blocks, to be continued by appends. */
  readonly hash: BlockHash;
  readonly note: LogIndexNote;
  /** The saved index was used but is of an older version: a writer saves it again. */
  readonly outdatedIndex?: boolean;
}

const CHUNK = 8 * 1024 * 1024;

// With fewer full blocks than this, a saved index's prefix is hashed here: a thread costs more to start.
const THREAD_FROM_BLOCKS = 2;

/**
 * `blockBytes`: the block size of a new index (a saved one keeps its own). `checkFullBlocks`: the
 * thread that checks a saved index's full blocks (a parameter for tests: one that fails).
 */
export async function openScan(
  fh: FileHandle,
  logPath: string,
  blockBytes = BLOCK_BYTES,
  checkFullBlocks: typeof checkBlocksOnWorker = checkBlocksOnWorker,
): Promise<OpenScan> {
  const size = (await fh.stat()).size;
  // The saved index's full blocks are checked on another thread while its body is read on this one.
  let checking: Promise<BlockCheck> | undefined;
  const onPrefix = (p: IndexedPrefix) => {
    if (p.kind === 'blocks' && p.bytes <= size && p.blocks.length >= THREAD_FROM_BLOCKS)
      checking = checkFullBlocks(fh.fd, p.blockBytes, p.blocks);
  };
  try {
    const saved = await loadLogIndex(logPath, onPrefix);
    let reason = isLeft(saved) ? saved.left : saved.right === undefined ? 'none yet' : undefined;
    let index: DiskIndex | undefined;
    let taken = 0;
    let hash = new BlockHash(blockBytes);
    let outdatedIndex = false;
    if (!isLeft(saved) && saved.right !== undefined) {
      const p = saved.right.prefix;
      outdatedIndex = p.kind === 'whole';
      const matched = p.kind === 'whole' ? await matchWhole(fh, p, size, blockBytes) : await matchBlocks(fh, p, size, checking);
      if (typeof matched === 'string') reason = matched;
      else {
        const loaded = DiskIndex.from(saved.right.data);
        const count = saved.right.data.count;
        // An id a line: a table saved when two ids that shared a hash kept one entry between them lacks the second.
        if (loaded.idCount !== count)
          reason = `its id table holds ${loaded.idCount} ids for ${count} events (saved when ids that share a hash kept one entry)`;
        else {
          hash = matched;
          index = loaded;
          taken = count;
        }
      }
    }
    const scan = await scanFrom(fh, index, hash);
    const checked = scan.index.length - taken;
    const note: LogIndexNote =
      index === undefined
        ? { kind: 'rebuilt', reason: reason ?? 'none yet', checked }
        : { kind: 'loaded', events: scan.index.length - checked, checked };
    return { ...scan, hash, note, ...(index !== undefined && outdatedIndex ? { outdatedIndex } : {}) };
  } finally {
    // The thread reads through this store's descriptor: never returned from (and perhaps closed) under it.
    await checking;
  }
}

/** A version 2 index's prefix, one SHA-256: hashed here, in blocks as well for the store to carry on. */
async function matchWhole(
  fh: FileHandle,
  prefix: { bytes: number; sha256: string },
  size: number,
  blockBytes: number,
): Promise<BlockHash | string> {
  const hash = new BlockHash(blockBytes);
  const matched = await matchPrefix(fh, prefix, size, hash);
  return matched === true ? hash : matched;
}

/**
 * A version 3 index's prefix: the partial block hashed here, the full blocks by `checking` (or here too
 * when there is no such thread, or it failed). The hash to carry on, or why the log does not match.
 */
async function matchBlocks(
  fh: FileHandle,
  prefix: BlockPrefix,
  size: number,
  checking: Promise<BlockCheck> | undefined,
): Promise<BlockHash | string> {
  const { bytes, blockBytes, blocks } = prefix;
  if (size < bytes) return `the log (${size} bytes) is shorter than the ${bytes} bytes its index covers`;
  const differs = (k: number) =>
    `the log's bytes ${k * blockBytes}-${Math.min(bytes, (k + 1) * blockBytes) - 1} are not those its index was made from`;
  const here = async (from: number): Promise<BlockHash | string> => {
    const hash = new BlockHash(blockBytes, blocks.slice(0, from));
    if (!(await hashRange(fh, from * blockBytes, bytes, hash))) return 'the log ended while its indexed part was read';
    const got = hash.prefix();
    for (let k = from; k < blocks.length; k++) if (got.blocks[k] !== blocks[k]) return differs(k);
    return got.last === prefix.last ? hash : differs(blocks.length);
  };
  if (checking === undefined) return here(0);
  const partial = await here(blocks.length);
  const full = await checking;
  if (full.kind === 'mismatch') return differs(full.block);
  if (full.kind === 'ended') return 'the log ended while its indexed part was read';
  if (full.kind === 'error') return here(0); // no thread to check on: checked here, as for a short log
  return partial;
}

/** Hashes the log's bytes `from` to `to` into `into`; false when the log ends first. Two buffers in turn (hashed-read.ts). */
async function hashRange(fh: FileHandle, from: number, to: number, into: Updatable, chunkBytes = CHUNK): Promise<boolean> {
  const bytes = to - from;
  const length = Math.min(chunkBytes, Math.max(bytes, 1));
  const buffers = [Buffer.allocUnsafe(length), Buffer.allocUnsafe(length)] as const;
  const pieceOf = (k: number) => buffers[k % 2]!.subarray(0, Math.min(length, bytes - k * length));
  return readHashed(fh, from, Math.ceil(bytes / length), pieceOf, into);
}

/**
 * Whether the log's first `prefix.bytes` bytes have SHA-256 `prefix.sha256` (a version 2 index), feeding
 * them to `into` as well; a reason when they are not those the index was made from. @internal
 */
export async function matchPrefix(
  fh: FileHandle,
  prefix: { bytes: number; sha256: string },
  size: number,
  into: Updatable,
  chunkBytes = CHUNK,
): Promise<true | string> {
  const { bytes, sha256 } = prefix;
  if (size < bytes) return `the log (${size} bytes) is shorter than the ${bytes} bytes its index covers`;
  const whole = createHash('sha256');
  const both = { update: (b: Uint8Array) => (whole.update(b), into.update(b)) };
  if (!(await hashRange(fh, 0, bytes, both, chunkBytes))) return 'the log ended while its indexed part was read';
  return whole.digest('hex') === sha256 ? true : `the log's first ${bytes} bytes are not those its index was made from`;
}

/** Checks and indexes the lines after `from` (the saved index) or all of them. */
async function scanFrom(fh: FileHandle, from: DiskIndex | undefined, hash: BlockHash): Promise<Omit<OpenScan, 'hash' | 'note'>> {
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
