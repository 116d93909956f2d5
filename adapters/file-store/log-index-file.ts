// The file store's index saved beside its log: `<log>.index` (docs/log-format.md),
// so that opening a long log does not check every line again. It is a cache:
// used only when the log's first `logBytes` bytes still hash to `logSha256`
// (the lines it indexes are then exactly the lines that were checked when it
// was made), and rebuilt from the log, with the reason, in every other case.
import { endianness } from 'node:os';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { SnapshotError } from '../../src/ports.js';
import { loadChecked, saveChecked } from './checked-file.js';
import type { DiskIndexData } from './disk-index.js';

export const LOG_INDEX_FORMAT = 'eas-access-sync/log-index';
// 2: id table line numbers as uint32 (1 had float64).
const VERSION = 2;

/** What the index covers: the log's first `bytes` bytes, and their SHA-256. */
export interface IndexedPrefix {
  readonly bytes: number;
  readonly sha256: string;
}

export interface SavedIndex {
  readonly data: DiskIndexData;
  readonly prefix: IndexedPrefix;
}

export const logIndexPath = (logPath: string): string => `${logPath}.index`;

const pad8 = (n: number) => Math.ceil(n / 8) * 8;

/** Saves `data`, covering `prefix` of the log, atomically. */
export function saveLogIndex(logPath: string, data: DiskIndexData, prefix: IndexedPrefix): Promise<Either<SnapshotError, void>> {
  const heads = Buffer.from(JSON.stringify(data.heads), 'utf8');
  const slots = data.ids.keys.length;
  const body = Buffer.concat([
    bytesOf(data.offsets),
    bytesOf(data.prev),
    Buffer.alloc(pad8(data.count * 4) - data.count * 4),
    bytesOf(data.ids.keys),
    bytesOf(data.ids.lines),
    heads,
  ]);
  return saveChecked(logIndexPath(logPath), 'log index', LOG_INDEX_FORMAT, body, {
    version: VERSION,
    endian: endianness(),
    events: data.count,
    idSlots: slots,
    logBytes: prefix.bytes,
    logSha256: prefix.sha256,
  });
}

/**
 * The saved index of the log at `logPath`: undefined when there is none, a
 * reason when it cannot be used (damaged, another version or byte order).
 */
export async function loadLogIndex(logPath: string): Promise<Either<string, SavedIndex | undefined>> {
  const file = await loadChecked(logIndexPath(logPath), 'log index', LOG_INDEX_FORMAT);
  if (isLeft(file)) return left(file.left.message);
  if (file.right === undefined) return right(undefined);
  const { header: h, body } = file.right;
  if (h.version !== VERSION) return left(`log index: version ${String(h.version)}, this store reads ${VERSION}`);
  if (h.endian !== endianness()) return left(`log index: written on a ${String(h.endian)} machine`);
  const count = h.events;
  const slots = h.idSlots;
  if (!isCount(count) || !isCount(slots) || slots < 2 || (slots & (slots - 1)) !== 0) return left('log index: bad counts in its header');
  if (!isCount(h.logBytes) || typeof h.logSha256 !== 'string') return left('log index: bad log prefix in its header');
  let at = 0;
  const take = (n: number) => body.subarray(at, (at += n));
  const offsets = new Float64Array(count + 1);
  const prev = new Int32Array(count);
  const keys = new Float64Array(slots);
  const lines = new Uint32Array(slots);
  if (body.length < (count + 1) * 8 + pad8(count * 4) + slots * 12) return left('log index: shorter than its header says');
  copyInto(offsets, take(offsets.byteLength));
  copyInto(prev, take(prev.byteLength));
  take(pad8(count * 4) - count * 4);
  copyInto(keys, take(keys.byteLength));
  copyInto(lines, take(lines.byteLength));
  let heads: unknown;
  try {
    heads = JSON.parse(body.toString('utf8', at));
  } catch {
    return left('log index: its stream list is not JSON');
  }
  if (!Array.isArray(heads) || !heads.every((x) => isHead(x, count))) return left('log index: its stream list is malformed');
  if (offsets[count] !== h.logBytes) return left('log index: its lines do not end where its header says');
  return right({
    data: { count, offsets, prev, ids: { keys, lines }, heads: heads as Array<[string, number, number]> },
    prefix: { bytes: h.logBytes, sha256: h.logSha256 },
  });
}

const isCount = (u: unknown): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= 0;

const isHead = (u: unknown, count: number): boolean =>
  Array.isArray(u) && u.length === 3 && typeof u[0] === 'string' && isCount(u[1]) && isCount(u[2]) && u[2] < count;

const bytesOf = (a: Float64Array | Int32Array | Uint32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

function copyInto(a: Float64Array | Int32Array | Uint32Array, from: Buffer): void {
  new Uint8Array(a.buffer, a.byteOffset, a.byteLength).set(from);
}
