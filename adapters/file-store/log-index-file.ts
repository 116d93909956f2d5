// The file store's index saved beside its log: `<log>.index` (docs/log-format.md),
// so that opening a long log does not check every line again. It is a cache:
// used only when the log's first `logBytes` bytes still hash as its header says
// (block by block since version 3, block-hash.ts; as one SHA-256 in version 2),
// so that the lines it indexes are exactly the lines that were checked when it
// was made, and rebuilt from the log, with the reason, in every other case.
import { endianness } from 'node:os';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { SnapshotError } from '../../src/ports.js';
import { openChecked, saveChecked, type CheckedReader } from './checked-file.js';
import { ioText } from '../shared/log-reader.js';
import type { DiskIndexData } from './disk-index.js';
import { isBlockPrefix, type BlockPrefix } from './block-hash.js';

export const LOG_INDEX_FORMAT = 'eas-access-sync/log-index';
// 3: the prefix hashed in blocks. 2: one SHA-256 of the prefix (still read; the body is the same).
// 1 (id table line numbers as float64) is rebuilt.
const VERSION = 3;
const READS = [2, 3];

/** What the index covers: the log's first `bytes` bytes, hashed in blocks or (version 2) as a whole. */
export type IndexedPrefix =
  ({ readonly kind: 'blocks' } & BlockPrefix) | { readonly kind: 'whole'; readonly bytes: number; readonly sha256: string };

export interface SavedIndex {
  readonly data: DiskIndexData;
  readonly prefix: IndexedPrefix;
}

export const logIndexPath = (logPath: string): string => `${logPath}.index`;

const pad8 = (n: number) => Math.ceil(n / 8) * 8;

/** Saves `data`, covering `prefix` of the log, atomically. */
export function saveLogIndex(logPath: string, data: DiskIndexData, prefix: BlockPrefix): Promise<Either<SnapshotError, void>> {
  const heads = Buffer.from(JSON.stringify(data.heads), 'utf8');
  const slots = data.ids.keys.length;
  // Written part by part from the copies `data` holds (DiskIndex.data): not joined into one buffer first.
  const body = [
    bytesOf(data.offsets),
    bytesOf(data.prev),
    Buffer.alloc(pad8(data.count * 4) - data.count * 4),
    bytesOf(data.ids.keys),
    bytesOf(data.ids.lines),
    heads,
  ];
  return saveChecked(logIndexPath(logPath), 'log index', LOG_INDEX_FORMAT, body, {
    version: VERSION,
    endian: endianness(),
    events: data.count,
    idSlots: slots,
    logBytes: prefix.bytes,
    logBlockBytes: prefix.blockBytes,
    logLast: prefix.last,
    logBlocks: prefix.blocks,
  });
}

/**
 * The saved index of the log at `logPath`: undefined when there is none, a
 * reason when it cannot be used (damaged, another version or byte order).
 * `onPrefix` is told what the index covers as soon as its header is read, before
 * its body (so that checking the log can start while the body is read).
 */
export async function loadLogIndex(
  logPath: string,
  onPrefix?: (prefix: IndexedPrefix) => void,
): Promise<Either<string, SavedIndex | undefined>> {
  const opened = await openChecked(logIndexPath(logPath), 'log index', LOG_INDEX_FORMAT);
  if (isLeft(opened)) return left(opened.left.message);
  if (opened.right === undefined) return right(undefined);
  const file = opened.right;
  try {
    return await readIndex(file, onPrefix);
  } catch (err) {
    return left(`log index: cannot read: ${ioText(err)}`);
  } finally {
    await file.close().catch(() => undefined);
  }
}

/** The index's arrays read straight from the file into their own memory, checked against the header's checksum. */
async function readIndex(file: CheckedReader, onPrefix?: (prefix: IndexedPrefix) => void): Promise<Either<string, SavedIndex>> {
  const h = file.header;
  if (!READS.includes(h.version as number)) return left(`log index: version ${String(h.version)}, this store reads ${READS.join(' and ')}`);
  if (h.endian !== endianness()) return left(`log index: written on a ${String(h.endian)} machine`);
  const count = h.events;
  const slots = h.idSlots;
  if (!isCount(count) || !isCount(slots) || slots < 2 || (slots & (slots - 1)) !== 0) return left('log index: bad counts in its header');
  const prefix = prefixOf(h);
  if (prefix === undefined) return left('log index: bad log prefix in its header');
  // Checked before anything is allocated: a header is not covered by the checksum.
  if (file.bodyBytes < (count + 1) * 8 + pad8(count * 4) + slots * 12) return left('log index: shorter than its header says');
  onPrefix?.(prefix);
  const offsets = new Float64Array(count + 1);
  const prev = new Int32Array(count);
  const keys = new Float64Array(slots);
  const lines = new Uint32Array(slots);
  const ended = 'log index: the file ended while it was read';
  for (const a of [offsets, prev, new Uint8Array(pad8(count * 4) - count * 4), keys, lines])
    if (!(await file.read(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)))) return left(ended);
  const rest = await file.rest();
  const damaged = file.verify();
  if (damaged !== undefined) return left(damaged);
  let heads: unknown;
  try {
    heads = JSON.parse(rest.toString('utf8'));
  } catch {
    return left('log index: its stream list is not JSON');
  }
  if (!Array.isArray(heads) || !heads.every((x) => isHead(x, count))) return left('log index: its stream list is malformed');
  if (offsets[count] !== h.logBytes) return left('log index: its lines do not end where its header says');
  return right({
    data: { count, offsets, prev, ids: { keys, lines }, heads: heads as Array<[string, number, number]> },
    prefix,
  });
}

function prefixOf(h: Readonly<Record<string, unknown>>): IndexedPrefix | undefined {
  if (h.version === 2)
    return isCount(h.logBytes) && typeof h.logSha256 === 'string' ? { kind: 'whole', bytes: h.logBytes, sha256: h.logSha256 } : undefined;
  const p = { bytes: h.logBytes, blockBytes: h.logBlockBytes, blocks: h.logBlocks, last: h.logLast };
  return isBlockPrefix(p) ? { kind: 'blocks', ...p } : undefined;
}

const isCount = (u: unknown): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= 0;

const isHead = (u: unknown, count: number): boolean =>
  Array.isArray(u) && u.length === 3 && typeof u[0] === 'string' && isCount(u[1]) && isCount(u[2]) && u[2] < count;

const bytesOf = (a: Float64Array | Int32Array | Uint32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
