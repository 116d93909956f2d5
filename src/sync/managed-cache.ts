// Intune's managed devices as the engine last read them (SyncCaches.managed).
// A full sync reads the whole list and hands it to the planner as it came; only
// a quick sync needs the devices by Intune id (to tell a change from a check-in,
// and to merge what changed into what it knows), so that map is built then, once
// after each full sync, not at every full sync (a map entry per managed device,
// made and dropped: ~0.5 µs a device of a full sync with nothing to do).
import type { ManagedDevice } from '../facts.js';

export class ManagedCache {
  private constructor(
    private list: readonly ManagedDevice[] | undefined,
    private map: Map<string, ManagedDevice> | undefined,
  ) {}

  /** A full sync's list, as read. */
  static ofList(list: readonly ManagedDevice[]): ManagedCache {
    return new ManagedCache(list, undefined);
  }

  /** Nothing known yet (a quick sync that reads every managed device fills it). */
  static empty(): ManagedCache {
    return new ManagedCache(undefined, new Map());
  }

  /**
   * The devices by Intune id, to read and update (a device listed twice: the later record). The list is
   * dropped once indexed: from then on the map is what the cache holds.
   */
  byId(): Map<string, ManagedDevice> {
    if (this.map === undefined) {
      this.map = byIntuneId(this.list!);
      this.list = undefined;
    }
    return this.map;
  }

  /**
   * Every device: the full sync's list as read, or the map's records. A device the list names twice is
   * there twice; ManagedDeviceIndex keeps the later record of the two (the one `byId` keeps).
   */
  values(): Iterable<ManagedDevice> {
    return this.map !== undefined ? this.map.values() : this.list!;
  }

  /** Records held (a list's length: a device listed twice counts twice). */
  get size(): number {
    return this.map !== undefined ? this.map.size : this.list!.length;
  }
}

/**
 * Managed devices by Intune id. A loop, not new Map(list.map(…)): no pair array per managed device; and a
 * function of its own, so that the loop does not make its caller hot (docs/architecture.md, "Compiled code
 * that outlives a sync").
 */
function byIntuneId(devices: readonly ManagedDevice[]): Map<string, ManagedDevice> {
  const managed = new Map<string, ManagedDevice>();
  for (const x of devices) managed.set(x.id, x);
  return managed;
}
