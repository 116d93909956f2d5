// Device access & compliance state: one record per partnership, folded from
// mailbox streams. Records are replaced, never copied as a whole map per event.
import type { AccessLevel } from '../src/facts.js';
import type { DomainEvent } from '../src/events.js';

export interface DeviceRecord {
  readonly deviceId: string;
  readonly organization: string;
  readonly mailbox: string;
  readonly stream: string;
  readonly deviceType: string;
  readonly deviceModel: string;
  readonly access?: AccessLevel;
  readonly reason?: string;
  readonly governed?: boolean;
  readonly complianceState?: string;
  readonly intuneDeviceId?: string;
  readonly policyRevision?: number;
  readonly decidedAt?: string;
  readonly notified: boolean;
  readonly removed: boolean;
}

export interface DeviceAccessProjection {
  /** Keyed by `<stream>\u0000<lower-cased DeviceId>`. */
  readonly devices: Map<string, DeviceRecord>;
  /** Mailbox identity by stream. */
  readonly mailboxes: Map<string, string>;
}

export const emptyDeviceAccess = (): DeviceAccessProjection => ({ devices: new Map(), mailboxes: new Map() });

const orgOf = (stream: string) => {
  // eas-mailbox-<org>-<identity>: the org is the segment before the next '-'.
  const rest = stream.slice('eas-mailbox-'.length);
  const i = rest.indexOf('-');
  return i < 0 ? rest : rest.slice(0, i);
};

export function foldDeviceAccess(p: DeviceAccessProjection, stream: string, e: DomainEvent, at: string): void {
  const k = (id: string) => `${stream}\u0000${id.toLowerCase()}`;
  switch (e.type) {
    case 'MailboxDiscovered':
    case 'MailboxUpdated':
      p.mailboxes.set(stream, e.data.identity);
      return;
    case 'PartnershipDiscovered':
    case 'PartnershipUpdated': {
      const prev = p.devices.get(k(e.data.deviceId));
      p.devices.set(k(e.data.deviceId), {
        ...(prev ?? { notified: false }),
        deviceId: e.data.deviceId, organization: orgOf(stream), stream,
        mailbox: p.mailboxes.get(stream) ?? '', deviceType: e.data.deviceType, deviceModel: e.data.deviceModel, removed: false,
      });
      return;
    }
    case 'PartnershipRemoved': {
      const prev = p.devices.get(k(e.data.deviceId));
      if (prev) p.devices.set(k(e.data.deviceId), { ...prev, removed: true });
      return;
    }
    case 'AccessDecided': {
      const prev = p.devices.get(k(e.data.deviceId));
      if (!prev) return;
      p.devices.set(k(e.data.deviceId), {
        ...prev, access: e.data.access, reason: e.data.reason, governed: e.data.governed,
        complianceState: e.data.facts.intune?.complianceState, intuneDeviceId: e.data.facts.intune?.id,
        policyRevision: e.data.policyRevision, decidedAt: at,
        notified: e.data.access === 'allow' || !e.data.governed ? false : prev.notified,
      });
      return;
    }
    case 'NotificationSent': {
      const prev = p.devices.get(k(e.data.deviceId));
      if (prev) p.devices.set(k(e.data.deviceId), { ...prev, notified: true });
      return;
    }
    default:
  }
}

/** Current (not removed) devices with a decision. */
export function currentDevices(p: DeviceAccessProjection): DeviceRecord[] {
  const out: DeviceRecord[] = [];
  for (const d of p.devices.values()) if (!d.removed && d.access) out.push(d);
  return out;
}

export function accessCounts(p: DeviceAccessProjection): { allow: number; block: number; quarantine: number } {
  const c = { allow: 0, block: 0, quarantine: 0 };
  for (const d of p.devices.values()) if (!d.removed && d.access) c[d.access]++;
  return c;
}
