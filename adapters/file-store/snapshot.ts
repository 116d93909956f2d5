// The engine's snapshot beside a file log: `<log>.snapshot` (docs/log-format.md).
// Two lines: a header with the body's length and SHA-256, then the body (the
// engine's snapshot text). Replaced atomically: written to `<log>.snapshot.tmp`,
// fsynced, renamed over the old one, and the directory fsynced; a crash leaves
// the old snapshot or the new one, and a damaged file fails its checksum.
import { createHash } from 'node:crypto';
import { open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { SnapshotError, SnapshotStore } from '../../src/ports.js';
import { ioText } from '../shared/log-reader.js';
import { syncDirectory } from './durable.js';

export const SNAPSHOT_FILE_FORMAT = 'eas-access-sync/snapshot-file';

export interface FileSnapshotOptions {
  /** Test hook: called at each step of a save; a throw stops the save there, as a crash would. */
  readonly onStep?: (step: 'tmpWritten' | 'tmpSynced' | 'renamed') => Promise<void> | void;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The snapshot store of the log at `logPath`: `<logPath>.snapshot`. */
export function fileSnapshotStore(logPath: string, options: FileSnapshotOptions = {}): SnapshotStore {
  const path = `${logPath}.snapshot`;
  const tmp = `${path}.tmp`;
  const corrupt = (why: string): Either<SnapshotError, never> => left({ kind: 'corrupt', message: `snapshot ${path}: ${why}` });
  return {
    location: path,
    async load() {
      let file: Buffer;
      try {
        file = await readFile(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return right(undefined);
        return left({ kind: 'io', message: `snapshot ${path}: cannot read: ${ioText(err)}` });
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
      if (typeof header !== 'object' || header === null || h.format !== SNAPSHOT_FILE_FORMAT)
        return corrupt('line 1 is not a snapshot header');
      const body = file.subarray(nl + 1);
      if (h.bytes !== body.length) return corrupt(`line 2 holds ${body.length} bytes, the header says ${String(h.bytes)} (truncated?)`);
      if (h.sha256 !== sha256(body)) return corrupt('line 2 does not match the header checksum');
      return right(body.toString('utf8'));
    },
    async save(text) {
      const body = Buffer.from(text, 'utf8');
      const header = JSON.stringify({ format: SNAPSHOT_FILE_FORMAT, bytes: body.length, sha256: sha256(body) });
      try {
        // Only the engine's owner reads it: it holds every device's decision.
        const fh = await open(tmp, 'w', 0o600);
        try {
          await fh.writeFile(Buffer.concat([Buffer.from(`${header}\n`, 'utf8'), body]));
          await options.onStep?.('tmpWritten');
          await fh.sync();
          await options.onStep?.('tmpSynced');
        } finally {
          await fh.close();
        }
        await rename(tmp, path);
        await options.onStep?.('renamed');
        await syncDirectory(dirname(path));
        return right(undefined);
      } catch (err) {
        return left({ kind: 'io', message: `snapshot ${path}: cannot write: ${ioText(err)}` });
      }
    },
  };
}
