// The decision trail: every access decision with its reason, facts and policy
// revision, and the commands that enforced them, per device. Replay answers
// "why" from it without re-running anything.
import type { DomainEvent, EventData } from '../src/events.js';

export interface TrailEntry {
  readonly at: string;
  readonly position: number;
  readonly type: string;
  readonly decision?: EventData<'AccessDecided'>;
  readonly commandId?: string;
  readonly outcome?: 'succeeded' | 'failed';
  readonly detail?: string;
}

export interface DecisionTrail {
  /** Keyed by lower-cased DeviceId (all organizations). */
  readonly byDevice: Map<string, TrailEntry[]>;
  /** Device ids named by each pending command, to attach its outcome later. */
  readonly commandDevices: Map<string, string[]>;
}

export const emptyDecisionTrail = (): DecisionTrail => ({ byDevice: new Map(), commandDevices: new Map() });

const push = (t: DecisionTrail, id: string, entry: TrailEntry) => {
  const k = id.toLowerCase();
  const l = t.byDevice.get(k);
  if (l) l.push(entry); else t.byDevice.set(k, [entry]);
};

export function foldDecisionTrail(t: DecisionTrail, e: DomainEvent, at: string, position: number): void {
  switch (e.type) {
    case 'PartnershipDiscovered':
    case 'PartnershipUpdated':
    case 'PartnershipRemoved':
      push(t, e.data.deviceId, { at, position, type: e.type });
      return;
    case 'AccessDecided':
      push(t, e.data.deviceId, { at, position, type: e.type, decision: e.data });
      return;
    case 'NotificationSent':
    case 'NotificationFailed':
      push(t, e.data.deviceId, { at, position, type: e.type, detail: e.data.to });
      return;
    case 'CommandIntended': {
      const c = e.data.command;
      if (c.kind !== 'setCasMailbox') return;
      const ids = [...c.allowedDeviceIds.add, ...c.allowedDeviceIds.remove, ...c.blockedDeviceIds.add, ...c.blockedDeviceIds.remove];
      t.commandDevices.set(e.data.commandId, ids);
      for (const id of new Set(ids.map((x) => x.toLowerCase()))) push(t, id, { at, position, type: e.type, commandId: e.data.commandId });
      return;
    }
    case 'CommandSucceeded':
    case 'CommandFailed': {
      const ids = t.commandDevices.get(e.data.commandId);
      if (!ids) return;
      t.commandDevices.delete(e.data.commandId);
      const outcome = e.type === 'CommandSucceeded' ? 'succeeded' : 'failed';
      for (const id of new Set(ids.map((x) => x.toLowerCase()))) push(t, id, { at, position, type: e.type, commandId: e.data.commandId, outcome });
      return;
    }
    default:
  }
}
