// An in-process Intune tenant behind the IntuneGateway port: managed devices
// and groups, with controls for tests (compliance changes, enrollments, outages).
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { ComplianceState, GroupMembership, ManagedDevice } from '../../src/facts.js';
import type { IntuneError, IntuneGateway } from '../../src/ports.js';
import { NO_GRACE, type Mutable } from './generate.js';
import type { Random } from './random.js';

export interface Enrollment {
  readonly userPrincipalName: string;
  readonly easDeviceId?: string;
  readonly emailAddress?: string;
  /** Default `compliant`. */
  readonly complianceState?: ComplianceState;
  /** Default `mdm`; `eas` makes Exchange's own record of an unenrolled device. */
  readonly managementAgent?: string;
  readonly complianceGracePeriodExpirationDateTime?: string;
  /** Default: the clock. */
  readonly lastSyncDateTime?: string;
  readonly deviceName?: string;
  readonly model?: string;
  readonly operatingSystem?: string;
  readonly id?: string;
}

export interface SimulatedIntuneInit {
  readonly managedDevices: readonly Mutable<ManagedDevice>[];
  readonly groups: readonly { readonly id: string; readonly members: readonly string[] }[];
  readonly clock: () => number;
  readonly random: Random;
}

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const copy = (d: Mutable<ManagedDevice>): ManagedDevice => ({ ...d });

export class SimulatedIntune implements IntuneGateway {
  /** Graph requests answered (one per gateway call; the simulator does not page). */
  readonly counters = { requests: 0, failed: 0 };
  private readonly managed = new Map<string, Mutable<ManagedDevice>>();
  private readonly groups = new Map<string, string[]>();
  private readonly failures: { remaining: number; error: IntuneError }[] = [];
  private readonly clock: () => number;
  private readonly random: Random;

  constructor(init: SimulatedIntuneInit) {
    // takes ownership of the generator's records (no copy: 100k of them)
    for (const d of init.managedDevices) this.managed.set(d.id, d);
    for (const g of init.groups) this.groups.set(g.id, [...g.members]);
    this.clock = init.clock;
    this.random = init.random;
  }

  // ------------------------------------------------------------ gateway
  getManagedDevices(query?: { readonly changedSince?: string }): Promise<Either<IntuneError, ManagedDevice[]>> {
    return this.call(() => {
      const url = '/deviceManagement/managedDevices';
      if (query?.changedSince === undefined) return right([...this.managed.values()].map(copy));
      const since = Date.parse(query.changedSince);
      if (Number.isNaN(since))
        return left({ kind: 'other', message: `Invalid filter clause: '${query.changedSince}' is not a date.`, url });
      const out: ManagedDevice[] = [];
      for (const d of this.managed.values()) {
        if (d.lastSyncDateTime !== undefined && Date.parse(d.lastSyncDateTime) > since) out.push(copy(d));
      }
      return right(out);
    });
  }

  getGroupMembers(groupIds: readonly string[]): Promise<Either<IntuneError, GroupMembership>> {
    return this.call(() => {
      const out = new Map<string, Set<string>>();
      for (const id of groupIds) {
        const members = this.groups.get(id);
        if (!members) return left({ kind: 'other', message: `group ${id} not found`, url: `/groups/${id}/transitiveMembers` });
        out.set(id, new Set(members.map((m) => m.toLowerCase())));
      }
      return right(out);
    });
  }

  // ------------------------------------------------------------ test controls
  devices(): ManagedDevice[] {
    return [...this.managed.values()].map(copy);
  }

  device(id: string): ManagedDevice | undefined {
    const d = this.managed.get(id);
    return d ? copy(d) : undefined;
  }

  /** A compliance evaluation at check-in: lastSyncDateTime becomes the clock, so quick syncs see it. */
  setCompliance(managedDeviceId: string, state: ComplianceState, graceDeadline?: string): ManagedDevice {
    const d = this.managed.get(managedDeviceId);
    if (!d) throw new Error(`no managed device ${managedDeviceId}`);
    const now = this.clock();
    d.complianceState = state;
    d.lastSyncDateTime = iso(now);
    if (graceDeadline !== undefined) d.complianceGracePeriodExpirationDateTime = graceDeadline;
    else if (state !== 'inGracePeriod') d.complianceGracePeriodExpirationDateTime = NO_GRACE;
    else if (d.complianceGracePeriodExpirationDateTime === undefined || d.complianceGracePeriodExpirationDateTime === NO_GRACE) {
      d.complianceGracePeriodExpirationDateTime = iso(now + 3 * DAY);
    }
    return copy(d);
  }

  enroll(e: Enrollment): ManagedDevice {
    const id = e.id ?? this.random.uuid();
    if (this.managed.has(id)) throw new Error(`managed device ${id} already exists`);
    const d: Mutable<ManagedDevice> = {
      id,
      userPrincipalName: e.userPrincipalName,
      complianceState: e.complianceState ?? 'compliant',
      managementAgent: e.managementAgent ?? 'mdm',
      lastSyncDateTime: e.lastSyncDateTime ?? iso(this.clock()),
      complianceGracePeriodExpirationDateTime: e.complianceGracePeriodExpirationDateTime ?? NO_GRACE,
    };
    if (e.easDeviceId !== undefined) d.easDeviceId = e.easDeviceId;
    if (e.emailAddress !== undefined) d.emailAddress = e.emailAddress;
    if (e.deviceName !== undefined) d.deviceName = e.deviceName;
    if (e.model !== undefined) d.model = e.model;
    if (e.operatingSystem !== undefined) d.operatingSystem = e.operatingSystem;
    this.managed.set(id, d);
    return copy(d);
  }

  unenroll(managedDeviceId: string): boolean {
    return this.managed.delete(managedDeviceId);
  }

  /** Replaces a group's members (creates the group when unknown). */
  setGroupMembers(groupId: string, upns: readonly string[]): void {
    this.groups.set(groupId, [...upns]);
  }

  /** The next `n` Graph calls fail with `error`. */
  failNext(n: number, error: IntuneError): void {
    if (n > 0) this.failures.push({ remaining: n, error });
  }

  // ------------------------------------------------------------ internals
  private call<A>(run: () => Either<IntuneError, A>): Promise<Either<IntuneError, A>> {
    this.counters.requests++;
    const f = this.failures[0];
    if (f) {
      if (--f.remaining <= 0) this.failures.shift();
      this.counters.failed++;
      return Promise.resolve(left(f.error));
    }
    const r = run();
    if (r._tag === 'Left') this.counters.failed++;
    return Promise.resolve(r);
  }
}
