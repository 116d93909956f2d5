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
import { formatIssues } from '../src/codec.js';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { StoredEvent } from '../src/ports.js';
import type { AccessLevel, ManagedDevice } from '../src/facts.js';
import type { ExchangeCommand, ListChange, SetCasMailbox } from '../src/commands.js';
import { decodeEvent, fastAccepts, type DomainEvent, type EventData, type Reason } from '../src/events.js';
import { withDefaults, type Policy } from '../src/policy.js';
import { decideAccess, rulesOfPolicy, type Decision, type DeviceContext } from '../src/access.js';
import { toExchangeLevel } from '../src/exchange-evaluation.js';
import { reconcileOrg } from '../src/connector.js';
import {
  changeOf, decideMailbox, decisionOf, deviceKey, enforce, evolveMailbox, hasListChanges, indexOfDevice, listsAfter, mailboxIntent,
  needsNotification, noListChanges, notifiedAfter, recordOwnership, withIntent, withoutIntent,
  type DecisionState, type DeviceState, type MailboxInfo, type MailboxState, type Owned,
} from '../src/mailbox.js';
import { accepted } from '../src/decider.js';
import { organizationOfStream } from './device-access.js';
import type { StreamSlot } from './replay.js';

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
  /** Folds one event (in log order); `stream` as in ReplayFold.push. */
  push(raw: StoredEvent, stream?: StreamSlot): void;
  readonly count: number;
  result(policy: Policy, options?: WhatIfOptions): WhatIfResult;
  /** What a part read that every part needs to judge its mailboxes (see `judgeWhatIfParts`). */
  scanned(): WhatIfScan;
  /** This part's mailboxes judged under `policy` (see `judgeWhatIfParts`). */
  judge(policy: Policy, context: WhatIfContext): WhatIfPart;
}

/** The policies an organization's stream recorded. Plain data. */
export interface OrgPolicies { readonly byRevision: Map<number, Policy>; latest?: { revision: number; policy: Policy } }

/**
 * A log can be judged in parts, each part over its own mailbox streams (see
 * projections/replay.ts): first each part's `scanned()`, whose organizations
 * and last event every part needs (`whatIfContext`), then each part's
 * `judge(policy, context)`, merged by `mergeWhatIfParts`. All plain data.
 */
export interface WhatIfScan {
  readonly organizations: ReadonlyArray<readonly [string, OrgPolicies]>;
  /** The part's last event: the log's last is the one with the highest position. */
  readonly last?: { readonly position: number; readonly at: string };
  readonly invalid: number;
  /** The first invalid events (position and why), at most INVALID_SHOWN of them. */
  readonly invalidEvents: ReadonlyArray<{ readonly position: number; readonly message: string }>;
}

const INVALID_SHOWN = 20;

export interface WhatIfContext {
  readonly organizations: ReadonlyArray<readonly [string, OrgPolicies]>;
  /** The moment judged. */
  readonly at: string;
  readonly invalid: number;
}

/** One part's judgement. Lists in the order of its mailboxes, each item with the position of its mailbox's first event. */
export interface WhatIfPart {
  readonly devices: number;
  readonly unchanged: number;
  readonly reasonChanges: number;
  readonly notifications: number;
  readonly undecided: number;
  readonly changes: ReadonlyArray<{ readonly mailbox: number; readonly change: WhatIfChange }>;
  /** Transitions ("allow->block") with their counts, in the order first met, and the mailbox that first met each. */
  readonly transitions: ReadonlyArray<readonly [transition: string, count: number, mailbox: number]>;
  readonly commands: ReadonlyArray<{ readonly mailbox: number; readonly command: WhatIfCommand }>;
  /** Groups of unknown membership with the devices they concern, in the order first met. */
  readonly unknownGroups: ReadonlyArray<readonly [group: string, devices: number, mailbox: number]>;
}

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
// what-if. Every change is one of the mailbox rules (src/mailbox/rules.ts), as
// in evolveMailbox; only the data shape differs. `materialize` turns a record
// into exactly the MailboxState that evolveMailbox gives (the tests compare
// them over generated histories). A stream with an event this fold does not
// know switches to evolveMailbox from that event on, so new event types keep
// the decider's semantics.
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
  // Replaced rather than pushed to: a push gives a list of one or two a backing
  // store of 17 slots, which at 40,000 mailboxes the collector copies for nothing.
  devices: readonly LeanDevice[];
  pending: ReadonlyArray<{ readonly commandId: string; readonly command: SetCasMailbox }>;
}

const idOfDevice = (d: LeanDevice): string => d.partnership.deviceId;
const indexOf = (m: LeanMailbox, deviceId: string): number => indexOfDevice(m.devices, deviceId, idOfDevice);
const deviceOf = (m: LeanMailbox, deviceId: string): LeanDevice | undefined => m.devices[indexOf(m, deviceId)];
const idOfIntent = (p: LeanMailbox['pending'][number]): string => p.commandId;

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

const without = <T>(list: readonly T[], i: number): T[] => list.filter((_, j) => j !== i);

/** Folds one mailbox event into a lean record; false when the event type is not one it knows. @internal */
export function foldLean(m: LeanMailbox, e: DomainEvent, at: string): boolean {
  switch (e.type) {
    case 'MailboxDiscovered': {
      // As evolveMailbox does: the lists apart, the event is the mailbox's info.
      const { allowedDeviceIds, blockedDeviceIds, ...info } = e.data;
      m.info = info;
      m.lists = { allowedDeviceIds, blockedDeviceIds };
      return true;
    }
    case 'MailboxUpdated': m.info = e.data; return true;
    case 'ListsDriftDetected': m.lists = e.data.actual; return true;
    case 'PartnershipDiscovered':
    case 'PartnershipUpdated': {
      const d = deviceOf(m, e.data.deviceId);
      if (d) d.partnership = e.data;
      else m.devices = [...m.devices, { key: deviceKey(e.data.deviceId), partnership: e.data, decision: undefined, owned: undefined, notified: false, grandfathered: false }];
      return true;
    }
    case 'PartnershipRemoved': { const i = indexOf(m, e.data.deviceId); if (i >= 0) m.devices = without(m.devices, i); return true; }
    case 'AccessDecided': {
      const d = deviceOf(m, e.data.deviceId);
      if (!d) return true;
      d.decision = decisionOf(e.data, at);
      d.notified = notifiedAfter(d.notified, e.data);
      return true;
    }
    case 'CommandIntended': {
      const command = mailboxIntent(e.data.command);
      if (command) m.pending = withIntent(m.pending, e.data.commandId, { commandId: e.data.commandId, command }, idOfIntent);
      return true;
    }
    case 'CommandSucceeded': {
      const c = m.pending.find((p) => p.commandId === e.data.commandId)?.command;
      if (c === undefined) return true;
      m.pending = withoutIntent(m.pending, e.data.commandId, idOfIntent);
      recordOwnership(c, {
        grandfathered: (id) => deviceOf(m, id)?.grandfathered === true,
        own: (id: string, owned: Owned) => { const d = deviceOf(m, id); if (d) d.owned = owned; },
      });
      m.lists = listsAfter(m.lists, c);
      return true;
    }
    case 'CommandFailed': m.pending = withoutIntent(m.pending, e.data.commandId, idOfIntent); return true;
    case 'NotificationSent': { const d = deviceOf(m, e.data.deviceId); if (d) d.notified = true; return true; }
    case 'NotificationFailed': return true;
    case 'DeviceGrandfathered': { const d = deviceOf(m, e.data.deviceId); if (d) d.grandfathered = true; return true; }
    default: return false;
  }
}

/** @internal */
export const emptyLeanMailbox = (): LeanMailbox => ({ info: undefined, lists: { allowedDeviceIds: [], blockedDeviceIds: [] }, devices: [], pending: [] });

/** A device as the judge reads it: a lean record as it is, or a MailboxState's device. @internal */
export interface Judged {
  /** Lower-cased DeviceId. */
  readonly key: string;
  readonly partnership: DeviceContext['device'];
  /** The recorded decision. */
  readonly decision: DecisionState | undefined;
  readonly notified: boolean;
}

/**
 * The devices of a mailbox in the order of `Object.keys(state.devices)` of its
 * MailboxState (what the decider sees): insertion order, but keys that are
 * array indices ("12345") first, ascending — taken from such a dictionary then.
 */
function judgedOf(f: Folded): readonly Judged[] {
  if (f.lean === undefined) {
    const devices = f.exact!.devices;
    return Object.keys(devices).map((key) => { const d = devices[key]!; return { key, partnership: d, decision: d.decision, notified: d.notified }; });
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
  devices: readonly Judged[], activeSyncEnabled: boolean, lists: MailboxState['lists'],
  contexts: ReadonlyMap<string, Omit<DeviceContext, 'device' | 'activeSyncEnabled'>>, policy: Policy, atMs: number,
): { decisions: Decision[]; change?: { allowedDeviceIds: ListChange; blockedDeviceIds: ListChange } } | undefined {
  if (contexts.size !== devices.length) return undefined;
  const decisions: Decision[] = [];
  for (const { key, partnership: device } of devices) {
    const ctx = contexts.get(key);
    if (ctx === undefined) return undefined;
    const decision = decideAccess({ groups: ctx.groups, mapping: ctx.mapping, device, activeSyncEnabled }, policy, atMs, lists);
    if (!decision.governed) return undefined;
    decisions.push(decision);
  }
  const changes = noListChanges();
  for (let i = 0; i < devices.length; i++) {
    const { key, partnership: { deviceId } } = devices[i]!;
    enforce(lists, deviceId, key, decisions[i]!.access, changes);
  }
  return hasListChanges(changes) ? { decisions, change: changeOf(changes) } : { decisions };
}

const conflictOf = (deviceId: string, c: { id: string; user: string }): ManagedDevice =>
  ({ id: c.id, userPrincipalName: c.user, complianceState: 'unknown', managementAgent: 'mdm', easDeviceId: deviceId });

/** A mailbox stream as folded: leanly until an event the lean fold does not know. */
interface Folded {
  /** The position of the stream's first event here: it orders the mailboxes of several parts. */
  readonly position: number;
  lean: LeanMailbox | undefined;
  exact: MailboxState | undefined;
}

/** The same fold as `whatIf`, one event at a time (for readers that stream a log). */
export function createWhatIf(): WhatIfFold {
  const orgs = new Map<string, OrgPolicies>();
  const mailboxes = new Map<string, Folded>();
  let invalid = 0;
  const invalidEvents: Array<{ position: number; message: string }> = [];
  let count = 0;
  let lastPosition = -1;
  let lastAt = '';
  const fold: WhatIfFold = {
    push(raw, slot) {
      count++;
      lastPosition = raw.position;
      lastAt = raw.at;
      const isOrg = raw.stream.startsWith('eas-org-');
      if (isOrg && raw.type !== 'PolicyChanged') return;
      if (!isOrg && !raw.stream.startsWith('eas-mailbox-')) return;
      let e: DomainEvent;
      // As in replay: an event the fast check accepts is its own domain event.
      if (fastAccepts(raw.type, raw.data) === true) e = raw as unknown as DomainEvent;
      else {
        const d = decodeEvent(raw.type, raw.data);
        if (isLeft(d)) {
          if (++invalid <= INVALID_SHOWN) invalidEvents.push({ position: raw.position, message: `${raw.stream} #${raw.revision} ${raw.type}: ${formatIssues(d.left)}` });
          return;
        }
        e = d.right;
      }
      if (e.type === 'PolicyChanged') {
        const org = raw.stream.slice('eas-org-'.length);
        const p: OrgPolicies = orgs.get(org) ?? { byRevision: new Map() };
        const policy = withDefaults(e.data.policy);
        p.byRevision.set(e.data.revision, policy);
        p.latest = { revision: e.data.revision, policy };
        orgs.set(org, p);
        return;
      }
      let f = slot?.state as Folded | undefined ?? mailboxes.get(raw.stream);
      if (f === undefined) {
        f = { position: raw.position, lean: emptyLeanMailbox(), exact: undefined };
        mailboxes.set(raw.stream, f);
      }
      if (slot !== undefined) slot.state = f;
      if (f.lean !== undefined && foldLean(f.lean, e, raw.at)) return;
      const state = f.lean !== undefined ? materialize(f.lean) : f.exact!;
      f.lean = undefined;
      f.exact = evolveMailbox(state, { type: e.type, data: e.data, at: raw.at } as unknown as DomainEvent);
    },
    get count() { return count; },
    result(policy, options = {}) {
      const context = whatIfContext([fold.scanned()], options);
      return mergeWhatIfParts([fold.judge(policy, context)], context, policy);
    },
    scanned() {
      return { organizations: [...orgs], ...(count > 0 ? { last: { position: lastPosition, at: lastAt } } : {}), invalid, invalidEvents };
    },
    judge(policy, context) {
      return judge(new Map(context.organizations), mailboxes, policy, Date.parse(context.at));
    },
  };
  return fold;
}

/** What the parts of a log judge with: every organization's policies, the moment judged (default: the log's last event). */
export function whatIfContext(scans: readonly WhatIfScan[], options: WhatIfOptions = {}): WhatIfContext {
  let last: WhatIfScan['last'];
  for (const s of scans) if (s.last !== undefined && (last === undefined || s.last.position > last.position)) last = s.last;
  const at = options.at ?? last?.at ?? new Date(0).toISOString();
  if (Number.isNaN(Date.parse(at))) throw new RangeError(`whatIf: not an ISO-8601 date-time: "${at}"`);
  return { organizations: scans.flatMap((s) => s.organizations), at, invalid: scans.reduce((n, s) => n + s.invalid, 0) };
}

type Context = Omit<DeviceContext, 'device' | 'activeSyncEnabled'>;

function judge(orgs: Map<string, OrgPolicies>, mailboxes: ReadonlyMap<string, Folded>, policy: Policy, atMs: number): WhatIfPart {
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
    if (!byRev) namedCache.set(org, byRev = new Map());
    if (!byRev.has(revision)) {
      const then = org?.byRevision.get(revision);
      const named = then ? new Set([...then.includedGroups, ...then.excludedGroups]) : undefined;
      byRev.set(revision, named ? { named, unknown: [...policy.includedGroups, ...policy.excludedGroups].filter((g) => !named.has(g)) } : undefined);
    }
    return byRev.get(revision);
  };
  // Devices share a few group memberships: each one's groups under a policy are computed once.
  const groupsCache = new Map<Policy, Array<{ readonly of: DecisionState['facts']['groups']; readonly under: Context['groups'] }>>();
  const groupsUnder = (p: Policy, g: DecisionState['facts']['groups']): Context['groups'] => {
    let known = groupsCache.get(p);
    if (!known) groupsCache.set(p, known = []);
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
      if (!dec) { undecided++; continue; }
      const f = dec.facts;
      const named = namedBy(org, dec.policyRevision);
      // Without the revision's policy, the groups the facts list are all that is known.
      const unknown = named ? named.unknown : [...policy.includedGroups, ...policy.excludedGroups].filter((g) => !f.groups.included.includes(g) && !f.groups.excluded.includes(g));
      for (const g of unknown) {
        const u = unknownGroups.get(g);
        if (u) u[1]++; else unknownGroups.set(g, [g, 1, position]);
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
      return accepted(decideMailbox({
        type: 'ReconcileMailbox', syncId: 'what-if', commandId: `what-if/${n++}`, atMs, policy: p, policyRevision: revision,
        partnerships: judged.map(({ key }) => state!.devices[key]!), complete: true, contexts,
      }, state));
    };
    const lean = governedPlan(judged, info.activeSyncEnabled, lists, newContexts, policy, atMs);
    if (lean !== undefined) {
      decisions = lean.decisions.map((decision, i) => ({ device: { deviceId: judged[i]!.partnership.deviceId, decision: judged[i]!.decision, notified: judged[i]!.notified }, decision }));
      if (lean.change) command = { mailbox: info.identity, ...lean.change };
    } else {
      const plan = reconcile(policy, (current?.revision ?? 0) + 1, newContexts);
      decisions = plan.decisions;
      const c = plan.commands[0]?.command;
      if (c) command = { mailbox: c.mailbox, allowedDeviceIds: c.allowedDeviceIds, blockedDeviceIds: c.blockedDeviceIds };
    }
    // The current policy at the same moment, only where something changes (to tell policy from time).
    let baseAccess: Map<string, AccessLevel> | undefined;
    const baseline = (id: string): AccessLevel | undefined => {
      if (!current) return undefined;
      if (!baseAccess) {
        const old = new Map<string, Context>();
        for (const { key, decision } of judged) if (decision) old.set(key, { groups: groupsUnder(current.policy, decision.facts.groups), mapping: newContexts.get(key)!.mapping });
        const base = governedPlan(judged, info.activeSyncEnabled, lists, old, current.policy, atMs);
        baseAccess = base !== undefined
          ? new Map(judged.map(({ key }, i) => [key, base.decisions[i]!.access]))
          : new Map(reconcile(current.policy, current.revision, old).decisions.map((x) => [deviceKey(x.device.deviceId), x.decision.access]));
      }
      return baseAccess.get(deviceKey(id));
    };
    const mailbox = info.identity;
    for (const { device, decision } of decisions) {
      const rec = device.decision;
      if (!rec) continue;
      devices++;
      // needsNotification reads only `notified` of the device state.
      if (needsNotification(device as DeviceState, decision)) notifications++;
      if (rec.access === decision.access) {
        unchanged++;
        if (rec.reason !== decision.reason) reasonChanges++;
        continue;
      }
      const base = baseline(device.deviceId);
      changes.push({ mailbox: position, change: {
        deviceId: device.deviceId, mailbox, from: rec.access, to: decision.access, reason: decision.reason, fromReason: rec.reason,
        governed: decision.governed, cause: base !== undefined && base === decision.access ? 'elapsed' : 'policy',
      } });
      const key = `${rec.access}->${decision.access}`;
      const t = transitions.get(key);
      if (t) t[1]++; else transitions.set(key, [key, 1, position]);
    }
    if (command) commands.push({ mailbox: position, command });
  }
  return {
    devices, unchanged, reasonChanges, notifications, undecided, changes,
    transitions: [...transitions.values()], commands, unknownGroups: [...unknownGroups.values()],
  };
}

/** Items of several parts in the order of their mailboxes (those of one mailbox are of one part, in its order). */
function inMailboxOrder<T>(parts: ReadonlyArray<ReadonlyArray<T>>, mailboxOf: (t: T) => number): T[] {
  if (parts.length === 1) return [...parts[0]!];
  return parts.flatMap((items, p) => items.map((item, i) => ({ item, p, i })))
    .sort((a, b) => mailboxOf(a.item) - mailboxOf(b.item) || a.p - b.p || a.i - b.i)
    .map((x) => x.item);
}

/** The whole log's what-if from its parts' judgements (see `WhatIfScan`). */
export function mergeWhatIfParts(parts: readonly WhatIfPart[], context: WhatIfContext, policy: Policy): WhatIfResult {
  const orgs = new Map(context.organizations);
  const warnings: WhatIfWarning[] = [];
  if (orgs.size === 0) warnings.push({ kind: 'noPolicyInLog', message: 'the log records no policy: every device is compared with its recorded decision only, and org commands cannot be derived' });
  if (policy.enabled && policy.includedGroups.length === 0) {
    warnings.push({ kind: 'emptyIncludeList', message: 'the policy includes no group: every user is untargeted and no device is governed' });
  }
  let devices = 0;
  let unchanged = 0;
  let reasonChanges = 0;
  let notifications = 0;
  let undecided = 0;
  for (const p of parts) {
    devices += p.devices; unchanged += p.unchanged; reasonChanges += p.reasonChanges; notifications += p.notifications; undecided += p.undecided;
  }
  // Counts keyed in the order first met, as one judge over every mailbox would key them.
  const summary: Record<string, number> = {};
  for (const [key, count] of inMailboxOrder(parts.map((p) => p.transitions), (t) => t[2])) summary[key] = (summary[key] ?? 0) + count;
  const unknownGroups = new Map<string, number>();
  for (const [g, count] of inMailboxOrder(parts.map((p) => p.unknownGroups), (u) => u[2])) unknownGroups.set(g, (unknownGroups.get(g) ?? 0) + count);
  const commands = inMailboxOrder(parts.map((p) => p.commands), (c) => c.mailbox).map((c) => c.command);
  const changes = inMailboxOrder(parts.map((p) => p.changes), (c) => c.mailbox).map((c) => c.change);

  if (unknownGroups.size > 0) {
    const groups = [...unknownGroups.keys()];
    const affected = Math.max(...unknownGroups.values());
    warnings.push({
      kind: 'unknownGroupMembership', groups, devices: affected,
      message: `the log does not say who is in group(s) ${groups.join(', ')}: it records membership only of the groups the policy named when each device was decided. They are treated as having no members here; run \`eas-sync plan\` with a --groups export to judge them`,
    });
  }
  if (context.invalid > 0) warnings.push({ kind: 'invalidEvents', message: `${context.invalid} event(s) of the log do not decode and were skipped (run eas-sync replay to see them)` });

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
    at: new Date(Date.parse(context.at)).toISOString(),
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
