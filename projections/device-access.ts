// Device access & compliance state: one record per partnership, folded from
// mailbox streams. The fold updates each partnership's record in place: a
// record lives across a whole log (its next event may come a sync later), so
// replacing it per event would leave the old one as old-generation garbage —
// at a million events, more collector time than the fold itself. Readers get
// the records as read-only; no map is ever copied.
//
// Every change is one of the mailbox rules (src/mailbox/rules.ts), as in the
// decider's evolveMailbox; only the data shape differs. A removed partnership's
// record goes, as the decider forgets it: with phones reset and re-enrolled
// under new ids for years, nothing here grows with the removed ones.
import type { AccessLevel } from '../src/facts.js';
import { ReasonC, type DomainEvent } from '../src/events.js';
import {
  deviceKey,
  indexOfDevice,
  mailboxIntent,
  notifiedAfter,
  wipeFailureIsFinal,
  withIntent,
  withoutIntent,
  type WipeStage,
} from '../src/mailbox.js';

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
  /** The end of the administrator's override that decided (reason adminOverride). */
  readonly overrideUntil?: string;
  readonly notified: boolean;
  /** The latest remote wipe: its id and where it stands. */
  readonly wipeId?: string;
  readonly wipe?: WipeStage;
}

/** The partnerships of one mailbox stream. */
export interface MailboxDevices {
  /** The mailbox's Identity ('' until MailboxDiscovered). */
  mailbox: string;
  readonly organization: string;
  readonly stream: string;
  /** Its present partnerships (a mailbox has a few; see `find`). */
  readonly devices: readonly DeviceRecord[];
  /** Ids of its intents (Set-CasMailbox, wipes, removals) without an outcome yet. */
  readonly pending: readonly string[];
  /** Its pending wipe intents: command id and the wipe's id (rare: a list only while one is in flight). */
  readonly wipes: ReadonlyArray<{ readonly commandId: string; readonly deviceId: string; readonly wipeId: string }>;
  /** Lower-cased DeviceId -> index, once a mailbox has many partnerships. */
  index?: Map<string, number>;
}

export interface DeviceAccessProjection {
  /** Keyed by mailbox stream name. */
  readonly streams: Map<string, MailboxDevices>;
  /** The stream of the previous event: a log holds each mailbox's events in runs. */
  last?: MailboxDevices;
  /** Organization names, one string each (a stream's name is cut per stream otherwise). */
  readonly organizations: Map<string, string>;
}

export const emptyDeviceAccess = (): DeviceAccessProjection => ({ streams: new Map(), organizations: new Map() });

function lookup(p: DeviceAccessProjection, stream: string, known?: MailboxDevices): MailboxDevices | undefined {
  if (known !== undefined) return known;
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

const internOrganization = (p: DeviceAccessProjection, org: string): string => {
  const o = p.organizations.get(org);
  if (o !== undefined) return o;
  if (p.organizations.size < 1000) p.organizations.set(org, org);
  return org;
};

const NONE: readonly never[] = Object.freeze([]);

function mailboxOf(p: DeviceAccessProjection, stream: string, known?: MailboxDevices): MailboxDevices {
  let m = lookup(p, stream, known);
  if (m === undefined) {
    m = {
      mailbox: '',
      organization: internOrganization(p, organizationOfStream(stream)),
      stream,
      devices: NONE,
      pending: NONE,
      wipes: NONE,
      index: undefined,
    };
    p.streams.set(stream, m);
    p.last = m;
  }
  return m;
}

const INDEX_FROM = 8;

const idOf = (d: DeviceRecord): string => d.deviceId;
const itself = (id: string): string => id;

/** The index of a partnership (DeviceIds compare case-insensitively), or -1. */
function find(m: MailboxDevices, deviceId: string): number {
  if (m.index !== undefined) return m.index.get(deviceKey(deviceId)) ?? -1;
  return indexOfDevice(m.devices, deviceId, idOf);
}

/** The index of a partnership of a mailbox that may have no record yet, or -1. */
function findPresent(m: MailboxDevices | undefined, deviceId: string): number {
  return m === undefined ? -1 : find(m, deviceId);
}

type MutableMailbox = { -readonly [K in keyof MailboxDevices]: MailboxDevices[K] };

// Lists are replaced, not pushed to: a mailbox has one or two partnerships and
// intents, and a push would give each list a backing store of 17 slots (at
// 130,000 mailboxes, megabytes the collector copies for nothing).
function add(m: MailboxDevices, r: DeviceRecord): void {
  (m as MutableMailbox).devices = m.devices.length === 0 ? [r] : [...m.devices, r];
  if (m.index !== undefined) m.index.set(deviceKey(r.deviceId), m.devices.length - 1);
  else if (m.devices.length > INDEX_FROM) m.index = new Map(m.devices.map((d, i) => [deviceKey(d.deviceId), i]));
}

function removeAt(m: MailboxDevices, i: number): void {
  (m as MutableMailbox).devices = m.devices.length === 1 ? NONE : m.devices.filter((_, j) => j !== i);
  if (m.index !== undefined)
    m.index = m.devices.length > INDEX_FROM ? new Map(m.devices.map((d, j) => [deviceKey(d.deviceId), j])) : undefined;
}

const ACCESS = { allow: 'allow', block: 'block', quarantine: 'quarantine' } as const;
const REASON = new Map(Object.keys(ReasonC.keys).map((k) => [k, k]));
const COMPLIANCE = new Map(
  ['unknown', 'compliant', 'noncompliant', 'conflict', 'error', 'inGracePeriod', 'configManager'].map((k) => [k, k]),
);

/**
 * `next`, as the string already held when equal. A log repeats most values sync
 * after sync (identities, device models, managed device ids); storing each
 * fresh copy would move every one of them to the old generation (the young
 * collector copies what the fold retains), to die there at the next repeat.
 */
const same = <S extends string | undefined>(held: S | undefined, next: S): S => (held === next ? (held as S) : next);

type Mutable = { -readonly [K in keyof DeviceRecord]: DeviceRecord[K] };

/**
 * Folds one event of mailbox stream `stream`. `known` is the stream's record when
 * the caller has it at hand (from an earlier return): no lookup then. Returns the
 * stream's record, or undefined while the stream has none (an event that only
 * refers to a partnership creates none).
 */
export function foldDeviceAccess(
  p: DeviceAccessProjection,
  stream: string,
  e: DomainEvent,
  at: string,
  known?: MailboxDevices,
): MailboxDevices | undefined {
  switch (e.type) {
    case 'MailboxDiscovered':
    case 'MailboxUpdated': {
      const m = mailboxOf(p, stream, known);
      // Unchanged values keep the string already held (see `same`).
      const mailbox = same(m.mailbox, e.data.identity);
      if (mailbox !== m.mailbox) {
        m.mailbox = mailbox;
        for (const d of m.devices) (d as Mutable).mailbox = mailbox;
      }
      return m;
    }
    case 'PartnershipDiscovered':
    case 'PartnershipUpdated': {
      const m = mailboxOf(p, stream, known);
      const i = find(m, e.data.deviceId);
      if (i >= 0) {
        const d = m.devices[i] as Mutable;
        d.deviceId = same(d.deviceId, e.data.deviceId);
        d.mailbox = m.mailbox;
        d.deviceType = same(d.deviceType, e.data.deviceType);
        d.deviceModel = same(d.deviceModel, e.data.deviceModel);
      } else {
        // Every field present, in one order: all records share one hidden class.
        add(m, {
          deviceId: e.data.deviceId,
          organization: m.organization,
          mailbox: m.mailbox,
          stream: m.stream,
          deviceType: e.data.deviceType,
          deviceModel: e.data.deviceModel,
          access: undefined,
          reason: undefined,
          governed: undefined,
          complianceState: undefined,
          intuneDeviceId: undefined,
          policyRevision: undefined,
          decidedAt: undefined,
          overrideUntil: undefined,
          notified: false,
          wipeId: undefined,
          wipe: undefined,
        });
      }
      return m;
    }
    case 'PartnershipRemoved': {
      const m = lookup(p, stream, known);
      const i = findPresent(m, e.data.deviceId);
      if (i >= 0) removeAt(m!, i);
      return m;
    }
    case 'WipeRequested': {
      const m = lookup(p, stream, known);
      const i = findPresent(m, e.data.deviceId);
      if (i >= 0) {
        const d = m!.devices[i] as Mutable;
        d.wipeId = e.data.wipeId;
        d.wipe = 'requested';
      }
      return m;
    }
    case 'WipeAcknowledged': {
      const m = lookup(p, stream, known);
      const i = findPresent(m, e.data.deviceId);
      if (i >= 0 && m!.devices[i]!.wipeId === e.data.wipeId) (m!.devices[i] as Mutable).wipe = 'acknowledged';
      return m;
    }
    case 'AccessDecided': {
      const m = lookup(p, stream, known);
      const i = findPresent(m, e.data.deviceId);
      if (i < 0) return m;
      const d = m!.devices[i] as Mutable;
      const intune = e.data.facts.intune;
      // Enumerations as shared literals: a million decisions retain no copies of "allow".
      d.access = ACCESS[e.data.access];
      d.reason = REASON.get(e.data.reason) ?? e.data.reason;
      d.governed = e.data.governed;
      d.complianceState = intune ? (COMPLIANCE.get(intune.complianceState) ?? intune.complianceState) : undefined;
      d.intuneDeviceId = intune ? same(d.intuneDeviceId, intune.id) : undefined;
      d.policyRevision = e.data.policyRevision;
      d.decidedAt = same(d.decidedAt, at);
      d.overrideUntil = e.data.facts.override?.until;
      d.notified = notifiedAfter(d.notified, e.data);
      return m;
    }
    case 'CommandIntended': {
      const m = mailboxOf(p, stream, known);
      const c = mailboxIntent(e.data.command);
      if (c) (m as MutableMailbox).pending = withIntent(m.pending, e.data.commandId, e.data.commandId, itself);
      if (c?.kind === 'clearMobileDevice')
        (m as MutableMailbox).wipes = withIntent(
          m.wipes,
          e.data.commandId,
          { commandId: e.data.commandId, deviceId: c.deviceId, wipeId: c.wipeId },
          (w) => w.commandId,
        );
      return m;
    }
    case 'CommandSucceeded':
    case 'CommandFailed': {
      const m = lookup(p, stream, known);
      if (m !== undefined && m.pending.length > 0) {
        const pending = withoutIntent(m.pending, e.data.commandId, itself);
        if (pending !== m.pending) (m as MutableMailbox).pending = pending.length === 0 ? NONE : pending;
      }
      const w = m?.wipes.find((x) => x.commandId === e.data.commandId);
      if (m !== undefined && w !== undefined) {
        const rest = withoutIntent(m.wipes, e.data.commandId, (x) => x.commandId);
        (m as MutableMailbox).wipes = rest.length === 0 ? NONE : rest;
        const i = findPresent(m, w.deviceId);
        const d = i >= 0 ? (m.devices[i] as Mutable) : undefined;
        if (d !== undefined && d.wipeId === w.wipeId)
          d.wipe = e.type === 'CommandSucceeded' ? 'sent' : wipeFailureIsFinal(e.data.error.kind) ? 'failed' : 'requested';
      }
      return m;
    }
    case 'NotificationSent': {
      const m = lookup(p, stream, known);
      const i = findPresent(m, e.data.deviceId);
      if (i >= 0) (m!.devices[i] as Mutable).notified = true;
      return m;
    }
    default:
      // Every mailbox stream has its record, whatever its events.
      return mailboxOf(p, stream, known);
  }
}

/** Set-CasMailbox intents without an outcome, over every mailbox. */
export function pendingMailboxIntents(p: DeviceAccessProjection): number {
  let n = 0;
  for (const m of p.streams.values()) n += m.pending.length;
  return n;
}

/** Every partnership record. */
export function* allDeviceRecords(p: DeviceAccessProjection): IterableIterator<DeviceRecord> {
  for (const m of p.streams.values()) yield* m.devices;
}

/** Current devices with a decision. */
export function currentDevices(p: DeviceAccessProjection): DeviceRecord[] {
  const out: DeviceRecord[] = [];
  for (const m of p.streams.values()) {
    const list = m.devices;
    for (let i = 0; i < list.length; i++) {
      const d = list[i]!;
      if (d.access) out.push(d);
    }
  }
  return out;
}

export function accessCounts(p: DeviceAccessProjection): { allow: number; block: number; quarantine: number } {
  const c = { allow: 0, block: 0, quarantine: 0 };
  for (const d of currentDevices(p)) c[d.access!]++;
  return c;
}
