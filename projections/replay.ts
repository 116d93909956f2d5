// replay(events): folds a whole log (every organization) into the projections
// and the summary that `eas-sync replay` prints. Pure: the caller reads the log.
// `createReplay()` is the same fold one event at a time, for readers that stream
// a log without holding it in memory.
//
// Every projection here is a fold per stream, so a log can also be folded in
// parts, each part over its own streams (a reader on several threads): each
// part's `part()` is plain data, and `mergeReplayParts` gives the summary the
// whole log gives. `result()` itself is the merge of its one part.
import { isLeft } from 'fp-ts/lib/Either.js';
import type { StoredEvent } from '../src/ports.js';
import type { ConnectorState } from '../src/connector.js';
import { decodeEvent, fastAccepts, type DomainEvent } from '../src/events.js';
import { formatIssues } from '../src/codec.js';
import { policyDocument, type PolicyDocument } from '../src/policy.js';
import {
  emptyDeviceAccess,
  foldDeviceAccess,
  pendingMailboxIntents,
  type DeviceAccessProjection,
  type MailboxDevices,
} from './device-access.js';
import { emptyConnectorStatus, foldConnectorStatus, pendingIntents, type ConnectorStatusProjection } from './connector-status.js';

export interface ReplayDeviceState {
  readonly deviceId: string;
  readonly mailbox: string;
  readonly access: string;
  readonly reason: string;
  /** With reason adminOverride: when the override ends. */
  readonly overrideUntil?: string;
  /** The latest remote wipe's stage (requested, sent, acknowledged, failed), when there is one. */
  readonly wipe?: string;
}

export interface ReplayResult {
  readonly events: number;
  readonly streams: number;
  readonly devices: number;
  readonly access: { allow: number; block: number; quarantine: number };
  readonly lastSuccessfulSync: { full?: string; quick?: string } | null;
  readonly connector: { status: string; organization?: string; lastError?: { message: string; at: string }; servers: readonly string[] };
  readonly organizations: ReadonlyArray<{ organization: string; status: string; lastSuccessfulSync: { full?: string; quick?: string } }>;
  readonly pendingIntents: number;
  /** Drift events found (org settings and rules, mailbox lists). */
  readonly drift: number;
  readonly policy: PolicyDocument | null;
  readonly policyRevision: number | null;
  /** Events whose data does not decode (position and why). */
  readonly invalid: ReadonlyArray<{ position: number; message: string }>;
  readonly deviceStates: ReadonlyArray<ReplayDeviceState>;
}

export interface ReplayState {
  readonly deviceAccess: DeviceAccessProjection;
  readonly connectors: ConnectorStatusProjection;
}

/**
 * The replay of some of a log's streams, as plain data (it may cross threads).
 * Parts are merged by `mergeReplayParts`; the parts of one log must fold
 * disjoint sets of streams, each stream's events in log order.
 */
export interface ReplayPart {
  readonly events: number;
  readonly streams: number;
  readonly drift: number;
  readonly pendingIntents: number;
  /** Events whose data does not decode, in log order. */
  readonly invalid: ReadonlyArray<{ position: number; message: string }>;
  /**
   * Current devices, mailbox by mailbox in the order the mailboxes' records were
   * created: `mailboxes[i]` (the position of the event that created the record)
   * has the devices `devices[offsets[i] .. offsets[i + 1])`.
   */
  readonly mailboxes: readonly number[];
  readonly offsets: readonly number[];
  readonly devices: readonly ReplayDeviceState[];
  readonly organizations: ReadonlyArray<readonly [string, ConnectorState]>;
}

/** A reader's record of one stream (foldLogFile's StreamHead): the fold keeps its record of the stream in `state`. */
export interface StreamSlot {
  readonly name: string;
  state: unknown;
}

export interface ReplayFold {
  /**
   * Folds one event (in log order). `stream`, when given, is one slot per stream
   * (the same for every event of `raw.stream`, and only for them), for the
   * fold's own use: it then never looks the stream up.
   */
  push(raw: StoredEvent, stream?: StreamSlot): void;
  /** Events pushed so far. */
  readonly count: number;
  /** The summary of everything pushed so far. */
  result(): ReplayResult & { readonly state: ReplayState };
  /** Everything pushed so far, as one part of a log (see `mergeReplayParts`). */
  part(): ReplayPart;
}

export function createReplay(): ReplayFold {
  const deviceAccess = emptyDeviceAccess();
  const connectors = emptyConnectorStatus();
  // Streams are counted where they are folded: mailbox streams in the device
  // projection, org streams in the connector one; any other kind here.
  const otherStreams = new Set<string>();
  // Streams seen only through events that do not decode still count.
  const invalidStreams = new Set<string>();
  const invalid: Array<{ position: number; message: string }> = [];
  // The position of the event that created each mailbox record, in creation order
  // (the order of the records): what orders the devices of several parts.
  const created: number[] = [];
  let drift = 0;
  let count = 0;

  const part = (): ReplayPart => {
    const mailboxes: number[] = [];
    const offsets: number[] = [0];
    const devices: ReplayDeviceState[] = [];
    let i = 0;
    for (const m of deviceAccess.streams.values()) {
      const position = created[i++]!;
      const list = m.devices;
      const before = devices.length;
      for (let j = 0; j < list.length; j++) {
        const d = list[j]!;
        if (!d.access) continue;
        const x: { -readonly [K in keyof ReplayDeviceState]: ReplayDeviceState[K] } = {
          deviceId: d.deviceId,
          mailbox: d.mailbox,
          access: d.access,
          reason: d.reason!,
        };
        if (d.overrideUntil !== undefined) x.overrideUntil = d.overrideUntil;
        if (d.wipe !== undefined) x.wipe = d.wipe;
        devices.push(x);
      }
      if (devices.length > before) {
        mailboxes.push(position);
        offsets.push(devices.length);
      }
    }
    const isKnown = (s: string) =>
      deviceAccess.streams.has(s) ||
      otherStreams.has(s) ||
      (s.startsWith('eas-org-') && connectors.organizations.has(s.slice('eas-org-'.length)));
    let onlyInvalid = 0;
    for (const s of invalidStreams) if (!isKnown(s)) onlyInvalid++;
    return {
      events: count,
      streams: deviceAccess.streams.size + connectors.organizations.size + otherStreams.size + onlyInvalid,
      drift,
      pendingIntents: pendingIntents(connectors) + pendingMailboxIntents(deviceAccess),
      invalid: [...invalid],
      mailboxes,
      offsets,
      devices,
      organizations: [...connectors.organizations.entries()],
    };
  };

  return {
    push(raw, slot) {
      count++;
      let e: DomainEvent;
      // An event the fast check accepts decodes to its own type and data: use the
      // stored event as the domain event (no allocation). Otherwise the codecs decide.
      if (fastAccepts(raw.type, raw.data) === true) e = raw as unknown as DomainEvent;
      else {
        const d = decodeEvent(raw.type, raw.data);
        if (isLeft(d)) {
          invalid.push({ position: raw.position, message: `${raw.stream} #${raw.revision} ${raw.type}: ${formatIssues(d.left)}` });
          invalidStreams.add(raw.stream);
          return;
        }
        e = d.right;
      }
      const type = e.type;
      if (type === 'OrgDriftDetected' || type === 'ListsDriftDetected') drift++;
      if (raw.stream.startsWith('eas-mailbox-')) {
        const before = deviceAccess.streams.size;
        const m = foldDeviceAccess(deviceAccess, raw.stream, e, raw.at, slot?.state as MailboxDevices | undefined);
        if (deviceAccess.streams.size !== before) created.push(raw.position);
        if (slot !== undefined) slot.state = m;
      } else if (raw.stream.startsWith('eas-org-')) foldConnectorStatus(connectors, raw.stream, e, raw.at);
      else otherStreams.add(raw.stream);
    },
    get count() {
      return count;
    },
    result() {
      return { ...mergeReplayParts([part()]), state: { deviceAccess, connectors } };
    },
    part,
  };
}

/** The summary of a whole log from the replays of its parts (see `ReplayPart`). */
export function mergeReplayParts(parts: readonly ReplayPart[]): ReplayResult {
  const orgs = parts.flatMap((p) => p.organizations);
  // The summary's connector is the one organization of the log, or the most recently synced.
  const main = orgs.slice().sort((a, b) => (b[1].lastSync?.at ?? '').localeCompare(a[1].lastSync?.at ?? ''))[0];
  const deviceStates = mergeDevices(parts);
  const access = { allow: 0, block: 0, quarantine: 0 };
  for (const d of deviceStates) access[d.access as keyof typeof access]++;
  let events = 0;
  let streams = 0;
  let pending = 0;
  let drift = 0;
  for (const p of parts) {
    events += p.events;
    streams += p.streams;
    pending += p.pendingIntents;
    drift += p.drift;
  }
  return {
    events,
    streams,
    devices: deviceStates.length,
    access,
    lastSuccessfulSync: main ? main[1].lastSuccessful : null,
    connector: main
      ? {
          status: main[1].status,
          organization: main[0],
          ...(main[1].lastError ? { lastError: main[1].lastError } : {}),
          servers: main[1].servers,
        }
      : { status: 'none', servers: [] },
    organizations: orgs.map(([organization, c]) => ({ organization, status: c.status, lastSuccessfulSync: c.lastSuccessful })),
    pendingIntents: pending,
    drift,
    policy: main?.[1].policy ? policyDocument(main[1].policy.policy) : null,
    policyRevision: main?.[1].policy?.revision ?? null,
    invalid: parts.length === 1 ? parts[0]!.invalid : parts.flatMap((p) => p.invalid).sort((a, b) => a.position - b.position),
    deviceStates,
  };
}

/** The parts' devices in the order of their mailboxes' records (as one fold over the whole log would list them). */
function mergeDevices(parts: readonly ReplayPart[]): ReplayDeviceState[] {
  if (parts.length === 1) return parts[0]!.devices as ReplayDeviceState[];
  const out: ReplayDeviceState[] = [];
  const next = parts.map(() => 0);
  for (;;) {
    let k = -1;
    for (let i = 0; i < parts.length; i++) {
      const at = parts[i]!.mailboxes[next[i]!];
      if (at !== undefined && (k < 0 || at < parts[k]!.mailboxes[next[k]!]!)) k = i;
    }
    if (k < 0) return out;
    const p = parts[k]!;
    const j = next[k]!++;
    for (let d = p.offsets[j]!; d < p.offsets[j + 1]!; d++) out.push(p.devices[d]!);
  }
}

export interface ReplayOptions {
  /** Called every few thousand events, and once at the end. */
  readonly onProgress?: (done: number, total: number) => void;
}

export function replay(events: readonly StoredEvent[], options: ReplayOptions = {}): ReplayResult & { readonly state: ReplayState } {
  const fold = createReplay();
  const { onProgress } = options;
  for (let i = 0; i < events.length; i++) {
    fold.push(events[i]!);
    if (onProgress !== undefined && (i & 0x3fff) === 0x3fff) onProgress(i + 1, events.length);
  }
  onProgress?.(events.length, events.length);
  return fold.result();
}
