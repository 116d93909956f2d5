// The engine: createEngine over the ports. Owns the organization's state
// (folded from the log), the sync queue (syncs never overlap; a full sync
// requested during a quick one runs right after it), the rxjs schedules, CAS
// failover, and fencing (a connector whose append loses to another stops).
import { type BehaviorSubject, Subscription, asyncScheduler, interval, timer, type SchedulerLike } from 'rxjs';
import { isLeft, left, type Either } from 'fp-ts/lib/Either.js';
import type { Clock, EventStore, ExchangeGateway, IntuneGateway, Notifier } from './ports.js';
import type { Policy } from './policy.js';
import type { SyncKind } from './connector.js';
import type { OrgState } from './state.js';
import { createStateLoader, type SnapshotOptions } from './start.js';
import { createAppender, EngineFailure, type Batch, type EngineError } from './append.js';
import {
  decideOverride,
  decideWipe,
  decideRevoke,
  DEFAULT_MAX_OVERRIDE_DAYS,
  type ActionDecided,
  type ActionRefusal,
  type OverrideRequest,
  type WipeRequest,
  type RevokeRequest,
} from './actions.js';
import { CasFailover, type CasSwitch } from './failover.js';
import { histogram, observe, SYNC_DURATION_BOUNDS, COMMAND_LATENCY_BOUNDS, type Histogram } from './histogram.js';
import { runSync, type SyncCaches, type SyncProgress, type SyncReport } from './sync.js';
import { connectorStatusView, failedSyncReport, type ConnectorStatusView, type DeviceAccessView } from './engine-views.js';

export type { ConnectorStatusView, DeviceAccessView } from './engine-views.js';
import { msUntilDaily, type ScheduleOptions } from './schedule.js';
import { LazyStatusSubject } from './status-subject.js';

export { msUntilDaily, type ScheduleOptions } from './schedule.js';

export type { SyncReport, SyncProgress, SyncIssue } from './sync.js';
export { EngineFailure, type EngineError } from './append.js';
export type { Histogram } from './histogram.js';
export type { SnapshotNote, SnapshotOptions } from './start.js';
export type { ActionDecided, ActionRefusal, OverrideRequest, RevokeRequest, WipeRequest } from './actions.js';

/** Why an administrator action was not recorded: refused by the rules, or the log could not be read or written. */
export type ActionFailure = ActionRefusal | { readonly kind: 'fenced' | 'store' | 'invalidLog'; readonly message: string };

export interface EngineOptions {
  readonly organization: string;
  /** The longest administrator override allowed (default 30 days). */
  readonly maxOverrideDays?: number;
  readonly exchange: ExchangeGateway;
  readonly intune: IntuneGateway;
  readonly store: EventStore;
  /** Where to keep a snapshot of the state, so a start folds only the log after it (none by default). */
  readonly snapshots?: SnapshotOptions;
  readonly policy: Policy;
  readonly notifier?: Notifier;
  /** Timers of the schedules and of throttling waits; tests pass virtual time. */
  readonly scheduler?: SchedulerLike;
  /** Wall clock; default the scheduler's `now()`. */
  readonly clock?: Clock;
  /** Concurrent remote PowerShell sessions. Default 1, as the original. */
  readonly parallelism?: number;
  /** The account's PowerShellMaxConcurrency (default 18); the engine uses at most this minus 2. */
  readonly maxConcurrency?: number;
  /** Fail over to another discovered CAS when the one in use stops answering (default true). */
  readonly casFailover?: boolean;
  /** Keep not-governed devices allowed when the org default first becomes restrictive (default true). */
  readonly grandfathering?: boolean;
  /**
   * Stale clean-up: at most this many mailboxes' Get-MobileDeviceStatistics per
   * full sync (default 10,000); larger organizations are covered over several
   * days, a different share each day.
   */
  readonly cleanupMailboxesPerSync?: number;
  /** A macrotask yield (`setImmediate`): syncs then decide in slices, the sessions served in between (the CLI passes one). */
  readonly yieldToLoop?: () => Promise<void>;
  /** Identifies this connector in the log. Default `<organization>-connector`. */
  readonly connectorId?: string;
  readonly schedule?: ScheduleOptions;
  readonly onProgress?: (p: SyncProgress) => void;
  /** Every sync's report as it finishes, scheduled or requested (the console shows what the log does not record). */
  readonly onReport?: (r: SyncReport) => void;
  /** Crash-test hook: called after each append and before/after each command; may delay. */
  readonly onStep?: (step: 'append' | 'beforeCommand' | 'afterCommand', id?: string) => Promise<void> | void;
}

export interface EngineMetrics {
  syncs: Record<'full' | 'quick', { succeeded: number; failed: number }>;
  commands: { succeeded: number; failed: number };
  throttleWaits: number;
  throttleWaitMs: number;
  sessionsOpened: number;
  casSwitches: number;
  notifications: { sent: number; failed: number };
  /** How long syncs took (seconds, from the report's start to completion), by kind. */
  syncDurationSeconds: Record<'full' | 'quick', Histogram>;
  /** How long each Exchange command attempt took (seconds). */
  commandLatencySeconds: Histogram;
}

export interface Engine {
  fullSync(): Promise<SyncReport>;
  quickSync(): Promise<SyncReport>;
  /** Queues a sync; resolves with the report of the sync that covers it. */
  requestSync(kind: SyncKind): Promise<SyncReport>;
  /** Starts the schedules (quick every 15 minutes, full daily by default). */
  start(): void;
  /** Stops the schedules and waits for a running sync to finish. */
  stop(): Promise<void>;
  /**
   * An administrator's override of one partnership (rule 9), recorded between
   * syncs (queued like one); the next sync enforces it (run a quick sync to
   * enforce it now). Granting the same override again changes nothing.
   */
  grantOverride(r: OverrideRequest): Promise<Either<ActionFailure, ActionDecided>>;
  /** Ends the override in force early; the next sync decides the device by the policy again. */
  revokeOverride(r: RevokeRequest): Promise<Either<ActionFailure, ActionDecided>>;
  /**
   * An administrator's remote wipe of one partnership, recorded between syncs;
   * the next sync sends it (Clear-MobileDevice) and later syncs record the
   * phone's acknowledgement. The same request again changes nothing.
   */
  requestWipe(r: WipeRequest): Promise<Either<ActionFailure, ActionDecided>>;
  /** Every partnership's current decision, from the engine's state. */
  devices(): DeviceAccessView[];
  status(): ConnectorStatusView;
  metrics(): EngineMetrics;
  readonly status$: BehaviorSubject<ConnectorStatusView>;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function createEngine(o: EngineOptions): Engine {
  const scheduler = o.scheduler ?? asyncScheduler;
  const clock: Clock = o.clock ?? { now: () => scheduler.now() };
  const connectorId = o.connectorId ?? `${o.organization}-connector`;
  let state: OrgState | undefined;
  let fenced: EngineError | undefined;
  const caches: SyncCaches = {};
  const switches: CasSwitch[] = [];
  const failover = new CasFailover(
    o.exchange,
    o.casFailover ?? true,
    (sw) => {
      switches.push(sw);
      metrics.casSwitches++;
    },
    (ms) =>
      new Promise<void>((res) => {
        scheduler.schedule(() => res(), ms);
      }),
  );
  const appender = createAppender(o.store, () => state!, { schema: 1, connectorId }, o.onStep ? (step) => o.onStep!(step) : undefined);
  const metrics: EngineMetrics = {
    syncs: { full: { succeeded: 0, failed: 0 }, quick: { succeeded: 0, failed: 0 } },
    commands: { succeeded: 0, failed: 0 },
    throttleWaits: 0,
    throttleWaitMs: 0,
    sessionsOpened: 0,
    casSwitches: 0,
    notifications: { sent: 0, failed: 0 },
    syncDurationSeconds: { full: histogram(SYNC_DURATION_BOUNDS), quick: histogram(SYNC_DURATION_BOUNDS) },
    commandLatencySeconds: histogram(COMMAND_LATENCY_BOUNDS),
  };

  const statusView = (): ConnectorStatusView =>
    connectorStatusView(o.organization, state, fenced, o.exchange.currentServer?.(), iso(clock.now()));
  const status$ = new LazyStatusSubject<ConnectorStatusView>(statusView);
  const emitStatus = () => status$.changed();

  const loader = createStateLoader(o.organization, o.store, appender, o.snapshots);
  async function load(): Promise<OrgState> {
    state ??= await loader.load();
    return state;
  }

  const failedReport = (kind: SyncKind, errorKind: string, message: string, eventsAppended = 0): SyncReport =>
    failedSyncReport(kind, errorKind, message, eventsAppended, iso(clock.now()));

  async function runOne(kind: SyncKind): Promise<SyncReport> {
    if (fenced) return failedReport(kind, 'fenced', fenced.message);
    let report: SyncReport;
    const appendedBefore = appender.appended;
    try {
      await load();
      report = await runSync(
        {
          organization: o.organization,
          connectorId,
          exchange: o.exchange,
          intune: o.intune,
          notifier: o.notifier,
          policy: o.policy,
          scheduler,
          now: () => clock.now(),
          parallelism: Math.max(1, o.parallelism ?? 1),
          maxConcurrency: o.maxConcurrency ?? 18,
          grandfathering: o.grandfathering ?? true,
          ...(o.cleanupMailboxesPerSync !== undefined ? { cleanupMailboxesPerSync: o.cleanupMailboxesPerSync } : {}),
          ...(o.yieldToLoop ? { yieldToLoop: o.yieldToLoop } : {}),
          failover,
          appender,
          state: () => state!,
          caches,
          switches,
          onProgress: o.onProgress,
          onStep: o.onStep,
          emitStatus,
          onCommandTime: (ms) => observe(metrics.commandLatencySeconds, ms / 1000),
        },
        kind,
      );
    } catch (err) {
      if (!(err instanceof EngineFailure)) throw err;
      // The log could not be read or written. A conflict means another connector
      // registered for this organization: this one is fenced out for good.
      if (err.error.kind === 'store' && err.error.error.kind === 'conflict') fenced = { kind: 'fenced', message: err.message };
      state = undefined;
      const kindOf =
        err.error.kind === 'store'
          ? `store.${err.error.error.kind}`
          : err.error.kind === 'refused'
            ? `refused.${err.error.refusal.kind}`
            : err.error.kind;
      report = failedReport(kind, kindOf, err.message, appender.appended - appendedBefore);
      emitStatus();
    }
    // Between syncs, so the state is the log's up to its last append.
    if (state && !fenced) await loader.checkpoint(state, report.kind === 'full');
    observe(metrics.syncDurationSeconds[report.kind], Math.max(0, Date.parse(report.completedAt) - Date.parse(report.startedAt)) / 1000);
    const m = metrics.syncs[report.kind];
    if (report.success) m.succeeded++;
    else m.failed++;
    metrics.commands.succeeded += report.commands.succeeded;
    metrics.commands.failed += report.commands.failed;
    metrics.throttleWaits += report.commands.throttleWaits;
    metrics.throttleWaitMs += report.commands.throttleWaitMs;
    metrics.sessionsOpened += report.sessions.opened;
    metrics.notifications.sent += report.notifications.sent;
    metrics.notifications.failed += report.notifications.failed;
    return report;
  }

  // ---------------------------------------------------------------- the queue
  interface Waiter {
    resolve: (r: SyncReport) => void;
    reject: (e: unknown) => void;
  }
  let running = false;
  let pending: { full: Waiter[]; quick: Waiter[] } = { full: [], quick: [] };
  // Administrator actions go first: they are one append each and must never interleave with a sync's writes.
  const actions: Array<() => Promise<void>> = [];
  let idle: Promise<void> = Promise.resolve();
  let markIdle: () => void = () => {};

  function pump(): void {
    if (running) return;
    const action = actions.shift();
    if (action) {
      running = true;
      void action().finally(() => {
        running = false;
        pump();
      });
      return;
    }
    const kind: SyncKind | undefined = pending.full.length > 0 ? 'full' : pending.quick.length > 0 ? 'quick' : undefined;
    if (!kind) {
      markIdle();
      return;
    }
    // A full sync covers the quick ones waiting with it.
    const waiters = kind === 'full' ? [...pending.full, ...pending.quick] : pending.quick;
    pending = kind === 'full' ? { full: [], quick: [] } : { full: pending.full, quick: [] };
    running = true;
    // The queue is free before the waiters hear back, so a request made on
    // hearing back is queued behind nothing.
    runOne(kind).then(
      (r) => {
        running = false;
        o.onReport?.(r);
        for (const w of waiters) w.resolve(r);
        pump();
      },
      (e: unknown) => {
        running = false;
        for (const w of waiters) w.reject(e);
        pump();
      },
    );
  }

  function requestSync(kind: SyncKind): Promise<SyncReport> {
    return new Promise<SyncReport>((resolve, reject) => {
      if (!running && pending.full.length + pending.quick.length === 0)
        idle = new Promise<void>((r) => {
          markIdle = r;
        });
      pending[kind].push({ resolve, reject });
      pump();
    });
  }

  function act(decide: (s: OrgState, atMs: number) => Either<ActionRefusal, ActionDecided>): Promise<Either<ActionFailure, ActionDecided>> {
    return new Promise((resolve) => {
      if (!running && actions.length + pending.full.length + pending.quick.length === 0)
        idle = new Promise<void>((r) => {
          markIdle = r;
        });
      actions.push(async () => {
        if (fenced) return resolve(left({ kind: 'fenced', message: fenced.message }));
        try {
          const s = await load();
          const atMs = clock.now();
          const d = decide(s, atMs);
          if (isLeft(d) || d.right.events.length === 0) return resolve(d);
          const batch: Batch = new Map([[d.right.stream, [...d.right.events]]]);
          await appender.append(batch, iso(atMs));
          emitStatus();
          resolve(d);
        } catch (err) {
          if (!(err instanceof EngineFailure)) throw err;
          if (err.error.kind === 'store' && err.error.error.kind === 'conflict') fenced = { kind: 'fenced', message: err.message };
          state = undefined;
          resolve(left({ kind: err.error.kind === 'store' ? 'store' : 'invalidLog', message: err.message }));
        }
      });
      pump();
    });
  }
  const maxOverrideDays = o.maxOverrideDays ?? DEFAULT_MAX_OVERRIDE_DAYS;

  // ---------------------------------------------------------------- schedules
  let subscription: Subscription | undefined;
  function start(): void {
    if (subscription) return;
    const quickMs = (o.schedule?.quickMinutes ?? 15) * 60_000;
    const firstFull = msUntilDaily(clock.now(), o.schedule?.fullDailyAt ?? '02:00');
    subscription = new Subscription();
    const swallow = () => {
      /* reports carry their own errors */
    };
    subscription.add(
      interval(quickMs, scheduler).subscribe(() => {
        requestSync('quick').catch(swallow);
      }),
    );
    subscription.add(
      timer(firstFull, 86_400_000, scheduler).subscribe(() => {
        requestSync('full').catch(swallow);
      }),
    );
  }
  async function stop(): Promise<void> {
    subscription?.unsubscribe();
    subscription = undefined;
    // Only the running sync is finished: syncs still queued are not started
    // (their callers hear so), so stopping takes one sync at most.
    const queued = pending;
    pending = { full: [], quick: [] };
    for (const kind of ['full', 'quick'] as const) {
      for (const w of queued[kind]) w.resolve(failedReport(kind, 'stopped', 'the connector is stopping: this sync was not started'));
    }
    if (!running) markIdle();
    await idle;
  }

  return {
    fullSync: () => requestSync('full'),
    quickSync: () => requestSync('quick'),
    requestSync,
    grantOverride: (r) => act((s, atMs) => decideOverride(s, r, atMs, maxOverrideDays)),
    revokeOverride: (r) => act((s, atMs) => decideRevoke(s, r, atMs)),
    requestWipe: (r) => act((s, atMs) => decideWipe(s, r, atMs)),
    start,
    stop,
    devices() {
      const out: DeviceAccessView[] = [];
      for (const ms of state?.mailboxes.values() ?? []) {
        for (const d of Object.values(ms.devices)) {
          if (d.decision)
            out.push({
              deviceId: d.deviceId,
              mailbox: ms.info?.identity ?? '',
              access: d.decision.access,
              reason: d.decision.reason,
              governed: d.decision.governed,
              ...(d.wipe
                ? { wipe: { wipeId: d.wipe.wipeId, stage: d.wipe.stage, ...(d.wipe.error ? { error: d.wipe.error.message } : {}) } }
                : {}),
            });
        }
      }
      return out;
    },
    status: statusView,
    metrics: () => metrics,
    status$,
  };
}
