// Catch-up subscriptions for projections: every one of this store's events in
// log order, from the start or from a checkpoint, then live ones as they are
// appended. The catch-up part is a plain forward read of $all (so "live" never
// depends on whether the server sends caught-up notices: EventStoreDB before
// 23.10 does not); then a subscription to $all continues after the last event
// read. Events are handed over one at a time: the next one waits for the
// handler's promise. Every event is checked against the last position handled,
// so a server that starts a subscription at (rather than after) the given
// position delivers nothing twice.
import { START, FORWARDS, excludeSystemEvents, type EventStoreDBClient } from '@eventstore/db-client';
import type { StoredEvent, StoreError } from '../../src/ports.js';
import { decodeEvent, withPosition, type EsdbRecorded } from './envelope.js';

/** Where a subscription is: hand it back as `from` to resume right after it. JSON-serializable. */
export interface Checkpoint {
  /** Position (in this store's numbering) of the last event handled; -1 before the first. */
  readonly position: number;
  /** EventStoreDB's $all position of the last record seen (decimal strings). */
  readonly commit: string;
  readonly prepare: string;
}

export interface SubscribeOptions {
  /** Resume after this checkpoint; default: from the first event. */
  readonly from?: Checkpoint;
  /** Each event, in log order; the next waits until the returned promise settles. A throw ends the subscription (onError). */
  readonly onEvent: (event: StoredEvent) => void | Promise<void>;
  /** Called after every `checkpointEvery` events, on going live, and on close (when anything changed since the last one). */
  readonly onCheckpoint?: (checkpoint: Checkpoint) => void | Promise<void>;
  /** Default 100. */
  readonly checkpointEvery?: number;
  /** Once: every event written before the subscription started has been handled; the rest is live. */
  readonly onLive?: () => void;
  /** The subscription ended on an error (the node went away, a handler threw). It does not resubscribe: start again from the last checkpoint. */
  readonly onError?: (error: StoreError) => void;
}

export interface CatchUpSubscription {
  /** Resolves when live (see onLive); never rejects. */
  readonly live: Promise<void>;
  /** Resolves when the subscription has ended, by close or on an error. */
  readonly ended: Promise<void>;
  /** The last checkpoint reached (the same value onCheckpoint got last, or a newer one). */
  checkpoint(): Checkpoint | undefined;
  /** Stops delivery, reports a final checkpoint, and resolves once the handler in flight has returned. */
  close(): Promise<void>;
}

export interface SubscriptionContext {
  readonly client: EventStoreDBClient;
  readonly prefix: string;
  failure(err: unknown, what: string): StoreError;
}

interface Pos {
  readonly c: bigint;
  readonly p: bigint;
}
class HandlerFailure extends Error {}
const after = (a: Pos, b: Pos | undefined) => b === undefined || a.c > b.c || (a.c === b.c && a.p > b.p);

// A read (cancel) or a subscription (unsubscribe) of the client: both are Node readables.
type Cancellable = AsyncIterable<unknown> & {
  cancel?(): Promise<void>;
  unsubscribe?(): Promise<void>;
  destroy(): unknown;
  once(event: string, fn: () => void): unknown;
};

export function startSubscription(ctx: SubscriptionContext, o: SubscribeOptions, onEnd: () => void): CatchUpSubscription {
  const every = Math.max(1, o.checkpointEvery ?? 100);
  let position = o.from?.position ?? -1;
  let last: Pos | undefined = o.from === undefined ? undefined : { c: BigInt(o.from.commit), p: BigInt(o.from.prepare) };
  let reported: Checkpoint | undefined = o.from;
  let sinceCheckpoint = 0;
  let stopping = false;
  let current: Cancellable | undefined;
  let markLive: () => void = () => undefined;
  const live = new Promise<void>((resolve) => {
    markLive = resolve;
  });

  const checkpointNow = (): Checkpoint | undefined =>
    last === undefined ? undefined : { position, commit: last.c.toString(), prepare: last.p.toString() };
  const report = async () => {
    const cp = checkpointNow();
    if (cp === undefined || (reported !== undefined && cp.commit === reported.commit && cp.prepare === reported.prepare)) return;
    reported = cp;
    sinceCheckpoint = 0;
    await o.onCheckpoint?.(cp);
  };

  const handle = async (resolved: { event?: EsdbRecorded | undefined }) => {
    const ev = resolved.event;
    const at = ev?.position;
    if (ev === undefined || at === undefined) return;
    const here = { c: at.commit, p: at.prepare };
    if (!after(here, last)) return; // already handled
    const d = decodeEvent(ev, ctx.prefix);
    if (d === undefined) {
      last = here;
      return;
    }
    try {
      await o.onEvent(withPosition(d, position + 1));
      // Only a handled event moves the checkpoint: one whose handler threw is delivered again on resume.
      position += 1;
      last = here;
      if (++sinceCheckpoint >= every) await report();
    } catch (err) {
      throw new HandlerFailure(err instanceof Error ? err.message : String(err));
    }
  };

  const cancel = (source: Cancellable) => (source.cancel ?? source.unsubscribe)?.call(source).catch(() => undefined);
  // Stopping (close, a handler error) cancels the call and then reads on, handling
  // nothing, until the client ends the stream: a call abandoned half-read is never
  // released (the client's dispose() would wait for it).
  const drain = async (source: Cancellable) => {
    current = source;
    let failure: unknown;
    try {
      for await (const r of source) {
        if (stopping || failure !== undefined) continue;
        try {
          await handle(r as { event?: EsdbRecorded });
        } catch (err) {
          failure = err;
          void cancel(source);
        }
      }
    } finally {
      current = undefined;
    }
    if (failure !== undefined) throw failure;
  };

  const ended = (async () => {
    try {
      // Catch up: a forward read of $all from the checkpoint to the current end.
      const fromPosition = last === undefined ? START : { commit: last.c, prepare: last.p };
      await drain(ctx.client.readAll({ fromPosition, direction: FORWARDS, resolveLinkTos: false }));
      if (stopping) return;
      await report();
      // Live: a subscription after the last record read (system event types filtered out by the server).
      const sub = ctx.client.subscribeToAll({
        fromPosition: last === undefined ? START : { commit: last.c, prepare: last.p },
        filter: excludeSystemEvents(),
        resolveLinkTos: false,
      }) as unknown as Cancellable;
      sub.once('confirmation', () => {
        if (!stopping) {
          markLive();
          o.onLive?.();
        }
      });
      await drain(sub);
    } catch (err) {
      if (!stopping) {
        o.onError?.(
          err instanceof HandlerFailure
            ? { kind: 'io', message: `subscription handler failed: ${err.message}` }
            : ctx.failure(err, 'subscription'),
        );
      }
    } finally {
      stopping = true;
      markLive(); // `live` never hangs on a subscription that is over
      onEnd();
    }
  })();

  let closing: Promise<void> | undefined;
  return {
    live,
    ended,
    checkpoint: () => checkpointNow() ?? reported,
    close() {
      closing ??= (async () => {
        stopping = true;
        const source = current;
        if (source !== undefined) {
          await cancel(source);
          // Should the stream not end after the cancel, end it here.
          let timer: NodeJS.Timeout | undefined;
          const gone = await Promise.race([
            ended.then(() => true),
            new Promise<false>((r) => {
              timer = setTimeout(() => r(false), 1_000);
            }),
          ]);
          clearTimeout(timer);
          if (!gone) source.destroy();
        }
        await ended;
        await report().catch(() => undefined);
      })();
      return closing;
    },
  };
}
