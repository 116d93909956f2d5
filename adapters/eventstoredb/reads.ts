// Reads: one stream, the whole log in order (from a position), and whether the
// log holds any of this store's events. Positions come from the $all index.
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { START, FORWARDS } from '@eventstore/db-client';
import type { StoredEvent, StoreError } from '../../src/ports.js';
import { decodeEvent, withPosition, type Decoded, type EsdbRecorded } from './envelope.js';
import { isStreamNotFound } from './errors.js';
import { IndexMismatch, type Readable, type StoreContext } from './positions.js';

// `from` is a revision/position; a fractional one starts at the next whole one.
export const start = (from: number | undefined): number => (from === undefined || !(from > 0) ? 0 : Math.ceil(from));

export async function readStream(ctx: StoreContext, stream: string, from: number): Promise<Either<StoreError, StoredEvent[]>> {
  const decoded: Decoded[] = [];
  const reading = ctx.client.readStream(ctx.prefix + stream, {
    fromRevision: from > 0 ? BigInt(from) : START,
    direction: FORWARDS,
    resolveLinkTos: false,
  }) as unknown as Readable;
  try {
    for await (const r of reading) {
      const d = decodeEvent((r as { event?: EsdbRecorded }).event, ctx.prefix);
      if (d !== undefined) decoded.push(d);
    }
  } catch (err) {
    if (isStreamNotFound(err)) return right([]);
    return left(ctx.failure(err, `cannot read stream ${JSON.stringify(stream)}`));
  }
  const pos = ctx.positions;
  try {
    const first = decoded[0];
    const last = decoded[decoded.length - 1];
    // New events need the index brought up to date; old ones, a seeded index completed.
    if (first !== undefined && last !== undefined) {
      await pos.locate(stream, last.revision);
      await pos.locate(stream, first.revision);
    }
    return right(decoded.map((d) => withPosition(d, pos.positionOf(d.stream, d.revision))));
  } catch (err) {
    if (err instanceof IndexMismatch) return left({ kind: 'corrupt', message: err.message });
    return left(ctx.failure(err, 'cannot read the log'));
  }
}

/** Every event from position `from`, in log order, to `onEvent` (under the index's lock). */
export async function readLog(ctx: StoreContext, from: number, onEvent: (e: StoredEvent) => void): Promise<Either<StoreError, void>> {
  try {
    await ctx.positions.withLock(() => ctx.positions.scan(from, onEvent));
  } catch (err) {
    if (err instanceof IndexMismatch) return left({ kind: 'corrupt', message: err.message });
    return left(ctx.failure(err, 'cannot read the log'));
  }
  return right(undefined);
}

export async function isEmpty(ctx: StoreContext): Promise<Either<StoreError, boolean>> {
  try {
    // Pages read to their end (a call left half-read is never released), until one holds an event of ours.
    let from: { commit: bigint; prepare: bigint } | undefined;
    for (;;) {
      const reading = ctx.client.readAll({
        fromPosition: from ?? START,
        direction: FORWARDS,
        maxCount: 256,
        resolveLinkTos: false,
      }) as unknown as Readable;
      let found = false;
      let read = 0;
      let last: { commit: bigint; prepare: bigint } | undefined;
      for await (const r of reading) {
        const ev = (r as { event?: EsdbRecorded }).event;
        if (ev?.position === undefined) continue;
        if (
          from !== undefined &&
          (ev.position.commit < from.commit || (ev.position.commit === from.commit && ev.position.prepare <= from.prepare))
        )
          continue;
        read++;
        last = ev.position;
        if (decodeEvent(ev, ctx.prefix) !== undefined) found = true;
      }
      if (found) return right(false);
      if (read === 0 || last === undefined) return right(true);
      from = last;
    }
  } catch (err) {
    return left(ctx.failure(err, 'cannot read the log'));
  }
}
