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

/** Events a holding committer keeps before it writes them anyway. */
const HOLD_UP_TO = 256;

/**
 * Group commit: events added while a write is in flight go out together in the next one.
 *
 * While it holds (`hold`, a sync deciding its mailboxes), deferred events wait for the next `commit`, the
 * pipeline's append of a chunk's intents, and go out in that append: a sync's command outcomes came one
 * or two an append (a fsync, and the store's work, each: at 5,000 devices and 5 ms a command, 1,326
 * appends of which 757 held one event). They are written anyway once HOLD_UP_TO wait, with the next
 * `add`, and at `release` or `drain`. An outcome not yet written when the process stops is an intent
 * without an outcome: the next sync reconciles it (sync/recovery.ts), as it does one whose write was
 * cut short.
 */
export function groupCommitter(appender: Appender, now: () => string) {
  let buffer: Batch = new Map();
  let buffered = 0;
  let holding = false;
  let flushing: Promise<void> = Promise.resolve();
  let written = 0;
  let failure: unknown;
  /** Appends what is buffered, with `extra` after it (its events counted apart); after any write in flight. */
  const write = (extra?: Batch): Promise<number> => {
    const done = flushing.then(async (): Promise<number> => {
      if (failure) {
        if (extra !== undefined) throw failure;
        return 0;
      }
      const b = buffer;
      const own = buffered;
      buffer = new Map();
      buffered = 0;
      if (extra !== undefined) for (const [stream, events] of extra) pushTo(b, stream, events);
      if (b.size === 0) return 0;
      try {
        const n = await appender.append(b, now());
        written += own;
        return n - own;
      } catch (err) {
        failure = err;
        if (extra !== undefined) throw err;
        return 0;
      }
    });
    flushing = done.then(
      () => undefined,
      () => undefined,
    );
    return done;
  };
  return {
    /** Events to write as soon as the write in flight is done (with any that wait). */
    add(stream: string, events: readonly DomainEvent[]) {
      pushTo(buffer, stream, events);
      buffered += events.length;
      void write();
    },
    /**
     * Events that may wait while the committer holds: what the next sync can tell again from Exchange if
     * they are lost (a command's outcome), never the record of something done outside (a notice sent).
     */
    defer(stream: string, events: readonly DomainEvent[]) {
      pushTo(buffer, stream, events);
      buffered += events.length;
      if (!holding || buffered >= HOLD_UP_TO) void write();
    },
    /** From now on deferred events wait for the next `commit` (or HOLD_UP_TO of them, or an `add`). */
    hold(): void {
      holding = true;
    },
    /** Deferred events are written as they come again, those waiting now. */
    release(): void {
      holding = false;
      if (buffered > 0) void write();
    },
    /**
     * Appends `batch` with every event waiting, in one append (after any write in flight); resolves to
     * the number of `batch`'s events written. Throws what the append throws, or an earlier failure.
     */
    commit(batch: Batch): Promise<number> {
      return write(batch);
    },
    /** An append of this committer failed: what it is given from now on is not written (drain throws). */
    get failed(): boolean {
      return failure !== undefined;
    },
    /** Waits for every added event to be durable; the number written since the last drain. */
    async drain(): Promise<number> {
      await write();
      if (failure) throw failure;
      const since = written;
      written = 0;
      return since;
    },
  };
}
