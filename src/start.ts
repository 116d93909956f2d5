// The engine's start: its state folded from the log, or from a snapshot and the
// events after it when a valid one matches the log (src/snapshot.ts), and the
// writing of snapshots as the log grows.
import { isLeft } from 'fp-ts/lib/Either.js';
import type { EventStore, SnapshotStore, StoredEvent } from './ports.js';
import { emptyOrgState, foldLog, type OrgState } from './state.js';
import { EngineFailure, type Appender } from './append.js';
import { parseSnapshot, snapshotText, type RestoredSnapshot } from './snapshot.js';

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

  async function readLog(from?: number): Promise<StoredEvent[]> {
    const all = await store.readAll(from === undefined ? undefined : { from });
    if (isLeft(all))
      throw new EngineFailure({
        kind: 'store',
        error: all.left,
        message: `cannot read the log: ${'message' in all.left ? all.left.message : all.left.kind}`,
      });
    return all.right;
  }

  async function restore(): Promise<RestoredSnapshot | string> {
    const text = await snapshots!.store.load();
    if (isLeft(text)) return `unreadable: ${text.left.message}`;
    if (text.right === undefined) return 'none yet';
    const r = parseSnapshot(organization, text.right);
    return isLeft(r) ? r.left : r.right;
  }

  async function load(): Promise<OrgState> {
    let restored: RestoredSnapshot | string | undefined = snapshots ? await restore() : undefined;
    let events: StoredEvent[];
    let start = 0;
    if (restored !== undefined && typeof restored !== 'string') {
      events = await readLog(restored.at.position);
      const first = events[0];
      if (first !== undefined && first.position === restored.at.position && first.id === restored.at.id) start = 1;
      else {
        restored = `the log does not hold event ${JSON.stringify(restored.at.id)} at position ${restored.at.position}`;
        events = await readLog();
      }
    } else events = await readLog();
    const base = restored !== undefined && typeof restored !== 'string' ? restored.state : emptyOrgState(organization);
    const s = foldLog(base, start === 0 ? events : events.slice(start));
    if (isLeft(s)) throw new EngineFailure({ kind: 'invalidLog', message: s.left.message });
    const last = events[events.length - 1];
    loadedTo = last?.position;
    unsnapshotted = events.length - start;
    appendedAtMark = appender.appended;
    if (snapshots) {
      const location = snapshots.store.location;
      if (typeof restored === 'string' || restored === undefined)
        note({ kind: 'rebuilt', location, reason: restored ?? 'none yet', events: unsnapshotted });
      else note({ kind: 'loaded', location, position: restored.at.position, events: unsnapshotted });
    }
    return s.right;
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
    const text = snapshotText(state, { position, id: covered.id });
    const saved = await snapshots.store.save(text);
    if (isLeft(saved)) {
      note({ kind: 'writeFailed', location, reason: saved.left.message });
      return;
    }
    unsnapshotted = 0;
    appendedAtMark = appender.appended;
    note({ kind: 'written', location, position, chars: text.length });
  }

  return { load, checkpoint };
}
