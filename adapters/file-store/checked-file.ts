// A cache file beside the log (the engine's snapshot, the store's index): a
// header line (JSON: format, body length, body SHA-256, and the caller's own
// fields) then the body. Replaced atomically: written to `<path>.tmp` (mode
// 0600: it describes every device), fsynced, renamed over the old one, and the
// directory fsynced; a crash leaves the old file or the new one, and a damaged
// file fails its checksum. Such a file is never the source of truth.
import { createHash } from 'node:crypto';
import { open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { SnapshotError } from '../../src/ports.js';
import { ioText } from '../shared/log-reader.js';
import { syncDirectory } from './durable.js';

export type SaveStep = 'tmpWritten' | 'tmpSynced' | 'renamed';

export interface CheckedFile {
  readonly header: Readonly<Record<string, unknown>>;
  readonly body: Buffer;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Reads and checks the file at `path` (`label` names it in messages); undefined when there is none. */
export async function loadChecked(path: string, label: string, format: string): Promise<Either<SnapshotError, CheckedFile | undefined>> {
  const corrupt = (why: string): Either<SnapshotError, never> => left({ kind: 'corrupt', message: `${label} ${path}: ${why}` });
  let file: Buffer;
  try {
    file = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return right(undefined);
    return left({ kind: 'io', message: `${label} ${path}: cannot read: ${ioText(err)}` });
  }
  const nl = file.indexOf(10);
  if (nl < 0) return corrupt('no header line');
  let header: unknown;
  try {
    header = JSON.parse(file.toString('utf8', 0, nl));
  } catch {
    return corrupt('line 1 (header) is not JSON');
  }
  const h = header as { format?: unknown; bytes?: unknown; sha256?: unknown };
  if (typeof header !== 'object' || header === null || h.format !== format) return corrupt(`line 1 is not a ${label} header`);
  const body = file.subarray(nl + 1);
  if (h.bytes !== body.length) return corrupt(`line 2 holds ${body.length} bytes, the header says ${String(h.bytes)} (truncated?)`);
  if (h.sha256 !== sha256(body)) return corrupt('line 2 does not match the header checksum');
  return right({ header: header as Record<string, unknown>, body });
}

/** Replaces the file at `path` atomically with `body` under a header of `format` and `fields`. */
export async function saveChecked(
  path: string,
  label: string,
  format: string,
  body: Buffer,
  fields: Readonly<Record<string, unknown>> = {},
  onStep?: (step: SaveStep) => Promise<void> | void,
): Promise<Either<SnapshotError, void>> {
  const tmp = `${path}.tmp`;
  const header = JSON.stringify({ format, bytes: body.length, sha256: sha256(body), ...fields });
  try {
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writev([Buffer.from(`${header}\n`, 'utf8'), body]);
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
