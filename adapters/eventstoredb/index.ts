// The EventStore port over EventStoreDB / KurrentDB through @eventstore/db-client 6.x.
//
// Streams are EventStoreDB streams (behind an optional prefix), revisions are
// EventStoreDB's stream revisions; appends are fenced by the server's check of
// the expected revision (append.ts), positions are this store's own numbering
// of its events in $all order (positions.ts).
//
// Reading $all needs a user allowed to read it (an admin on a secure node).
import { left, right, isLeft, type Either } from 'fp-ts/lib/Either.js';
import { EventStoreDBClient } from '@eventstore/db-client';
import type { StoreError } from '../../src/ports.js';
import { parseConnection, scrub } from './connection.js';
import { EsdbLog } from './store.js';
import type { EventStoreDbOptions, EventStoreDbStore } from './types.js';

export { parseConnection, redactConnectionString, isEventStoreDbSpec, type ConnectionInfo } from './connection.js';
export type { CatchUpSubscription, Checkpoint, SubscribeOptions } from './subscription.js';
export type { EventOrigin } from './envelope.js';
export type { CopiedEvent, EventStoreDbOptions, EventStoreDbStore } from './types.js';

/**
 * Connects to EventStoreDB (or KurrentDB) by connection string:
 * `esdb://[user:password@]host[:port][?tls=false&…]`, `esdb+discover://…`, or the
 * same with `kurrentdb://`. TLS is on unless the string says `tls=false`.
 * Left(io) when the string is invalid or the node cannot be reached; messages
 * never contain the credentials.
 */
export async function eventStoreDbStore(
  connectionString: string,
  options: EventStoreDbOptions = {},
): Promise<Either<StoreError, EventStoreDbStore>> {
  if (options.streamPrefix?.startsWith('$'))
    throw new TypeError("eventStoreDbStore: streamPrefix must not start with $ (those streams are EventStoreDB's own)");
  const info = parseConnection(connectionString);
  if (isLeft(info)) return left({ kind: 'io', message: info.left });
  let client: EventStoreDBClient;
  try {
    client = EventStoreDBClient.connectionString(info.right.clientString);
  } catch (err) {
    return left({
      kind: 'io',
      message: scrub(`EventStoreDB ${info.right.redacted}: ${err instanceof Error ? err.message : String(err)}`, connectionString),
    });
  }
  const store = new EsdbLog(client, info.right, connectionString, options.streamPrefix ?? '');
  if (options.verify ?? true) {
    const ok = await store.verify(options.verifyTimeoutMs ?? 10_000);
    if (isLeft(ok)) {
      await store.close();
      return ok;
    }
  }
  return right(store);
}
