// The console's own fold of a log: what the overview's chart and the syncs page
// show and no other projection keeps — every sync with its counts, and the
// mailbox user of each mailbox stream. Pure: events in, plain data out.
import { isRight } from 'fp-ts/lib/Either.js';
import type { StoredEvent } from '../../src/ports.js';
import { decodeEvent } from '../../src/events.js';

export interface SyncRow {
  readonly syncId: string;
  readonly organization: string;
  kind: 'full' | 'quick';
  startedAt: string;
  completedAt?: string;
  /** `running` until SyncCompleted or SyncFailed is read. */
  outcome: 'running' | 'succeeded' | 'failed';
  devices?: number;
  access?: { allow: number; block: number; quarantine: number };
  commandsIssued: number;
  commandsSucceeded?: number;
  commandsFailed?: number;
  drift: number;
  casSwitches: number;
  warnings?: number;
  error?: string;
  /** Only for syncs run by this process (`eas-sync run`): the log does not record waits. */
  throttleWaits?: number;
  throttleWaitMs?: number;
}

export interface History {
  readonly syncs: SyncRow[];
  /** Mailbox stream → the mailbox's primary SMTP address (the user). */
  readonly users: Map<string, string>;
}

const emptyHistory = (): History => ({ syncs: [], users: new Map() });

const orgOf = (stream: string) => (stream.startsWith('eas-org-') ? stream.slice('eas-org-'.length) : '');

/** Folds one event; `bySync` indexes the rows of `h.syncs` by sync id while folding. */
export function createHistoryFold(): { push(e: StoredEvent): void; readonly history: History } {
  const history = emptyHistory();
  const bySync = new Map<string, SyncRow>();
  const push = (raw: StoredEvent): void => {
    switch (raw.type) {
      case 'MailboxDiscovered':
      case 'MailboxUpdated':
      case 'SyncStarted':
      case 'SyncCompleted':
      case 'SyncFailed':
      case 'CasSwitched':
      case 'OrgDriftDetected':
      case 'ListsDriftDetected':
      case 'CommandIntended':
        break;
      default:
        return;
    }
    // Events that do not decode are replay's to report; the history skips them.
    const d = decodeEvent(raw.type, raw.data);
    if (!isRight(d)) return;
    const e = d.right;
    switch (e.type) {
      case 'MailboxDiscovered':
      case 'MailboxUpdated':
        history.users.set(raw.stream, e.data.primarySmtpAddress);
        return;
      case 'SyncStarted': {
        const row: SyncRow = {
          syncId: e.data.syncId,
          organization: orgOf(raw.stream),
          kind: e.data.kind,
          startedAt: raw.at,
          outcome: 'running',
          commandsIssued: 0,
          drift: 0,
          casSwitches: 0,
        };
        bySync.set(row.syncId, row);
        history.syncs.push(row);
        return;
      }
      case 'SyncCompleted': {
        const row = bySync.get(e.data.syncId);
        if (!row) return;
        row.completedAt = raw.at;
        row.outcome = e.data.success ? 'succeeded' : 'failed';
        row.devices = e.data.devices;
        row.access = { ...e.data.access };
        row.commandsSucceeded = e.data.commands.succeeded;
        row.commandsFailed = e.data.commands.failed;
        row.warnings = e.data.warnings;
        return;
      }
      case 'SyncFailed': {
        const row = bySync.get(e.data.syncId);
        if (!row) return;
        row.completedAt = raw.at;
        row.outcome = 'failed';
        row.error = e.data.error.message;
        return;
      }
      case 'CasSwitched':
        bump(bySync, e.data.syncId, 'casSwitches');
        return;
      case 'OrgDriftDetected':
      case 'ListsDriftDetected':
        bump(bySync, e.data.syncId, 'drift');
        return;
      case 'CommandIntended':
        bump(bySync, e.data.syncId, 'commandsIssued');
        return;
    }
  };
  return { push, history };
}

function bump(bySync: Map<string, SyncRow>, syncId: string, field: 'casSwitches' | 'drift' | 'commandsIssued'): void {
  const row = bySync.get(syncId);
  if (row) row[field]++;
}

/** Duration of a finished sync in seconds, or undefined while it runs. */
export const durationSeconds = (r: SyncRow): number | undefined =>
  r.completedAt === undefined ? undefined : Math.max(0, (Date.parse(r.completedAt) - Date.parse(r.startedAt)) / 1000);
