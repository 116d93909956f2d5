// The EventStore port over EventStoreDB / KurrentDB through @eventstore/db-client 6.x.
//
// Streams are EventStoreDB streams (behind an optional prefix), revisions are
// EventStoreDB's stream revisions, and each append carries the request's
// expected revision to the server, which checks it atomically per stream: that
// is what fences a replaced connector out.
//
// Atomicity. EventStoreDB has no transaction across streams, so one append call
// with several requests is written stream by stream, in request order, each
// with its own expected revision. Before writing a multi-request batch, the
// store reads what is new in $all and checks the whole batch against every
// stream's current revision as the embedded stores do: a conflict found then
// writes nothing. Only a writer racing in between the check and the writes can
// still make a request fail mid-batch; then the requests before it stay
// written and the error is the conflict naming the stream that failed. A batch
// is atomic per stream only.
//
// Positions. The port numbers events 0, 1, 2… across the log; EventStoreDB's
// $all positions are byte offsets shared with its own system events. A store
// keeps an index of this store's events in $all order (position -> $all
// position, stream revision -> position), built by reading $all forwards
// incrementally: the first read or append reads what is there, later ones only
// what is new. Every connection derives the same numbering. Deleting or
// truncating streams in the database renumbers the log: don't (the index
// notices and answers `corrupt`). Memory: about 30 bytes per event.
//
// Reading $all needs a user allowed to read it (an admin on a secure node).
import { left, right, isLeft, type Either } from 'fp-ts/lib/Either.js';
import {
  EventStoreDBClient, ANY, NO_STREAM, START, END, FORWARDS, BACKWARDS,
  type AppendExpectedRevision,
} from '@eventstore/db-client';
import type { AppendRequest, AppendResult, EventStore, ExpectedRevision, NewEvent, ReadOptions, StoredEvent, StoreError } from '../../src/ports.js';
import { prepareRequests, type PreparedRequest } from '../shared/log-codec.js';
import { parseConnection, scrub, type ConnectionInfo } from './connection.js';
import { decodeEvent, encodeEvent, withPosition, UUID, type Decoded, type EsdbRecorded, type EventOrigin } from './envelope.js';
import { startSubscription, type CatchUpSubscription, type SubscribeOptions } from './subscription.js';

export { parseConnection, redactConnectionString, isEventStoreDbSpec, type ConnectionInfo } from './connection.js';
export type { CatchUpSubscription, Checkpoint, SubscribeOptions } from './subscription.js';
export type { EventOrigin } from './envelope.js';

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
  /** A catch-up subscription for projections: every event from the start or a checkpoint, then live ones. */
  subscribe(options: SubscribeOptions): CatchUpSubscription;
  /** Whether the log has none of this store's events (reads only until it finds one). */
  isEmpty(): Promise<Either<StoreError, boolean>>;
  /** Ends subscriptions, lets appends in flight finish (up to 5 s), then disconnects. Harmless twice. */
  close(): Promise<void>;
}

/**
 * Connects to EventStoreDB (or KurrentDB) by connection string:
 * `esdb://[user:password@]host[:port][?tls=false&…]`, `esdb+discover://…`, or the
 * same with `kurrentdb://`. TLS is on unless the string says `tls=false`.
 * Left(io) when the string is invalid or the node cannot be reached; messages
 * never contain the credentials.
 */
export async function eventStoreDbStore(connectionString: string, options: EventStoreDbOptions = {}): Promise<Either<StoreError, EventStoreDbStore>> {
  if (options.streamPrefix?.startsWith('$')) throw new TypeError('eventStoreDbStore: streamPrefix must not start with $ (those streams are EventStoreDB\'s own)');
  const info = parseConnection(connectionString);
  if (isLeft(info)) return left({ kind: 'io', message: info.left });
  let client: EventStoreDBClient;
  try {
    client = EventStoreDBClient.connectionString(info.right.clientString);
  } catch (err) {
    return left({ kind: 'io', message: scrub(`EventStoreDB ${info.right.redacted}: ${err instanceof Error ? err.message : String(err)}`, connectionString) });
  }
  const store = new EsdbLog(client, info.right, connectionString, options.streamPrefix ?? '');
  if (options.verify ?? true) {
    const ok = await store.verify(options.verifyTimeoutMs ?? 10_000);
    if (isLeft(ok)) {
      await store.close();
      return ok;
    }
  }
  return right(store);
}

// ------------------------------------------------------------------ internals

type Client = EventStoreDBClient;
type Readable = AsyncIterable<unknown> & { cancel(): Promise<void> };
interface Pos { readonly c: number; readonly p: number }
const cmp = (c: number, p: number, b: Pos) => (c - b.c) || (p - b.p);

class IndexMismatch extends Error {}

/** This store's events in $all order: position -> $all position; stream revision -> position. */
class LogIndex {
  readonly commits: number[] = [];
  readonly prepares: number[] = [];
  private readonly streams = new Map<string, number[]>();
  /** The last record of any kind read from $all. */
  last: Pos | undefined;

  get length(): number {
    return this.commits.length;
  }

  add(stream: string, revision: number, c: number, p: number): void {
    const position = this.commits.length;
    this.commits.push(c);
    this.prepares.push(p);
    let revisions = this.streams.get(stream);
    if (revisions === undefined) {
      revisions = [];
      this.streams.set(stream, revisions);
    }
    revisions[revision] = position;
  }

  positionOf(stream: string, revision: number): number | undefined {
    return this.streams.get(stream)?.[revision];
  }

  /** The last revision of the stream among this store's events. */
  head(stream: string): number | undefined {
    const revisions = this.streams.get(stream);
    return revisions === undefined || revisions.length === 0 ? undefined : revisions.length - 1;
  }
}

const isWrongExpectedVersion = (e: unknown): e is { actualVersion: bigint | 'no_stream' } =>
  typeof e === 'object' && e !== null && (e as { type?: unknown }).type === 'wrong-expected-version';
const isStreamNotFound = (e: unknown) =>
  typeof e === 'object' && e !== null && (e as { type?: unknown }).type === 'stream-not-found';

function toEsdbExpected(e: ExpectedRevision): AppendExpectedRevision {
  if (e === 'any') return ANY;
  if (e === 'noStream') return NO_STREAM;
  return BigInt(e);
}

const matches = (expected: ExpectedRevision, head: number | undefined) =>
  expected === 'any' || (expected === 'noStream' ? head === undefined : head === expected);

const conflict = (stream: string, expected: ExpectedRevision, head: number | undefined): StoreError =>
  ({ kind: 'conflict', stream, expected, actual: head === undefined ? 'noStream' : head });

class EsdbLog implements EventStoreDbStore {
  private readonly index = new LogIndex();
  private lock: Promise<unknown> = Promise.resolve();
  private pendingScan: Promise<void> | undefined;
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly subscriptions = new Set<CatchUpSubscription>();
  private closing: Promise<void> | undefined;
  private used = false;

  constructor(
    private readonly client: Client,
    readonly connection: ConnectionInfo,
    private readonly connectionString: string,
    private readonly prefix: string,
  ) {}

  // ---------------------------------------------------------------- port
  async append(requests: readonly AppendRequest[]): Promise<Either<StoreError, AppendResult[]>> {
    if (this.closing !== undefined) return left(this.closedError());
    const prepared = prepareRequests(requests);
    const origins = requests.map((r) => r.events.map((e) => originOf(e as CopiedEvent)));
    prepared.forEach((r, i) => this.check(r, i));
    return this.track(this.appendPrepared(prepared, origins));
  }

  async readStream(stream: string, options?: ReadOptions): Promise<Either<StoreError, StoredEvent[]>> {
    if (this.closing !== undefined) return left(this.closedError());
    return this.track(this.readStreamNow(stream, start(options?.from)));
  }

  async readAll(options?: ReadOptions): Promise<Either<StoreError, StoredEvent[]>> {
    if (this.closing !== undefined) return left(this.closedError());
    return this.track((async (): Promise<Either<StoreError, StoredEvent[]>> => {
      const out: StoredEvent[] = [];
      try {
        await this.withLock(() => this.scan(start(options?.from), (e) => { out.push(e); }));
      } catch (err) {
        if (err instanceof IndexMismatch) return left({ kind: 'corrupt', message: err.message });
        return left(this.failure(err, 'cannot read the log'));
      }
      return right(out);
    })());
  }

  async forEachEvent(onEvent: (event: StoredEvent) => void, options?: ReadOptions): Promise<Either<StoreError, number>> {
    if (this.closing !== undefined) return left(this.closedError());
    return this.track((async (): Promise<Either<StoreError, number>> => {
      let n = 0;
      try {
        await this.withLock(() => this.scan(start(options?.from), (e) => { n++; onEvent(e); }));
      } catch (err) {
        if (err instanceof IndexMismatch) return left({ kind: 'corrupt', message: err.message });
        return left(this.failure(err, 'cannot read the log'));
      }
      return right(n);
    })());
  }

  subscribe(options: SubscribeOptions): CatchUpSubscription {
    if (this.closing !== undefined) throw new Error('subscribe: the store is closed');
    this.used = true;
    const sub = startSubscription(
      { client: this.client, prefix: this.prefix, failure: (e, what) => this.failure(e, what) },
      options,
      () => { this.subscriptions.delete(sub); },
    );
    this.subscriptions.add(sub);
    return sub;
  }

  async isEmpty(): Promise<Either<StoreError, boolean>> {
    if (this.closing !== undefined) return left(this.closedError());
    return this.track((async (): Promise<Either<StoreError, boolean>> => {
      this.used = true;
      try {
        // Pages read to their end (see head()), until one holds an event of ours.
        let from: { commit: bigint; prepare: bigint } | undefined;
        for (;;) {
          const reading = this.client.readAll({ fromPosition: from ?? START, direction: FORWARDS, maxCount: 256, resolveLinkTos: false }) as unknown as Readable;
          let found = false;
          let read = 0;
          let last: { commit: bigint; prepare: bigint } | undefined;
          for await (const r of reading) {
            const ev = (r as { event?: EsdbRecorded }).event;
            if (ev?.position === undefined) continue;
            if (from !== undefined && (ev.position.commit < from.commit || (ev.position.commit === from.commit && ev.position.prepare <= from.prepare))) continue;
            read++;
            last = ev.position;
            if (decodeEvent(ev, this.prefix) !== undefined) found = true;
          }
          if (found) return right(false);
          if (read === 0 || last === undefined) return right(true);
          from = last;
        }
      } catch (err) {
        return left(this.failure(err, 'cannot read the log'));
      }
    })());
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.subscriptions].map((s) => s.close()));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.inflight]),
        new Promise<void>((resolve) => { timer = setTimeout(resolve, 5_000); }),
      ]);
      clearTimeout(timer);
      // dispose() waits for every call to finish; a call the server never ends must not hold close() up.
      await Promise.race([
        this.client.dispose().catch(() => undefined),
        new Promise<void>((resolve) => { timer = setTimeout(resolve, 2_000); }),
      ]);
      clearTimeout(timer);
      if (this.used) {
        // dispose() cancels the calls but leaves the channel (and its socket) open.
        const channel = (this.client as unknown as { getChannel(): Promise<{ close(): void }> }).getChannel;
        await channel().then((c) => c.close(), () => undefined);
      }
    })();
    return this.closing;
  }

  /** One small read, bounded in time: is the node there, and does it let us read $all? */
  async verify(timeoutMs: number): Promise<Either<StoreError, void>> {
    this.used = true;
    const reading = this.client.readAll({ fromPosition: END, direction: BACKWARDS, maxCount: 1 }) as unknown as Readable;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs); });
    try {
      const done = await Promise.race([(async () => { for await (const _ of reading) { /* drain */ } return 'ok' as const; })(), timeout]);
      if (done === 'timeout') {
        await reading.cancel().catch(() => undefined);
        return left({ kind: 'io', message: `EventStoreDB ${this.connection.redacted}: no answer within ${Math.round(timeoutMs / 1000)} s` });
      }
      return right(undefined);
    } catch (err) {
      return left(this.failure(err, 'cannot connect'));
    } finally {
      clearTimeout(timer);
    }
  }

  // ---------------------------------------------------------------- appends
  private check(r: PreparedRequest, i: number): void {
    const where = `append request ${i} (stream ${JSON.stringify(r.stream)})`;
    if (r.stream.length === 0 && this.prefix.length === 0) throw new TypeError(`${where}: a stream name must not be empty`);
    if ((this.prefix + r.stream).startsWith('$')) throw new TypeError(`${where}: streams starting with $ are EventStoreDB's own`);
    const e = r.expected;
    if (e !== 'any' && e !== 'noStream' && !(typeof e === 'number' && Number.isSafeInteger(e) && e >= 0)) {
      throw new TypeError(`${where}: expected must be 'any', 'noStream' or a revision ≥ 0, got ${JSON.stringify(e)}`);
    }
    r.events.forEach((ev, j) => {
      if (ev.type.length === 0 || ev.type.startsWith('$')) throw new TypeError(`${where}, event ${j}: type ${JSON.stringify(ev.type)} is not allowed (empty, or $ like EventStoreDB's own)`);
      if (!UUID.test(ev.id)) throw new TypeError(`${where}, event ${j}: id ${JSON.stringify(ev.id)} is not a UUID`);
    });
  }

  private async appendPrepared(prepared: readonly PreparedRequest[], origins: readonly (EventOrigin | undefined)[][]): Promise<Either<StoreError, AppendResult[]>> {
    this.used = true;
    try {
      // The common case: one stream, the server checks the expected revision.
      const only = prepared[0];
      if (prepared.length === 1 && only !== undefined && only.events.length > 0) {
        const w = await this.write(only, origins[0]!);
        if (isLeft(w)) return w;
        await this.catchUp();
        return right([{ stream: only.stream, revision: w.right, position: this.positionOf(only.stream, w.right) }]);
      }
      if (prepared.length === 0) return right([]);

      // Check the whole batch first, against the streams' revisions as of now
      // (the index brought up to the end of $all: one read of what is new).
      await this.catchUp();
      const baseEnd = this.index.length - 1;
      const sim = new Map<string, number | undefined>();
      const revisionAt: (number | undefined)[] = [];
      for (const r of prepared) {
        const head = sim.has(r.stream) ? sim.get(r.stream) : this.index.head(r.stream);
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
        const w = await this.write(r, origins[i]!);
        if (isLeft(w)) return w;
        revisions.push(w.right);
      }
      await this.catchUp();
      const results: AppendResult[] = [];
      let lastWritten: number | undefined;
      for (const [i, r] of prepared.entries()) {
        const revision = revisions[i];
        if (r.events.length > 0) {
          lastWritten = this.positionOf(r.stream, revision!);
          results.push({ stream: r.stream, revision: revision!, position: lastWritten });
        } else if (revision !== undefined) {
          results.push({ stream: r.stream, revision, position: this.positionOf(r.stream, revision) });
        } else {
          results.push({ stream: r.stream, revision: -1, position: lastWritten ?? baseEnd });
        }
      }
      return right(results);
    } catch (err) {
      if (err instanceof IndexMismatch) return left({ kind: 'corrupt', message: err.message });
      return left(this.failure(err, 'cannot append'));
    }
  }

  /** Appends one request's events; Left(conflict) when the server rejects its expected revision. */
  private async write(r: PreparedRequest, origins: readonly (EventOrigin | undefined)[]): Promise<Either<StoreError, number>> {
    const name = this.prefix + r.stream;
    try {
      const res = await this.client.appendToStream(
        name,
        r.events.map((e, j) => encodeEvent(e, origins[j]) as never),
        { expectedRevision: toEsdbExpected(r.expected) },
      );
      // With throwOnAppendFailure=false in the connection string the client resolves instead of throwing.
      if (!res.success) return left(conflict(r.stream, r.expected, await this.head(name, false)));
      return right(Number(res.nextExpectedRevision));
    } catch (err) {
      if (isWrongExpectedVersion(err)) {
        return left(conflict(r.stream, r.expected, err.actualVersion === 'no_stream' ? undefined : Number(err.actualVersion)));
      }
      throw err;
    }
  }

  /** The stream's last revision (of any event in it), undefined when it does not exist. */
  private async head(stream: string, prefixed = true): Promise<number | undefined> {
    const name = prefixed ? this.prefix + stream : stream;
    const reading = this.client.readStream(name, { fromRevision: END, direction: BACKWARDS, maxCount: 1 }) as unknown as Readable;
    try {
      // Read to the end even after the one event: a call left half-read is never
      // released (the client's dispose() would wait for it forever).
      let head: number | undefined;
      for await (const r of reading) {
        const ev = (r as { event?: EsdbRecorded }).event;
        if (ev !== undefined && head === undefined) head = Number(ev.revision);
      }
      return head;
    } catch (err) {
      if (isStreamNotFound(err)) return undefined;
      throw err;
    }
  }

  // ---------------------------------------------------------------- reads
  private async readStreamNow(stream: string, from: number): Promise<Either<StoreError, StoredEvent[]>> {
    this.used = true;
    const decoded: Decoded[] = [];
    const reading = this.client.readStream(this.prefix + stream, {
      fromRevision: from > 0 ? BigInt(from) : START, direction: FORWARDS, resolveLinkTos: false,
    }) as unknown as Readable;
    try {
      for await (const r of reading) {
        const d = decodeEvent((r as { event?: EsdbRecorded }).event, this.prefix);
        if (d !== undefined) decoded.push(d);
      }
    } catch (err) {
      if (isStreamNotFound(err)) return right([]);
      return left(this.failure(err, `cannot read stream ${JSON.stringify(stream)}`));
    }
    try {
      const last = decoded[decoded.length - 1];
      if (last !== undefined && this.index.positionOf(stream, last.revision) === undefined) await this.catchUp();
      return right(decoded.map((d) => withPosition(d, this.positionOf(d.stream, d.revision))));
    } catch (err) {
      if (err instanceof IndexMismatch) return left({ kind: 'corrupt', message: err.message });
      return left(this.failure(err, 'cannot read the log'));
    }
  }

  private positionOf(stream: string, revision: number): number {
    const p = this.index.positionOf(stream, revision);
    if (p === undefined) {
      throw new IndexMismatch(`EventStoreDB ${this.connection.redacted}: revision ${revision} of stream ${JSON.stringify(stream)} is not in $all (was the stream deleted or truncated?)`);
    }
    return p;
  }

  /** Brings the index up to the end of $all. Callers that arrive while a scan is queued share it. */
  private catchUp(): Promise<void> {
    if (this.pendingScan !== undefined) return this.pendingScan;
    const scan = this.withLock(() => {
      this.pendingScan = undefined;
      return this.scan(undefined, undefined);
    });
    this.pendingScan = scan;
    return scan;
  }

  private withLock<A>(fn: () => Promise<A>): Promise<A> {
    const run = this.lock.then(fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /**
   * Reads $all forwards (under the lock) from the record before position `from`
   * (or from the end of the index), indexing every new event of this store and
   * collecting those at `from` or later. Throws the client's errors.
   */
  private async scan(from: number | undefined, collect: ((e: StoredEvent) => void) | undefined): Promise<void> {
    const ix = this.index;
    const first = from === undefined ? ix.length : Math.min(from, ix.length);
    const resume: Pos | undefined = first < ix.length
      ? (first > 0 ? { c: ix.commits[first - 1]!, p: ix.prepares[first - 1]! } : undefined)
      : ix.last;
    let position = first;
    let mismatch: IndexMismatch | undefined;
    const reading = this.client.readAll({
      fromPosition: resume === undefined ? START : { commit: BigInt(resume.c), prepare: BigInt(resume.p) },
      direction: FORWARDS,
      resolveLinkTos: false,
    }) as unknown as Readable;
    for await (const r of reading) {
      const ev = (r as { event?: EsdbRecorded }).event;
      const at = ev?.position;
      if (ev === undefined || at === undefined || mismatch !== undefined) continue;
      const c = Number(at.commit);
      const p = Number(at.prepare);
      // Whether the server starts at or after the given position, nothing is taken twice.
      if (resume !== undefined && cmp(c, p, resume) <= 0) continue;
      if (ix.last === undefined || cmp(c, p, ix.last) > 0) ix.last = { c, p };
      const d = decodeEvent(ev, this.prefix);
      if (d === undefined) continue;
      const here = position++;
      if (here >= ix.length) {
        ix.add(d.stream, d.revision, c, p);
      } else if (ix.commits[here] !== c || ix.prepares[here] !== p) {
        // Cancel, then read on to the end of the call (see head()).
        mismatch = new IndexMismatch(`EventStoreDB ${this.connection.redacted}: the log changed under this store (event ${here} moved; were streams deleted?); reopen it`);
        void reading.cancel().catch(() => undefined);
        continue;
      }
      if (collect !== undefined && from !== undefined && here >= from) collect(withPosition(d, here));
    }
    if (mismatch !== undefined) throw mismatch;
  }

  // ---------------------------------------------------------------- plumbing
  private track<A>(p: Promise<A>): Promise<A> {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p)).catch(() => undefined);
    return p;
  }

  private closedError(): StoreError {
    return { kind: 'closed', message: `EventStoreDB store ${this.connection.redacted} is closed` };
  }

  /** A client error as a StoreError whose message names the node (without credentials) and the cause. */
  failure(err: unknown, what: string): StoreError {
    if (this.closing !== undefined) return this.closedError();
    const e = (typeof err === 'object' && err !== null ? err : {}) as { type?: string; code?: number; message?: string; details?: string };
    // grpc-js messages end in an empty "Resolution note" and may span lines.
    const raw = (e.message ?? String(err)).replace(/[.\s]*Resolution note:\s*$/, '').replace(/\s+/g, ' ').trim();
    let why: string;
    if (e.type === 'unavailable' || e.code === 14) {
      why = `node unavailable (${raw})`;
      if (this.connection.tls && /ssl|tls|handshake|certificate|wrong version number/i.test(raw)) {
        why += '; TLS is on by default: add ?tls=false for a node started with --insecure';
      }
    } else if (e.type === 'access-denied' || e.code === 7) {
      why = `access denied (${raw}); the user in the connection string must be allowed to read $all and write the streams`;
    } else if (e.type === 'deadline-exceeded' || e.code === 4) {
      why = `no answer in time (${raw})`;
    } else if (e.type === 'not-leader') {
      why = `the node is not the leader (${raw}); use esdb+discover:// or connect to the leader`;
    } else {
      why = raw;
    }
    return { kind: 'io', message: scrub(`EventStoreDB ${this.connection.redacted}: ${what}: ${why}`, this.connectionString) };
  }
}

// `from` is a revision/position; a fractional one starts at the next whole one.
const start = (from: number | undefined): number => (from === undefined || !(from > 0) ? 0 : Math.ceil(from));

function originOf(e: CopiedEvent | undefined): EventOrigin | undefined {
  const o = e?.origin;
  if (o === undefined) return undefined;
  if (!Number.isSafeInteger(o.position) || !Number.isSafeInteger(o.revision)) throw new TypeError('append: origin must have integer position and revision');
  return { position: o.position, revision: o.revision };
}
