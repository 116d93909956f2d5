// In-memory view of a valid log: the global sequence plus one array per stream.
// Revision r of a stream is at index r of its array and position p at index p of
// the log, so reads with `from` are plain slices.
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { AppendResult, StoredEvent, StoreError } from '../../src/ports.js';
import { encodeLine, type PreparedRequest } from './log-codec.js';
import { IdSet, idHash } from './log-ids.js';

export interface AppendPlan {
  /** Events to add once the lines are durable. */
  readonly events: StoredEvent[];
  /** The lines to write, each ending in a newline; empty when nothing is written. */
  readonly text: string;
  readonly results: AppendResult[];
}

interface Head {
  readonly revision: number;
  readonly position: number;
}

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

  /**
   * Checks every request against the current state, in order (a stream named
   * twice sees the first request's events), and assigns revisions and positions.
   * Any mismatch rejects the whole batch.
   */
  plan(requests: readonly PreparedRequest[]): Either<StoreError, AppendPlan> {
    const heads = new Map<string, Head | undefined>();
    const events: StoredEvent[] = [];
    const lines: string[] = [];
    const results: AppendResult[] = [];
    let next = this.all.length;
    const batchIds = new Set<string>();
    for (const r of requests) {
      const head = heads.has(r.stream) ? heads.get(r.stream) : this.head(r.stream);
      const ok =
        r.expected === 'any' || (r.expected === 'noStream' ? head === undefined : head !== undefined && head.revision === r.expected);
      if (!ok) {
        return left({ kind: 'conflict', stream: r.stream, expected: r.expected, actual: head === undefined ? 'noStream' : head.revision });
      }
      if (r.events.length === 0) {
        results.push({ stream: r.stream, revision: head?.revision ?? -1, position: head?.position ?? next - 1 });
        continue;
      }
      const streamJson = JSON.stringify(r.stream);
      let revision = head?.revision ?? -1;
      for (const e of r.events) {
        const held = this.ids.find(idHash(e.id));
        if ((held !== 0 && this.all[held - 1]!.id === e.id) || batchIds.has(e.id)) {
          const position = held !== 0 && this.all[held - 1]!.id === e.id ? held - 1 : next;
          return left({
            kind: 'duplicateId',
            id: e.id,
            position,
            message: `event id ${JSON.stringify(e.id)} is already in the log${position < this.all.length ? ` (position ${position})` : ' (twice in this append)'}; ids are unique`,
          });
        }
        batchIds.add(e.id);
        revision += 1;
        const position = next++;
        lines.push(encodeLine(streamJson, revision, position, e));
        events.push({ stream: r.stream, revision, position, id: e.id, type: e.type, at: e.at, data: e.data, meta: e.meta });
      }
      heads.set(r.stream, { revision, position: next - 1 });
      results.push({ stream: r.stream, revision, position: next - 1 });
    }
    return right({ events, text: lines.length === 0 ? '' : `${lines.join('\n')}\n`, results });
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

  private head(stream: string): Head | undefined {
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
