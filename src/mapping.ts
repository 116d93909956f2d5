// EAS partnership <-> Intune managed device (docs/domain.md, rule 4): same EAS id
// (case-insensitive) AND same user. A managed device with the id but another
// user is a conflict: one user's enrollment never unlocks another user's phone.
import type { ManagedDevice } from './facts.js';
import { deviceKey } from './mailbox/rules.js';
import { isLowerCaseOf } from './case.js';

export interface Mapping {
  /** The managed device that maps to the partnership, if any. */
  readonly mapped?: ManagedDevice;
  /** Managed devices with the same EAS id that belong to another user. */
  readonly conflicts: readonly ManagedDevice[];
}

// Only a three-letter agent can be 'eas': the others are not lower-cased (a copy each, for every managed device of every sync).
const isEasAgent = (agent: string): boolean => agent.length === 3 && agent.toLowerCase() === 'eas';

/** Managed devices indexed by lower-cased EAS id. `eas`-agent records are not enrollments and are left out. */
export class ManagedDeviceIndex {
  // One device per id, as nearly always; a list only for the ids several devices carry
  // (not an array per managed device: 100,000 of them made and dropped at every full sync).
  private readonly byEasId = new Map<string, ManagedDevice | ManagedDevice[]>();
  // A full sync's list (every partnership is mapped) is indexed at once, by position (no iterator result
  // per device). A quick sync's map (every managed device the engine knows) at the first mapping asked
  // for: a quick sync with nothing to decide asks none. (Indexing the list lazily as well made a
  // nothing-changed full sync ~0.5 µs a device slower, second-sync-ab.js.)
  private indexed: boolean;
  constructor(private readonly devices: Iterable<ManagedDevice>) {
    if (Array.isArray(devices)) for (let i = 0; i < devices.length; i++) this.add(devices[i] as ManagedDevice);
    this.indexed = Array.isArray(devices);
  }

  private index(): Map<string, ManagedDevice | ManagedDevice[]> {
    if (!this.indexed) {
      this.indexed = true;
      for (const d of this.devices) this.add(d);
    }
    return this.byEasId;
  }

  private add(d: ManagedDevice): void {
    if (!d.easDeviceId || isEasAgent(d.managementAgent)) return;
    const key = deviceKey(d.easDeviceId);
    const held = this.byEasId.get(key);
    if (held === undefined) this.byEasId.set(key, d);
    // A device listed twice (a page read again) is one device: its later record replaces the earlier,
    // in the earlier's place, as a map by Intune id keeps it (only ids that share an EAS id get here).
    else if (Array.isArray(held)) {
      const i = held.findIndex((h) => h.id === d.id);
      if (i >= 0) held[i] = d;
      else held.push(d);
    } else this.byEasId.set(key, held.id === d.id ? d : [held, d]);
  }

  /** `userAddresses` must be lower-cased (see identity.userAddresses). */
  map(easDeviceId: string, userAddresses: readonly string[]): Mapping {
    return this.mapKey(deviceKey(easDeviceId), userAddresses);
  }

  /** `map` by the partnership's key (`deviceKey` of its DeviceId), for a caller that has it already. */
  mapKey(key: string, userAddresses: readonly string[]): Mapping {
    const held = this.index().get(key);
    if (held === undefined) return NO_MAPPING;
    if (!Array.isArray(held))
      return sameUser(held, userAddresses) ? { mapped: held, conflicts: NO_CONFLICTS } : { mapped: undefined, conflicts: [held] };
    let mapped: ManagedDevice | undefined;
    const conflicts: ManagedDevice[] = [];
    for (const d of held) {
      if (!sameUser(d, userAddresses)) {
        conflicts.push(d);
        continue;
      }
      if (!mapped || later(d.lastSyncDateTime, mapped.lastSyncDateTime)) mapped = d;
    }
    return { mapped, conflicts };
  }
}

function sameUser(d: ManagedDevice, userAddresses: readonly string[]): boolean {
  const upn = d.userPrincipalName;
  const mail = d.emailAddress;
  for (const a of userAddresses)
    if ((upn !== undefined && isLowerCaseOf(upn, a)) || (mail !== undefined && isLowerCaseOf(mail, a))) return true;
  return false;
}

const NO_CONFLICTS: readonly ManagedDevice[] = Object.freeze([]);
const NO_MAPPING: Mapping = { conflicts: [] };

/** ISO instants compare by time; a missing one is the oldest. */
function later(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined) return false;
  if (b === undefined) return true;
  return Date.parse(a) > Date.parse(b);
}
