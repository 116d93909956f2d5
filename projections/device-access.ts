// Device access & compliance state: one record per partnership, folded from
// mailbox streams. The fold updates each partnership's record in place: a
// record lives across a whole log (its next event may come a sync later), so
// replacing it per event would leave the old one as old-generation garbage —
// at a million events, more collector time than the fold itself. Readers get
// the records as read-only; no map is ever copied.
import type { AccessLevel } from '../src/facts.js';
import { ReasonC, type DomainEvent } from '../src/events.js';

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
  readonly stream: string;
  /** Its partnerships, removed ones included (a mailbox has a few; see `find`). */
  readonly devices: DeviceRecord[];
  /** Ids of its Set-CasMailbox intents without an outcome yet. */
  readonly pending: string[];
  /** Lower-cased DeviceId -> index, once a mailbox has many partnerships. */
  index?: Map<string, number>;
}

export interface DeviceAccessProjection {
  /** Keyed by mailbox stream name. */
  readonly streams: Map<string, MailboxDevices>;
  /** The stream of the previous event: a log holds each mailbox's events in runs. */
  last?: MailboxDevices;
}

export const emptyDeviceAccess = (): DeviceAccessProjection => ({ streams: new Map() });

function lookup(p: DeviceAccessProjection, stream: string): MailboxDevices | undefined {
  if (p.last !== undefined && p.last.stream === stream) return p.last;
  const m = p.streams.get(stream);
  if (m !== undefined) p.last = m;
  return m;
}

/** eas-mailbox-<org>-<identity>: the org is the segment before the next '-'. */
export const organizationOfStream = (stream: string): string => {
  const rest = stream.slice('eas-mailbox-'.length);
  const i = rest.indexOf('-');
  return i < 0 ? rest : rest.slice(0, i);
};

function mailboxOf(p: DeviceAccessProjection, stream: string): MailboxDevices {
  let m = lookup(p, stream);
  if (m === undefined) {
    m = { mailbox: '', organization: organizationOfStream(stream), stream, devices: [], pending: [] };
    p.streams.set(stream, m);
    p.last = m;
  }
  return m;
}

const INDEX_FROM = 8;

/** The index of a partnership (DeviceIds compare case-insensitively), or -1. */
function find(m: MailboxDevices, deviceId: string): number {
  const list = m.devices;
  if (m.index !== undefined) return m.index.get(deviceId.toLowerCase()) ?? -1;
  // The same spelling first: no lower-casing (no allocation) in the usual case.
  for (let i = 0; i < list.length; i++) if (list[i]!.deviceId === deviceId) return i;
  const k = deviceId.toLowerCase();
  for (let i = 0; i < list.length; i++) if (list[i]!.deviceId.toLowerCase() === k) return i;
  return -1;
}

function add(m: MailboxDevices, r: DeviceRecord): void {
  m.devices.push(r);
  if (m.index !== undefined) m.index.set(r.deviceId.toLowerCase(), m.devices.length - 1);
  else if (m.devices.length > INDEX_FROM) m.index = new Map(m.devices.map((d, i) => [d.deviceId.toLowerCase(), i]));
}

const ACCESS = { allow: 'allow', block: 'block', quarantine: 'quarantine' } as const;
const REASON = new Map(Object.keys(ReasonC.keys).map((k) => [k, k]));
const COMPLIANCE = new Map(['unknown', 'compliant', 'noncompliant', 'conflict', 'error', 'inGracePeriod', 'configManager'].map((k) => [k, k]));

type Mutable = { -readonly [K in keyof DeviceRecord]: DeviceRecord[K] };

export function foldDeviceAccess(p: DeviceAccessProjection, stream: string, e: DomainEvent, at: string): void {
  switch (e.type) {
    case 'MailboxDiscovered':
    case 'MailboxUpdated':
      mailboxOf(p, stream).mailbox = e.data.identity;
      return;
    case 'PartnershipDiscovered':
    case 'PartnershipUpdated': {
      const m = mailboxOf(p, stream);
      const i = find(m, e.data.deviceId);
      if (i >= 0) {
        const d = m.devices[i] as Mutable;
        d.mailbox = m.mailbox; d.deviceType = e.data.deviceType; d.deviceModel = e.data.deviceModel; d.removed = false;
      } else {
        // Every field present, in one order: all records share one hidden class.
        add(m, {
          deviceId: e.data.deviceId, organization: m.organization, mailbox: m.mailbox, stream: m.stream,
          deviceType: e.data.deviceType, deviceModel: e.data.deviceModel,
          access: undefined, reason: undefined, governed: undefined, complianceState: undefined, intuneDeviceId: undefined,
          policyRevision: undefined, decidedAt: undefined, notified: false, removed: false,
        });
      }
      return;
    }
    case 'PartnershipRemoved': {
      const m = lookup(p, stream);
      const i = m ? find(m, e.data.deviceId) : -1;
      if (i >= 0) (m!.devices[i] as Mutable).removed = true;
      return;
    }
    case 'AccessDecided': {
      const m = lookup(p, stream);
      const i = m ? find(m, e.data.deviceId) : -1;
      if (i < 0) return;
      const d = m!.devices[i] as Mutable;
      const intune = e.data.facts.intune;
      // Enumerations as shared literals: a million decisions retain no copies of "allow".
      d.access = ACCESS[e.data.access]; d.reason = REASON.get(e.data.reason) ?? e.data.reason; d.governed = e.data.governed;
      d.complianceState = intune ? COMPLIANCE.get(intune.complianceState) ?? intune.complianceState : undefined;
      d.intuneDeviceId = intune?.id;
      d.policyRevision = e.data.policyRevision; d.decidedAt = at;
      if (e.data.access === 'allow' || !e.data.governed) d.notified = false;
      return;
    }
    case 'CommandIntended':
      mailboxOf(p, stream).pending.push(e.data.commandId);
      return;
    case 'CommandSucceeded':
    case 'CommandFailed': {
      const m = lookup(p, stream);
      const i = m ? m.pending.indexOf(e.data.commandId) : -1;
      if (i >= 0) m!.pending.splice(i, 1);
      return;
    }
    case 'NotificationSent': {
      const m = lookup(p, stream);
      const i = m ? find(m, e.data.deviceId) : -1;
      if (i >= 0) (m!.devices[i] as Mutable).notified = true;
      return;
    }
    default:
      // Every mailbox stream has its record, whatever its events.
      mailboxOf(p, stream);
  }
}

/** Set-CasMailbox intents without an outcome, over every mailbox. */
export function pendingMailboxIntents(p: DeviceAccessProjection): number {
  let n = 0;
  for (const m of p.streams.values()) n += m.pending.length;
  return n;
}

/** Every partnership record, removed ones included. */
export function* allDeviceRecords(p: DeviceAccessProjection): IterableIterator<DeviceRecord> {
  for (const m of p.streams.values()) yield* m.devices;
}

/** Current (not removed) devices with a decision. */
export function currentDevices(p: DeviceAccessProjection): DeviceRecord[] {
  const out: DeviceRecord[] = [];
  for (const m of p.streams.values()) {
    const list = m.devices;
    for (let i = 0; i < list.length; i++) { const d = list[i]!; if (!d.removed && d.access) out.push(d); }
  }
  return out;
}

export function accessCounts(p: DeviceAccessProjection): { allow: number; block: number; quarantine: number } {
  const c = { allow: 0, block: 0, quarantine: 0 };
  for (const d of currentDevices(p)) c[d.access!]++;
  return c;
}
