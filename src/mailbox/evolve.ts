// The mailbox aggregate's state and its evolve: one CAS mailbox, its device
// partnerships, their decisions and the Set-CasMailbox intents that enforce
// them. The mailbox is the consistency boundary: Exchange enforces per
// mailbox, so does this aggregate. Every change is one of the rules of rules.ts.
//
// Plain immutable updates, no library: a sync folds one or two events per
// device, and at 50,000 devices anything heavier than a spread costs more than
// the rest of the fold.
import type { MobileDevice } from '../facts.js';
import type { DomainEvent } from '../events.js';
import type { AdminOverride } from '../access.js';
import {
  decisionOf,
  deviceKey,
  hasIntent,
  listsAfterIntent,
  observedLists,
  mailboxIntent,
  notifiedAfter,
  recordOwnership,
  wipeAfterFailure,
  withIntentIn,
  withoutIntentIn,
  type DecisionState,
  type MailboxIntent,
  type MailboxLists,
  type Owned,
  type WipeState,
} from './rules.js';
import { keyedCopy, keyedGet, keyedPut, keyedWith, keyedWithout } from './keyed.js';
import { sharedString } from './shared-strings.js';

export type { DecisionState, WipeState } from './rules.js';

/** The partnership fields a mailbox keeps (what PartnershipDiscovered records). */
export type PartnershipFields = Pick<
  MobileDevice,
  | 'deviceId'
  | 'identity'
  | 'deviceType'
  | 'deviceModel'
  | 'deviceOS'
  | 'deviceUserAgent'
  | 'friendlyName'
  | 'firstSyncTime'
  | 'distinguishedName'
>;

export interface DeviceState extends PartnershipFields {
  readonly decision?: DecisionState;
  /** The list entry the engine wrote for this device and still owns. */
  readonly owned?: 'allowed' | 'blocked';
  /** A notification was sent in the current restricted episode. */
  readonly notified: boolean;
  /** Kept allowed before the org default first became restrictive: the entry is the user's, not the engine's. */
  readonly grandfathered?: boolean;
  /** The administrator's latest override (kept after it ends until revoked or replaced; `until` decides whether it is in force). */
  readonly override?: AdminOverride;
  /** The latest remote wipe an administrator asked for, and where it stands. */
  readonly wipe?: WipeState;
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
  readonly lists: MailboxLists;
  /** Keyed by `deviceKey` (the lower-cased DeviceId). */
  readonly devices: Readonly<Record<string, DeviceState>>;
  /** Intents without an outcome yet. */
  readonly pending: Readonly<Record<string, MailboxIntent>>;
}

export const initialMailboxState: MailboxState = {
  lists: { allowedDeviceIds: [], blockedDeviceIds: [] },
  devices: {},
  pending: {},
};

const withDevice = (state: MailboxState, k: string, d: DeviceState): MailboxState => ({
  ...state,
  devices: keyedWith(state.devices, k, d),
});

/** deviceRecord's first fields for a partnership that lacks an optional field: each added as it has it. */
function partialRecord(p: PartnershipFields, known: Pick<DeviceState, 'decision' | 'owned' | 'notified'> | undefined): DeviceState {
  const d = {
    deviceId: p.deviceId,
    identity: p.identity,
    deviceType: sharedString(p.deviceType),
    deviceModel: sharedString(p.deviceModel),
  } as {
    -readonly [K in keyof DeviceState]: DeviceState[K];
  };
  // The optional fields in the order a reported partnership carries them (reconcile's partnershipOf).
  if (p.deviceOS !== undefined) d.deviceOS = sharedString(p.deviceOS);
  if (p.deviceUserAgent !== undefined) d.deviceUserAgent = sharedString(p.deviceUserAgent);
  if (p.friendlyName !== undefined) d.friendlyName = sharedString(p.friendlyName);
  if (p.firstSyncTime !== undefined) d.firstSyncTime = p.firstSyncTime;
  if (p.distinguishedName !== undefined) d.distinguishedName = p.distinguishedName;
  d.decision = known?.decision;
  d.owned = known?.owned;
  d.notified = known?.notified ?? false;
  return d;
}

/**
 * A partnership's record: its reported fields and what is known of the device.
 * Built field by field, not as `{ ...p, decision, … }`: V8 (Node 20) keeps a
 * spread copy that then gains a property of its own alive through young-generation
 * collections even once it is garbage, so every such copy was promoted to the old
 * generation (docs/architecture.md, "Allocation in the hot paths"). The key order is the spread's.
 */
export function deviceRecord(
  p: PartnershipFields,
  known: Pick<DeviceState, 'decision' | 'owned' | 'notified' | 'grandfathered' | 'override' | 'wipe'> | undefined,
  keepGrandfathered: boolean,
): DeviceState {
  const { deviceOS, deviceUserAgent, friendlyName, firstSyncTime, distinguishedName } = p;
  // The fields many devices share are kept once (shared-strings.ts). A partnership with every optional
  // field (the usual one) gets its record in one literal, every field inside the object: added one by
  // one, eight went to a separate property array (~24 bytes a device more).
  const d = (
    deviceOS !== undefined &&
    deviceUserAgent !== undefined &&
    friendlyName !== undefined &&
    firstSyncTime !== undefined &&
    distinguishedName !== undefined
      ? {
          deviceId: p.deviceId,
          identity: p.identity,
          deviceType: sharedString(p.deviceType),
          deviceModel: sharedString(p.deviceModel),
          deviceOS: sharedString(deviceOS),
          deviceUserAgent: sharedString(deviceUserAgent),
          friendlyName: sharedString(friendlyName),
          firstSyncTime,
          distinguishedName,
          decision: known?.decision,
          owned: known?.owned,
          notified: known?.notified ?? false,
        }
      : partialRecord(p, known)
  ) as { -readonly [K in keyof DeviceState]: DeviceState[K] };
  if (keepGrandfathered && known?.grandfathered) d.grandfathered = true;
  if (known?.override) d.override = known.override;
  if (known?.wipe) d.wipe = known.wipe;
  return d;
}

/**
 * The mailbox's record of an event's fields (its lists left out), in their order. A mailbox with every
 * optional field (the usual one) gets them in one literal: all inside the object. Copied with a rest
 * pattern or added one by one, four went to a separate property array (~40 bytes a mailbox).
 */
export function mailboxInfo(d: MailboxInfo): MailboxInfo {
  const { displayName, distinguishedName, userPrincipalName, guid } = d;
  if (displayName !== undefined && distinguishedName !== undefined && userPrincipalName !== undefined && guid !== undefined)
    return {
      identity: d.identity,
      primarySmtpAddress: d.primarySmtpAddress,
      addresses: d.addresses,
      activeSyncEnabled: d.activeSyncEnabled,
      displayName,
      distinguishedName,
      userPrincipalName,
      guid,
    };
  const info: { -readonly [K in keyof MailboxInfo]: MailboxInfo[K] } = {
    identity: d.identity,
    primarySmtpAddress: d.primarySmtpAddress,
    addresses: d.addresses,
    activeSyncEnabled: d.activeSyncEnabled,
  };
  if (displayName !== undefined) info.displayName = displayName;
  if (distinguishedName !== undefined) info.distinguishedName = distinguishedName;
  if (userPrincipalName !== undefined) info.userPrincipalName = userPrincipalName;
  if (guid !== undefined) info.guid = guid;
  return info;
}

export function evolveMailbox(state: MailboxState, e: DomainEvent): MailboxState {
  switch (e.type) {
    case 'MailboxDiscovered': {
      const d = e.data;
      // Not `{ ...state, info, … }`: a first record has no `info` to replace (see deviceRecord).
      return {
        lists: observedLists(d.allowedDeviceIds, d.blockedDeviceIds),
        devices: state.devices,
        pending: state.pending,
        info: mailboxInfo(d),
      };
    }
    case 'MailboxUpdated':
      return { ...state, info: mailboxInfo(e.data) };
    case 'ListsDriftDetected':
      return { ...state, lists: observedLists(e.data.actual.allowedDeviceIds, e.data.actual.blockedDeviceIds) };
    case 'PartnershipDiscovered':
    case 'PartnershipUpdated': {
      // An update keeps what is known of the device; a removal (below) forgets it.
      const k = deviceKey(e.data.deviceId);
      const prev = keyedGet(state.devices, k);
      return withDevice(state, k, deviceRecord(e.data, prev, true));
    }
    case 'PartnershipRemoved': {
      const k = deviceKey(e.data.deviceId);
      if (keyedGet(state.devices, k) === undefined) return state;
      return { ...state, devices: keyedWithout(state.devices, k) };
    }
    case 'AccessDecided': {
      const k = deviceKey(e.data.deviceId);
      const d = keyedGet(state.devices, k);
      if (!d) return state;
      // `at` comes from the envelope.
      const decision = decisionOf(e.data, (e as { at?: string }).at ?? '');
      return withDevice(state, k, { ...d, decision, notified: notifiedAfter(d.notified, decision) });
    }
    case 'CommandIntended': {
      const c = mailboxIntent(e.data.command);
      return c ? { ...state, pending: withIntentIn(state.pending, e.data.commandId, c) } : state;
    }
    case 'CommandSucceeded': {
      if (!hasIntent(state.pending, e.data.commandId)) return state;
      const c = state.pending[e.data.commandId]!;
      const devices = keyedCopy(state.devices);
      recordOwnership(c, {
        grandfathered: (id) => keyedGet(devices, deviceKey(id))?.grandfathered === true,
        own: (id: string, owned: Owned) => {
          const k = deviceKey(id);
          const d = keyedGet(devices, k);
          if (d) keyedPut(devices, k, { ...d, owned });
        },
      });
      if (c.kind === 'clearMobileDevice') {
        const k = deviceKey(c.deviceId);
        const d = keyedGet(devices, k);
        if (d?.wipe?.wipeId === c.wipeId)
          keyedPut(devices, k, { ...d, wipe: { ...d.wipe, stage: 'sent', sentAt: (e as { at?: string }).at ?? '' } });
      }
      return { ...state, pending: withoutIntentIn(state.pending, e.data.commandId), devices, lists: listsAfterIntent(state.lists, c) };
    }
    case 'CommandFailed': {
      const c = state.pending[e.data.commandId];
      const pending = withoutIntentIn(state.pending, e.data.commandId);
      if (pending === state.pending) return state;
      if (c?.kind === 'clearMobileDevice') {
        const k = deviceKey(c.deviceId);
        const d = keyedGet(state.devices, k);
        if (d?.wipe?.wipeId === c.wipeId)
          return { ...withDevice(state, k, { ...d, wipe: wipeAfterFailure(d.wipe, e.data.error) }), pending };
      }
      return { ...state, pending };
    }
    case 'WipeRequested': {
      const k = deviceKey(e.data.deviceId);
      const d = keyedGet(state.devices, k);
      if (!d) return state;
      const { deviceId: _id, ...w } = e.data;
      return withDevice(state, k, { ...d, wipe: { ...w, requestedAt: (e as { at?: string }).at ?? '', stage: 'requested' } });
    }
    case 'WipeAcknowledged': {
      const k = deviceKey(e.data.deviceId);
      const d = keyedGet(state.devices, k);
      if (!d?.wipe || d.wipe.wipeId !== e.data.wipeId) return state;
      return withDevice(state, k, { ...d, wipe: { ...d.wipe, stage: 'acknowledged', ackTime: e.data.ackTime } });
    }
    case 'DeviceGrandfathered': {
      const k = deviceKey(e.data.deviceId);
      const d = keyedGet(state.devices, k);
      return d ? withDevice(state, k, { ...d, grandfathered: true }) : state;
    }
    case 'OverrideGranted': {
      const k = deviceKey(e.data.deviceId);
      const d = keyedGet(state.devices, k);
      if (!d) return state;
      const { deviceId: _id, from: _from, ...o } = e.data;
      return withDevice(state, k, { ...d, override: o });
    }
    case 'OverrideRevoked': {
      const k = deviceKey(e.data.deviceId);
      const d = keyedGet(state.devices, k);
      if (!d || d.override?.overrideId !== e.data.overrideId) return state;
      const { override: _o, ...rest } = d;
      return withDevice(state, k, rest);
    }
    case 'NotificationSent': {
      const k = deviceKey(e.data.deviceId);
      const d = keyedGet(state.devices, k);
      return d && !d.notified ? withDevice(state, k, { ...d, notified: true }) : state;
    }
    default:
      return state;
  }
}
