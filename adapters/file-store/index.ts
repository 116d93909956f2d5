// The embedded event store: one NDJSON log file (docs/log-format.md),
// appended and fsynced per batch, never rewritten except to cut a torn tail.
// The file is checked line by line once on open, keeping only an index (line
// offsets, stream heads, id hashes: disk-index.ts); reads go to the file.
import { mkdir, open, realpath, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { AppendRequest, AppendResult, EventStore, ReadOptions, StoredEvent, StoreError } from '../../src/ports.js';
import { encodeLines, envelopeError, prepareRequests, IdleScratch, type PreparedRequest } from '../shared/log-codec.js';
import { isTornFragment } from '../shared/log-torn.js';
import { acquireLock, releaseLock } from './lock.js';
import type { BlockHash } from './block-hash.js';
import { ioText, scanLog, type LineError, type TornTail } from '../shared/log-reader.js';
import { syncDirectory } from './durable.js';
import type { DiskIndex } from './disk-index.js';
import { forEachPosition, idAt, readPositions, readScattered } from './disk-reads.js';
import { openScan, type LogIndexNote, type OpenScan } from './open-scan.js';
import { logIndexPath, saveLogIndex } from './log-index-file.js';

export type { LineError, TornTail, LogIndexNote };
export { LOG_INDEX_FORMAT, logIndexPath } from './log-index-file.js';
// The engine's snapshot beside the log: its own module, see there.
export { fileSnapshotStore, SNAPSHOT_FILE_FORMAT, type FileSnapshotOptions } from './snapshot.js';

export interface FileStore extends EventStore {
  readonly path: string;
  /** The torn last line found on open: cut away by a writer, skipped by a read-only store. */
  readonly tornTail?: TornTail;
  /** With `replace`: the size of the log that was emptied, when there was one. */
  readonly replaced?: { readonly bytes: number };
  /** Whether opening used the index saved beside the log (`<log>.index`), and why not. */
  readonly logIndex: LogIndexNote;
  /** The last failure to save that index (appends never fail for its sake). */
  readonly logIndexError?: string;
}

export interface FileStoreOptions {
  /** No lock, no truncation, no appends: a snapshot of the log as it was on open. */
  readonly readOnly?: boolean;
  /**
   * Start from an empty log: once the lock is held, an existing log of this
   * format is emptied. A file that is not such a log is refused (`corrupt`),
   * never emptied; a log another process holds is refused before anything is
   * touched (the lock comes first).
   */
  readonly replace?: boolean;
  /**
   * Save the index beside the log once this many events are not covered by the
   * saved one (checked on open, after appends, and on close); default 100,000.
   * Smaller logs open fast without one.
   */
  readonly saveIndexEvery?: number;
  /** @internal Test hook: the block size a new index is hashed in (block-hash.ts); default 64 MiB. */
  readonly indexBlockBytes?: number;
}

export const DEFAULT_SAVE_INDEX_EVERY = 100_000;

export interface LogScan {
  events: StoredEvent[];
  /** Every invalid line; their events are left out of `events`. */
  errors: LineError[];
  tornTail?: TornTail;
  /** Lines in the file, a torn last line included. */
  lines: number;
}

const ioError = (message: string): StoreError => ({ kind: 'io', message });

/**
 * Opens (creating it and its directory when absent) a log for reading and
 * appending, holding `<path>.lock` until close. A torn last line is truncated;
 * an invalid line anywhere else is `corrupt` and the file is left untouched.
 */
export async function openFileStore(path: string, options: FileStoreOptions = {}): Promise<Either<StoreError, FileStore>> {
  if (options.readOnly === true) return openReadOnly(path, options.indexBlockBytes);
  const every = options.saveIndexEvery ?? DEFAULT_SAVE_INDEX_EVERY;
  let lockPath: string;
  try {
    await mkdir(dirname(path), { recursive: true });
    lockPath = `${await canonical(path)}.lock`;
  } catch (err) {
    return left(ioError(`log ${path}: cannot create its directory: ${ioText(err)}`));
  }
  const locked = await acquireLock(lockPath, path);
  if (isLeft(locked)) return locked;
  let fh: FileHandle | undefined;
  try {
    const existed = await stat(path).then(
      () => true,
      () => false,
    );
    fh = await open(path, 'a+');
    if (!existed) await syncDirectory(dirname(path));
    let replaced: { bytes: number } | undefined;
    if (options.replace === true && existed) {
      const notALog = await notALogReason(fh);
      if (notALog !== undefined) {
        await fh.close();
        await releaseLock(lockPath);
        return left({ kind: 'corrupt', file: path, line: 1, message: `log ${path}: ${notALog}; not replacing it` });
      }
      replaced = { bytes: (await fh.stat()).size };
      await fh.truncate(0);
      await fh.datasync();
      // The emptied log's index can never match again: gone rather than reported as stale on every open.
      await rm(logIndexPath(path), { force: true });
    }
    const scan = await openScan(fh, path, options.indexBlockBytes);
    if (scan.bad !== undefined) {
      await fh.close();
      await releaseLock(lockPath);
      return left(corruptError(path, scan.bad));
    }
    if (scan.tornTail !== undefined) {
      // The torn line's append never returned: no one was told it happened.
      await fh.truncate(scan.validBytes);
      await fh.datasync();
    }
    const log = new FileLog(path, fh, scan, lockPath, every);
    return right(replaced === undefined ? log : Object.assign(log, { replaced }));
  } catch (err) {
    await fh?.close().catch(() => undefined);
    await releaseLock(lockPath);
    return left(ioError(`log ${path}: ${ioText(err)}`));
  }
}

async function openReadOnly(path: string, blockBytes: number | undefined): Promise<Either<StoreError, FileStore>> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    return left(ioError(`log ${path}: cannot open: ${ioText(err)}`));
  }
  try {
    const scan = await openScan(fh, path, blockBytes);
    if (scan.bad !== undefined) {
      await fh.close().catch(() => undefined);
      return left(corruptError(path, scan.bad));
    }
    // The file stays open for reads (of what was there on open) until close; no index is saved.
    return right(new FileLog(path, fh, scan, undefined, undefined));
  } catch (err) {
    await fh.close().catch(() => undefined);
    return left(ioError(`log ${path}: cannot read: ${ioText(err)}`));
  }
}

/**
 * Reads a log for replay tools without ever modifying it: every invalid line is
 * reported (and left out of `events`), a torn last line is reported as such.
 */
export async function readLog(path: string): Promise<Either<StoreError, LogScan>> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    return left(ioError(`log ${path}: cannot open: ${ioText(err)}`));
  }
  try {
    const scan = await scanLog(fh, false);
    const result: LogScan = { events: scan.kept, errors: scan.errors, lines: scan.lines };
    if (scan.tornTail !== undefined) result.tornTail = scan.tornTail;
    return right(result);
  } catch (err) {
    return left(ioError(`log ${path}: cannot read: ${ioText(err)}`));
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * Why the file behind `fh` is not a log of this format, judged from its first
 * line (an empty file, or one holding only a torn first append, is a log).
 */
async function notALogReason(fh: FileHandle): Promise<string | undefined> {
  const head = Buffer.alloc(64 * 1024);
  const { bytesRead } = await fh.read(head, 0, head.length, 0);
  if (bytesRead === 0) return undefined;
  const nl = head.subarray(0, bytesRead).indexOf(10);
  if (nl < 0) {
    if (bytesRead < head.length && isTornFragment(head.subarray(0, bytesRead))) return undefined;
    return 'it is not an event log of this format (its first line is not an event)';
  }
  let value: unknown;
  try {
    value = JSON.parse(head.toString('utf8', 0, nl).replace(/^\uFEFF/, ''));
  } catch {
    return 'it is not an event log of this format (line 1 is not JSON)';
  }
  const bad = envelopeError(value);
  return bad === undefined ? undefined : `it is not an event log of this format (line 1: ${bad})`;
}

// The lock sits next to the real file, so two paths to one log (a symlink, a
// relative path) still find the same lock.
async function canonical(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return join(await realpath(dirname(path)), basename(path));
  }
}

function corruptError(path: string, bad: LineError): StoreError {
  return { kind: 'corrupt', file: path, line: bad.line, message: `log ${path}: ${bad.message}` };
}

class FileLog implements FileStore {
  readonly tornTail?: TornTail;
  // Appends run one at a time, in call order; each checks revisions when it runs.
  private queue: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private broken: string | undefined;
  // Reads in flight: close waits for them before closing the file under them.
  private readonly reading = new Set<Promise<unknown>>();
  readonly index: DiskIndex;
  readonly logIndex: LogIndexNote;
  logIndexError?: string;
  private size: number;
  // The log's valid bytes hashed in blocks (block-hash.ts), continued by every append: what a saved index covers.
  private readonly hash: BlockHash;
  // Events the saved index covers; index saves run one after another.
  private indexed: number;
  private outdatedIndex: boolean;
  private saving: Promise<unknown> = Promise.resolve();
  private readonly scratch = new IdleScratch();
  private readonly readOnly: boolean;

  /** `saveIndexEvery` undefined: a read-only store. */
  constructor(
    readonly path: string,
    readonly fh: FileHandle,
    scan: OpenScan,
    private readonly lockPath: string | undefined,
    private readonly saveIndexEvery: number | undefined,
  ) {
    if (scan.tornTail !== undefined) this.tornTail = scan.tornTail;
    this.index = scan.index;
    this.size = scan.validBytes;
    this.hash = scan.hash;
    this.logIndex = scan.note;
    this.readOnly = saveIndexEvery === undefined;
    this.indexed = scan.note.kind === 'loaded' ? scan.note.events : 0;
    this.outdatedIndex = scan.outdatedIndex === true;
    this.saveIndexWhenDue(false);
  }

  async append(requests: readonly AppendRequest[]): Promise<Either<StoreError, AppendResult[]>> {
    if (this.closing !== undefined) return left(this.closedError());
    if (this.readOnly) return left(ioError(`log ${this.path} is open read-only`));
    // The events are not held after the append, so no copies of their data are made.
    const prepared = prepareRequests(requests, { copies: false });
    const run = this.queue.then(() => this.write(this.fh, prepared));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async readStream(stream: string, options?: ReadOptions): Promise<Either<StoreError, StoredEvent[]>> {
    if (this.closing !== undefined) return left(this.closedError());
    const positions = this.index.positionsOf(stream);
    return this.track(readScattered(this, positions.slice(start(options?.from))));
  }

  async readAll(options?: ReadOptions): Promise<Either<StoreError, StoredEvent[]>> {
    if (this.closing !== undefined) return left(this.closedError());
    const to = this.index.length;
    return this.track(readPositions(this, Math.min(start(options?.from), to), to));
  }

  async forEachEvent(onEvent: (event: StoredEvent) => void, options?: ReadOptions): Promise<Either<StoreError, number>> {
    if (this.closing !== undefined) return left(this.closedError());
    const to = this.index.length;
    return this.track(forEachPosition(this, Math.min(start(options?.from), to), to, onEvent));
  }

  /** Lets queued appends and reads finish, saves the index when due, then closes the file and releases the lock. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.queue;
      await Promise.allSettled([...this.reading]);
      if (this.broken === undefined) this.saveIndexWhenDue(true);
      await this.saving;
      await this.fh.close().catch(() => undefined);
      this.scratch.release();
      if (this.lockPath !== undefined) await releaseLock(this.lockPath);
    })();
    return this.closing;
  }

  /**
   * Saves the index (a copy taken now, with the hash of the bytes it covers)
   * once `saveIndexEvery` events are not covered, or on close when the log is
   * that long and some are not; and at once when the saved one is of an older
   * version (it is used, but its prefix has to be hashed whole on this thread).
   * The save runs behind; a failure is kept, not thrown.
   */
  private saveIndexWhenDue(closing: boolean): void {
    const every = this.saveIndexEvery;
    if (every === undefined) return;
    const unsaved = this.index.length - this.indexed;
    if (!this.outdatedIndex && (unsaved === 0 || (unsaved < every && !(closing && this.index.length >= every)))) return;
    const data = this.index.data();
    const prefix = this.hash.prefix();
    this.indexed = data.count;
    this.outdatedIndex = false;
    this.saving = this.saving.then(async () => {
      const saved = await saveLogIndex(this.path, data, prefix);
      if (isLeft(saved)) this.logIndexError = saved.left.message;
      else delete this.logIndexError;
    });
  }

  private track<A>(p: Promise<A>): Promise<A> {
    this.reading.add(p);
    void p.finally(() => this.reading.delete(p));
    return p;
  }

  private async write(fh: FileHandle, prepared: readonly PreparedRequest[]): Promise<Either<StoreError, AppendResult[]>> {
    if (this.broken !== undefined) return left(ioError(this.broken));
    // An id whose hash the log already holds is compared with the id on that line, read from the file (rare).
    const idsAt = new Map<number, string>();
    let planned = this.index.plan(prepared, idsAt);
    while (!isLeft(planned) && planned.right.unread.length > 0) {
      for (const p of planned.right.unread) {
        const id = await idAt(this, p);
        if (isLeft(id)) return id;
        idsAt.set(p, id.right);
      }
      planned = this.index.plan(prepared, idsAt);
    }
    if (isLeft(planned)) return planned;
    const { placed, results } = planned.right;
    if (placed.length === 0) return right(results);
    // The scratch buffer is free again once this append returns: appends run one at a time.
    const bytes = encodeLines(placed, this.scratch);
    try {
      // One write in practice; the loop only guards against a short write.
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await fh.write(bytes, done, bytes.length - done);
        done += bytesWritten;
      }
      await fh.datasync();
    } catch (err) {
      // Take back whatever part of the batch reached the file: all or nothing.
      try {
        await fh.truncate(this.size);
        await fh.datasync();
      } catch (undoErr) {
        this.broken = `log ${this.path}: an append failed and could not be undone (${ioText(undoErr)}); reopen the log`;
      }
      return left(ioError(`log ${this.path}: append failed: ${ioText(err)}`));
    }
    this.index.apply(planned.right, prepared, bytes, this.size);
    this.hash.update(bytes);
    this.size += bytes.length;
    this.saveIndexWhenDue(false);
    return right(results);
  }

  private closedError(): StoreError {
    return { kind: 'closed', message: `log ${this.path} is closed` };
  }
}

// `from` is a revision/position; a fractional one starts at the next whole one.
const start = (from: number | undefined): number => (from === undefined || !(from > 0) ? 0 : Math.ceil(from));
