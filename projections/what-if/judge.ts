// Judging folded mailboxes under a policy: each decided device decided again
// from its recorded facts, by the governed plan where it holds and by the
// mailbox decider otherwise, and compared with its recorded decision.
import type { AccessLevel, ManagedDevice } from '../../src/facts.js';
import type { ListChange } from '../../src/commands.js';
import type { Policy } from '../../src/policy.js';
import { decideAccess, type AdminOverride, type Decision, type DeviceContext } from '../../src/access.js';
import {
  changeOf,
  decideMailbox,
  deviceKey,
  enforce,
  hasListChanges,
  needsNotification,
  noListChanges,
  type DecisionState,
  type DeviceState,
  type MailboxState,
} from '../../src/mailbox.js';
import { accepted } from '../../src/decider.js';
import { organizationOfStream } from '../device-access.js';
import { materialize, type Folded, type LeanDevice } from './lean-fold.js';
import type { OrgPolicies, WhatIfChange, WhatIfCommand, WhatIfPart } from './types.js';

function managedOf(deviceId: string, f: NonNullable<DecisionState['facts']['intune']>): ManagedDevice {
  const m: { -readonly [K in keyof ManagedDevice]: ManagedDevice[K] } = {
    id: f.id,
    easDeviceId: deviceId,
    complianceState: f.complianceState as ManagedDevice['complianceState'],
    managementAgent: f.managementAgent,
  };
  if (f.userPrincipalName !== undefined) m.userPrincipalName = f.userPrincipalName;
  if (f.emailAddress !== undefined) m.emailAddress = f.emailAddress;
  if (f.graceDeadline !== undefined) m.complianceGracePeriodExpirationDateTime = f.graceDeadline;
  return m;
}

/** A device as the judge reads it: a lean record as it is, or a MailboxState's device. @internal */
export interface Judged {
  /** Lower-cased DeviceId. */
  readonly key: string;
  readonly partnership: DeviceContext['device'];
  /** The recorded decision. */
  readonly decision: DecisionState | undefined;
  readonly notified: boolean;
  /** An administrator's override (only streams folded exactly carry one: the lean fold hands a stream with one to evolveMailbox). */
  readonly override?: AdminOverride;
}

/**
 * The devices of a mailbox in the order of `Object.keys(state.devices)` of its
 * MailboxState (what the decider sees): insertion order, but keys that are
 * array indices ("12345") first, ascending — taken from such a dictionary then.
 */
function judgedOf(f: Folded): readonly Judged[] {
  if (f.lean === undefined) {
    const devices = f.exact!.devices;
    return Object.keys(devices).map((key) => {
      const d = devices[key]!;
      return { key, partnership: d, decision: d.decision, notified: d.notified, ...(d.override ? { override: d.override } : {}) };
    });
  }
  const list = f.lean.devices;
  if (!list.some((d) => d.key.charCodeAt(0) <= 0x39)) return list;
  const dict = Object.create(null) as Record<string, LeanDevice>;
  for (const d of list) dict[d.key] = d;
  return Object.keys(dict).map((k) => dict[k]!);
}

const NO_CONFLICTS: readonly ManagedDevice[] = [];
const sameStrings = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The plan of the mailbox decider (src/mailbox/reconcile.ts) for a mailbox of
 * which every device has a context and is decided again as governed: then no
 * decision depends on the lists (only Exchange's evaluation of ungoverned
 * devices does), no entry is released, and the plan is each device's
 * decideAccess and the list entries those decisions want, added and removed as
 * the decider does. Undefined otherwise: the decider itself runs. Without
 * building the decider's state, this is most of a what-if's time saved.
 * @internal (exported for the tests, which compare it with the decider)
 */
export function governedPlan(
  devices: readonly Judged[],
  activeSyncEnabled: boolean,
  lists: MailboxState['lists'],
  contexts: ReadonlyMap<string, Omit<DeviceContext, 'device' | 'activeSyncEnabled'>>,
  policy: Policy,
  atMs: number,
): { decisions: Decision[]; change?: { allowedDeviceIds: ListChange; blockedDeviceIds: ListChange } } | undefined {
  if (contexts.size !== devices.length) return undefined;
  const decisions: Decision[] = [];
  for (const { key, partnership: device, override } of devices) {
    const ctx = contexts.get(key);
    if (ctx === undefined) return undefined;
    const decision = decideAccess(
      { groups: ctx.groups, mapping: ctx.mapping, device, activeSyncEnabled, ...(override ? { override } : {}) },
      policy,
      atMs,
      lists,
    );
    if (!decision.governed) return undefined;
    decisions.push(decision);
  }
  const changes = noListChanges();
  for (let i = 0; i < devices.length; i++) {
    const {
      key,
      partnership: { deviceId },
    } = devices[i]!;
    enforce(lists, deviceId, key, decisions[i]!.access, changes);
  }
  return hasListChanges(changes) ? { decisions, change: changeOf(changes) } : { decisions };
}

const conflictOf = (deviceId: string, c: { id: string; user: string }): ManagedDevice => ({
  id: c.id,
  userPrincipalName: c.user,
  complianceState: 'unknown',
  managementAgent: 'mdm',
  easDeviceId: deviceId,
});

type Context = Omit<DeviceContext, 'device' | 'activeSyncEnabled'>;

/** This part's mailboxes judged under `policy` at `atMs` (see `WhatIfScan`). */
export function judge(orgs: Map<string, OrgPolicies>, mailboxes: ReadonlyMap<string, Folded>, policy: Policy, atMs: number): WhatIfPart {
  // Longest organization first: "a-b" before "a" for eas-mailbox-a-b-….
  const prefixes = [...orgs.keys()].sort((a, b) => b.length - a.length).map((org) => [org, `eas-mailbox-${org}-`] as const);
  const orgOf = (stream: string): string => prefixes.find(([, p]) => stream.startsWith(p))?.[0] ?? organizationOfStream(stream);

  const changes: Array<{ mailbox: number; change: WhatIfChange }> = [];
  const transitions = new Map<string, [string, number, number]>();
  const commands: Array<{ mailbox: number; command: WhatIfCommand }> = [];
  const unknownGroups = new Map<string, [string, number, number]>();
  let devices = 0;
  let unchanged = 0;
  let reasonChanges = 0;
  let notifications = 0;
  let undecided = 0;
  let n = 0;

  // Per organization and policy revision: the groups that revision named (whose
  // membership the log records) and the new policy's groups missing from them.
  const namedCache = new Map<OrgPolicies | undefined, Map<number, { named: Set<string>; unknown: string[] } | undefined>>();
  const namedBy = (org: OrgPolicies | undefined, revision: number) => {
    let byRev = namedCache.get(org);
    if (!byRev) namedCache.set(org, (byRev = new Map()));
    if (!byRev.has(revision)) {
      const then = org?.byRevision.get(revision);
      const named = then ? new Set([...then.includedGroups, ...then.excludedGroups]) : undefined;
      byRev.set(
        revision,
        named ? { named, unknown: [...policy.includedGroups, ...policy.excludedGroups].filter((g) => !named.has(g)) } : undefined,
      );
    }
    return byRev.get(revision);
  };
  // Devices share a few group memberships: each one's groups under a policy are computed once.
  const groupsCache = new Map<Policy, Array<{ readonly of: DecisionState['facts']['groups']; readonly under: Context['groups'] }>>();
  const groupsUnder = (p: Policy, g: DecisionState['facts']['groups']): Context['groups'] => {
    let known = groupsCache.get(p);
    if (!known) groupsCache.set(p, (known = []));
    for (const x of known) if (sameStrings(x.of.included, g.included) && sameStrings(x.of.excluded, g.excluded)) return x.under;
    const member = (id: string) => g.included.includes(id) || g.excluded.includes(id);
    const under = { included: p.includedGroups.filter(member), excluded: p.excludedGroups.filter(member) };
    if (known.length < 32) known.push({ of: g, under });
    return under;
  };

  for (const [stream, folded] of mailboxes) {
    const position = folded.position;
    const info = folded.lean !== undefined ? folded.lean.info : folded.exact!.info;
    const lists = folded.lean !== undefined ? folded.lean.lists : folded.exact!.lists;
    const judged = judgedOf(folded);
    if (!info || judged.length === 0) continue;
    const org = orgs.get(orgOf(stream));
    const current = org?.latest;
    const newContexts = new Map<string, Context>();
    for (const { key, partnership: d, decision: dec } of judged) {
      if (!dec) {
        undecided++;
        continue;
      }
      const f = dec.facts;
      const named = namedBy(org, dec.policyRevision);
      // Without the revision's policy, the groups the facts list are all that is known.
      const unknown = named
        ? named.unknown
        : [...policy.includedGroups, ...policy.excludedGroups].filter(
            (g) => !f.groups.included.includes(g) && !f.groups.excluded.includes(g),
          );
      for (const g of unknown) {
        const u = unknownGroups.get(g);
        if (u) u[1]++;
        else unknownGroups.set(g, [g, 1, position]);
      }
      const conflicts = f.conflicts.length === 0 ? NO_CONFLICTS : f.conflicts.map((c) => conflictOf(d.deviceId, c));
      const mapping: Context['mapping'] = f.intune ? { mapped: managedOf(d.deviceId, f.intune), conflicts } : { conflicts };
      newContexts.set(key, { groups: groupsUnder(policy, f.groups), mapping });
    }
    if (newContexts.size === 0) continue;
    // The decisions under the new policy, by the decider only where the governed plan does not hold.
    let decisions: ReadonlyArray<{ readonly device: Pick<DeviceState, 'deviceId' | 'decision' | 'notified'>; readonly decision: Decision }>;
    let command: WhatIfCommand | undefined;
    let state: MailboxState | undefined;
    const reconcile = (p: Policy, revision: number, contexts: Map<string, Context>) => {
      state ??= folded.lean !== undefined ? materialize(folded.lean) : folded.exact!;
      return accepted(
        decideMailbox(
          {
            type: 'ReconcileMailbox',
            syncId: 'what-if',
            commandId: `what-if/${n++}`,
            atMs,
            policy: p,
            policyRevision: revision,
            partnerships: judged.map(({ key }) => state!.devices[key]!),
            complete: true,
            contexts,
          },
          state,
        ),
      );
    };
    const lean = governedPlan(judged, info.activeSyncEnabled, lists, newContexts, policy, atMs);
    if (lean !== undefined) {
      decisions = lean.decisions.map((decision, i) => ({
        device: { deviceId: judged[i]!.partnership.deviceId, decision: judged[i]!.decision, notified: judged[i]!.notified },
        decision,
      }));
      if (lean.change) command = { mailbox: info.identity, ...lean.change };
    } else {
      const plan = reconcile(policy, (current?.revision ?? 0) + 1, newContexts);
      decisions = plan.decisions;
      const c = plan.commands.find((x) => x.command.kind === 'setCasMailbox')?.command;
      if (c?.kind === 'setCasMailbox')
        command = { mailbox: c.mailbox, allowedDeviceIds: c.allowedDeviceIds, blockedDeviceIds: c.blockedDeviceIds };
    }
    // The current policy at the same moment, only where something changes (to tell policy from time).
    let baseAccess: Map<string, AccessLevel> | undefined;
    const baseline = (id: string): AccessLevel | undefined => {
      if (!current) return undefined;
      if (!baseAccess) {
        const old = new Map<string, Context>();
        for (const { key, decision } of judged)
          if (decision)
            old.set(key, { groups: groupsUnder(current.policy, decision.facts.groups), mapping: newContexts.get(key)!.mapping });
        const base = governedPlan(judged, info.activeSyncEnabled, lists, old, current.policy, atMs);
        baseAccess =
          base !== undefined
            ? new Map(judged.map(({ key }, i) => [key, base.decisions[i]!.access]))
            : new Map(
                reconcile(current.policy, current.revision, old).decisions.map((x) => [deviceKey(x.device.deviceId), x.decision.access]),
              );
      }
      return baseAccess.get(deviceKey(id));
    };
    const mailbox = info.identity;
    for (const { device, decision } of decisions) {
      const rec = device.decision;
      if (!rec) continue;
      devices++;
      if (needsNotification(device, decision)) notifications++;
      if (rec.access === decision.access) {
        unchanged++;
        if (rec.reason !== decision.reason) reasonChanges++;
        continue;
      }
      const base = baseline(device.deviceId);
      changes.push({
        mailbox: position,
        change: {
          deviceId: device.deviceId,
          mailbox,
          from: rec.access,
          to: decision.access,
          reason: decision.reason,
          fromReason: rec.reason,
          governed: decision.governed,
          cause: base !== undefined && base === decision.access ? 'elapsed' : 'policy',
        },
      });
      const key = `${rec.access}->${decision.access}`;
      const t = transitions.get(key);
      if (t) t[1]++;
      else transitions.set(key, [key, 1, position]);
    }
    if (command) commands.push({ mailbox: position, command });
  }
  return {
    devices,
    unchanged,
    reasonChanges,
    notifications,
    undecided,
    changes,
    transitions: [...transitions.values()],
    commands,
    unknownGroups: [...unknownGroups.values()],
  };
}
