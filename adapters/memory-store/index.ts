// The in-memory event store: the file store's semantics without the file. Events
// go through the same codec, so payloads come back exactly as a log would give
// them (JSON copies; `undefined` data becomes null).
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { AppendRequest, AppendResult, EventStore, ReadOptions, StoredEvent, StoreError } from '../../src/ports.js';
import { prepareRequests } from '../shared/log-codec.js';
import { StreamIndex } from '../shared/stream-index.js';

export function memoryStore(): EventStore & { events(): readonly StoredEvent[] } {
  const index = new StreamIndex();
  let closed = false;
  const closedError: StoreError = { kind: 'closed', message: 'memory store is closed' };
  return {
    // Synchronous once started, so appends never interleave and each checks
    // revisions against the state at the moment it runs.
    async append(requests: readonly AppendRequest[]): Promise<Either<StoreError, AppendResult[]>> {
      if (closed) return left(closedError);
      const planned = index.plan(prepareRequests(requests));
      if (isLeft(planned)) return planned;
      index.apply(planned.right.events);
      return right(planned.right.results);
    },
    async readStream(stream: string, options?: ReadOptions): Promise<Either<StoreError, StoredEvent[]>> {
      return closed ? left(closedError) : right(index.readStream(stream, options?.from));
    },
    async readAll(options?: ReadOptions): Promise<Either<StoreError, StoredEvent[]>> {
      return closed ? left(closedError) : right(index.readAll(options?.from));
    },
    async close(): Promise<void> {
      closed = true;
    },
    /** Every event in log order (still available after close, for assertions). */
    events(): readonly StoredEvent[] {
      return index.readAll();
    },
  };
}
