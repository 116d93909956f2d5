// The engine's start: its state folded from the log, or from a snapshot and the
// events after it when a valid one matches the log (src/snapshot.ts), and the
// writing of snapshots as the log grows.
import { isLeft } from 'fp-ts/lib/Either.js';
import type { EventStore, SnapshotStore, StoredEvent, StoreError } from './ports.js';
import { emptyOrgState, foldLog, type OrgState } from './state.js';
import { EngineFailure, type Appender } from './append.js';
import { parseSnapshot, snapshotPieces, type RestoredSnapshot } from './snapshot.js';

/** What happened to a snapshot: the engine tells, it never fails because of one. */
export type SnapshotNote =
  /** Started from the snapshot covering `position`, then folded `events` events after it. */
  | { readonly kind: 'loaded'; readonly location: string; readonly position: number; readonly events: number }
  /** No snapshot was used (none, unreadable, corrupt, foreign, older, not matching the log): the state was folded from the whole log. */
  | { readonly kind: 'rebuilt'; readonly location: string; readonly reason: string; readonly events: number }
  | { readonly kind: 'written'; readonly location: string; readonly position: number; readonly chars: number }
  | { readonly kind: 'writeFailed'; readonly location: string; readonly reason: string };

export interface SnapshotOptions {
  readonly store: SnapshotStore;
  /**
   * Write a snapshot at the end of a sync once this many events were folded or
   * appended since the last one (default 100,000); one is also written after
   * every full sync.
   */
  readonly everyEvents?: number;
  readonly onNote?: (n: SnapshotNote) => void;
}

export const DEFAULT_SNAPSHOT_EVERY = 100_000;

// Events folded at a time when the store streams the log.
const FOLD_BATCH = 4096;

interface Folded {
  readonly state: OrgState;
  /** Position of the last event read (the snapshot's own included), if any. */
  readonly last: number | undefined;
  /** Events folded. */
  readonly count: number;
}

export interface StateLoader {
  /** The state from the log (and the snapshot); throws EngineFailure when the log cannot be read or is invalid. */
  load(): Promise<OrgState>;
  /** Writes a snapshot of `state` when due (`force`: after a full sync); never throws for a snapshot's sake. */
  checkpoint(state: OrgState, force: boolean): Promise<void>;
}

export function createStateLoader(organization: string, store: EventStore, appender: Appender, snapshots?: SnapshotOptions): StateLoader {
  const every = snapshots?.everyEvents ?? DEFAULT_SNAPSHOT_EVERY;
  // What the last load covered, and the appender's count then: events since the last snapshot.
  let loadedTo: number | undefined;
  let unsnapshotted = 0;
  let appendedAtMark = 0;
  const note = (n: SnapshotNote) => snapshots?.onNote?.(n);

  const storeFailure = (error: StoreError) =>
    new EngineFailure({ kind: 'store', error, message: `cannot read the log: ${'message' in error ? error.message : error.kind}` });

  async function readLog(from?: number): Promise<StoredEvent[]> {
    const all = await store.readAll(from === undefined ? undefined : { from });
    if (isLeft(all)) throw storeFailure(all.left);
    return all.right;
  }

  /** `base` with the events folded in; the last event's position and how many there were. */
  function foldEvents(base: OrgState, events: readonly StoredEvent[]): Folded {
    const s = foldLog(base, events);
    if (isLeft(s)) throw new EngineFailure({ kind: 'invalidLog', message: s.left.message });
    return { state: s.right, last: events[events.length - 1]?.position, count: events.length };
  }

  /** The whole log folded; a store that can stream hands it over a chunk at a time, so it is never held whole. */
  async function foldWhole(): Promise<Folded> {
    const base = emptyOrgState(organization);
    if (store.forEachEvent === undefined) return foldEvents(base, await readLog());
    let state = base;
    let bad: string | undefined;
    let last: number | undefined;
    let count = 0;
    const batch: StoredEvent[] = [];
    const flush = () => {
      if (bad === undefined && batch.length > 0) {
        const s = foldLog(state, batch);
        if (isLeft(s)) bad = s.left.message;
        else state = s.right;
      }
      batch.length = 0;
    };
    const read = await store.forEachEvent((e) => {
      batch.push(e);
      last = e.position;
      count++;
      if (batch.length === FOLD_BATCH) flush();
    });
    flush();
    if (isLeft(read)) throw storeFailure(read.left);
    if (bad !== undefined) throw new EngineFailure({ kind: 'invalidLog', message: bad });
    return { state, last, count };
  }

  async function restore(): Promise<RestoredSnapshot | string> {
    const text = await snapshots!.store.load();
    if (isLeft(text)) return `unreadable: ${text.left.message}`;
    if (text.right === undefined) return 'none yet';
    const r = parseSnapshot(organization, text.right);
    return isLeft(r) ? r.left : r.right;
  }

  /** The snapshot and the events after it, or why they cannot be used (the log does not hold the event it names). */
  async function fromSnapshot(restored: RestoredSnapshot): Promise<Folded | string> {
    const events = await readLog(restored.at.position);
    const first = events[0];
    if (first === undefined || first.position !== restored.at.position || first.id !== restored.at.id)
      return `the log does not hold event ${JSON.stringify(restored.at.id)} at position ${restored.at.position}`;
    const tail = events.slice(1);
    return { ...foldEvents(restored.state, tail), last: events[events.length - 1]!.position };
  }

  async function load(): Promise<OrgState> {
    const restored: RestoredSnapshot | string | undefined = snapshots ? await restore() : undefined;
    const folded = restored !== undefined && typeof restored !== 'string' ? await fromSnapshot(restored) : restored;
    const done = folded !== undefined && typeof folded !== 'string' ? folded : await foldWhole();
    loadedTo = done.last;
    unsnapshotted = done.count;
    appendedAtMark = appender.appended;
    if (snapshots) {
      const location = snapshots.store.location;
      if (typeof folded === 'string' || folded === undefined)
        note({ kind: 'rebuilt', location, reason: folded ?? 'none yet', events: unsnapshotted });
      else note({ kind: 'loaded', location, position: (restored as RestoredSnapshot).at.position, events: unsnapshotted });
    }
    return done.state;
  }

  async function checkpoint(state: OrgState, force: boolean): Promise<void> {
    if (!snapshots) return;
    const since = unsnapshotted + appender.appended - appendedAtMark;
    if (since === 0 || (!force && since < every)) return;
    const position = Math.max(loadedTo ?? -1, appender.lastPosition ?? -1);
    if (position < 0) return;
    const location = snapshots.store.location;
    // The id comes from the log itself: a snapshot names an event the log holds.
    const at = await store.readAll({ from: position });
    const covered = isLeft(at) ? undefined : at.right[0];
    if (covered === undefined || covered.position !== position) {
      note({ kind: 'writeFailed', location, reason: `cannot read the event at position ${position} back from the log` });
      return;
    }
    const covers = { position, id: covered.id };
    const pieces = snapshotPieces(state, covers);
    let chars = 0;
    for (const p of pieces) chars += p.length;
    const target = snapshots.store;
    const saved = target.savePieces ? await target.savePieces(pieces, covers) : await target.save(pieces.join(''), covers);
    if (isLeft(saved)) {
      note({ kind: 'writeFailed', location, reason: saved.left.message });
      return;
    }
    unsnapshotted = 0;
    appendedAtMark = appender.appended;
    note({ kind: 'written', location, position, chars });
  }

  return { load, checkpoint };
}
