// Folding an EventStoreDB log the way a file log is folded (replayFile).
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { StoredEvent, StoreError } from '../../src/ports.js';
import type { LineError } from '../shared/log-reader.js';

/**
 * Folds an EventStoreDB log without holding it in memory: each event to
 * `onEvent` in log order. Right(the number of events). A malformed connection
 * string is Left (`io`), as is a node that cannot be reached. The client is
 * loaded only when called: file logs never pay its start-up cost.
 */
export async function foldEventStoreDb(
  spec: string,
  onEvent: (e: StoredEvent) => void,
): Promise<Either<StoreError, { events: number; errors: LineError[] }>> {
  const { eventStoreDbStore } = await import('../eventstoredb/index.js');
  const opened = await eventStoreDbStore(spec);
  if (isLeft(opened)) return opened;
  try {
    const n = await opened.right.forEachEvent(onEvent);
    return isLeft(n) ? left(n.left) : right({ events: n.right, errors: [] });
  } finally {
    await opened.right.close();
  }
}
