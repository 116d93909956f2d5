// Opens the store a `LOG` / `--store` names: a file path is the embedded log,
// an `esdb://…` (or `esdb+discover://`, `kurrentdb://`) connection string is
// EventStoreDB. Messages name an EventStoreDB store without its credentials.
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { logIndexPath, openFileStore, readLog, type LineError, type TornTail } from '../file-store/index.js';
// The EventStoreDB client is loaded only when an esdb:// store is named: file-log
// commands (replay, explain, what-if) must not pay its start-up cost.
const loadEsdb = () => import('../eventstoredb/index.js');
import { isEventStoreDbSpec, redactConnectionString } from '../shared/connection-string.js';
import type { EventStore, StoredEvent, StoreError } from '../../src/ports.js';
import { UsageError, WorkFailure, InputFailure } from './io.js';

export const isEsdb = isEventStoreDbSpec;

/** How to show a store spec: a file path as given, a connection string without its credentials. */
export const displaySpec = (spec: string): string => (isEventStoreDbSpec(spec) ? redactConnectionString(spec) : spec);

export function describeStoreError(e: StoreError): string {
  switch (e.kind) {
    case 'conflict':
      return `conflict on ${e.stream}: expected revision ${String(e.expected)}, found ${String(e.actual)}`;
    case 'corrupt':
      return `${e.file ?? 'log'}${e.line !== undefined ? ` line ${e.line}` : ''}: ${e.message}`;
    default:
      return e.message;
  }
}

/** A malformed connection string is a usage error (exit 2), before anything is contacted. */
export async function checkSpec(spec: string): Promise<void> {
  if (!isEsdb(spec)) return;
  const parsed = (await loadEsdb()).parseConnection(spec);
  if (isLeft(parsed)) throw new UsageError(parsed.left);
}

/**
 * Opens a store for reading and appending. A corrupt log is exit 2; a log that
 * cannot be opened or a node that cannot be reached is exit 1.
 */
export async function openStore(spec: string, options: { replace?: boolean } = {}): Promise<EventStore & { replaced?: { bytes: number } }> {
  if (isEsdb(spec)) {
    await checkSpec(spec);
    const r = await (await loadEsdb()).eventStoreDbStore(spec);
    if (isLeft(r)) throw new WorkFailure(describeStoreError(r.left));
    return r.right;
  }
  const r = await openFileStore(spec, options.replace === true ? { replace: true } : {});
  if (isLeft(r)) {
    if (r.left.kind === 'corrupt') throw new InputFailure(describeStoreError(r.left));
    throw new WorkFailure(describeStoreError(r.left));
  }
  // An index beside the log that could not be used is said (every line was checked instead: nothing is wrong with the log).
  const note = r.right.logIndex;
  if (note.kind === 'rebuilt' && note.reason !== 'none yet')
    process.stderr.write(
      `eas-sync: log index ${logIndexPath(spec)} not used (${note.reason}); every line of the log checked (${note.checked})\n`,
    );
  return r.right;
}

export interface LogRead {
  /** Every valid event, in log order. */
  readonly events: StoredEvent[];
  /** Invalid lines of a file log (their events are left out); always empty for EventStoreDB. */
  readonly errors: LineError[];
  /** A torn last line of a file log (an append cut by a crash; never acknowledged). */
  readonly tornTail?: TornTail;
}

/**
 * Reads a whole log without modifying it, for replay tools: `readLog` for a
 * file (every invalid line reported, a torn tail reported as such), the
 * EventStoreDB adapter's readAll for a connection string. A malformed
 * connection string is thrown as a UsageError.
 */
export async function readAllFromSpec(spec: string): Promise<Either<StoreError, LogRead>> {
  if (!isEsdb(spec)) {
    const scan = await readLog(spec);
    if (isLeft(scan)) return scan;
    const { events, errors, tornTail } = scan.right;
    return right(tornTail === undefined ? { events, errors } : { events, errors, tornTail });
  }
  await checkSpec(spec);
  const opened = await (await loadEsdb()).eventStoreDbStore(spec);
  if (isLeft(opened)) return opened;
  try {
    const all = await opened.right.readAll();
    return isLeft(all) ? left(all.left) : right({ events: all.right, errors: [] });
  } finally {
    await opened.right.close();
  }
}
