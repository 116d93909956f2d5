// Intune's managed devices as the engine last read them (SyncCaches.managed).
// A full sync reads the whole list and hands it to the planner as it came; only
// a quick sync needs the devices by Intune id (to tell a change from a check-in,
// and to merge what changed into what it knows), so that map is built then, once
// after each full sync, not at every full sync (a map entry per managed device,
// made and dropped: ~0.5 µs a device of a full sync with nothing to do).
//
// The records are kept as keptManaged makes them: at 200,000 devices the list is
// the largest thing the engine holds after the mailbox states (~400 bytes a device).
import type { ManagedDevice } from '../facts.js';
import { sharedString } from '../mailbox/shared-strings.js';

export class ManagedCache {
  private constructor(
    private list: readonly ManagedDevice[] | undefined,
    private map: Map<string, ManagedDevice> | undefined,
  ) {}

  /** A full sync's list, as read. */
  static ofList(list: readonly ManagedDevice[]): ManagedCache {
    const kept = new Array<ManagedDevice>(list.length);
    for (let i = 0; i < list.length; i++) kept[i] = keptManaged(list[i]!);
    return new ManagedCache(kept, undefined);
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

/** What Graph gives as the grace deadline of a device with no grace period: most devices carry it. */
const NO_GRACE = '9999-12-31T23:59:59Z';

/**
 * The record the cache keeps of a managed device: the fields the engine reads, equal to `m`'s. Its name,
 * model and OS are left out: no rule, mapping or view reads them (~50 bytes a device). Values many
 * devices share are kept once: a compliance state and an agent (shared-strings.ts), the "no grace period"
 * deadline, and an email address equal to the user principal name is that string. A real grace deadline
 * is not put in the shared table: each device in grace has its own, and 16,000 of them at 200,000 devices
 * once filled the table before the values worth sharing came (the table now starts afresh when full;
 * they would still make it do so twice a sync). Every field is set, absent ones to undefined,
 * in one literal: one shape, every field inside the object (added one by one, most would go to a separate
 * property array). Decisions made from these records share their strings.
 */
export function keptManaged(m: ManagedDevice): ManagedDevice {
  const upn = m.userPrincipalName;
  const email = m.emailAddress;
  const grace = m.complianceGracePeriodExpirationDateTime;
  return {
    id: m.id,
    easDeviceId: m.easDeviceId,
    userPrincipalName: upn,
    emailAddress: email === upn ? upn : email,
    complianceState: sharedString(m.complianceState),
    managementAgent: sharedString(m.managementAgent),
    lastSyncDateTime: m.lastSyncDateTime,
    complianceGracePeriodExpirationDateTime: grace === NO_GRACE ? NO_GRACE : grace,
  };
}
