// In-memory view of a valid log: the global sequence plus one array per stream.
// Revision r of a stream is at index r of its array and position p at index p of
// the log, so reads with `from` are plain slices.
import type { Either } from 'fp-ts/lib/Either.js';
import type { StoredEvent, StoreError } from '../../src/ports.js';
import type { PreparedRequest } from './log-codec.js';
import { planAppend, type AppendPlan, type StreamHeadAt } from './append-plan.js';
import { IdSet, idHash } from './log-ids.js';

export class StreamIndex {
  private readonly all: StoredEvent[];
  private readonly streams = new Map<string, StoredEvent[]>();
  // Every event's id, mapped to its position + 1: ids are unique in a log.
  private readonly ids: IdSet;

  /**
   * `events` must already be a valid log (positions 0.., revisions 0.. per
   * stream, unique ids); it is adopted, not copied, and so is `ids` (position + 1 by id hash).
   */
  constructor(events: StoredEvent[] = [], ids?: IdSet) {
    this.all = events;
    for (const e of events) this.streamOf(e.stream).push(e);
    if (ids !== undefined) this.ids = ids;
    else {
      this.ids = new IdSet();
      for (const e of events) this.ids.add(idHash(e.id), e.position + 1);
    }
  }

  get length(): number {
    return this.all.length;
  }

  /** See planAppend. */
  plan(requests: readonly PreparedRequest[]): Either<StoreError, AppendPlan> {
    return planAppend(this, requests);
  }

  positionOfId(id: string): number | undefined {
    const hash = idHash(id);
    if (this.ids.find(hash) === 0) return undefined;
    // Every line with the hash: ids may share one.
    for (const held of this.ids.linesWith(hash)) if (this.all[held - 1]!.id === id) return held - 1;
    return undefined;
  }

  /** Adds planned events (in the order plan returned them). */
  apply(events: readonly StoredEvent[]): void {
    for (const e of events) {
      this.all.push(e);
      this.streamOf(e.stream).push(e);
      this.ids.add(idHash(e.id), e.position + 1);
    }
  }

  readStream(stream: string, from?: number): StoredEvent[] {
    return this.streams.get(stream)?.slice(start(from)) ?? [];
  }

  readAll(from?: number): StoredEvent[] {
    return this.all.slice(start(from));
  }

  head(stream: string): StreamHeadAt | undefined {
    const events = this.streams.get(stream);
    const last = events?.[events.length - 1];
    return last === undefined ? undefined : { revision: last.revision, position: last.position };
  }

  private streamOf(stream: string): StoredEvent[] {
    let events = this.streams.get(stream);
    if (events === undefined) {
      events = [];
      this.streams.set(stream, events);
    }
    return events;
  }
}

// `from` is a revision/position; a fractional one starts at the next whole one.
const start = (from: number | undefined): number => (from === undefined || !(from > 0) ? 0 : Math.ceil(from));
