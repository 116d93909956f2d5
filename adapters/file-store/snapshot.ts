// The engine's snapshot beside a file log: `<log>.snapshot` (docs/log-format.md).
// Two lines: a header with the body's length and SHA-256, then the body (the
// engine's snapshot text), written and checked as a checked file (checked-file.ts).
import { isAscii } from 'node:buffer';
import { isLeft, left, right } from 'fp-ts/lib/Either.js';
import type { Either } from 'fp-ts/lib/Either.js';
import type { SnapshotError, SnapshotStore } from '../../src/ports.js';
import { openChecked, saveChecked, type SaveStep } from './checked-file.js';
import { ioText } from '../shared/log-reader.js';

export const SNAPSHOT_FILE_FORMAT = 'eas-access-sync/snapshot-file';

export interface FileSnapshotOptions {
  /** Test hook: called at each step of a save; a throw stops the save there, as a crash would. */
  readonly onStep?: (step: SaveStep) => Promise<void> | void;
}

export interface FileSnapshotStore extends SnapshotStore {
  /**
   * Starts reading the snapshot now, for the next `load` to take (a save in
   * between drops it). A start calls it before opening the log: the file is read,
   * checked and decoded while the log's index is checked on another thread.
   */
  prefetch(): void;
}

/** The snapshot store of the log at `logPath`: `<logPath>.snapshot`. */
export function fileSnapshotStore(logPath: string, options: FileSnapshotOptions = {}): FileSnapshotStore {
  const path = `${logPath}.snapshot`;
  let ahead: Promise<Either<SnapshotError, string | undefined>> | undefined;
  return {
    location: path,
    prefetch() {
      ahead ??= readSnapshot();
    },
    load() {
      const read = ahead ?? readSnapshot();
      ahead = undefined;
      return read;
    },
    save,
    savePieces: save,
  };

  // A text whole or in pieces: written as UTF-8 a piece at a time either way (checked-file.ts).
  function save(text: string | readonly string[]): Promise<Either<SnapshotError, void>> {
    ahead = undefined;
    return saveChecked(path, 'snapshot', SNAPSHOT_FILE_FORMAT, { text }, {}, options.onStep);
  }

  async function readSnapshot(): Promise<Either<SnapshotError, string | undefined>> {
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
  }
}
