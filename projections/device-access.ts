// Device access & compliance state: one record per partnership, folded from
// mailbox streams. Records are immutable and replaced in their stream's map;
// no map is ever copied as a whole per event.
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

/** The partnerships of one mailbox stream. */
export interface MailboxDevices {
  /** The mailbox's Identity ('' until MailboxDiscovered). */
  mailbox: string;
  readonly organization: string;
  /** Keyed by lower-cased DeviceId. */
  readonly devices: Map<string, DeviceRecord>;
}

export interface DeviceAccessProjection {
  /** Keyed by mailbox stream name. */
  readonly streams: Map<string, MailboxDevices>;
}

export const emptyDeviceAccess = (): DeviceAccessProjection => ({ streams: new Map() });

/** eas-mailbox-<org>-<identity>: the org is the segment before the next '-'. */
export const organizationOfStream = (stream: string): string => {
  const rest = stream.slice('eas-mailbox-'.length);
  const i = rest.indexOf('-');
  return i < 0 ? rest : rest.slice(0, i);
};

function mailboxOf(p: DeviceAccessProjection, stream: string): MailboxDevices {
  let m = p.streams.get(stream);
  if (m === undefined) {
    m = { mailbox: '', organization: organizationOfStream(stream), devices: new Map() };
    p.streams.set(stream, m);
  }
  return m;
}

// Every record has every field (absent ones undefined), so all records share
// one hidden class: the fold stays monomorphic over millions of events.
function record(
  prev: DeviceRecord,
  patch: Partial<Omit<DeviceRecord, 'deviceId' | 'organization' | 'stream'>>,
): DeviceRecord {
  return {
    deviceId: prev.deviceId,
    organization: prev.organization,
    mailbox: patch.mailbox ?? prev.mailbox,
    stream: prev.stream,
    deviceType: patch.deviceType ?? prev.deviceType,
    deviceModel: patch.deviceModel ?? prev.deviceModel,
    access: 'access' in patch ? patch.access : prev.access,
    reason: 'reason' in patch ? patch.reason : prev.reason,
    governed: 'governed' in patch ? patch.governed : prev.governed,
    complianceState: 'complianceState' in patch ? patch.complianceState : prev.complianceState,
    intuneDeviceId: 'intuneDeviceId' in patch ? patch.intuneDeviceId : prev.intuneDeviceId,
    policyRevision: 'policyRevision' in patch ? patch.policyRevision : prev.policyRevision,
    decidedAt: 'decidedAt' in patch ? patch.decidedAt : prev.decidedAt,
    notified: patch.notified ?? prev.notified,
    removed: patch.removed ?? prev.removed,
  };
}

export function foldDeviceAccess(p: DeviceAccessProjection, stream: string, e: DomainEvent, at: string): void {
  switch (e.type) {
    case 'MailboxDiscovered':
    case 'MailboxUpdated':
      mailboxOf(p, stream).mailbox = e.data.identity;
      return;
    case 'PartnershipDiscovered':
    case 'PartnershipUpdated': {
      const m = mailboxOf(p, stream);
      const k = e.data.deviceId.toLowerCase();
      const prev = m.devices.get(k);
      m.devices.set(k, prev !== undefined
        ? record(prev, { mailbox: m.mailbox, deviceType: e.data.deviceType, deviceModel: e.data.deviceModel, removed: false })
        : {
          deviceId: e.data.deviceId, organization: m.organization, mailbox: m.mailbox, stream,
          deviceType: e.data.deviceType, deviceModel: e.data.deviceModel,
          access: undefined, reason: undefined, governed: undefined, complianceState: undefined, intuneDeviceId: undefined,
          policyRevision: undefined, decidedAt: undefined, notified: false, removed: false,
        });
      return;
    }
    case 'PartnershipRemoved': {
      const m = p.streams.get(stream);
      const k = e.data.deviceId.toLowerCase();
      const prev = m?.devices.get(k);
      if (m && prev) m.devices.set(k, record(prev, { removed: true }));
      return;
    }
    case 'AccessDecided': {
      const m = p.streams.get(stream);
      const k = e.data.deviceId.toLowerCase();
      const prev = m?.devices.get(k);
      if (!m || !prev) return;
      const intune = e.data.facts.intune;
      m.devices.set(k, record(prev, {
        access: e.data.access, reason: e.data.reason, governed: e.data.governed,
        complianceState: intune?.complianceState, intuneDeviceId: intune?.id,
        policyRevision: e.data.policyRevision, decidedAt: at,
        notified: e.data.access === 'allow' || !e.data.governed ? false : prev.notified,
      }));
      return;
    }
    case 'NotificationSent': {
      const m = p.streams.get(stream);
      const k = e.data.deviceId.toLowerCase();
      const prev = m?.devices.get(k);
      if (m && prev) m.devices.set(k, record(prev, { notified: true }));
      return;
    }
    default:
  }
}

/** Every partnership record, removed ones included. */
export function* allDeviceRecords(p: DeviceAccessProjection): IterableIterator<DeviceRecord> {
  for (const m of p.streams.values()) yield* m.devices.values();
}

/** Current (not removed) devices with a decision. */
export function currentDevices(p: DeviceAccessProjection): DeviceRecord[] {
  const out: DeviceRecord[] = [];
  for (const m of p.streams.values()) for (const d of m.devices.values()) if (!d.removed && d.access) out.push(d);
  return out;
}

export function accessCounts(p: DeviceAccessProjection): { allow: number; block: number; quarantine: number } {
  const c = { allow: 0, block: 0, quarantine: 0 };
  for (const m of p.streams.values()) for (const d of m.devices.values()) if (!d.removed && d.access) c[d.access]++;
  return c;
}
