// Positions. The port numbers events 0, 1, 2… across the log; EventStoreDB's
// $all positions are byte offsets shared with its own system events. A store
// keeps an index of this store's events in $all order (position -> $all
// position, stream revision -> position), built by reading $all forwards
// incrementally: the first read or append reads what is there, later ones only
// what is new. Every connection derives the same numbering. Deleting or
// truncating streams in the database renumbers the log: don't (the index
// notices and answers `corrupt`). Memory: about 30 bytes per event.
//
// A seeded index (`seed`, from the engine's snapshot: snapshots.ts) starts at a
// known event instead of the start of $all: position `base` is at a given $all
// position, so a start reads only what came after it. What lies before is read
// (the whole of $all, once) only when something asks for it: an older event's
// position, the whole log. The seed is checked against the first event read at
// it; a seed that does not match is dropped and the index built from the start.
import { START, FORWARDS, END, BACKWARDS, type EventStoreDBClient } from '@eventstore/db-client';
import type { StoredEvent } from '../../src/ports.js';
import { decodeEvent, withPosition, type EsdbRecorded } from './envelope.js';
import { isStreamNotFound } from './errors.js';
import type { SubscriptionContext } from './subscription.js';

export type Readable = AsyncIterable<unknown> & { cancel(): Promise<void> };
export interface Pos {
  readonly c: number;
  readonly p: number;
}
const cmp = (c: number, p: number, b: Pos) => c - b.c || p - b.p;

/** The log changed under the index (streams deleted or truncated): the store answers `corrupt`. */
export class IndexMismatch extends Error {}

/** What the appends and reads of one store share. */
export interface StoreContext extends SubscriptionContext {
  readonly positions: Positions;
}

/** Where an index may start: event `position` (with this id) is at $all position `at`; `before` is that of event position - 1. */
export interface IndexSeed {
  readonly position: number;
  readonly id: string;
  readonly at: Pos;
  /** Absent when `position` is 0. */
  readonly before?: Pos;
}

/** This store's events in $all order from position `base`: position -> $all position; stream revision -> position. */
class LogIndex {
  private commits: number[] = [];
  private prepares: number[] = [];
  private readonly streams = new Map<string, number[]>();
  /** The last record of any kind read from $all. */
  last: Pos | undefined;

  constructor(
    /** Positions before this one are not in the index (a seeded index); 0 for a whole one. */
    readonly base: number = 0,
    /** The $all position of event base - 1. */
    private readonly beforeBase: Pos | undefined = undefined,
  ) {
    this.last = beforeBase;
  }

  /** One past the last position indexed. */
  get length(): number {
    return this.base + this.commits.length;
  }

  /** The $all position of event `position`, if indexed (base - 1 included). */
  at(position: number): Pos | undefined {
    const i = position - this.base;
    if (i === -1) return this.beforeBase;
    if (i < 0 || i >= this.commits.length) return undefined;
    return { c: this.commits[i]!, p: this.prepares[i]! };
  }

  add(stream: string, revision: number, c: number, p: number): void {
    const position = this.length;
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

  /** This seeded index with `prefix` (its positions 0…base - 1, read from the start) before it: a whole index. */
  joined(prefix: LogIndex): LogIndex {
    const ix = new LogIndex();
    ix.commits = prefix.commits.concat(this.commits);
    ix.prepares = prefix.prepares.concat(this.prepares);
    for (const [stream, revisions] of prefix.streams) ix.streams.set(stream, revisions.slice());
    for (const [stream, revisions] of this.streams) {
      let all = ix.streams.get(stream);
      if (all === undefined) {
        all = [];
        ix.streams.set(stream, all);
      }
      revisions.forEach((position, revision) => {
        all[revision] = position;
      });
    }
    ix.last = this.last;
    return ix;
  }

  /**
   * The last revision of the stream among this store's events. For a seeded
   * index, undefined can also mean "only before the base": ask the server.
   */
  head(stream: string): number | undefined {
    const revisions = this.streams.get(stream);
    return revisions === undefined || revisions.length === 0 ? undefined : revisions.length - 1;
  }
}

/** The index and the one lock under which $all is read to keep it. */
export class Positions {
  index = new LogIndex();
  /** A seed whose first event has not been read yet. */
  private unchecked: IndexSeed | undefined;
  private lock: Promise<unknown> = Promise.resolve();
  private completing: Promise<void> | undefined;
  private pendingScan: Promise<void> | undefined;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly prefix: string,
    /** The connection for messages, credentials removed. */
    private readonly redacted: string,
  ) {}

  /** Whether positions before some base are not indexed yet. */
  get seeded(): boolean {
    return this.index.base > 0;
  }

  /**
   * Starts the index at `seed` instead of the start of $all. Only an index that
   * has read nothing yet takes one; false otherwise.
   */
  seed(seed: IndexSeed): boolean {
    if (this.index.length > 0 || this.index.last !== undefined || seed.position <= 0 || seed.before === undefined) return false;
    this.index = new LogIndex(seed.position, seed.before);
    this.unchecked = seed;
    return true;
  }

  positionOf(stream: string, revision: number): number {
    const p = this.index.positionOf(stream, revision);
    if (p === undefined) throw this.missing(stream, revision);
    return p;
  }

  /** The position of a stream's revision, reading the log before a seeded index's base when it is there. */
  async locate(stream: string, revision: number): Promise<number> {
    if (this.index.positionOf(stream, revision) === undefined) {
      await this.catchUp();
      if (this.index.positionOf(stream, revision) === undefined) await this.whole();
    }
    return this.positionOf(stream, revision);
  }

  /**
   * The stream's last revision (of this store's events), the index brought up
   * to date first. A seeded index that has not seen the stream asks the server.
   */
  async headOf(stream: string): Promise<number | undefined> {
    const known = this.index.head(stream);
    if (known !== undefined || !this.seeded) return known;
    return serverHead(this.client, this.prefix + stream);
  }

  /** Brings the index up to the end of $all. Callers that arrive while a scan is queued share it. */
  catchUp(): Promise<void> {
    if (this.pendingScan !== undefined) return this.pendingScan;
    const scan = this.withLock(() => {
      this.pendingScan = undefined;
      return this.scan(undefined, undefined);
    });
    this.pendingScan = scan;
    return scan;
  }

  withLock<A>(fn: () => Promise<A>): Promise<A> {
    const run = this.lock.then(fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /**
   * Reads $all forwards (under the lock) from the record before position `from`
   * (or from the end of the index), indexing every new event of this store and
   * collecting those at `from` or later. Throws the client's errors.
   */
  async scan(from: number | undefined, collect: ((e: StoredEvent) => void) | undefined): Promise<void> {
    if (from !== undefined && from < this.index.base) await this.complete();
    if (!(await this.read(from, collect))) {
      // The seed did not match the log: forget it, and number the log from its start.
      this.index = new LogIndex();
      await this.read(from, collect);
    }
  }

  /** Reads what lies before a seeded index's base (the whole of $all, once). */
  whole(): Promise<void> {
    if (!this.seeded) return Promise.resolve();
    this.completing ??= this.prefixThenJoin().finally(() => {
      this.completing = undefined;
    });
    return this.completing;
  }

  /**
   * Completes a seeded index. The log before a checked seed never changes, so it
   * is read without holding the lock (appends and reads after the base go on
   * meanwhile) and joined under it; an unchecked seed is replaced by a whole read.
   */
  private async prefixThenJoin(): Promise<void> {
    const seeded = this.index;
    if (seeded.base === 0) return;
    if (this.unchecked !== undefined) return this.withLock(() => this.complete());
    const prefix = await this.readPrefix(seeded);
    await this.withLock(async () => {
      // A scan may have completed the index meanwhile: then there is nothing to join.
      if (this.index === seeded) this.index = seeded.joined(prefix);
    });
  }

  /** This store's events before a seeded index's base, from the start of $all; they must end where the seed says. */
  private async readPrefix(seeded: LogIndex): Promise<LogIndex> {
    const prefix = new LogIndex();
    const reading = this.client.readAll({ fromPosition: START, direction: FORWARDS, resolveLinkTos: false }) as unknown as Readable;
    await drainEvents(reading, (ev) => {
      const d = ev.position === undefined ? undefined : decodeEvent(ev, this.prefix);
      if (d !== undefined) prefix.add(d.stream, d.revision, Number(ev.position!.commit), Number(ev.position!.prepare));
      return prefix.length < seeded.base;
    });
    const a = prefix.at(seeded.base - 1);
    const b = seeded.at(seeded.base - 1);
    if (prefix.length !== seeded.base || a === undefined || b === undefined || a.c !== b.c || a.p !== b.p)
      throw new IndexMismatch(
        `EventStoreDB ${this.redacted}: the log read from its start does not agree with the snapshot's position ${seeded.base} (were streams deleted?); reopen it`,
      );
    return prefix;
  }

  /** Completes a seeded index under the lock: its prefix joined, or (a seed nothing confirmed) the log numbered from its start. */
  private async complete(): Promise<void> {
    const seeded = this.index;
    if (seeded.base === 0) return;
    if (this.unchecked === undefined) {
      this.index = seeded.joined(await this.readPrefix(seeded));
      return;
    }
    this.unchecked = undefined;
    this.index = new LogIndex();
    await this.read(undefined, undefined);
  }

  /** One forward read of $all (see scan); false when an unchecked seed turned out not to match. */
  private async read(from: number | undefined, collect: ((e: StoredEvent) => void) | undefined): Promise<boolean> {
    const ix = this.index;
    const first = from === undefined ? ix.length : Math.min(from, ix.length);
    const resume: Pos | undefined = first < ix.length ? ix.at(first - 1) : ix.last;
    let position = first;
    let mismatch: IndexMismatch | undefined;
    let seedFailed = false;
    const reading = this.client.readAll({
      fromPosition: resume === undefined ? START : { commit: BigInt(resume.c), prepare: BigInt(resume.p) },
      direction: FORWARDS,
      resolveLinkTos: false,
    }) as unknown as Readable;
    for await (const r of reading) {
      const ev = (r as { event?: EsdbRecorded }).event;
      const at = ev?.position;
      if (ev === undefined || at === undefined || mismatch !== undefined || seedFailed) continue;
      const c = Number(at.commit);
      const p = Number(at.prepare);
      // Whether the server starts at or after the given position, nothing is taken twice.
      if (resume !== undefined && cmp(c, p, resume) <= 0) continue;
      const d = decodeEvent(ev, this.prefix);
      if (d === undefined) {
        if (ix.last === undefined || cmp(c, p, ix.last) > 0) ix.last = { c, p };
        continue;
      }
      const here = position++;
      const seed = this.unchecked;
      if (seed !== undefined && here === seed.position) {
        if (c !== seed.at.c || p !== seed.at.p || d.id !== seed.id) {
          seedFailed = true;
          void reading.cancel().catch(() => undefined);
          continue;
        }
        this.unchecked = undefined;
      }
      if (ix.last === undefined || cmp(c, p, ix.last) > 0) ix.last = { c, p };
      if (here >= ix.length) {
        ix.add(d.stream, d.revision, c, p);
      } else {
        const known = ix.at(here)!;
        if (known.c !== c || known.p !== p) {
          // Cancel, then read on to the end of the call (a call left half-read is never released).
          mismatch = new IndexMismatch(
            `EventStoreDB ${this.redacted}: the log changed under this store (event ${here} moved; were streams deleted?); reopen it`,
          );
          void reading.cancel().catch(() => undefined);
          continue;
        }
      }
      if (collect !== undefined && from !== undefined && here >= from) collect(withPosition(d, here));
    }
    if (mismatch !== undefined) throw mismatch;
    if (seedFailed) {
      this.unchecked = undefined;
      return false;
    }
    return true;
  }

  private missing(stream: string, revision: number): IndexMismatch {
    return new IndexMismatch(
      `EventStoreDB ${this.redacted}: revision ${revision} of stream ${JSON.stringify(stream)} is not in $all (was the stream deleted or truncated?)`,
    );
  }
}

/**
 * Reads a call to its end (a call left half-read is never released: the client's
 * dispose() would wait for it forever), handing each event to `onEvent` until it
 * returns false; the call is then cancelled and the rest skipped.
 */
export async function drainEvents(reading: Readable, onEvent: (ev: EsdbRecorded) => boolean): Promise<void> {
  let done = false;
  for await (const r of reading) {
    const ev = (r as { event?: EsdbRecorded }).event;
    if (done || ev === undefined) continue;
    if (!onEvent(ev)) {
      done = true;
      void reading.cancel().catch(() => undefined);
    }
  }
}

/** The stream's (full name's) last revision, of any event in it; undefined when it does not exist. */
export async function serverHead(client: EventStoreDBClient, name: string): Promise<number | undefined> {
  let last: number | undefined;
  try {
    await drainEvents(client.readStream(name, { fromRevision: END, direction: BACKWARDS, maxCount: 1 }), (ev) => {
      last = Number(ev.revision);
      return false;
    });
    return last;
  } catch (err) {
    if (isStreamNotFound(err)) return undefined;
    throw err;
  }
}
