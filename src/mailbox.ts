// The mailbox decider: one CAS mailbox, its device partnerships, their access
// decisions and the Set-CasMailbox intents that enforce them. The mailbox is the
// consistency boundary: Exchange enforces per mailbox, so does this aggregate.
import { produce, setAutoFreeze } from 'immer';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { AccessLevel, CasMailbox, DeviceAccessRule, MobileDevice, OrgSettings } from './facts.js';
import { evaluateExchange } from './exchange-evaluation.js';
import type { SetCasMailbox } from './commands.js';
import type { Policy } from './policy.js';
import { decideAccess, type Decision, type DeviceContext } from './access.js';
import { event, type DecisionFacts, type DomainEvent, type EventData, type Reason } from './events.js';
import { userAddresses } from './identity.js';

// Deciders run over tens of thousands of mailboxes per sync: freezing every
// draft would cost more than the safety is worth; states are never mutated.
setAutoFreeze(false);

export interface DecisionState {
  readonly access: AccessLevel;
  readonly reason: Reason;
  readonly governed: boolean;
  readonly policyRevision: number;
  readonly facts: DecisionFacts;
  readonly syncId: string;
  readonly at: string;
}

/** The partnership fields a mailbox keeps (what PartnershipDiscovered records). */
export type PartnershipFields = Pick<MobileDevice,
  'deviceId' | 'identity' | 'deviceType' | 'deviceModel' | 'deviceOS' | 'deviceUserAgent' | 'friendlyName' | 'firstSyncTime' | 'distinguishedName'>;

export interface DeviceState extends PartnershipFields {
  readonly decision?: DecisionState;
  /** The list entry the engine wrote for this device and still owns. */
  readonly owned?: 'allowed' | 'blocked';
  /** A notification was sent in the current restricted episode. */
  readonly notified: boolean;
  /** Kept allowed before the org default first became restrictive: the entry is the user's, not the engine's. */
  readonly grandfathered?: boolean;
}

export interface MailboxInfo {
  readonly identity: string;
  readonly primarySmtpAddress: string;
  readonly addresses: readonly string[];
  readonly activeSyncEnabled: boolean;
  readonly displayName?: string;
  readonly distinguishedName?: string;
  readonly userPrincipalName?: string;
  readonly guid?: string;
}

export interface MailboxState {
  readonly info?: MailboxInfo;
  /** The lists as the engine last knew them (observed, then changed by its own commands). */
  readonly lists: { readonly allowedDeviceIds: readonly string[]; readonly blockedDeviceIds: readonly string[] };
  /** Keyed by lower-cased DeviceId. */
  readonly devices: Readonly<Record<string, DeviceState>>;
  /** Intents without an outcome yet. */
  readonly pending: Readonly<Record<string, SetCasMailbox>>;
}

export const initialMailboxState: MailboxState = {
  lists: { allowedDeviceIds: [], blockedDeviceIds: [] },
  devices: {},
  pending: {},
};

const key = (id: string) => id.toLowerCase();
const hasId = (list: readonly string[], id: string) => list.some((x) => key(x) === key(id));

/** Applies an @{Add;Remove} change the way Exchange does: remove, then add; case-insensitive; no duplicates. */
export function applyListChange(list: readonly string[], change: { readonly add: readonly string[]; readonly remove: readonly string[] }): string[] {
  const removed = new Set(change.remove.map(key));
  const out = list.filter((x) => !removed.has(key(x)));
  for (const a of change.add) if (!hasId(out, a)) out.push(a);
  return out;
}

// ------------------------------------------------------------------ evolve
export function evolveMailbox(state: MailboxState, e: DomainEvent): MailboxState {
  switch (e.type) {
    case 'MailboxDiscovered': {
      const { allowedDeviceIds, blockedDeviceIds, ...info } = e.data;
      return { ...state, info, lists: { allowedDeviceIds, blockedDeviceIds } };
    }
    case 'MailboxUpdated':
      return { ...state, info: e.data };
    case 'ListsDriftDetected':
      return { ...state, lists: e.data.actual };
    // The three hot events of a sync (one per device or mailbox) are folded by
    // hand: measured at 50,000 devices, immer's drafts cost more than the rest of
    // the fold. The rare ones below use immer.
    case 'PartnershipDiscovered':
    case 'PartnershipUpdated': {
      const k = key(e.data.deviceId);
      const prev = state.devices[k];
      return { ...state, devices: { ...state.devices, [k]: { ...e.data, decision: prev?.decision, owned: prev?.owned, notified: prev?.notified ?? false, ...(prev?.grandfathered ? { grandfathered: true } : {}) } } };
    }
    case 'PartnershipRemoved':
      return produce(state, (s) => { delete s.devices[key(e.data.deviceId)]; });
    case 'AccessDecided': {
      const k = key(e.data.deviceId);
      const d = state.devices[k];
      if (!d) return state;
      const { deviceId: _id, ...rest } = e.data;
      // `at` comes from the envelope.
      const decision: DecisionState = { ...rest, at: (e as { at?: string }).at ?? '' };
      const notified = e.data.access === 'allow' || !e.data.governed ? false : d.notified;
      return { ...state, devices: { ...state.devices, [k]: { ...d, decision, notified } } };
    }
    case 'CommandIntended':
      if (e.data.command.kind !== 'setCasMailbox') return state;
      return { ...state, pending: { ...state.pending, [e.data.commandId]: e.data.command } };
    case 'CommandSucceeded': {
      const c = state.pending[e.data.commandId];
      if (!c) return state;
      const { [e.data.commandId]: _done, ...pending } = state.pending;
      const devices = { ...state.devices };
      const own = (id: string, owned: DeviceState['owned']) => { const d = devices[key(id)]; if (d) devices[key(id)] = { ...d, owned }; };
      for (const id of [...c.allowedDeviceIds.remove, ...c.blockedDeviceIds.remove]) own(id, undefined);
      for (const id of c.allowedDeviceIds.add) if (!devices[key(id)]?.grandfathered) own(id, 'allowed');
      for (const id of c.blockedDeviceIds.add) own(id, 'blocked');
      return {
        ...state, pending, devices,
        lists: {
          allowedDeviceIds: applyListChange(state.lists.allowedDeviceIds, c.allowedDeviceIds),
          blockedDeviceIds: applyListChange(state.lists.blockedDeviceIds, c.blockedDeviceIds),
        },
      };
    }
    case 'CommandFailed':
      return produce(state, (s) => { delete s.pending[e.data.commandId]; });
    case 'DeviceGrandfathered': {
      const k = key(e.data.deviceId);
      const d = state.devices[k];
      return d ? { ...state, devices: { ...state.devices, [k]: { ...d, grandfathered: true } } } : state;
    }
    case 'NotificationSent':
      return produce(state, (s) => { const d = s.devices[key(e.data.deviceId)]; if (d) d.notified = true; });
    default:
      return state;
  }
}

// ------------------------------------------------------------------ decide
export interface ReconcileMailbox {
  readonly type: 'ReconcileMailbox';
  readonly syncId: string;
  readonly commandId: string;
  readonly atMs: number;
  readonly policy: Policy;
  readonly policyRevision: number;
  /** The mailbox as Get-CasMailbox reports it now; undefined when it no longer has partnerships. */
  readonly mailbox?: CasMailbox;
  /** Every partnership of the mailbox (full sync), or only the ones to look at (quick sync). */
  readonly partnerships: readonly MobileDevice[];
  /** Full: partnerships absent from the list were removed. */
  readonly complete: boolean;
  /** Group and mapping facts per lower-cased DeviceId (partnerships without one keep their last facts). */
  readonly contexts: ReadonlyMap<string, Omit<DeviceContext, 'device' | 'activeSyncEnabled'>>;
  /**
   * Set when this sync first makes the org default restrictive: Exchange's
   * settings before the change. Devices the engine does not govern that these
   * allow, and the policy's settings would not, are added to the allowed list.
   */
  readonly grandfather?: { readonly org: Pick<OrgSettings, 'defaultAccessLevel'>; readonly rules: readonly DeviceAccessRule[] };
}

export interface RecordCommandOutcome {
  readonly type: 'RecordCommandOutcome';
  readonly commandId: string;
  readonly error?: { readonly kind: string; readonly message: string };
  readonly reconciled?: boolean;
}

export interface RecordNotification {
  readonly type: 'RecordNotification';
  readonly deviceId: string;
  readonly to: string;
  readonly reason: Reason;
  readonly error?: { readonly kind: string; readonly message: string };
}

export type MailboxCommand = ReconcileMailbox | RecordCommandOutcome | RecordNotification;

export type MailboxDecisionError = { readonly kind: 'unknownCommand' | 'unknownDevice'; readonly message: string };

const infoOf = (m: CasMailbox): MailboxInfo => {
  const info: { -readonly [K in keyof MailboxInfo]: MailboxInfo[K] } = {
    identity: m.identity,
    primarySmtpAddress: m.primarySmtpAddress,
    addresses: userAddresses(m),
    activeSyncEnabled: m.activeSyncEnabled,
  };
  if (m.displayName !== undefined) info.displayName = m.displayName;
  if (m.distinguishedName !== undefined) info.distinguishedName = m.distinguishedName;
  if (m.userPrincipalName !== undefined) info.userPrincipalName = m.userPrincipalName;
  if (m.guid !== undefined) info.guid = m.guid;
  return info;
};

const sameInfo = (a: MailboxInfo, b: MailboxInfo) =>
  a.identity === b.identity && a.primarySmtpAddress === b.primarySmtpAddress && a.activeSyncEnabled === b.activeSyncEnabled
  && a.displayName === b.displayName && a.distinguishedName === b.distinguishedName
  && a.userPrincipalName === b.userPrincipalName && a.guid === b.guid
  && a.addresses.length === b.addresses.length && a.addresses.every((x, i) => x === b.addresses[i]);

const sameList = (a: readonly string[], b: readonly string[]) => {
  if (a.length !== b.length) return false;
  const s = new Set(a.map(key));
  return b.every((x) => s.has(key(x)));
};

type Partnership = EventData<'PartnershipDiscovered'>;
function partnershipOf(d: MobileDevice): Partnership {
  const p: { -readonly [K in keyof Partnership]: Partnership[K] } = {
    deviceId: d.deviceId, identity: d.identity, deviceType: d.deviceType, deviceModel: d.deviceModel,
  };
  if (d.deviceOS !== undefined) p.deviceOS = d.deviceOS;
  if (d.deviceUserAgent !== undefined) p.deviceUserAgent = d.deviceUserAgent;
  if (d.friendlyName !== undefined) p.friendlyName = d.friendlyName;
  if (d.firstSyncTime !== undefined) p.firstSyncTime = d.firstSyncTime;
  if (d.distinguishedName !== undefined) p.distinguishedName = d.distinguishedName;
  return p;
}
const samePartnership = (a: DeviceState, b: Partnership) =>
  a.identity === b.identity && a.deviceType === b.deviceType && a.deviceModel === b.deviceModel
  && a.deviceOS === b.deviceOS && a.deviceUserAgent === b.deviceUserAgent && a.friendlyName === b.friendlyName
  && a.firstSyncTime === b.firstSyncTime && a.distinguishedName === b.distinguishedName;

/** Decisions are events only when something that matters changed (not on every sync). */
export const sameDecision = (prev: DecisionState | undefined, d: Decision, policyRevision: number) =>
  prev !== undefined && prev.access === d.access && prev.reason === d.reason && prev.governed === d.governed
  && prev.policyRevision === policyRevision && JSON.stringify(prev.facts) === JSON.stringify(d.facts);

/** What `decide` produced for a reconcile, beyond the events: the command to run. */
export interface MailboxPlan {
  readonly events: DomainEvent[];
  readonly command?: SetCasMailbox;
  /** Every present partnership with its decision (changed or not). */
  readonly decisions: ReadonlyArray<{ readonly device: DeviceState; readonly decision: Decision }>;
}

function reconcile(state: MailboxState, c: ReconcileMailbox): MailboxPlan {
  const events: DomainEvent[] = [];
  let lists = state.lists;
  const m = c.mailbox;
  if (m) {
    const info = infoOf(m);
    if (!state.info) {
      events.push(event('MailboxDiscovered', { ...info, addresses: [...info.addresses], allowedDeviceIds: [...m.allowedDeviceIds], blockedDeviceIds: [...m.blockedDeviceIds] }));
      lists = { allowedDeviceIds: m.allowedDeviceIds, blockedDeviceIds: m.blockedDeviceIds };
    } else {
      if (!sameInfo(state.info, info)) events.push(event('MailboxUpdated', { ...info, addresses: [...info.addresses] }));
      if (!sameList(lists.allowedDeviceIds, m.allowedDeviceIds) || !sameList(lists.blockedDeviceIds, m.blockedDeviceIds)) {
        events.push(event('ListsDriftDetected', {
          syncId: c.syncId,
          expected: { allowedDeviceIds: [...lists.allowedDeviceIds], blockedDeviceIds: [...lists.blockedDeviceIds] },
          actual: { allowedDeviceIds: [...m.allowedDeviceIds], blockedDeviceIds: [...m.blockedDeviceIds] },
        }));
        lists = { allowedDeviceIds: m.allowedDeviceIds, blockedDeviceIds: m.blockedDeviceIds };
      }
    }
  }

  // Partnerships: discovered, updated, removed.
  const present = new Map<string, DeviceState>();
  if (!c.complete) for (const [k, d] of Object.entries(state.devices)) present.set(k, d);
  for (const d of c.partnerships) {
    const k = key(d.deviceId);
    const p = partnershipOf(d);
    const prev = state.devices[k];
    if (!prev) events.push(event('PartnershipDiscovered', p));
    else if (!samePartnership(prev, p)) events.push(event('PartnershipUpdated', p));
    present.set(k, { ...p, decision: prev?.decision, owned: prev?.owned, notified: prev?.notified ?? false });
  }
  const released: string[] = [];
  if (c.complete) {
    for (const [k, d] of Object.entries(state.devices)) {
      if (present.has(k)) continue;
      events.push(event('PartnershipRemoved', { deviceId: d.deviceId }));
      if (d.owned) released.push(d.deviceId);
    }
  }

  const activeSyncEnabled = m?.activeSyncEnabled ?? state.info?.activeSyncEnabled ?? true;
  const decisions: Array<{ device: DeviceState; decision: Decision }> = [];
  const ungoverned: DeviceState[] = [];
  const add = { allowed: [] as string[], blocked: [] as string[] };
  const remove = { allowed: [] as string[], blocked: [] as string[] };
  const entries = (list: readonly string[], id: string) => list.filter((x) => key(x) === key(id));

  const decideOne = (d: DeviceState, finalLists: MailboxState['lists']): Decision | undefined => {
    const ctx = c.contexts.get(key(d.deviceId));
    const prev = d.decision;
    if (!ctx && !prev) return undefined;
    const context: DeviceContext = ctx
      ? { ...ctx, device: d, activeSyncEnabled }
      : { device: d, activeSyncEnabled, groups: prev!.facts.groups, mapping: { conflicts: [] } };
    if (!ctx) {
      // No fresh facts for this device (quick sync): keep the last decision.
      return { access: prev!.access, reason: prev!.reason, governed: prev!.governed, rule: 8, facts: prev!.facts };
    }
    return decideAccess(context, c.policy, c.atMs, finalLists);
  };

  // Governed decisions first: they fix the lists; ungoverned ones are then
  // Exchange's evaluation of the lists as they will be.
  for (const d of present.values()) {
    const dec = decideOne(d, lists);
    if (!dec) continue;
    if (!dec.governed) { ungoverned.push(d); continue; }
    decisions.push({ device: d, decision: dec });
    const inA = entries(lists.allowedDeviceIds, d.deviceId);
    const inB = entries(lists.blockedDeviceIds, d.deviceId);
    const wantA = dec.access === 'allow';
    const wantB = dec.access === 'block';
    if (wantA && inA.length === 0) add.allowed.push(d.deviceId);
    if (!wantA && inA.length > 0) remove.allowed.push(...inA);
    if (wantB && inB.length === 0) add.blocked.push(d.deviceId);
    if (!wantB && inB.length > 0) remove.blocked.push(...inB);
  }
  // Entries the engine wrote for devices it no longer governs (or that are gone) are released.
  for (const d of ungoverned) if (d.owned) released.push(d.deviceId);
  if (c.grandfather) {
    for (const d of ungoverned) {
      if (d.owned || entries(lists.allowedDeviceIds, d.deviceId).length > 0) continue;
      const before = evaluateExchange(d as unknown as MobileDevice, { activeSyncEnabled, ...lists }, c.grandfather.org, c.grandfather.rules);
      const after = decideOne(d, lists);
      if (before.access === 'allow' && after && after.access !== 'allow') {
        add.allowed.push(d.deviceId);
        events.push(event('DeviceGrandfathered', { syncId: c.syncId, deviceId: d.deviceId }));
      }
    }
  }
  for (const id of released) {
    const owned = (present.get(key(id)) ?? state.devices[key(id)])?.owned;
    if (owned === 'allowed') remove.allowed.push(...entries(lists.allowedDeviceIds, id));
    if (owned === 'blocked') remove.blocked.push(...entries(lists.blockedDeviceIds, id));
  }
  const change = {
    allowedDeviceIds: { add: add.allowed, remove: remove.allowed },
    blockedDeviceIds: { add: add.blocked, remove: remove.blocked },
  };
  const hasChange = add.allowed.length + add.blocked.length + remove.allowed.length + remove.blocked.length > 0;
  const finalLists = hasChange
    ? { allowedDeviceIds: applyListChange(lists.allowedDeviceIds, change.allowedDeviceIds), blockedDeviceIds: applyListChange(lists.blockedDeviceIds, change.blockedDeviceIds) }
    : lists;
  for (const d of ungoverned) decisions.push({ device: d, decision: decideOne(d, finalLists)! });

  for (const { device, decision } of decisions) {
    if (sameDecision(device.decision, decision, c.policyRevision)) continue;
    events.push(event('AccessDecided', {
      syncId: c.syncId, deviceId: device.deviceId, access: decision.access, reason: decision.reason,
      governed: decision.governed, policyRevision: c.policyRevision, facts: decision.facts,
    }));
  }

  let command: SetCasMailbox | undefined;
  if (hasChange) {
    const identity = m?.identity ?? state.info?.identity;
    if (identity !== undefined) {
      command = { kind: 'setCasMailbox', mailbox: identity, ...change };
      events.push(event('CommandIntended', { syncId: c.syncId, commandId: c.commandId, command }));
    }
  }
  return { events, command, decisions };
}

export function decideMailbox(command: ReconcileMailbox, state: MailboxState): MailboxPlan;
export function decideMailbox(command: RecordCommandOutcome | RecordNotification, state: MailboxState): Either<MailboxDecisionError, DomainEvent[]>;
export function decideMailbox(command: MailboxCommand, state: MailboxState): MailboxPlan | Either<MailboxDecisionError, DomainEvent[]> {
  switch (command.type) {
    case 'ReconcileMailbox':
      return reconcile(state, command);
    case 'RecordCommandOutcome': {
      if (!state.pending[command.commandId]) {
        return left({ kind: 'unknownCommand', message: `no pending intent ${command.commandId}` });
      }
      const extra = command.reconciled ? { reconciled: true } : {};
      return right([command.error
        ? event('CommandFailed', { commandId: command.commandId, error: { kind: command.error.kind, message: command.error.message }, ...extra })
        : event('CommandSucceeded', { commandId: command.commandId, ...extra })]);
    }
    case 'RecordNotification': {
      if (!state.devices[key(command.deviceId)]) {
        return left({ kind: 'unknownDevice', message: `no partnership ${command.deviceId}` });
      }
      return right([command.error
        ? event('NotificationFailed', { deviceId: command.deviceId, to: command.to, error: { kind: command.error.kind, message: command.error.message } })
        : event('NotificationSent', { deviceId: command.deviceId, to: command.to, reason: command.reason })]);
    }
  }
}

/** Devices whose user should now be told how to regain access (once per episode). */
export function needsNotification(d: DeviceState, decision: Pick<Decision, 'access' | 'reason' | 'governed'>): boolean {
  return decision.governed && decision.access !== 'allow' && !d.notified
    && (decision.reason === 'notEnrolled' || decision.reason === 'notCompliant');
}

export const mailboxDecider = { initialState: initialMailboxState, decide: decideMailbox, evolve: evolveMailbox };
