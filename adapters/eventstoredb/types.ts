// The EventStoreDB store's public shapes.
import type { Either } from 'fp-ts/lib/Either.js';
import type { EventStore, NewEvent, ReadOptions, SnapshotStore, StoredEvent, StoreError } from '../../src/ports.js';
import type { ConnectionInfo } from './connection.js';
import type { EventOrigin } from './envelope.js';
import type { CatchUpSubscription, SubscribeOptions } from './subscription.js';

export interface EventStoreDbOptions {
  /**
   * Only streams whose name starts with this belong to the store: it is added to
   * every stream name written and removed from every one read, and other streams
   * are not part of its log. Isolates tests (or tenants) sharing one node. Default ''.
   */
  readonly streamPrefix?: string;
  /** Read once on open so that an unreachable node is an error now, not at the first append. Default true. */
  readonly verify?: boolean;
  /** How long the check on open may take, in ms. Default 10 000. */
  readonly verifyTimeoutMs?: number;
}

/** A new event that was copied from another log: where it was (kept in the EventStoreDB metadata). */
export interface CopiedEvent extends NewEvent {
  readonly origin?: EventOrigin;
}

export interface EventStoreDbStore extends EventStore {
  /** The connection, credentials removed. */
  readonly connection: ConnectionInfo;
  /**
   * readAll without holding the log in memory: each event (from `options.from`)
   * to `onEvent` as it is read, in log order. Right(the number of events).
   */
  forEachEvent(onEvent: (event: StoredEvent) => void, options?: ReadOptions): Promise<Either<StoreError, number>>;
  /**
   * The engine's snapshot store for `organization` in this database: a stream of
   * its own, `eas-snapshot-<organization>` (snapshots.ts).
   * A snapshot loaded from it also lets this store's index start at the event
   * the snapshot covers, so a start reads $all only after it.
   */
  snapshots(organization: string): SnapshotStore;
  /** A catch-up subscription for projections: every event from the start or a checkpoint, then live ones. */
  subscribe(options: SubscribeOptions): CatchUpSubscription;
  /** Whether the log has none of this store's events (reads only until it finds one). */
  isEmpty(): Promise<Either<StoreError, boolean>>;
  /** Ends subscriptions, lets appends in flight finish (up to 5 s), then disconnects. Harmless twice. */
  close(): Promise<void>;
}
