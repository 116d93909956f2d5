// Appending for the engine: several streams in one store call (one fsync on the
// embedded log), each with its expected revision; appended events are folded
// into the state only once they are durable.
import { isLeft } from 'fp-ts/lib/Either.js';
import type { AppendRequest, EventStore, StoreError } from './ports.js';
import type { DomainEvent } from './events.js';
import { foldInto, type Dated, type OrgState } from './state.js';

export type EngineError =
  | { readonly kind: 'store'; readonly error: StoreError; readonly message: string }
  | { readonly kind: 'invalidLog'; readonly message: string }
  | { readonly kind: 'fenced'; readonly message: string }
  /** A decider refused a command of the sync (an outcome for no pending intent, a sync not in progress…). */
  | { readonly kind: 'refused'; readonly refusal: { readonly kind: string; readonly message: string }; readonly message: string };

/** Thrown inside a sync when the log cannot be read or written; turned into a report at the edge. */
export class EngineFailure extends Error {
  constructor(readonly error: EngineError) {
    super(error.message);
  }
}

export type Batch = Map<string, DomainEvent[]>;

export function pushTo(batch: Batch, stream: string, events: readonly DomainEvent[]): void {
  if (events.length === 0) return;
  const l = batch.get(stream);
  if (l) l.push(...events);
  else batch.set(stream, [...events]);
}

export interface Appender {
  append(batch: Batch, at: string): Promise<number>;
  /** Events made durable by this appender so far: a failed sync still reports what it wrote. */
  readonly appended: number;
  /** Log position of the last event this appender made durable (undefined before its first append). */
  readonly lastPosition: number | undefined;
}

export function createAppender(
  store: EventStore,
  state: () => OrgState,
  meta: Readonly<Record<string, unknown>>,
  onStep?: (step: 'append') => Promise<void> | void,
): Appender {
  let appended = 0;
  let lastPosition: number | undefined;
  return {
    get appended() {
      return appended;
    },
    get lastPosition() {
      return lastPosition;
    },
    async append(batch, at) {
      const s = state();
      const requests: AppendRequest[] = [];
      for (const [stream, events] of batch) {
        if (events.length === 0) continue;
        requests.push({
          stream,
          expected: s.revisions.get(stream) ?? 'noStream',
          events: events.map((e) => ({ type: e.type, data: e.data, at, meta })),
        });
      }
      if (requests.length === 0) return 0;
      const r = await store.append(requests);
      if (isLeft(r)) {
        const e = r.left;
        const message =
          e.kind === 'conflict'
            ? `another writer appended to ${e.stream} (expected revision ${String(e.expected)}, found ${String(e.actual)}): another connector has taken over this organization, so this one stops`
            : `cannot append to the log: ${e.message}`;
        throw new EngineFailure({ kind: 'store', error: e, message });
      }
      let n = 0;
      r.right.forEach((res, i) => {
        const req = requests[i]!;
        // The events as appended are domain events with their instant (and the shared meta): folded as they are.
        foldInto(s, req.stream, req.events as readonly Dated[], res.revision);
        n += req.events.length;
        if (lastPosition === undefined || res.position > lastPosition) lastPosition = res.position;
      });
      appended += n;
      await onStep?.('append');
      return n;
    },
  };
}

/** Group commit: events added while a write is in flight go out together in the next one. */
export function groupCommitter(appender: Appender, now: () => string) {
  let buffer: Batch = new Map();
  let flushing: Promise<void> = Promise.resolve();
  let written = 0;
  let failure: unknown;
  const flush = (): Promise<void> => {
    flushing = flushing.then(async () => {
      if (buffer.size === 0 || failure) return;
      const b = buffer;
      buffer = new Map();
      try {
        written += await appender.append(b, now());
      } catch (err) {
        failure = err;
      }
    });
    return flushing;
  };
  return {
    add(stream: string, events: readonly DomainEvent[]) {
      pushTo(buffer, stream, events);
      void flush();
    },
    /** An append of this committer failed: what it is given from now on is not written (drain throws). */
    get failed(): boolean {
      return failure !== undefined;
    },
    /** Waits for every added event to be durable; the number written since the last drain. */
    async drain(): Promise<number> {
      await flush();
      await flushing;
      if (failure) throw failure;
      const since = written;
      written = 0;
      return since;
    },
  };
}
