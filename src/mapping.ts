// EAS partnership <-> Intune managed device (docs/domain.md, rule 4): same EAS id
// (case-insensitive) AND same user. A managed device with the id but another
// user is a conflict: one user's enrollment never unlocks another user's phone.
import type { ManagedDevice } from './facts.js';
import { deviceKey } from './mailbox/rules.js';

export interface Mapping {
  /** The managed device that maps to the partnership, if any. */
  readonly mapped?: ManagedDevice;
  /** Managed devices with the same EAS id that belong to another user. */
  readonly conflicts: readonly ManagedDevice[];
}

// Only a three-letter agent can be 'eas': the others are not lower-cased (a copy each, for every managed device of every sync).
const isEasAgent = (agent: string): boolean => agent.length === 3 && agent.toLowerCase() === 'eas';

const lc = (s: string | undefined) => (s === undefined ? undefined : s.toLowerCase());

/** Managed devices indexed by lower-cased EAS id. `eas`-agent records are not enrollments and are left out. */
export class ManagedDeviceIndex {
  private readonly byEasId = new Map<string, ManagedDevice[]>();
  constructor(devices: Iterable<ManagedDevice>) {
    for (const d of devices) {
      if (!d.easDeviceId || isEasAgent(d.managementAgent)) continue;
      const key = deviceKey(d.easDeviceId);
      const list = this.byEasId.get(key);
      if (list) list.push(d);
      else this.byEasId.set(key, [d]);
    }
  }

  /** `userAddresses` must be lower-cased (see identity.userAddresses). */
  map(easDeviceId: string, userAddresses: readonly string[]): Mapping {
    const candidates = this.byEasId.get(deviceKey(easDeviceId));
    if (!candidates) return NO_MAPPING;
    let mapped: ManagedDevice | undefined;
    const conflicts: ManagedDevice[] = [];
    for (const d of candidates) {
      const upn = lc(d.userPrincipalName);
      const mail = lc(d.emailAddress);
      const sameUser = (upn !== undefined && userAddresses.includes(upn)) || (mail !== undefined && userAddresses.includes(mail));
      if (!sameUser) {
        conflicts.push(d);
        continue;
      }
      if (!mapped || later(d.lastSyncDateTime, mapped.lastSyncDateTime)) mapped = d;
    }
    return { mapped, conflicts };
  }
}

const NO_MAPPING: Mapping = { conflicts: [] };

/** ISO instants compare by time; a missing one is the oldest. */
function later(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined) return false;
  if (b === undefined) return true;
  return Date.parse(a) > Date.parse(b);
}
