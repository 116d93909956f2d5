// What a sync reports, and how it ends: CompleteSync (with the next quick
// sync's watermark) or FailSync appended, and the report.
import { isLeft } from 'fp-ts/lib/Either.js';
import { decideConnector, type SyncKind } from '../connector.js';
import type { CasSwitch } from '../failover.js';
import type { ExecutionCounters } from '../executor.js';
import type { LifecycleCounts } from './pipeline.js';
import { flushSwitches, nowIso, progress, refused, type Fail, type SyncRun } from './run.js';
import { maxFirstSync } from './watermark.js';

export interface SyncIssue {
  readonly kind: string;
  readonly message: string;
  readonly deviceId?: string;
  readonly mailbox?: string;
}

export interface SyncProgress {
  readonly phase: 'discover' | 'decide' | 'execute' | 'notify' | 'done';
  readonly done: number;
  /** Never decreases within a sync and phase; it may grow until `final`. */
  readonly total: number;
  /** The total will not grow any more (execute: every mailbox has been decided). */
  readonly final?: boolean;
  /** execute: commands failed so far; notify: notifications failed so far. */
  readonly failed?: number;
  /** execute: throttling waits so far. */
  readonly throttleWaits?: number;
  /** discover, when done: what was read. */
  readonly found?: { readonly partnerships: number; readonly mailboxes: number; readonly managedDevices: number };
}

export interface SyncReport {
  readonly syncId: string;
  readonly kind: SyncKind;
  readonly success: boolean;
  readonly startedAt: string;
  readonly completedAt: string;
  /** Devices decided in this sync (every device in a full sync, the affected ones in a quick sync). */
  readonly devices: number;
  readonly mailboxes: number;
  readonly access: { allow: number; block: number; quarantine: number };
  readonly commands: { issued: number; succeeded: number; failed: number; throttleWaits: number; throttleWaitMs: number };
  readonly sessions: { opened: number; recycled: number; replaced: number };
  readonly notifications: { sent: number; failed: number };
  readonly drift: number;
  readonly decisionsChanged: number;
  readonly grandfathered: number;
  /** Remote wipes and stale partnership clean-up in this sync. */
  readonly lifecycle: LifecycleCounts;
  readonly casSwitches: readonly CasSwitch[];
  readonly eventsAppended: number;
  readonly warnings: readonly SyncIssue[];
  readonly errors: readonly SyncIssue[];
}

type Access = { allow: number; block: number; quarantine: number };

/** What the decide, execute and notify phases of a sync that ran to its end counted. */
export interface SyncCounts {
  readonly succeeded: number;
  readonly failed: number;
  readonly issued: number;
  readonly counters: ExecutionCounters;
  readonly decisionsChanged: number;
  readonly drift: number;
  readonly notifications: { sent: number; failed: number };
  readonly grandfathered: number;
  readonly lifecycle?: LifecycleCounts;
}

function report(
  run: SyncRun,
  success: boolean,
  base: { devices: number; mailboxes: number; access: Access },
  more?: SyncCounts,
): SyncReport {
  const { syncId, kind, startedAt, seenSwitches, eventsAppended, warnings, errors } = run;
  return {
    syncId,
    kind,
    success,
    startedAt,
    completedAt: nowIso(run),
    ...base,
    commands: {
      issued: more?.issued ?? 0,
      succeeded: more?.succeeded ?? 0,
      failed: more?.failed ?? 0,
      throttleWaits: more?.counters.throttleWaits ?? 0,
      throttleWaitMs: more?.counters.throttleWaitMs ?? 0,
    },
    sessions: {
      opened: more?.counters.sessionsOpened ?? 0,
      recycled: more?.counters.sessionsRecycled ?? 0,
      replaced: more?.counters.sessionsReplaced ?? 0,
    },
    notifications: more?.notifications ?? { sent: 0, failed: 0 },
    drift: more?.drift ?? 0,
    decisionsChanged: more?.decisionsChanged ?? 0,
    grandfathered: more?.grandfathered ?? 0,
    lifecycle: more?.lifecycle ?? { wipesSent: 0, wipesAcknowledged: 0, stale: 0, removed: 0, deferred: 0, unjudged: 0 },
    casSwitches: seenSwitches,
    eventsAppended,
    warnings,
    errors,
  };
}

/** Ends the sync as failed: what is buffered appended, then FailSync, then the report. */
export async function failSync(run: SyncRun, f: Fail): Promise<SyncReport> {
  const { ctx, org } = run;
  flushSwitches(run);
  run.eventsAppended += await run.committer.drain();
  const failed = decideConnector({ type: 'FailSync', syncId: run.syncId, kind: run.kind, error: f }, ctx.state().connector);
  if (isLeft(failed)) throw refused('FailSync', failed.left);
  run.eventsAppended += await ctx.appender.append(new Map([[org, failed.right.events]]), nowIso(run));
  ctx.emitStatus();
  run.errors.push({ kind: f.kind, message: f.message });
  return report(run, false, { devices: 0, mailboxes: 0, access: { allow: 0, block: 0, quarantine: 0 } });
}

/** The devices a sync decided (every device in a full sync, the affected ones in a quick sync), by access. */
export interface DecidedCounts {
  readonly devices: number;
  readonly access: { readonly [K in keyof Access]: number };
}

/** Ends the sync that ran to its end: CompleteSync with the next watermark, then the report. */
export async function completeSync(run: SyncRun, decided: DecidedCounts, mailboxes: number, counts: SyncCounts): Promise<SyncReport> {
  const { ctx, org, syncId, kind, warnings } = run;
  const { succeeded, failed } = counts;
  const access = { ...decided.access };
  const success = failed === 0;
  const watermark = maxFirstSync(ctx.state());
  const completed = decideConnector(
    {
      type: 'CompleteSync',
      data: {
        syncId,
        kind,
        success,
        devices: decided.devices,
        commands: { succeeded, failed },
        access,
        warnings: warnings.length,
        ...(watermark ? { watermark } : {}),
      },
    },
    ctx.state().connector,
  );
  if (isLeft(completed)) throw refused('CompleteSync', completed.left);
  run.eventsAppended += await ctx.appender.append(new Map([[org, completed.right.events]]), nowIso(run));
  ctx.emitStatus();
  progress(run, 'done', 1, 1);
  return report(run, success, { devices: decided.devices, mailboxes, access }, counts);
}
