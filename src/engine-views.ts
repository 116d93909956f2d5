// What the engine shows of itself, pure: the connector status view folded from
// its state, and the report of a sync that could not run.
import type { OrgState } from './state.js';
import type { SyncKind } from './connector.js';
import type { SyncReport } from './sync.js';
import type { AccessLevel } from './facts.js';
import type { ConnectorState } from './connector.js';

/** One partnership's current decision, from the engine's state (engine.devices()). */
export interface DeviceAccessView {
  readonly deviceId: string;
  readonly mailbox: string;
  readonly access: AccessLevel;
  readonly reason: string;
  readonly governed: boolean;
  /** The latest remote wipe and where it stands (requested, sent, acknowledged, failed). */
  readonly wipe?: { readonly wipeId: string; readonly stage: string; readonly error?: string };
}

export interface ConnectorStatusView {
  readonly organization: string;
  readonly status: ConnectorState['status'];
  /** True once another connector took over this organization: this one no longer syncs. */
  readonly fenced: boolean;
  readonly lastSuccessfulSync: { readonly full?: string; readonly quick?: string };
  readonly lastError?: { readonly message: string; readonly at: string };
  readonly syncing?: SyncKind;
  readonly cas?: string;
  readonly servers: readonly string[];
  readonly access: { readonly allow: number; readonly block: number; readonly quarantine: number };
  readonly pendingIntents: number;
}

export function connectorStatusView(
  organization: string,
  state: OrgState | undefined,
  fenced: { readonly message: string } | undefined,
  currentServer: string | undefined,
  nowIso: string,
): ConnectorStatusView {
  const c = state?.connector;
  const access = { allow: 0, block: 0, quarantine: 0 };
  let pendingIntents = Object.keys(c?.pending ?? {}).length;
  for (const ms of state?.mailboxes.values() ?? []) {
    for (const _ in ms.pending) pendingIntents++;
    const devices = ms.devices;
    for (const k in devices) {
      const d = devices[k]!.decision;
      if (d) access[d.access]++;
    }
  }
  const cas = currentServer ?? c?.cas;
  return {
    organization,
    status: fenced ? 'disconnected' : (c?.status ?? 'none'),
    fenced: fenced !== undefined,
    lastSuccessfulSync: c?.lastSuccessful ?? {},
    ...(fenced ? { lastError: { message: fenced.message, at: nowIso } } : c?.lastError ? { lastError: c.lastError } : {}),
    ...(c?.current ? { syncing: c.current.kind } : {}),
    ...(cas ? { cas } : {}),
    servers: c?.servers ?? [],
    access,
    pendingIntents,
  };
}

/** The report of a sync that did not run to its end (fenced, stopped, the log unreadable). */
export function failedSyncReport(kind: SyncKind, errorKind: string, message: string, eventsAppended: number, at: string): SyncReport {
  return {
    syncId: '',
    kind,
    success: false,
    startedAt: at,
    completedAt: at,
    devices: 0,
    mailboxes: 0,
    access: { allow: 0, block: 0, quarantine: 0 },
    commands: { issued: 0, succeeded: 0, failed: 0, throttleWaits: 0, throttleWaitMs: 0 },
    sessions: { opened: 0, recycled: 0, replaced: 0 },
    notifications: { sent: 0, failed: 0 },
    drift: 0,
    decisionsChanged: 0,
    grandfathered: 0,
    lifecycle: { wipesSent: 0, wipesAcknowledged: 0, stale: 0, removed: 0, deferred: 0, unjudged: 0 },
    casSwitches: [],
    eventsAppended,
    warnings: [],
    errors: [{ kind: errorKind, message }],
  };
}
