// A cache file beside the log (the engine's snapshot, the store's index): a
// header line (JSON: format, body length, body SHA-256, and the caller's own
// fields) then the body. Replaced atomically: written to `<path>.tmp` (mode
// 0600: it describes every device), fsynced, renamed over the old one, and the
// directory fsynced; a crash leaves the old file or the new one, and a damaged
// file fails its checksum. Such a file is never the source of truth.
import { createHash } from 'node:crypto';
import { open, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { SnapshotError } from '../../src/ports.js';
import { ioText } from '../shared/log-reader.js';
import { syncDirectory } from './durable.js';
import { readHashed } from './hashed-read.js';
import { utf8Pieces } from '../shared/utf8-pieces.js';

export type SaveStep = 'tmpWritten' | 'tmpSynced' | 'renamed';

/**
 * A body as one buffer, or as parts written one after the other: the store's index is saved from its
 * arrays as they are (joined into one buffer first, each save copied the whole index once more). Or a
 * text, written as UTF-8 a piece at a time: a snapshot (~285 MB at 200,000 devices) is never held a
 * second time as bytes. Its pieces are encoded twice (once for the checksum the header gives first,
 * once to write them); `pieceChars` is for tests.
 */
export type Body = Uint8Array | readonly Uint8Array[] | { readonly text: string | readonly string[]; readonly pieceChars?: number };

/** The body's parts, as often as asked (a text's are made again each time). */
const partsOf = (body: Body): (() => Iterable<Uint8Array>) =>
  body instanceof Uint8Array ? () => [body] : 'text' in body ? () => utf8Pieces(body.text, body.pieceChars) : () => body;

/** Writes every byte of `parts` at the file's current position: a short write goes on with what is left. @internal */
export async function writeAll(fh: Pick<FileHandle, 'writev'>, parts: readonly Uint8Array[]): Promise<void> {
  let left = parts.filter((p) => p.length > 0);
  while (left.length > 0) {
    const { bytesWritten } = await fh.writev(left);
    if (bytesWritten <= 0) throw new Error('the file took no bytes');
    let n = bytesWritten;
    let i = 0;
    while (i < left.length && n >= left[i]!.length) n -= left[i++]!.length;
    left = i < left.length ? [left[i]!.subarray(n), ...left.slice(i + 1)] : [];
  }
}

type Header = Readonly<Record<string, unknown>> & { readonly bytes?: unknown; readonly sha256?: unknown };

/**
 * The header of a checked file whose first bytes are `head` and whose body (after the header's newline)
 * is `bodyBytes` long; or why it is not one (`label` names the file in messages, `format` is the one expected).
 */
function headerOf(
  head: Buffer,
  label: string,
  format: string,
  bodyBytes: (nl: number) => number,
): Either<string, { header: Header; nl: number }> {
  const nl = head.indexOf(10);
  if (nl < 0) return left('no header line');
  let header: unknown;
  try {
    header = JSON.parse(head.toString('utf8', 0, nl));
  } catch {
    return left('line 1 (header) is not JSON');
  }
  const h = header as { format?: unknown; bytes?: unknown };
  if (typeof header !== 'object' || header === null || h.format !== format) return left(`line 1 is not a ${label} header`);
  const n = bodyBytes(nl);
  if (h.bytes !== n) return left(`line 2 holds ${n} bytes, the header says ${String(h.bytes)} (truncated?)`);
  return right({ header: header as Header, nl });
}

// Read size of a checked file's body.
const PIECE = 8 * 1024 * 1024;

/** A checked file read in pieces: the header, then the body into the caller's own memory, checked once read. */
export interface CheckedReader {
  readonly header: Readonly<Record<string, unknown>>;
  /** The body's length in bytes (as the header says; the file holds exactly that). */
  readonly bodyBytes: number;
  /** Fills `into` with the body's next bytes; false when the file ends first (it changed while read). */
  read(into: Uint8Array): Promise<boolean>;
  /** The body's unread rest. */
  rest(): Promise<Buffer>;
  /** Undefined when every byte of the body was read and matches the header's checksum, else why not. */
  verify(): string | undefined;
  close(): Promise<void>;
}

/**
 * Opens the checked file at `path` (undefined when there is none) and reads its header; the body is read
 * by the caller, into its own memory, and checked once read:
 * a caller that keeps the body in typed arrays reads it straight into them (for the store's index, ~70 MB
 * at 50,000 devices after a year, that spares a buffer as large, its first touch and a copy).
 */
export async function openChecked(path: string, label: string, format: string): Promise<Either<SnapshotError, CheckedReader | undefined>> {
  const corrupt = (why: string): Either<SnapshotError, never> => left({ kind: 'corrupt', message: `${label} ${path}: ${why}` });
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return right(undefined);
    return left({ kind: 'io', message: `${label} ${path}: cannot read: ${ioText(err)}` });
  }
  let handed = false;
  try {
    const size = (await fh.stat()).size;
    // The header is a short line: its first 64 KiB hold it.
    const head = Buffer.allocUnsafe(Math.min(size, 64 * 1024));
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const parsed = headerOf(head.subarray(0, bytesRead), label, format, (nl) => size - (nl + 1));
    if (isLeft(parsed)) return corrupt(parsed.left);
    const { header, nl } = parsed.right;
    const bodyBytes = size - (nl + 1);
    const hash = createHash('sha256');
    let digest: string | undefined;
    let at = nl + 1;
    const end = size;
    // `into` in pieces, each hashed while the next is read (hashed-read.ts).
    const read = async (into: Uint8Array): Promise<boolean> => {
      const pieces = Math.ceil(into.length / PIECE);
      const done = await readHashed(fh, at, pieces, (k) => into.subarray(k * PIECE, Math.min(into.length, (k + 1) * PIECE)), hash);
      // What was read is `at`'s advance; a short file leaves verify() to say the body was not read to its end.
      if (done) at += into.length;
      return done;
    };
    handed = true;
    return right({
      header,
      bodyBytes,
      read,
      async rest() {
        const b = Buffer.allocUnsafe(Math.max(0, end - at));
        return (await read(b)) ? b : b.subarray(0, 0);
      },
      verify() {
        if (at !== end) return `${label} ${path}: line 2 was not read to its end`;
        digest ??= hash.digest('hex');
        return digest !== header.sha256 ? `${label} ${path}: line 2 does not match the header checksum` : undefined;
      },
      close: () => fh.close(),
    });
  } catch (err) {
    return left({ kind: 'io', message: `${label} ${path}: cannot read: ${ioText(err)}` });
  } finally {
    if (!handed) await fh.close().catch(() => undefined);
  }
}

/** Replaces the file at `path` atomically with `body` under a header of `format` and `fields`. */
export async function saveChecked(
  path: string,
  label: string,
  format: string,
  body: Body,
  fields: Readonly<Record<string, unknown>> = {},
  onStep?: (step: SaveStep) => Promise<void> | void,
): Promise<Either<SnapshotError, void>> {
  const tmp = `${path}.tmp`;
  const parts = partsOf(body);
  let bytes = 0;
  const h = createHash('sha256');
  for (const p of parts()) {
    h.update(p);
    bytes += p.length;
  }
  const header = JSON.stringify({ format, bytes, sha256: h.digest('hex'), ...fields });
  try {
    const fh = await open(tmp, 'w', 0o600);
    try {
      if (Array.isArray(body) || body instanceof Uint8Array) await writeAll(fh, [Buffer.from(`${header}\n`, 'utf8'), ...parts()]);
      else {
        await writeAll(fh, [Buffer.from(`${header}\n`, 'utf8')]);
        for (const p of parts()) await writeAll(fh, [p]);
      }
      await onStep?.('tmpWritten');
      await fh.sync();
      await onStep?.('tmpSynced');
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    await onStep?.('renamed');
    await syncDirectory(dirname(path));
    return right(undefined);
  } catch (err) {
    return left({ kind: 'io', message: `${label} ${path}: cannot write: ${ioText(err)}` });
  }
}
