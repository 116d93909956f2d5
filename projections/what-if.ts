// whatIf(events, policy, { at }): which devices a different policy would treat
// differently, and how — decided again from the log's latest facts with the
// engine's own mailbox decider, against the lists the engine knows. Pure and
// read-only: nothing is appended, nothing is sent to Exchange.
//
// The facts come from each device's latest AccessDecided (its groups, its mapped
// managed device with compliance and grace deadline, conflicts), its partnership
// and its mailbox. Group membership is recorded only for the groups the policy
// named when the device was decided: a group the new policy names for the first
// time has unknown members, is treated as empty, and is reported as a warning.
import { isLeft } from 'fp-ts/lib/Either.js';
import type { StoredEvent } from '../src/ports.js';
import type { AccessLevel, ManagedDevice } from '../src/facts.js';
import type { ExchangeCommand, ListChange, SetCasMailbox } from '../src/commands.js';
import { decodeEvent, type DomainEvent, type EventData, type Reason } from '../src/events.js';
import { withDefaults, type Policy } from '../src/policy.js';
import { decideAccess, listsFor, rulesOfPolicy, type Decision, type DeviceContext } from '../src/access.js';
import { toExchangeLevel } from '../src/exchange-evaluation.js';
import { reconcileOrg } from '../src/connector.js';
import {
  applyListChange, decideMailbox, evolveMailbox, needsNotification,
  type DecisionState, type DeviceState, type MailboxInfo, type MailboxState,
} from '../src/mailbox.js';
import { organizationOfStream } from './device-access.js';

export interface WhatIfOptions {
  /** The moment the devices are judged at (grace deadlines); default: the log's last event. */
  readonly at?: string;
}

export interface WhatIfChange {
  readonly deviceId: string;
  readonly mailbox: string;
  readonly from: AccessLevel;
  readonly to: AccessLevel;
  /** The new decision's reason. */
  readonly reason: Reason;
  readonly fromReason: Reason;
  /** Whether the engine would enforce the new decision. */
  readonly governed: boolean;
  /**
   * `policy`: the new policy makes the difference. `elapsed`: the current policy
   * would make the same change at that moment too (a grace deadline has passed).
   */
  readonly cause: 'policy' | 'elapsed';
}

export interface WhatIfCommand {
  readonly mailbox: string;
  readonly allowedDeviceIds: ListChange;
  readonly blockedDeviceIds: ListChange;
}

export interface WhatIfWarning {
  readonly kind: 'unknownGroupMembership' | 'noPolicyInLog' | 'emptyIncludeList' | 'invalidEvents';
  readonly message: string;
  readonly groups?: readonly string[];
  readonly devices?: number;
}

export interface WhatIfResult {
  /** The moment judged. */
  readonly at: string;
  /** The policy revision in force at the end of the log (what the new policy is compared with). */
  readonly policyRevision: number | null;
  /** Devices with a recorded decision, decided again. */
  readonly devices: number;
  readonly changes: readonly WhatIfChange[];
  /** Changes counted by transition, e.g. `{ "allow->block": 3 }`. */
  readonly summary: Readonly<Record<string, number>>;
  /** Devices whose access stays the same. */
  readonly unchanged: number;
  /** Of those, the ones whose reason changes. */
  readonly reasonChanges: number;
  /** The Set-CasMailbox commands the change would cause (one per mailbox whose lists change). */
  readonly commands: readonly WhatIfCommand[];
  /** Org settings and device access rules the new policy would change (from what the current policy enforces). */
  readonly orgCommands: readonly ExchangeCommand[];
  /** Users who would be notified. */
  readonly notifications: number;
  /** Partnerships without a recorded decision (not judged). */
  readonly undecided: number;
  readonly warnings: readonly WhatIfWarning[];
}

export interface WhatIfFold {
  push(raw: StoredEvent): void;
  readonly count: number;
  result(policy: Policy, options?: WhatIfOptions): WhatIfResult;
}

interface OrgPolicies { readonly byRevision: Map<number, Policy>; latest?: { revision: number; policy: Policy } }

const lower = (s: string) => s.toLowerCase();

function managedOf(deviceId: string, f: NonNullable<DecisionState['facts']['intune']>): ManagedDevice {
  const m: { -readonly [K in keyof ManagedDevice]: ManagedDevice[K] } = {
    id: f.id, easDeviceId: deviceId, complianceState: f.complianceState as ManagedDevice['complianceState'], managementAgent: f.managementAgent,
  };
  if (f.userPrincipalName !== undefined) m.userPrincipalName = f.userPrincipalName;
  if (f.emailAddress !== undefined) m.emailAddress = f.emailAddress;
  if (f.graceDeadline !== undefined) m.complianceGracePeriodExpirationDateTime = f.graceDeadline;
  return m;
}

// The mailbox states are folded here with mutable per-stream records rather
// than the decider's `evolveMailbox`, whose immutable updates (objects keyed by
// device id, copied per event) cost several times the rest of a 50,000-device
// what-if. `materialize` turns a record into exactly the MailboxState that
// evolveMailbox gives (test/what-if.test.ts compares them). A stream with an
// event this fold does not know switches to evolveMailbox from that event on,
// so new event types keep the decider's semantics.
interface LeanDevice {
  /** Lower-cased DeviceId. */
  readonly key: string;
  partnership: EventData<'PartnershipDiscovered'>;
  decision: DecisionState | undefined;
  owned: DeviceState['owned'];
  notified: boolean;
  grandfathered: boolean;
}
/** A mailbox's state while folding: a few partnerships and intents, in arrays (maps cost more than they save at that size). */
interface LeanMailbox {
  info: MailboxInfo | undefined;
  lists: MailboxState['lists'];
  readonly devices: LeanDevice[];
  readonly pending: Array<{ readonly commandId: string; readonly command: SetCasMailbox }>;
}
type Folded = { lean: LeanMailbox; exact?: undefined } | { lean?: undefined; exact: MailboxState };

/** The partnership with this DeviceId (case-insensitively), or -1. */
function indexOf(m: LeanMailbox, deviceId: string): number {
  const list = m.devices;
  for (let i = 0; i < list.length; i++) if (list[i]!.partnership.deviceId === deviceId) return i;
  const k = deviceId.toLowerCase();
  for (let i = 0; i < list.length; i++) if (list[i]!.key === k) return i;
  return -1;
}
const deviceOf = (m: LeanMailbox, deviceId: string): LeanDevice | undefined => m.devices[indexOf(m, deviceId)];

/** The MailboxState evolveMailbox would have folded. @internal (exported for the tests) */
export function materialize(m: LeanMailbox): MailboxState {
  // Keyed by device and command ids: start as dictionaries (no prototype, no
  // hidden-class transition per unique id).
  const devices = Object.create(null) as Record<string, DeviceState>;
  // Fields spelled out: spreading objects fresh from JSON.parse is many times slower.
  for (const d of m.devices) {
    const p = d.partnership;
    const s: { -readonly [K in keyof DeviceState]: DeviceState[K] } = {
      deviceId: p.deviceId, identity: p.identity, deviceType: p.deviceType, deviceModel: p.deviceModel,
      deviceOS: p.deviceOS, deviceUserAgent: p.deviceUserAgent, friendlyName: p.friendlyName,
      firstSyncTime: p.firstSyncTime, distinguishedName: p.distinguishedName,
      decision: d.decision, owned: d.owned, notified: d.notified,
    };
    if (d.grandfathered) s.grandfathered = true;
    devices[d.key] = s;
  }
  const pending = Object.create(null) as Record<string, SetCasMailbox>;
  for (const { commandId, command } of m.pending) pending[commandId] = command;
  return { ...(m.info !== undefined ? { info: m.info } : {}), lists: m.lists, devices, pending };
}

/** Folds one mailbox event into a lean record; false when the event type is not one it knows. @internal */
export function foldLean(m: LeanMailbox, e: DomainEvent, at: string): boolean {
  switch (e.type) {
    case 'MailboxDiscovered': {
      const d = e.data;
      const info: { -readonly [K in keyof MailboxInfo]: MailboxInfo[K] } = {
        identity: d.identity, primarySmtpAddress: d.primarySmtpAddress, addresses: d.addresses, activeSyncEnabled: d.activeSyncEnabled,
      };
      if (d.displayName !== undefined) info.displayName = d.displayName;
      if (d.distinguishedName !== undefined) info.distinguishedName = d.distinguishedName;
      if (d.userPrincipalName !== undefined) info.userPrincipalName = d.userPrincipalName;
      if (d.guid !== undefined) info.guid = d.guid;
      m.info = info;
      m.lists = { allowedDeviceIds: d.allowedDeviceIds, blockedDeviceIds: d.blockedDeviceIds };
      return true;
    }
    case 'MailboxUpdated': m.info = e.data; return true;
    case 'ListsDriftDetected': m.lists = e.data.actual; return true;
    case 'PartnershipDiscovered':
    case 'PartnershipUpdated': {
      const d = deviceOf(m, e.data.deviceId);
      if (d) d.partnership = e.data;
      else m.devices.push({ key: e.data.deviceId.toLowerCase(), partnership: e.data, decision: undefined, owned: undefined, notified: false, grandfathered: false });
      return true;
    }
    case 'PartnershipRemoved': { const i = indexOf(m, e.data.deviceId); if (i >= 0) m.devices.splice(i, 1); return true; }
    case 'AccessDecided': {
      const d = deviceOf(m, e.data.deviceId);
      if (!d) return true;
      const x = e.data;
      d.decision = { syncId: x.syncId, access: x.access, reason: x.reason, governed: x.governed, policyRevision: x.policyRevision, facts: x.facts, at };
      if (x.access === 'allow' || !x.governed) d.notified = false;
      return true;
    }
    case 'CommandIntended':
      if (e.data.command.kind === 'setCasMailbox') {
        const i = m.pending.findIndex((p) => p.commandId === e.data.commandId);
        const entry = { commandId: e.data.commandId, command: e.data.command };
        if (i >= 0) m.pending[i] = entry; else m.pending.push(entry);
      }
      return true;
    case 'CommandSucceeded': {
      const i = m.pending.findIndex((p) => p.commandId === e.data.commandId);
      if (i < 0) return true;
      const c = m.pending[i]!.command;
      m.pending.splice(i, 1);
      const own = (id: string, owned: DeviceState['owned']) => { const d = deviceOf(m, id); if (d) d.owned = owned; };
      for (const id of c.allowedDeviceIds.remove) own(id, undefined);
      for (const id of c.blockedDeviceIds.remove) own(id, undefined);
      for (const id of c.allowedDeviceIds.add) if (!deviceOf(m, id)?.grandfathered) own(id, 'allowed');
      for (const id of c.blockedDeviceIds.add) own(id, 'blocked');
      m.lists = {
        allowedDeviceIds: applyListChange(m.lists.allowedDeviceIds, c.allowedDeviceIds),
        blockedDeviceIds: applyListChange(m.lists.blockedDeviceIds, c.blockedDeviceIds),
      };
      return true;
    }
    case 'CommandFailed': { const i = m.pending.findIndex((p) => p.commandId === e.data.commandId); if (i >= 0) m.pending.splice(i, 1); return true; }
    case 'NotificationSent': { const d = deviceOf(m, e.data.deviceId); if (d) d.notified = true; return true; }
    case 'NotificationFailed': return true;
    case 'DeviceGrandfathered': { const d = deviceOf(m, e.data.deviceId); if (d) d.grandfathered = true; return true; }
    default: return false;
  }
}

/** @internal */
export const emptyLeanMailbox = (): LeanMailbox => ({ info: undefined, lists: { allowedDeviceIds: [], blockedDeviceIds: [] }, devices: [], pending: [] });

const inList = (list: readonly string[], id: string) => { const k = id.toLowerCase(); return list.some((x) => x.toLowerCase() === k); };

/**
 * The new decisions of a mailbox when none of them changes and the decider
 * would issue no command — every device governed, decided as recorded, its
 * list entries already as that decision wants them (then the mailbox decider
 * adds and removes nothing, and no device's evaluation depends on the lists).
 * Undefined when that is not certain: the decider then runs.
 */
function unchangedMailbox(
  state: MailboxState, contexts: ReadonlyMap<string, Omit<DeviceContext, 'device' | 'activeSyncEnabled'>>, policy: Policy, atMs: number,
): Array<{ device: DeviceState; decision: Decision }> | undefined {
  const out: Array<{ device: DeviceState; decision: Decision }> = [];
  const activeSyncEnabled = state.info?.activeSyncEnabled ?? true;
  for (const [k, ctx] of contexts) {
    const device = state.devices[k]!;
    const rec = device.decision;
    if (!rec || !rec.governed) return undefined;
    const decision = decideAccess({ ...ctx, device, activeSyncEnabled }, policy, atMs, state.lists);
    if (!decision.governed || decision.access !== rec.access || decision.reason !== rec.reason) return undefined;
    const want = listsFor(decision.access);
    if (inList(state.lists.allowedDeviceIds, device.deviceId) !== want.allowed || inList(state.lists.blockedDeviceIds, device.deviceId) !== want.blocked) return undefined;
    out.push({ device, decision });
  }
  return out;
}

const conflictOf = (deviceId: string, c: { id: string; user: string }): ManagedDevice =>
  ({ id: c.id, userPrincipalName: c.user, complianceState: 'unknown', managementAgent: 'mdm', easDeviceId: deviceId });

/** The same fold as `whatIf`, one event at a time (for readers that stream a log). */
export function createWhatIf(): WhatIfFold {
  const orgs = new Map<string, OrgPolicies>();
  const mailboxes = new Map<string, Folded>();
  let invalid = 0;
  let count = 0;
  let lastAt: string | undefined;
  return {
    push(raw) {
      count++;
      lastAt = raw.at;
      const isOrg = raw.stream.startsWith('eas-org-');
      if (isOrg && raw.type !== 'PolicyChanged') return;
      if (!isOrg && !raw.stream.startsWith('eas-mailbox-')) return;
      const d = decodeEvent(raw.type, raw.data);
      if (isLeft(d)) { invalid++; return; }
      const e = d.right;
      if (e.type === 'PolicyChanged') {
        const org = raw.stream.slice('eas-org-'.length);
        const p: OrgPolicies = orgs.get(org) ?? { byRevision: new Map() };
        const policy = withDefaults(e.data.policy);
        p.byRevision.set(e.data.revision, policy);
        p.latest = { revision: e.data.revision, policy };
        orgs.set(org, p);
        return;
      }
      let f = mailboxes.get(raw.stream);
      if (f === undefined) { f = { lean: emptyLeanMailbox() }; mailboxes.set(raw.stream, f); }
      if (f.lean !== undefined && foldLean(f.lean, e, raw.at)) return;
      const state = f.lean !== undefined ? materialize(f.lean) : f.exact;
      mailboxes.set(raw.stream, { exact: evolveMailbox(state, { type: e.type, data: e.data, at: raw.at } as unknown as DomainEvent) });
    },
    get count() { return count; },
    result(policy, options = {}) {
      // Materialized one at a time, as the judge goes: never all at once.
      const states = (function* (): Generator<[string, MailboxState]> {
        for (const [stream, f] of mailboxes) yield [stream, f.lean !== undefined ? materialize(f.lean) : f.exact];
      })();
      return judge(orgs, states, invalid, policy, options.at ?? lastAt ?? new Date(0).toISOString());
    },
  };
}

function judge(orgs: Map<string, OrgPolicies>, mailboxes: Iterable<[string, MailboxState]>, invalid: number, policy: Policy, at: string): WhatIfResult {
  const atMs = Date.parse(at);
  if (Number.isNaN(atMs)) throw new RangeError(`whatIf: not an ISO-8601 date-time: "${at}"`);
  const warnings: WhatIfWarning[] = [];
  // Longest organization first: "a-b" before "a" for eas-mailbox-a-b-….
  const prefixes = [...orgs.keys()].sort((a, b) => b.length - a.length).map((org) => [org, `eas-mailbox-${org}-`] as const);
  const orgOf = (stream: string): string => prefixes.find(([, p]) => stream.startsWith(p))?.[0] ?? organizationOfStream(stream);
  if (orgs.size === 0) warnings.push({ kind: 'noPolicyInLog', message: 'the log records no policy: every device is compared with its recorded decision only, and org commands cannot be derived' });
  if (policy.enabled && policy.includedGroups.length === 0) {
    warnings.push({ kind: 'emptyIncludeList', message: 'the policy includes no group: every user is untargeted and no device is governed' });
  }

  const changes: WhatIfChange[] = [];
  const summary: Record<string, number> = {};
  const commands: WhatIfCommand[] = [];
  const unknownGroups = new Map<string, number>();
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
    if (!byRev) namedCache.set(org, byRev = new Map());
    if (!byRev.has(revision)) {
      const then = org?.byRevision.get(revision);
      const named = then ? new Set([...then.includedGroups, ...then.excludedGroups]) : undefined;
      byRev.set(revision, named ? { named, unknown: [...policy.includedGroups, ...policy.excludedGroups].filter((g) => !named.has(g)) } : undefined);
    }
    return byRev.get(revision);
  };
  type Context = Omit<DeviceContext, 'device' | 'activeSyncEnabled'>;
  const groupsUnder = (p: Policy, f: DecisionState['facts']) => {
    const member = (g: string) => f.groups.included.includes(g) || f.groups.excluded.includes(g);
    return { included: p.includedGroups.filter(member), excluded: p.excludedGroups.filter(member) };
  };

  for (const [stream, state] of mailboxes) {
    const ids = Object.keys(state.devices);
    if (!state.info || ids.length === 0) continue;
    const org = orgs.get(orgOf(stream));
    const current = org?.latest;
    const newContexts = new Map<string, Context>();
    const decided: Array<{ k: string; f: DecisionState['facts']; mapping: Context['mapping'] }> = [];
    for (const k of ids) {
      const d = state.devices[k]!;
      const dec = d.decision;
      if (!dec) { undecided++; continue; }
      const f = dec.facts;
      const named = namedBy(org, dec.policyRevision);
      // Without the revision's policy, the groups the facts list are all that is known.
      const unknown = named ? named.unknown : [...policy.includedGroups, ...policy.excludedGroups].filter((g) => !f.groups.included.includes(g) && !f.groups.excluded.includes(g));
      for (const g of unknown) unknownGroups.set(g, (unknownGroups.get(g) ?? 0) + 1);
      const mapping: Context['mapping'] = f.intune
        ? { mapped: managedOf(d.deviceId, f.intune), conflicts: f.conflicts.map((c) => conflictOf(d.deviceId, c)) }
        : { conflicts: f.conflicts.map((c) => conflictOf(d.deviceId, c)) };
      newContexts.set(k, { groups: groupsUnder(policy, f), mapping });
      decided.push({ k, f, mapping });
    }
    if (newContexts.size === 0) continue;
    // Most mailboxes keep every decision: skip the decider where that is certain.
    const kept = newContexts.size === ids.length ? unchangedMailbox(state, newContexts, policy, atMs) : undefined;
    if (kept) {
      devices += kept.length;
      unchanged += kept.length;
      for (const { device, decision } of kept) if (needsNotification(device, decision)) notifications++;
      continue;
    }
    const partnerships = ids.map((k) => state.devices[k]!);
    const reconcile = (p: Policy, revision: number, contexts: Map<string, Context>) => decideMailbox({
      type: 'ReconcileMailbox', syncId: 'what-if', commandId: `what-if/${n}`, atMs, policy: p, policyRevision: revision,
      partnerships, complete: true, contexts,
    }, state);
    const plan = reconcile(policy, (current?.revision ?? 0) + 1, newContexts);
    n++;
    // The current policy at the same moment, only where something changes (to tell policy from time).
    let baseAccess: Map<string, AccessLevel> | undefined;
    const baseline = (id: string): AccessLevel | undefined => {
      if (!current) return undefined;
      if (!baseAccess) {
        const old = new Map(decided.map(({ k, f, mapping }) => [k, { groups: groupsUnder(current.policy, f), mapping }]));
        baseAccess = new Map(reconcile(current.policy, current.revision, old).decisions.map((x) => [lower(x.device.deviceId), x.decision.access]));
      }
      return baseAccess.get(lower(id));
    };
    const mailbox = state.info.identity;
    for (const { device, decision } of plan.decisions) {
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
        deviceId: device.deviceId, mailbox, from: rec.access, to: decision.access, reason: decision.reason, fromReason: rec.reason,
        governed: decision.governed, cause: base !== undefined && base === decision.access ? 'elapsed' : 'policy',
      });
      const key = `${rec.access}->${decision.access}`;
      summary[key] = (summary[key] ?? 0) + 1;
    }
    if (plan.command) commands.push({ mailbox: plan.command.mailbox, allowedDeviceIds: plan.command.allowedDeviceIds, blockedDeviceIds: plan.command.blockedDeviceIds });
  }

  if (unknownGroups.size > 0) {
    const groups = [...unknownGroups.keys()];
    const affected = Math.max(...unknownGroups.values());
    warnings.push({
      kind: 'unknownGroupMembership', groups, devices: affected,
      message: `the log does not say who is in group(s) ${groups.join(', ')}: it records membership only of the groups the policy named when each device was decided. They are treated as having no members here; run \`eas-sync plan\` with a --groups export to judge them`,
    });
  }
  if (invalid > 0) warnings.push({ kind: 'invalidEvents', message: `${invalid} event(s) of the log do not decode and were skipped (run eas-sync replay to see them)` });

  // Org settings and rules: the current policy's are what the engine enforced at its last sync.
  let orgCommands: ExchangeCommand[] = [];
  const latest = [...orgs.values()].map((o) => o.latest).filter((x): x is NonNullable<typeof x> => !!x).sort((a, b) => b.revision - a.revision)[0];
  if (latest) {
    const enforced = latest.policy;
    orgCommands = reconcileOrg({
      type: 'ReconcileOrg', syncId: 'what-if', policy, servers: [],
      settings: {
        defaultAccessLevel: toExchangeLevel(enforced.defaultAccessLevel),
        userMailInsert: enforced.notification.userMailInsert,
        adminMailRecipients: enforced.notification.adminRecipients,
      },
      rules: rulesOfPolicy(enforced),
    }).commands.map((c) => c.command);
  }
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  changes.sort((a, b) => cmp(a.mailbox, b.mailbox) || cmp(a.deviceId, b.deviceId));

  return {
    at: new Date(atMs).toISOString(),
    policyRevision: latest?.revision ?? null,
    devices, changes, summary, unchanged, reasonChanges, commands, orgCommands, notifications, undecided, warnings,
  };
}

/**
 * Decides every device of the log again under `policy`, from the log's latest
 * facts, judged at `options.at` (default: the log's last event). Touches nothing.
 */
export function whatIf(events: readonly StoredEvent[], policy: Policy, options: WhatIfOptions = {}): WhatIfResult {
  const fold = createWhatIf();
  for (const e of events) fold.push(e);
  return fold.result(policy, options);
}
