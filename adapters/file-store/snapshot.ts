// The engine's snapshot beside a file log: `<log>.snapshot` (docs/log-format.md).
// Two lines: a header with the body's length and SHA-256, then the body (the
// engine's snapshot text), written and checked as a checked file (checked-file.ts).
import { isAscii } from 'node:buffer';
import { isLeft, left, right } from 'fp-ts/lib/Either.js';
import type { SnapshotStore } from '../../src/ports.js';
import { openChecked, saveChecked, type SaveStep } from './checked-file.js';
import { ioText } from '../shared/log-reader.js';

export const SNAPSHOT_FILE_FORMAT = 'eas-access-sync/snapshot-file';

export interface FileSnapshotOptions {
  /** Test hook: called at each step of a save; a throw stops the save there, as a crash would. */
  readonly onStep?: (step: SaveStep) => Promise<void> | void;
}

/** The snapshot store of the log at `logPath`: `<logPath>.snapshot`. */
export function fileSnapshotStore(logPath: string, options: FileSnapshotOptions = {}): SnapshotStore {
  const path = `${logPath}.snapshot`;
  return {
    location: path,
    async load() {
      // Read piecewise with the checksum computed as the pieces come (checked-file.ts), into one buffer.
      const opened = await openChecked(path, 'snapshot', SNAPSHOT_FILE_FORMAT);
      if (isLeft(opened)) return opened;
      const file = opened.right;
      if (file === undefined) return right(undefined);
      try {
        const body = Buffer.allocUnsafe(file.bodyBytes);
        if (!(await file.read(body))) return left({ kind: 'corrupt', message: `snapshot ${path}: the file ended while it was read` });
        const damaged = file.verify();
        if (damaged !== undefined) return left({ kind: 'corrupt', message: damaged });
        // An ASCII body (what snapshotText writes) decodes as Latin-1: the same characters, without UTF-8's checks.
        return right(body.toString(isAscii(body) ? 'latin1' : 'utf8'));
      } catch (err) {
        return left({ kind: 'io', message: `snapshot ${path}: cannot read: ${ioText(err)}` });
      } finally {
        await file.close().catch(() => undefined);
      }
    },
    save: (text) => saveChecked(path, 'snapshot', SNAPSHOT_FILE_FORMAT, Buffer.from(text, 'utf8'), {}, options.onStep),
  };
}
