// replay(events): folds a whole log (every organization) into the projections
// and the summary that `eas-sync replay` prints. Pure: the caller reads the log.
// `createReplay()` is the same fold one event at a time, for readers that stream
// a log without holding it in memory.
import { isLeft } from 'fp-ts/lib/Either.js';
import type { StoredEvent } from '../src/ports.js';
import { decodeEvent, fastAccepts, type DomainEvent } from '../src/events.js';
import { formatIssues } from '../src/codec.js';
import { policyDocument, type PolicyDocument } from '../src/policy.js';
import { currentDevices, emptyDeviceAccess, foldDeviceAccess, pendingMailboxIntents, type DeviceAccessProjection } from './device-access.js';
import { emptyConnectorStatus, foldConnectorStatus, pendingIntents, type ConnectorStatusProjection } from './connector-status.js';

export interface ReplayDeviceState {
  readonly deviceId: string;
  readonly mailbox: string;
  readonly access: string;
  readonly reason: string;
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

export interface ReplayFold {
  /** Folds one event (in log order). */
  push(raw: StoredEvent): void;
  /** Events pushed so far. */
  readonly count: number;
  /** The summary of everything pushed so far. */
  result(): ReplayResult & { readonly state: ReplayState };
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
  let drift = 0;
  let count = 0;
  return {
    push(raw) {
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
      if (raw.stream.startsWith('eas-mailbox-')) foldDeviceAccess(deviceAccess, raw.stream, e, raw.at);
      else if (raw.stream.startsWith('eas-org-')) foldConnectorStatus(connectors, raw.stream, e, raw.at);
      else otherStreams.add(raw.stream);
    },
    get count() { return count; },
    result() {
      const orgs = [...connectors.organizations.entries()];
      // The summary's connector is the one organization of the log, or the most recently synced.
      const main = orgs.slice().sort((a, b) => (b[1].lastSync?.at ?? '').localeCompare(a[1].lastSync?.at ?? ''))[0];
      const devices = currentDevices(deviceAccess);
      const access = { allow: 0, block: 0, quarantine: 0 };
      for (const d of devices) access[d.access!]++;
      return {
        events: count,
        streams: deviceAccess.streams.size + connectors.organizations.size + otherStreams.size
          + [...invalidStreams].filter((s) => !deviceAccess.streams.has(s) && !otherStreams.has(s) && !(s.startsWith('eas-org-') && connectors.organizations.has(s.slice('eas-org-'.length)))).length,
        devices: devices.length,
        access,
        lastSuccessfulSync: main ? main[1].lastSuccessful : null,
        connector: main
          ? { status: main[1].status, organization: main[0], ...(main[1].lastError ? { lastError: main[1].lastError } : {}), servers: main[1].servers }
          : { status: 'none', servers: [] },
        organizations: orgs.map(([organization, c]) => ({ organization, status: c.status, lastSuccessfulSync: c.lastSuccessful })),
        pendingIntents: pendingIntents(connectors) + pendingMailboxIntents(deviceAccess),
        drift,
        policy: main?.[1].policy ? policyDocument(main[1].policy.policy) : null,
        policyRevision: main?.[1].policy?.revision ?? null,
        invalid: [...invalid],
        deviceStates: devices.map((d) => ({ deviceId: d.deviceId, mailbox: d.mailbox, access: d.access!, reason: d.reason! })),
        state: { deviceAccess, connectors },
      };
    },
  };
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
