// The lean fold of a mailbox stream: the mailbox rules over mutable records.
import type { AdminOverride } from '../../src/access.js';
import type { MailboxCommandOf } from '../../src/commands.js';
import type { DomainEvent, EventData } from '../../src/events.js';
import {
  decisionOf,
  deviceKey,
  evolveMailbox,
  indexOfDevice,
  listsAfterIntent,
  mailboxIntent,
  notifiedAfter,
  recordOwnership,
  wipeAfterFailure,
  withIntent,
  withoutIntent,
  type DecisionState,
  type DeviceState,
  type MailboxInfo,
  type MailboxState,
  type Owned,
  type WipeState,
} from '../../src/mailbox.js';

// The mailbox states are folded here with mutable per-stream records rather
// than the decider's `evolveMailbox`, whose immutable updates (objects keyed by
// device id, copied per event) cost several times the rest of a 50,000-device
// what-if. Every change is one of the mailbox rules (src/mailbox/rules.ts), as
// in evolveMailbox; only the data shape differs. `materialize` turns a record
// into exactly the MailboxState that evolveMailbox gives (the tests compare
// them over generated histories). A stream with an event this fold does not
// know switches to evolveMailbox from that event on, so new event types keep
// the decider's semantics.
export interface LeanDevice {
  /** Lower-cased DeviceId. */
  readonly key: string;
  partnership: EventData<'PartnershipDiscovered'>;
  decision: DecisionState | undefined;
  owned: DeviceState['owned'];
  notified: boolean;
  grandfathered: boolean;
  override?: AdminOverride;
  wipe?: WipeState;
}
/** A mailbox's state while folding: a few partnerships and intents, in arrays (maps cost more than they save at that size). */
export interface LeanMailbox {
  info: MailboxInfo | undefined;
  lists: MailboxState['lists'];
  // Replaced rather than pushed to: a push gives a list of one or two a backing
  // store of 17 slots, which at 40,000 mailboxes the collector copies for nothing.
  devices: readonly LeanDevice[];
  pending: ReadonlyArray<{ readonly commandId: string; readonly command: MailboxCommandOf }>;
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
      deviceId: p.deviceId,
      identity: p.identity,
      deviceType: p.deviceType,
      deviceModel: p.deviceModel,
      deviceOS: p.deviceOS,
      deviceUserAgent: p.deviceUserAgent,
      friendlyName: p.friendlyName,
      firstSyncTime: p.firstSyncTime,
      distinguishedName: p.distinguishedName,
      decision: d.decision,
      owned: d.owned,
      notified: d.notified,
    };
    if (d.grandfathered) s.grandfathered = true;
    if (d.override) s.override = d.override;
    if (d.wipe) s.wipe = d.wipe;
    devices[d.key] = s;
  }
  const pending = Object.create(null) as Record<string, MailboxCommandOf>;
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
    case 'MailboxUpdated':
      m.info = e.data;
      return true;
    case 'ListsDriftDetected':
      m.lists = e.data.actual;
      return true;
    case 'PartnershipDiscovered':
    case 'PartnershipUpdated': {
      const d = deviceOf(m, e.data.deviceId);
      if (d) d.partnership = e.data;
      else
        m.devices = [
          ...m.devices,
          {
            key: deviceKey(e.data.deviceId),
            partnership: e.data,
            decision: undefined,
            owned: undefined,
            notified: false,
            grandfathered: false,
          },
        ];
      return true;
    }
    case 'PartnershipRemoved': {
      const i = indexOf(m, e.data.deviceId);
      if (i >= 0) m.devices = without(m.devices, i);
      return true;
    }
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
        own: (id: string, owned: Owned) => {
          const d = deviceOf(m, id);
          if (d) d.owned = owned;
        },
      });
      m.lists = listsAfterIntent(m.lists, c);
      if (c.kind === 'clearMobileDevice') {
        const d = deviceOf(m, c.deviceId);
        if (d?.wipe?.wipeId === c.wipeId) d.wipe = { ...d.wipe, stage: 'sent', sentAt: at };
      }
      return true;
    }
    case 'CommandFailed': {
      const c = m.pending.find((p) => p.commandId === e.data.commandId)?.command;
      m.pending = withoutIntent(m.pending, e.data.commandId, idOfIntent);
      if (c?.kind === 'clearMobileDevice') {
        const d = deviceOf(m, c.deviceId);
        if (d?.wipe?.wipeId === c.wipeId) d.wipe = wipeAfterFailure(d.wipe, e.data.error);
      }
      return true;
    }
    case 'WipeRequested': {
      const d = deviceOf(m, e.data.deviceId);
      if (d) {
        const { deviceId: _id, ...w } = e.data;
        d.wipe = { ...w, requestedAt: at, stage: 'requested' };
      }
      return true;
    }
    case 'WipeAcknowledged': {
      const d = deviceOf(m, e.data.deviceId);
      if (d?.wipe?.wipeId === e.data.wipeId) d.wipe = { ...d.wipe, stage: 'acknowledged', ackTime: e.data.ackTime };
      return true;
    }
    case 'PartnershipStale':
      // The choice to remove is recorded; the partnership goes with its removal's outcome.
      return true;
    case 'NotificationSent': {
      const d = deviceOf(m, e.data.deviceId);
      if (d) d.notified = true;
      return true;
    }
    case 'NotificationFailed':
      return true;
    case 'DeviceGrandfathered': {
      const d = deviceOf(m, e.data.deviceId);
      if (d) d.grandfathered = true;
      return true;
    }
    case 'OverrideGranted': {
      const d = deviceOf(m, e.data.deviceId);
      if (d) {
        const { deviceId: _id, from: _from, ...o } = e.data;
        d.override = o;
      }
      return true;
    }
    case 'OverrideRevoked': {
      const d = deviceOf(m, e.data.deviceId);
      if (d && d.override?.overrideId === e.data.overrideId) delete d.override;
      return true;
    }
    default:
      return false;
  }
}

/** @internal */
export const emptyLeanMailbox = (): LeanMailbox => ({
  info: undefined,
  lists: { allowedDeviceIds: [], blockedDeviceIds: [] },
  devices: [],
  pending: [],
});

/** A mailbox stream as folded: leanly until an event the lean fold does not know. */
export interface Folded {
  /** The position of the stream's first event here: it orders the mailboxes of several parts. */
  readonly position: number;
  lean: LeanMailbox | undefined;
  exact: MailboxState | undefined;
}

/** Folds one event of a mailbox stream, switching the stream to evolveMailbox at an event the lean fold does not know. */
export function foldMailbox(f: Folded, e: DomainEvent, at: string): void {
  if (f.lean !== undefined && foldLean(f.lean, e, at)) return;
  const state = f.lean !== undefined ? materialize(f.lean) : f.exact!;
  f.lean = undefined;
  f.exact = evolveMailbox(state, { type: e.type, data: e.data, at } as unknown as DomainEvent);
}
