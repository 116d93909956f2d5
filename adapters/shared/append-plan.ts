// Planning an append against a log's current state, shared by the stores that
// keep their own index (memory, file): each request's expected revision is
// checked in order (a stream named twice sees the first request's events), ids
// a caller gave are checked unique (the store's own are random UUIDs), and
// revisions, positions and lines are assigned. Any mismatch rejects the whole batch.
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { AppendResult, StoredEvent, StoreError } from '../../src/ports.js';
import type { PlacedEvent, PreparedRequest } from './log-codec.js';

export interface StreamHeadAt {
  readonly revision: number;
  readonly position: number;
}

/** What a plan needs to know of the log so far. */
export interface LogView {
  /** Events in the log: the next position. */
  readonly length: number;
  head(stream: string): StreamHeadAt | undefined;
  /** The position of the event in the log carrying `id`, if there is one. */
  positionOfId(id: string): number | undefined;
}

export interface AppendPlan {
  /** Events to add once the lines are durable (with data only when asked for); none when not asked for. */
  readonly events: StoredEvent[];
  /** What to write, one per event (a file writer encodes them with encodeLines). */
  readonly placed: PlacedEvent[];
  readonly results: AppendResult[];
}

/**
 * `keepEvents` false: `events` stays empty, for a store that holds no events (the file store indexes
 * what it wrote from `placed`: an object per event less, at every append).
 */
export function planAppend(view: LogView, requests: readonly PreparedRequest[], keepEvents = true): Either<StoreError, AppendPlan> {
  const heads = new Map<string, StreamHeadAt | undefined>();
  const events: StoredEvent[] = [];
  const placed: PlacedEvent[] = [];
  const results: AppendResult[] = [];
  let next = view.length;
  const batchIds = new Set<string>();
  for (const r of requests) {
    const head = heads.has(r.stream) ? heads.get(r.stream) : view.head(r.stream);
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
      // A store-made id is unique by construction (PreparedEvent.ownId): only a caller's is looked up.
      const held = e.ownId ? undefined : view.positionOfId(e.id);
      if (held !== undefined || (!e.ownId && batchIds.has(e.id))) {
        const position = held ?? next;
        return left({
          kind: 'duplicateId',
          id: e.id,
          position,
          message: `event id ${JSON.stringify(e.id)} is already in the log${held !== undefined ? ` (position ${held})` : ' (twice in this append)'}; ids are unique`,
        });
      }
      if (!e.ownId) batchIds.add(e.id);
      revision += 1;
      const position = next++;
      placed.push({ streamJson, revision, position, event: e });
      if (keepEvents) events.push({ stream: r.stream, revision, position, id: e.id, type: e.type, at: e.at, data: e.data, meta: e.meta });
    }
    heads.set(r.stream, { revision, position: next - 1 });
    results.push({ stream: r.stream, revision, position: next - 1 });
  }
  return right({ events, placed, results });
}
