// Positions. The port numbers events 0, 1, 2… across the log; EventStoreDB's
// $all positions are byte offsets shared with its own system events. A store
// keeps an index of this store's events in $all order (position -> $all
// position, stream revision -> position), built by reading $all forwards
// incrementally: the first read or append reads what is there, later ones only
// what is new. Every connection derives the same numbering. Deleting or
// truncating streams in the database renumbers the log: don't (the index
// notices and answers `corrupt`). Memory: about 30 bytes per event.
import { START, FORWARDS, type EventStoreDBClient } from '@eventstore/db-client';
import type { StoredEvent } from '../../src/ports.js';
import { decodeEvent, withPosition, type EsdbRecorded } from './envelope.js';
import type { SubscriptionContext } from './subscription.js';

export type Readable = AsyncIterable<unknown> & { cancel(): Promise<void> };
interface Pos {
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

/** The index and the one lock under which $all is read to keep it. */
export class Positions {
  readonly index = new LogIndex();
  private lock: Promise<unknown> = Promise.resolve();
  private pendingScan: Promise<void> | undefined;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly prefix: string,
    /** The connection for messages, credentials removed. */
    private readonly redacted: string,
  ) {}

  positionOf(stream: string, revision: number): number {
    const p = this.index.positionOf(stream, revision);
    if (p === undefined) {
      throw new IndexMismatch(
        `EventStoreDB ${this.redacted}: revision ${revision} of stream ${JSON.stringify(stream)} is not in $all (was the stream deleted or truncated?)`,
      );
    }
    return p;
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
    const ix = this.index;
    const first = from === undefined ? ix.length : Math.min(from, ix.length);
    const resume: Pos | undefined =
      first < ix.length ? (first > 0 ? { c: ix.commits[first - 1]!, p: ix.prepares[first - 1]! } : undefined) : ix.last;
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
        // Cancel, then read on to the end of the call (a call left half-read is never released).
        mismatch = new IndexMismatch(
          `EventStoreDB ${this.redacted}: the log changed under this store (event ${here} moved; were streams deleted?); reopen it`,
        );
        void reading.cancel().catch(() => undefined);
        continue;
      }
      if (collect !== undefined && from !== undefined && here >= from) collect(withPosition(d, here));
    }
    if (mismatch !== undefined) throw mismatch;
  }
}
