// The file store's index of its log, without the events: each line's byte
// offset, each stream's head and the previous position in the same stream (a
// chain that readStream walks back), and every id's hash. Reads go to the file;
// the events themselves are never held, so a store's memory grows by ~12 bytes
// an event plus the id table (12 bytes a slot) instead of by the events.
import { isLeft, right, type Either } from 'fp-ts/lib/Either.js';
import type { StoreError } from '../../src/ports.js';
import { planAppend, type AppendPlan, type StreamHeadAt } from '../shared/append-plan.js';
import type { PreparedRequest } from '../shared/log-codec.js';
import { IdSet, idHash, type IdSetData } from '../shared/log-ids.js';
import type { StreamHead } from '../shared/log-reader.js';

/** A stream's head: its last revision and position. */
export interface DiskHead {
  revision: number;
  position: number;
}

/** A plan of the file store, and the lines whose id must be read first. */
export interface DiskPlan extends AppendPlan {
  readonly unread: readonly number[];
}

/** An index as saved beside the log (log-index-file.ts): copies, unchanged by later appends. */
export interface DiskIndexData {
  readonly count: number;
  /** count + 1 entries: each line's start, then the end of the last. */
  readonly offsets: Float64Array;
  readonly prev: Int32Array;
  readonly ids: IdSetData;
  /** Every stream: name, last revision, last position. */
  readonly heads: ReadonlyArray<readonly [string, number, number]>;
}

export class DiskIndex {
  private offsets: Float64Array = new Float64Array(1024);
  private prev: Int32Array = new Int32Array(1024);
  private count = 0;
  private readonly heads = new Map<string, DiskHead>();

  // Each id's hash to its position + 1.
  private ids = new IdSet();

  static from(data: DiskIndexData): DiskIndex {
    const index = new DiskIndex();
    index.count = data.count;
    index.offsets = data.offsets;
    index.prev = data.prev;
    index.ids = new IdSet(data.ids);
    for (const [name, revision, position] of data.heads) index.heads.set(name, { revision, position });
    return index;
  }

  /**
   * The index as it is now, unchanged by later appends (for saving it while appends go on). The line
   * offsets and chains are views, not copies: their first `count` entries (and the end of the last
   * line) never change once pushed, and growing them makes new arrays. The id table, which later adds
   * write into anywhere, and the heads are copied. Views saved ~30 % of the bytes each save copied,
   * and fresh pages are dear (docs/architecture.md).
   */
  data(): DiskIndexData {
    const ids = this.ids.data();
    const heads: Array<readonly [string, number, number]> = [];
    for (const [name, h] of this.heads) heads.push([name, h.revision, h.position]);
    return {
      count: this.count,
      offsets: this.offsets.subarray(0, this.count + 1),
      prev: this.prev.subarray(0, this.count),
      ids: { keys: ids.keys.slice(), lines: ids.lines.slice() },
      heads,
    };
  }

  /** Where a reader continues after the indexed lines: their streams (with this index's head records as state) and ids. */
  resumePoint(): { offset: number; lines: number; streams: StreamHead[]; ids: IdSet } {
    const streams: StreamHead[] = [];
    for (const [name, h] of this.heads) streams.push({ name, revision: h.revision, state: h });
    return { offset: this.offsets[this.count]!, lines: this.count, streams, ids: this.ids };
  }

  /** Takes a reader's table of the same lines (hash to line number = position + 1). */
  adoptIds(ids: IdSet): void {
    this.ids = ids;
  }

  get length(): number {
    return this.count;
  }

  /** Ids recorded (one a line). */
  get idCount(): number {
    return this.ids.size;
  }

  /** The byte offset where position `p`'s line starts (`p` = length: the end of the last line). */
  offsetOf(p: number): number {
    return this.offsets[p]!;
  }

  /** The head record of `stream`, created empty (revision -1) when new: a reader keeps it to skip the lookup. */
  headRecord(stream: string): DiskHead {
    let h = this.heads.get(stream);
    if (h === undefined) {
      h = { revision: -1, position: -1 };
      this.heads.set(stream, h);
    }
    return h;
  }

  /**
   * Adds the next line: its stream's head record, revision, and where it starts and ends. Lines are
   * contiguous (every line is parsed; a blank one is an error): a line starts where the last ended,
   * which views handed out by `data` rely on.
   */
  push(head: DiskHead, revision: number, start: number, end: number): void {
    const p = this.count;
    if (p + 1 >= this.offsets.length) this.grow();
    if (p === 0) this.offsets[0] = start;
    else if (start !== this.offsets[p]) throw new Error(`line ${p + 1} starts at ${start}, not where line ${p} ended (${this.offsets[p]})`);
    this.offsets[p + 1] = end;
    this.prev[p] = head.position;
    head.revision = revision;
    head.position = p;
    this.count = p + 1;
  }

  head(stream: string): StreamHeadAt | undefined {
    const h = this.heads.get(stream);
    return h === undefined || h.position < 0 ? undefined : h;
  }

  /** The positions of `stream`'s events, revision 0 first. */
  positionsOf(stream: string): number[] {
    const out: number[] = [];
    for (let p = this.heads.get(stream)?.position ?? -1; p >= 0; p = this.prev[p]!) out.push(p);
    return out.reverse();
  }

  /**
   * See planAppend. A caller's id whose hash the log already holds is judged by the
   * ids on the lines with that hash, from `idsAt`; a line not read yet is listed in
   * `unread` (read it and plan again).
   */
  plan(requests: readonly PreparedRequest[], idsAt: ReadonlyMap<number, string>): Either<StoreError, DiskPlan> {
    const unread: number[] = [];
    const planned = planAppend(
      {
        length: this.count,
        head: (s) => this.head(s),
        positionOfId: (id) => {
          const hash = idHash(id);
          if (this.ids.find(hash) === 0) return undefined;
          // Every line with the hash (ids may share one): the id is held when one of them carries it.
          for (const held of this.ids.linesWith(hash)) {
            const read = idsAt.get(held - 1);
            if (read === id) return held - 1;
            if (read === undefined) unread.push(held - 1);
          }
          return undefined;
        },
      },
      requests,
      false,
    );
    return isLeft(planned) ? planned : right({ ...planned.right, unread });
  }

  /**
   * Adds the events `plan` placed for `requests` once durable: their streams and ids, and the line
   * offsets found in `bytes` (the appended text) written at offset `at`. A request's events are
   * consecutive in `placed`: its stream's head is looked up once.
   */
  apply(plan: DiskPlan, requests: readonly PreparedRequest[], bytes: Buffer, at: number): void {
    let start = 0;
    let i = 0;
    for (const r of requests) {
      if (r.events.length === 0) continue;
      const head = this.headRecord(r.stream);
      for (let k = 0; k < r.events.length; k++, i++) {
        const e = plan.placed[i]!;
        const nl = bytes.indexOf(10, start);
        this.push(head, e.revision, at + start, at + nl + 1);
        // Hashed here (a caller's id was hashed for its lookup too; the store's own, the most, only here).
        this.ids.add(idHash(e.event.id), e.position + 1);
        start = nl + 1;
      }
    }
  }

  private grow(): void {
    const size = Math.max(1024, this.offsets.length * 2);
    const offsets = new Float64Array(size);
    offsets.set(this.offsets);
    const prev = new Int32Array(size);
    prev.set(this.prev);
    this.offsets = offsets;
    this.prev = prev;
  }
}
