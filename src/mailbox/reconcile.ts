// Reconciling one mailbox: what Exchange reports now (the mailbox, its lists,
// its partnerships) and the facts of each device, against the mailbox's state.
// The result is the events that record what changed, every device's decision,
// and at most one Set-CasMailbox that makes the lists carry the decisions.
import type { CasMailbox, DeviceAccessRule, MobileDevice, OrgSettings } from '../facts.js';
import type { ClearMobileDevice, RemoveMobileDevice, SetCasMailbox } from '../commands.js';
import type { Policy } from '../policy.js';
import { decideAccess, overrideInForce, type Decision, type DeviceContext } from '../access.js';
import { evaluateExchange } from '../exchange-evaluation.js';
import { event, type DomainEvent, type EventData } from '../events.js';
import { userAddresses } from '../identity.js';
import type { Decided } from '../decider.js';
import { deviceRecord, type DecisionState, type DeviceState, type MailboxInfo, type MailboxState } from './evolve.js';
import { sameJson } from './same-json.js';
import {
  changeOf,
  deviceKey,
  enforce,
  entriesOf,
  hasListChanges,
  listsAfter,
  noListChanges,
  sameDeviceSet,
  wipeOutstanding,
  type MailboxIntent,
} from './rules.js';
import { keyedGet } from './keyed.js';

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
  /**
   * Stale partnerships chosen for removal (full syncs with clean-up), by device
   * key: removed with Remove-MobileDevice, their engine-written list entries
   * released in this mailbox's Set-CasMailbox. Refused here again for a device
   * under an override in force, of an excluded user, or with a wipe outstanding.
   */
  readonly removals?: ReadonlyMap<string, { readonly lastSuccessSync?: string; readonly idleDays: number }>;
  /** The policy's removeStaleAfterDays (recorded with each removal). */
  readonly staleAfterDays?: number;
}

/** What the mailbox decider accepted: its events and intent, and every present partnership with its decision (changed or not). */
export interface MailboxDecided extends Decided<MailboxIntent> {
  readonly decisions: ReadonlyArray<{ readonly device: DeviceState; readonly decision: Decision }>;
}

const infoOf = (m: CasMailbox): MailboxInfo => {
  const upn = m.userPrincipalName;
  const info: { -readonly [K in keyof MailboxInfo]: MailboxInfo[K] } = {
    identity: m.identity,
    // Usually the same address: then one string, the one the addresses' first entry (the UPN) is too.
    primarySmtpAddress: m.primarySmtpAddress === upn ? upn : m.primarySmtpAddress,
    addresses: userAddresses(m),
    activeSyncEnabled: m.activeSyncEnabled,
  };
  if (m.displayName !== undefined) info.displayName = m.displayName;
  if (m.distinguishedName !== undefined) info.distinguishedName = m.distinguishedName;
  if (upn !== undefined) info.userPrincipalName = upn;
  if (m.guid !== undefined) info.guid = m.guid;
  return info;
};

const sameInfo = (a: MailboxInfo, b: MailboxInfo) =>
  a.identity === b.identity &&
  a.primarySmtpAddress === b.primarySmtpAddress &&
  a.activeSyncEnabled === b.activeSyncEnabled &&
  a.displayName === b.displayName &&
  a.distinguishedName === b.distinguishedName &&
  a.userPrincipalName === b.userPrincipalName &&
  a.guid === b.guid &&
  a.addresses.length === b.addresses.length &&
  a.addresses.every((x, i) => x === b.addresses[i]);

type Partnership = EventData<'PartnershipDiscovered'>;
type MailboxDiscoveredData = EventData<'MailboxDiscovered'>;
function partnershipOf(d: MobileDevice): Partnership {
  const p: { -readonly [K in keyof Partnership]: Partnership[K] } = {
    deviceId: d.deviceId,
    identity: d.identity,
    deviceType: d.deviceType,
    deviceModel: d.deviceModel,
  };
  if (d.deviceOS !== undefined) p.deviceOS = d.deviceOS;
  if (d.deviceUserAgent !== undefined) p.deviceUserAgent = d.deviceUserAgent;
  if (d.friendlyName !== undefined) p.friendlyName = d.friendlyName;
  if (d.firstSyncTime !== undefined) p.firstSyncTime = d.firstSyncTime;
  if (d.distinguishedName !== undefined) p.distinguishedName = d.distinguishedName;
  return p;
}
/** Whether a partnership's recorded fields equal the reported ones (a MobileDevice has them all). */
export const samePartnership = (a: DeviceState, b: Partnership) =>
  a.identity === b.identity &&
  a.deviceType === b.deviceType &&
  a.deviceModel === b.deviceModel &&
  a.deviceOS === b.deviceOS &&
  a.deviceUserAgent === b.deviceUserAgent &&
  a.friendlyName === b.friendlyName &&
  a.firstSyncTime === b.firstSyncTime &&
  a.distinguishedName === b.distinguishedName;

/** Decisions are events only when something that matters changed (not on every sync). */
export const sameDecision = (prev: DecisionState | undefined, d: Decision, policyRevision: number) =>
  prev !== undefined &&
  prev.access === d.access &&
  prev.reason === d.reason &&
  prev.governed === d.governed &&
  prev.policyRevision === policyRevision &&
  sameJson(prev.facts, d.facts);

export function reconcileMailbox(state: MailboxState, c: ReconcileMailbox): MailboxDecided {
  const events: DomainEvent[] = [];
  let lists = state.lists;
  const m = c.mailbox;
  if (m) {
    const info = infoOf(m);
    if (!state.info) {
      // The mailbox's fields, then its lists: added to a record of our own, not spread (see deviceRecord).
      const discovered = info as { -readonly [K in keyof MailboxDiscoveredData]: MailboxDiscoveredData[K] };
      discovered.addresses = [...info.addresses];
      discovered.allowedDeviceIds = [...m.allowedDeviceIds];
      discovered.blockedDeviceIds = [...m.blockedDeviceIds];
      events.push(event('MailboxDiscovered', discovered));
      lists = { allowedDeviceIds: m.allowedDeviceIds, blockedDeviceIds: m.blockedDeviceIds };
    } else {
      if (!sameInfo(state.info, info)) events.push(event('MailboxUpdated', { ...info, addresses: [...info.addresses] }));
      if (!sameDeviceSet(lists.allowedDeviceIds, m.allowedDeviceIds) || !sameDeviceSet(lists.blockedDeviceIds, m.blockedDeviceIds)) {
        events.push(
          event('ListsDriftDetected', {
            syncId: c.syncId,
            expected: { allowedDeviceIds: [...lists.allowedDeviceIds], blockedDeviceIds: [...lists.blockedDeviceIds] },
            actual: { allowedDeviceIds: [...m.allowedDeviceIds], blockedDeviceIds: [...m.blockedDeviceIds] },
          }),
        );
        lists = { allowedDeviceIds: m.allowedDeviceIds, blockedDeviceIds: m.blockedDeviceIds };
      }
    }
  }

  // Partnerships: discovered, updated, removed.
  const present = new Map<string, DeviceState>();
  if (!c.complete) for (const [k, d] of Object.entries(state.devices)) present.set(k, d);
  for (const d of c.partnerships) {
    const k = deviceKey(d.deviceId);
    const p = partnershipOf(d);
    const prev = keyedGet(state.devices, k);
    if (!prev) events.push(event('PartnershipDiscovered', p));
    else if (!samePartnership(prev, p)) events.push(event('PartnershipUpdated', p));
    // What is known of the device carries over; grandfathering is the fold's to keep, not the decision's.
    present.set(k, deviceRecord(p, prev, false));
  }
  const released: string[] = [];
  if (c.complete) {
    for (const [k, d] of Object.entries(state.devices)) {
      if (present.has(k)) continue;
      events.push(event('PartnershipRemoved', { deviceId: d.deviceId }));
      if (d.owned) released.push(d.deviceId);
    }
  }

  // Stale partnerships to remove: not decided again; their entries released below.
  const removing = new Map<string, DeviceState>();
  if (c.removals) {
    for (const k of c.removals.keys()) {
      const d = present.get(k);
      if (!d || overrideInForce(d.override, c.atMs) || wipeOutstanding(d.wipe)) continue;
      if ((c.contexts.get(k)?.groups.excluded.length ?? 0) > 0) continue;
      removing.set(k, d);
      // Its entries go with it, a grandfathered allowed entry too: the engine wrote it, and the phone it kept allowed is gone.
      if (d.owned || keyedGet(state.devices, k)?.grandfathered) released.push(d.deviceId);
    }
  }

  const activeSyncEnabled = m?.activeSyncEnabled ?? state.info?.activeSyncEnabled ?? true;
  const decisions: Array<{ device: DeviceState; decision: Decision }> = [];
  const ungoverned: DeviceState[] = [];
  const changes = noListChanges();

  const decideOne = (d: DeviceState, finalLists: MailboxState['lists']): Decision | undefined => {
    const ctx = c.contexts.get(deviceKey(d.deviceId));
    const prev = d.decision;
    if (!ctx && !prev) return undefined;
    if (!ctx) {
      // No fresh facts for this device (quick sync): keep the last decision.
      return { access: prev!.access, reason: prev!.reason, governed: prev!.governed, rule: 8, facts: prev!.facts };
    }
    // Field by field, not `{ ...ctx, device, … }` (see deviceRecord).
    const override = d.override ?? ctx.override;
    return decideAccess(
      { groups: ctx.groups, mapping: ctx.mapping, device: d, activeSyncEnabled, ...(override ? { override } : {}) },
      c.policy,
      c.atMs,
      finalLists,
    );
  };

  // Governed decisions first: they fix the lists; ungoverned ones are then
  // Exchange's evaluation of the lists as they will be.
  for (const [k, d] of present) {
    if (removing.has(k)) continue;
    const dec = decideOne(d, lists);
    if (!dec) continue;
    if (!dec.governed) {
      ungoverned.push(d);
      continue;
    }
    decisions.push({ device: d, decision: dec });
    enforce(lists, d.deviceId, deviceKey(d.deviceId), dec.access, changes);
  }
  // Entries the engine wrote for devices it no longer governs (or that are gone) are released.
  for (const d of ungoverned) if (d.owned) released.push(d.deviceId);
  if (c.grandfather) {
    for (const d of ungoverned) {
      if (d.owned || entriesOf(lists.allowedDeviceIds, deviceKey(d.deviceId)).length > 0) continue;
      const before = evaluateExchange(d, { activeSyncEnabled, ...lists }, c.grandfather.org, c.grandfather.rules);
      const after = decideOne(d, lists);
      if (before.access === 'allow' && after && after.access !== 'allow') {
        changes.allowed.add.push(d.deviceId);
        events.push(event('DeviceGrandfathered', { syncId: c.syncId, deviceId: d.deviceId }));
      }
    }
  }
  for (const id of released) {
    const k = deviceKey(id);
    const owned = (present.get(k) ?? keyedGet(state.devices, k))?.owned;
    if (owned === 'allowed' || (removing.has(k) && keyedGet(state.devices, k)?.grandfathered))
      changes.allowed.remove.push(...entriesOf(lists.allowedDeviceIds, k));
    if (owned === 'blocked') changes.blocked.remove.push(...entriesOf(lists.blockedDeviceIds, k));
  }
  const change = changeOf(changes);
  const hasChange = hasListChanges(changes);
  const finalLists = hasChange ? listsAfter(lists, change) : lists;
  for (const d of ungoverned) decisions.push({ device: d, decision: decideOne(d, finalLists)! });

  for (const { device, decision } of decisions) {
    if (sameDecision(device.decision, decision, c.policyRevision)) continue;
    events.push(
      event('AccessDecided', {
        syncId: c.syncId,
        deviceId: device.deviceId,
        access: decision.access,
        reason: decision.reason,
        governed: decision.governed,
        policyRevision: c.policyRevision,
        facts: decision.facts,
      }),
    );
  }

  const commands: Array<{ commandId: string; command: MailboxIntent }> = [];
  const identity = m?.identity ?? state.info?.identity;
  const intend = (commandId: string, command: MailboxIntent) => {
    commands.push({ commandId, command });
    events.push(event('CommandIntended', { syncId: c.syncId, commandId, command }));
  };
  if (hasChange && identity !== undefined) {
    const command: SetCasMailbox = { kind: 'setCasMailbox', mailbox: identity, ...change };
    intend(c.commandId, command);
  }
  if (identity !== undefined) {
    let n = 0;
    for (const [k, d] of removing) {
      const r = c.removals!.get(k)!;
      events.push(
        event('PartnershipStale', {
          syncId: c.syncId,
          deviceId: d.deviceId,
          afterDays: c.staleAfterDays ?? r.idleDays,
          ...(r.lastSuccessSync !== undefined ? { lastSuccessSync: r.lastSuccessSync } : {}),
        }),
      );
      const command: RemoveMobileDevice = { kind: 'removeMobileDevice', identity: d.identity, deviceId: d.deviceId, mailbox: identity };
      intend(`${c.commandId}/remove-${n++}`, command);
    }
    // A requested wipe is sent once: not while its intent pends (a crash is judged first, by Exchange's statistics).
    const sending = new Set<string>();
    for (const p of Object.values(state.pending)) if (p.kind === 'clearMobileDevice') sending.add(p.wipeId);
    n = 0;
    for (const [k, d] of present) {
      const w = d.wipe;
      if (w?.stage !== 'requested' || sending.has(w.wipeId) || removing.has(k)) continue;
      const command: ClearMobileDevice = {
        kind: 'clearMobileDevice',
        identity: d.identity,
        deviceId: d.deviceId,
        mailbox: identity,
        accountOnly: w.accountOnly,
        wipeId: w.wipeId,
      };
      intend(`${c.commandId}/wipe-${n++}`, command);
    }
  }
  return { events, commands, decisions };
}
