// Appends. Each request carries its expected revision to the server, which
// checks it atomically per stream: that is what fences a replaced connector out.
//
// EventStoreDB has no transaction across streams, so one append call with
// several requests is written stream by stream, in request order, each with its
// own expected revision. Before writing a multi-request batch, the store reads
// what is new in $all and checks the whole batch against every stream's current
// revision as the embedded stores do: a conflict found then writes nothing. Only
// a writer racing in between the check and the writes can still make a request
// fail mid-batch; then the requests before it stay written and the error is the
// conflict naming the stream that failed. A batch is atomic per stream only.
import { left, right, isLeft, type Either } from 'fp-ts/lib/Either.js';
import { ANY, NO_STREAM, type AppendExpectedRevision } from '@eventstore/db-client';
import type { AppendResult, ExpectedRevision, StoreError } from '../../src/ports.js';
import type { PreparedRequest } from '../shared/log-codec.js';
import { encodeEvent, UUID, type EventOrigin } from './envelope.js';
import { IndexMismatch, serverHead, type Positions, type StoreContext } from './positions.js';
import type { CopiedEvent } from './types.js';

const isWrongExpectedVersion = (e: unknown): e is { actualVersion: bigint | 'no_stream' } =>
  typeof e === 'object' && e !== null && (e as { type?: unknown }).type === 'wrong-expected-version';

function toEsdbExpected(e: ExpectedRevision): AppendExpectedRevision {
  if (e === 'any') return ANY;
  if (e === 'noStream') return NO_STREAM;
  return BigInt(e);
}

const matches = (expected: ExpectedRevision, head: number | undefined) =>
  expected === 'any' || (expected === 'noStream' ? head === undefined : head === expected);

const conflict = (stream: string, expected: ExpectedRevision, head: number | undefined): StoreError => ({
  kind: 'conflict',
  stream,
  expected,
  actual: head === undefined ? 'noStream' : head,
});

/** Where a copied event was, checked; undefined for a new one. */
export function originOf(e: CopiedEvent | undefined): EventOrigin | undefined {
  const o = e?.origin;
  if (o === undefined) return undefined;
  if (!Number.isSafeInteger(o.position) || !Number.isSafeInteger(o.revision))
    throw new TypeError('append: origin must have integer position and revision');
  return { position: o.position, revision: o.revision };
}

/** A programmer error in request `i` is a TypeError naming it. */
export function checkRequest(r: PreparedRequest, i: number, prefix: string): void {
  const where = `append request ${i} (stream ${JSON.stringify(r.stream)})`;
  if (r.stream.length === 0 && prefix.length === 0) throw new TypeError(`${where}: a stream name must not be empty`);
  if ((prefix + r.stream).startsWith('$')) throw new TypeError(`${where}: streams starting with $ are EventStoreDB's own`);
  const e = r.expected;
  if (e !== 'any' && e !== 'noStream' && !(typeof e === 'number' && Number.isSafeInteger(e) && e >= 0)) {
    throw new TypeError(`${where}: expected must be 'any', 'noStream' or a revision ≥ 0, got ${JSON.stringify(e)}`);
  }
  r.events.forEach((ev, j) => {
    if (ev.type.length === 0 || ev.type.startsWith('$'))
      throw new TypeError(`${where}, event ${j}: type ${JSON.stringify(ev.type)} is not allowed (empty, or $ like EventStoreDB's own)`);
    if (!UUID.test(ev.id)) throw new TypeError(`${where}, event ${j}: id ${JSON.stringify(ev.id)} is not a UUID`);
  });
}

export async function appendPrepared(
  ctx: StoreContext,
  prepared: readonly PreparedRequest[],
  origins: readonly (EventOrigin | undefined)[][],
): Promise<Either<StoreError, AppendResult[]>> {
  const pos = ctx.positions;
  try {
    // The common case: one stream, the server checks the expected revision.
    const only = prepared[0];
    if (prepared.length === 1 && only !== undefined && only.events.length > 0) {
      const w = await write(ctx, only, origins[0]!);
      if (isLeft(w)) return w;
      await pos.catchUp();
      return right([{ stream: only.stream, revision: w.right, position: pos.positionOf(only.stream, w.right) }]);
    }
    if (prepared.length === 0) return right([]);

    // Check the whole batch first, against the streams' revisions as of now
    // (the index brought up to the end of $all: one read of what is new).
    await pos.catchUp();
    const baseEnd = pos.index.length - 1;
    const heads = await headsOf(pos, prepared);
    const sim = new Map<string, number | undefined>();
    const revisionAt: (number | undefined)[] = [];
    for (const r of prepared) {
      const head = sim.has(r.stream) ? sim.get(r.stream) : heads.get(r.stream);
      if (!matches(r.expected, head)) return left(conflict(r.stream, r.expected, head));
      revisionAt.push(r.events.length === 0 ? head : undefined);
      if (r.events.length > 0) sim.set(r.stream, (head ?? -1) + r.events.length);
    }

    // Write stream by stream, in order; the server checks each expected revision again.
    const revisions: (number | undefined)[] = [];
    for (const [i, r] of prepared.entries()) {
      if (r.events.length === 0) {
        revisions.push(revisionAt[i]);
        continue;
      }
      const w = await write(ctx, r, origins[i]!);
      if (isLeft(w)) return w;
      revisions.push(w.right);
    }
    await pos.catchUp();
    const results: AppendResult[] = [];
    let lastWritten: number | undefined;
    for (const [i, r] of prepared.entries()) {
      const revision = revisions[i];
      if (r.events.length > 0) {
        lastWritten = pos.positionOf(r.stream, revision!);
        results.push({ stream: r.stream, revision: revision!, position: lastWritten });
      } else if (revision !== undefined) {
        results.push({ stream: r.stream, revision, position: await pos.locate(r.stream, revision) });
      } else {
        results.push({ stream: r.stream, revision: -1, position: lastWritten ?? baseEnd });
      }
    }
    return right(results);
  } catch (err) {
    if (err instanceof IndexMismatch) return left({ kind: 'corrupt', message: err.message });
    return left(ctx.failure(err, 'cannot append'));
  }
}

/** Appends one request's events; Left(conflict) when the server rejects its expected revision. */
async function write(
  ctx: StoreContext,
  r: PreparedRequest,
  origins: readonly (EventOrigin | undefined)[],
): Promise<Either<StoreError, number>> {
  const name = ctx.prefix + r.stream;
  try {
    const res = await ctx.client.appendToStream(
      name,
      r.events.map((e, j) => encodeEvent(e, origins[j]) as never),
      { expectedRevision: toEsdbExpected(r.expected) },
    );
    // With throwOnAppendFailure=false in the connection string the client resolves instead of throwing.
    if (!res.success) return left(conflict(r.stream, r.expected, await serverHead(ctx.client, name)));
    return right(Number(res.nextExpectedRevision));
  } catch (err) {
    if (isWrongExpectedVersion(err)) {
      return left(conflict(r.stream, r.expected, err.actualVersion === 'no_stream' ? undefined : Number(err.actualVersion)));
    }
    throw err;
  }
}

// A seeded index asks the server for the heads of streams it has not seen; past
// this many in one batch, reading the log before its base once is cheaper.
const SERVER_HEADS = 32;

/** The current revision of every stream in the batch (the index caught up first). */
async function headsOf(pos: Positions, prepared: readonly PreparedRequest[]): Promise<Map<string, number | undefined>> {
  const streams = [...new Set(prepared.map((r) => r.stream))];
  if (pos.seeded && streams.filter((s) => pos.index.head(s) === undefined).length > SERVER_HEADS) await pos.whole();
  const heads = await Promise.all(streams.map((s) => pos.headOf(s)));
  return new Map(streams.map((s, i) => [s, heads[i]]));
}
