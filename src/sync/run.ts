// One sync's run: what the engine passes in (SyncContext), and what the
// phases share while it runs (SyncRun), from StartSync on.
import type { SchedulerLike } from 'rxjs';
import type { ExchangeGateway, IntuneGateway, Notifier } from '../ports.js';
import type { Policy } from '../policy.js';
import { event, orgStream, type DomainEvent } from '../events.js';
import { decideConnector, nextSyncId, type SyncKind } from '../connector.js';
import { accepted } from '../decider.js';
import { type Appender, EngineFailure, groupCommitter } from '../append.js';
import type { OrgState } from '../state.js';
import type { CasFailover, CasSwitch } from '../failover.js';
import type { SyncIssue, SyncProgress } from './report.js';
import type { ManagedCache } from './managed-cache.js';

/** What the engine remembers between syncs that is not in the log (observations). */
export interface SyncCaches {
  managed?: ManagedCache;
  intuneCheckedAt?: number;
}

export interface SyncContext {
  readonly organization: string;
  readonly connectorId: string;
  readonly exchange: ExchangeGateway;
  readonly intune: IntuneGateway;
  readonly notifier?: Notifier;
  readonly policy: Policy;
  readonly scheduler: SchedulerLike;
  readonly now: () => number;
  readonly parallelism: number;
  readonly maxConcurrency: number;
  readonly grandfathering: boolean;
  /** Stale clean-up: the most mailboxes whose statistics one full sync reads. */
  readonly cleanupMailboxesPerSync?: number;
  readonly failover: CasFailover;
  readonly appender: Appender;
  readonly state: () => OrgState;
  readonly caches: SyncCaches;
  readonly switches: CasSwitch[];
  readonly onProgress?: (p: SyncProgress) => void;
  readonly onStep?: (step: 'append' | 'beforeCommand' | 'afterCommand', id?: string) => Promise<void> | void;
  readonly emitStatus: () => void;
  /**
   * Lets the event loop run (a macrotask: setImmediate) between slices of
   * deciding, so the sessions' finished commands are taken care of meanwhile.
   * Absent: each chunk is decided in one go.
   */
  readonly yieldToLoop?: () => Promise<void>;
  /** Each Exchange command attempt's duration in ms (metrics). */
  readonly onCommandTime?: (ms: number) => void;
}

/** A sync before its start is durable: its kind, id and instant, and the events that start it. */
export interface SyncOpening {
  readonly ctx: SyncContext;
  readonly kind: SyncKind;
  readonly syncId: string;
  /** The organization's stream. */
  readonly org: string;
  readonly startedMs: number;
  readonly startedAt: string;
  readonly warnings: SyncIssue[];
  /** StartSync's events (SyncStarted, and a policy change when there is one). */
  readonly events: readonly DomainEvent[];
}

/** What the phases of one sync share, once its start is durable. */
export interface SyncRun extends Omit<SyncOpening, 'events'> {
  /** The revision of the policy this sync records its decisions under. */
  readonly policyRevision: number;
  readonly errors: SyncIssue[];
  /** The failovers recorded in this sync, for the report. */
  readonly seenSwitches: CasSwitch[];
  eventsAppended: number;
  /** Appends command outcomes and failovers as they come, in batches. */
  readonly committer: ReturnType<typeof groupCommitter>;
}

export type Fail = { kind: string; message: string };
export const iso = (ms: number) => new Date(ms).toISOString();
export const errInfo = (e: { kind: string; message: string }) => ({ kind: e.kind, message: e.message });
export const nowIso = (run: SyncRun) => iso(run.ctx.now());

export const progress = (
  run: Pick<SyncRun, 'ctx'>,
  phase: SyncProgress['phase'],
  done: number,
  total: number,
  more: Partial<SyncProgress> = {},
) => run.ctx.onProgress?.({ phase, done, total, ...more });

/** Records the failovers since the last call (CasSwitched), through the committer. */
export function flushSwitches(run: SyncRun): void {
  for (const sw of run.ctx.switches.splice(0)) {
    run.seenSwitches.push(sw);
    run.committer.add(run.org, [event('CasSwitched', { syncId: run.syncId, from: sw.from, to: sw.to, reason: sw.reason })]);
  }
}

/**
 * A decider refused what the sync asked of it: the state the sync decided from
 * is not the one it is recording into (a bug, or a log changed under it). The
 * sync stops as an engine failure, reported, and the state is read again.
 */
export const refused = (command: string, f: { readonly kind: string; readonly message: string }) =>
  new EngineFailure({ kind: 'refused', refusal: { kind: f.kind, message: f.message }, message: `${command} refused: ${f.message}` });

/** Opens a sync: its kind and id chosen, StartSync decided (nothing written yet). */
export function openSync(ctx: SyncContext, requested: SyncKind): SyncOpening {
  const s = ctx.state();
  const org = orgStream(ctx.organization);
  const startedMs = ctx.now();
  const startedAt = iso(startedMs);
  // A quick sync needs a full one before it (its watermark and Intune cache).
  const kind: SyncKind =
    requested === 'quick' && s.connector.watermark === undefined && s.connector.lastSuccessful.full === undefined ? 'full' : requested;
  const syncId = nextSyncId(s.connector);
  const warnings: SyncIssue[] = [];
  if (kind !== requested)
    warnings.push({ kind: 'quickBecameFull', message: 'no full sync has completed yet: this quick sync ran as a full sync' });

  const start = accepted(
    decideConnector(
      { type: 'StartSync', syncId, kind, connectorId: ctx.connectorId, organization: ctx.organization, policy: ctx.policy },
      s.connector,
    ),
  );
  return { ctx, kind, syncId, org, startedMs, startedAt, warnings, events: start.events };
}

/** Starts an opened sync: StartSync's events appended (and the status told), then the run. */
export async function startSync(opening: SyncOpening): Promise<SyncRun> {
  const { ctx, kind, syncId, org, startedMs, startedAt, warnings } = opening;
  const eventsAppended = await ctx.appender.append(new Map([[org, [...opening.events]]]), startedAt);
  ctx.emitStatus();
  const policyRevision = ctx.state().connector.policy!.decisionRevision;
  const run: SyncRun = {
    ctx,
    kind,
    syncId,
    org,
    startedMs,
    startedAt,
    policyRevision,
    warnings,
    errors: [],
    seenSwitches: [],
    eventsAppended,
    committer: groupCommitter(ctx.appender, () => nowIso(run)),
  };
  return run;
}
