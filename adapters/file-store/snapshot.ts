// The engine's snapshot beside a file log: `<log>.snapshot` (docs/log-format.md).
// Two lines: a header with the body's length and SHA-256, then the body (the
// engine's snapshot text), written and checked as a checked file (checked-file.ts).
import { isAscii } from 'node:buffer';
import { isLeft, right } from 'fp-ts/lib/Either.js';
import type { SnapshotStore } from '../../src/ports.js';
import { loadChecked, saveChecked, type SaveStep } from './checked-file.js';

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
      const file = await loadChecked(path, 'snapshot', SNAPSHOT_FILE_FORMAT);
      if (isLeft(file)) return file;
      const body = file.right?.body;
      // An ASCII body (what snapshotText writes) decodes as Latin-1: the same characters, without UTF-8's checks.
      return right(body === undefined ? undefined : body.toString(isAscii(body) ? 'latin1' : 'utf8'));
    },
    save: (text) => saveChecked(path, 'snapshot', SNAPSHOT_FILE_FORMAT, Buffer.from(text, 'utf8'), {}, options.onStep),
  };
}
