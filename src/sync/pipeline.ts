// Deciding and executing as a pipeline: the org reconciled (full syncs), the
// mailboxes decided in chunks, each chunk's intents appended before its
// commands run, outcomes recorded as they come; org commands last: the rules
// side by side, then the org settings.
import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import type { ExchangeError } from '../ports.js';
import { event, type DomainEvent } from '../events.js';
import { decideConnector } from '../connector.js';
import { decideMailbox, initialMailboxState } from '../mailbox.js';
import { createMailboxPlanner, type PlannedDevice } from '../plan.js';
import { type Batch, pushTo } from '../append.js';
import { createExecutor, sessionCount, WorkQueue, type ExecutionCounters, type WorkItem } from '../executor.js';
import type { Discovered } from './discovery.js';
import { judgeUnsure, type Statistics, type Unsure } from './lifecycle.js';
import { removalsByStream, selectStale } from '../cleanup.js';
import { changesAccess, planOrg, tightensDefault, type OrgPlan } from './org-plan.js';
import { errInfo, flushSwitches, progress, refused, type SyncRun } from './run.js';
import { readyNotices, startNotices, type NotificationCounts, type Notices } from './notify.js';
import type { DecidedCounts } from './report.js';

const CHUNK = 200;
// With a yield (ctx.yieldToLoop), deciding is cut into slices of 10 mailboxes (~2 ms) with the loop
// let run in between: a session's answer waits at most one slice (slices of 25 held it ~5 ms). Slices
// of 5 did a little better at 5 ms a command but made a sync without latency ~8 % slower.
const SLICE = 10;
// With a yield, a chunk's append (serializing its events) is itself one uninterrupted task: at
// 200 mailboxes it held the loop 10–20 ms, late for every session's answer; 50 keep it short.
const YIELDING_CHUNK = 50;
// An idle session cuts a chunk short, but not below 25 mailboxes (the first chunk excepted): each
// append is an fsync, and appends of a slice each made a sync without latency twice as slow.
const MIN_APPEND = 25;
// Deciding runs ahead of the sessions by at most this many commands per session, and resumes once half
// of them are left: decisions, intents and commands held for long outlive the young generation's
// collections and are copied there and promoted (a first sync at 5 ms a command decided everything in
// its first half, the collector's pauses stalling every session), while as many are enough to keep
// every session busy through a chunk's deciding and append.
const AHEAD_PER_SESSION = 16;

const HELD_DEFAULT =
  'not sent: a device access rule command of this sync failed, and a stricter default never lands before the exceptions that soften it; the next full sync sends both';

// Failures after which a command may or may not have run.
const AMBIGUOUS: ReadonlySet<string> = new Set(['connectionLost', 'sessionBroken']);

/** What the pipeline did. */
export interface Executed {
  /** The devices decided from fresh facts, by access (a quick sync keeps the others' last decision). */
  readonly decided: DecidedCounts;
  readonly mailboxes: number;
  readonly issued: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly counters: ExecutionCounters;
  readonly drift: number;
  readonly decisionsChanged: number;
  readonly grandfathered: number;
  /** Exchange's connection was lost: the commands not run failed with it. */
  readonly disconnected?: ExchangeError;
  /** Users notified while the commands ran (see sync/notify.ts). */
  readonly notifications: NotificationCounts;
  readonly lifecycle: LifecycleCounts;
}

/** What a sync did to the device lifecycle (remote wipes, stale partnership clean-up). */
export interface LifecycleCounts {
  /** Clear-MobileDevice commands Exchange accepted. */
  readonly wipesSent: number;
  /** Wipes whose acknowledgement was recorded. */
  readonly wipesAcknowledged: number;
  /** Stale partnerships chosen for removal, and removed (Remove-MobileDevice succeeded). */
  readonly stale: number;
  readonly removed: number;
  /** Stale partnerships over maxRemovalsPerSync, left for the next full sync. */
  readonly deferred: number;
  /** Partnerships old enough to be stale whose statistics this sync did not read (another day's share, or a failed read). */
  readonly unjudged: number;
}

/** Events of the kinds a sync's report counts. */
interface Tally {
  drift: number;
  decisionsChanged: number;
  grandfathered: number;
}

// Loops over every planned device are functions of the module: in `enforce` they made all of it
// hot, compiled again at every sync (docs/architecture.md, "Compiled code that outlives a sync").
/** Adds a decided slice to its chunk: its events to the batch (counted), its devices to `planned` (counted). */
function takeSlice(
  slice: ReturnType<ReturnType<typeof createMailboxPlanner>['next']>,
  chunkBatch: Batch,
  planned: PlannedDevice[],
  decided: { devices: number; access: Record<PlannedDevice['decision']['access'], number> },
  tally: Tally,
): void {
  for (const [stream, evs] of slice.events) {
    pushTo(chunkBatch, stream, evs);
    for (const e of evs) {
      if (e.type === 'ListsDriftDetected') tally.drift++;
      else if (e.type === 'AccessDecided') tally.decisionsChanged++;
      else if (e.type === 'DeviceGrandfathered') tally.grandfathered++;
    }
  }
  for (const d of slice.devices) {
    planned.push(d);
    if (d.fresh) {
      decided.devices++;
      decided.access[d.decision.access]++;
    }
  }
}

/** Decides the sync's devices and runs the commands that enforce the decisions, recording intents and outcomes; notifies users meanwhile. */
export async function decideAndExecute(run: SyncRun, discovered: Discovered, statistics: Statistics = new Map()): Promise<Executed> {
  const notices = startNotices(run);
  try {
    return await enforce(run, discovered, statistics, notices);
  } catch (err) {
    // A failed sync sends nothing more: its state is read again before the next one.
    notices.halt();
    throw err;
  }
}

async function enforce(
  run: SyncRun,
  { devices, mailboxes, groups, settings, rules, servers }: Discovered,
  statistics: Statistics,
  notices: Notices,
): Promise<Executed> {
  const { ctx, syncId, org, startedMs, policyRevision } = run;
  // Stale partnerships: chosen across the whole organization (oldest first, capped) before any mailbox is decided.
  const stale =
    run.kind === 'full'
      ? selectStale({
          organization: ctx.organization,
          policy: ctx.policy,
          atMs: startedMs,
          devices,
          mailboxes,
          groups,
          statistics,
          state: ctx.state().mailboxes,
        })
      : undefined;
  if (stale && stale.deferred > 0)
    run.warnings.push({
      kind: 'removalsDeferred',
      message: `${stale.deferred} more stale partnership(s) than maxRemovalsPerSync (${stale.chosen.length} removed now): they are removed by the next full syncs`,
    });

  const orgPlan: OrgPlan = run.kind === 'full' ? planOrg(run, settings!, rules!, servers!) : { batch: new Map(), orgWork: [], drift: 0 };
  const { batch, orgWork, grandfather } = orgPlan;
  // Events of the kinds the report counts, as the chunks are decided.
  const tally: Tally = { drift: orgPlan.drift, decisionsChanged: 0, grandfathered: 0 };
  const planner = createMailboxPlanner({
    organization: ctx.organization,
    syncId,
    atMs: startedMs,
    policy: ctx.policy,
    policyRevision,
    observations: { devices, mailboxes, managed: ctx.caches.managed?.values() ?? [], groups },
    state: ctx.state().mailboxes,
    complete: run.kind === 'full',
    ...(grandfather ? { grandfather } : {}),
    ...(stale && stale.chosen.length > 0 ? { removals: removalsByStream(stale.chosen) } : {}),
    onProgress: (d, t) => progress(run, 'decide', d, t),
  });
  let wipesSent = 0;
  let removed = 0;
  const unsure: Unsure[] = [];
  // Counted, not kept: a sync's every planned device held to its end was copied by each young-generation collection and promoted.
  const decided = { devices: 0, access: { allow: 0, block: 0, quarantine: 0 } };
  const streamOf = new Map<string, string>();
  for (const w of orgWork) streamOf.set(w.commandId, org);
  const failedStreams = new Set<string>();
  // A device access rule command failed: a stricter default is then not sent (see the org phases below).
  let ruleFailed = false;
  // An org command that changes access failed: the quarantines it was to enforce may not be in force.
  let orgAccessFailed = false;
  // Notices go as enforcement finishes: a device's once its mailbox has no command left (none failed).
  // A quarantine is Exchange's default (and rules) at work: when this sync changes them, its notice waits for those commands.
  const orgChangesAccess = orgWork.some(changesAccess);
  const commandsLeft = new Map<string, number>();
  const waiting = new Map<string, PlannedDevice[]>();
  const afterOrg: PlannedDevice[] = [];
  // A command's stream has no command left: its waiting notices go unless one of them failed (org commands are not counted).
  const settled = (stream: string) => {
    const left = (commandsLeft.get(stream) ?? 0) - 1;
    if (left > 0) {
      commandsLeft.set(stream, left);
      return;
    }
    commandsLeft.delete(stream);
    const ready = waiting.get(stream);
    waiting.delete(stream);
    if (ready && !failedStreams.has(stream)) notices.offer(ready);
  };
  let succeeded = 0;
  let failed = 0;
  let issued = 0;
  let done = 0;
  // Commands known so far (org commands are known before any mailbox is decided): the enforcing total only grows.
  let commandsKnown = orgWork.length;
  let decidedAll = false;
  const executor = createExecutor({
    exchange: ctx.exchange,
    scheduler: ctx.scheduler,
    now: ctx.now,
    failover: ctx.failover,
    parallelism: ctx.parallelism,
    maxConcurrency: ctx.maxConcurrency,
    ...(ctx.onCommandTime ? { onCommandTime: ctx.onCommandTime } : {}),
    ...(ctx.onStep ? { onStep: (step: 'beforeCommand' | 'afterCommand', id: string) => ctx.onStep!(step, id) } : {}),
  });
  const onResult = (w: WorkItem, r: Either<ExchangeError, void>) => {
    const stream = streamOf.get(w.commandId)!;
    const error = isLeft(r) ? errInfo(r.left) : undefined;
    const c = w.command;
    if (error && (c.kind === 'clearMobileDevice' || c.kind === 'removeMobileDevice') && AMBIGUOUS.has(error.kind)) {
      // Maybe applied, maybe not: judged on Exchange's statistics once the commands are done, never sent again blindly.
      unsure.push({ stream, commandId: w.commandId, command: c, error });
      settled(stream);
      progress(run, 'execute', ++done, commandsKnown, { final: decidedAll, failed, throttleWaits: executor.counters.throttleWaits });
      return;
    }
    if (error) {
      failed++;
      // Users are not told while their mailbox's lists may be wrong; a failed wipe or removal leaves the lists as they were.
      if (c.kind === 'setCasMailbox') failedStreams.add(stream);
      else if (stream === org && c.kind !== 'setOrgSettings') ruleFailed = true;
      if (stream === org && changesAccess(w)) orgAccessFailed = true;
      const mailbox =
        c.kind === 'setCasMailbox' || c.kind === 'clearMobileDevice' || c.kind === 'removeMobileDevice' ? c.mailbox : undefined;
      const deviceId = c.kind === 'clearMobileDevice' || c.kind === 'removeMobileDevice' ? c.deviceId : undefined;
      run.errors.push({
        kind: `command.${error.kind}`,
        message: `${c.kind}${mailbox ? ` ${mailbox}` : ''}${deviceId !== undefined ? ` ${JSON.stringify(deviceId)}` : ''}: ${error.message}`,
        ...(mailbox ? { mailbox } : {}),
        ...(deviceId !== undefined ? { deviceId } : {}),
      });
    } else {
      succeeded++;
      if (c.kind === 'clearMobileDevice') wipesSent++;
      else if (c.kind === 'removeMobileDevice') removed++;
    }
    const evs: Either<{ kind: string; message: string }, { events: DomainEvent[] }> =
      stream === org
        ? decideConnector({ type: 'RecordOrgCommandOutcome', commandId: w.commandId, ...(error ? { error } : {}) }, ctx.state().connector)
        : decideMailbox(
            { type: 'RecordCommandOutcome', commandId: w.commandId, ...(error ? { error } : {}) },
            ctx.state().mailboxes.get(stream) ?? initialMailboxState,
          );
    if (isLeft(evs)) throw refused(stream === org ? 'RecordOrgCommandOutcome' : 'RecordCommandOutcome', evs.left);
    flushSwitches(run);
    run.committer.defer(stream, evs.right.events);
    settled(stream);
    progress(run, 'execute', ++done, commandsKnown, { final: decidedAll, failed, throttleWaits: executor.counters.throttleWaits });
  };

  // Decide and execute as a pipeline: each chunk of mailboxes is decided, its
  // intents made durable, and its commands handed to the sessions while the
  // next chunk is decided. Mailboxes first (grandfathered devices keep access
  // before the default tightens), then the org: rules before the default.
  const queue = new WorkQueue();
  const running = executor.run(queue, onResult);
  // Awaited below, after the decide loop: a failure (a refused outcome) waits for it there.
  running.catch(() => undefined);
  let chunkNo = 0;
  const ahead = AHEAD_PER_SESSION * sessionCount(ctx.parallelism, ctx.maxConcurrency);
  // Outcomes wait for the next chunk's append while mailboxes are decided (see groupCommitter).
  run.committer.hold();
  while (planner.remaining() > 0 || chunkNo === 0) {
    // Or until the sessions are gone: a lane that threw takes no more work, and a failure must end the sync, not leave it waiting.
    if (queue.pending >= ahead) await Promise.race([queue.below(ahead / 2), running]);
    // Chunks of up to 200 mailboxes (50 with a yield), one append each. Deciding blocks the event loop and
    // the sessions wait on it: with a yield (ctx.yieldToLoop), a chunk is decided in
    // slices of SLICE with the loop let run in between (finished commands are recorded, the
    // sessions take their next one), and it ends early when a session has nothing to do.
    const chunkBatch: Batch = chunkNo === 0 ? batch : new Map();
    const commands: Array<{ readonly stream: string; readonly commandId: string; readonly command: WorkItem['command'] }> = [];
    const chunk = ctx.yieldToLoop ? YIELDING_CHUNK : CHUNK;
    // The chunk's planned devices, for its notices.
    const planned: PlannedDevice[] = [];
    const sliceSize = ctx.yieldToLoop ? SLICE : CHUNK;
    for (let n = 0; n < chunk && (planner.remaining() > 0 || (chunkNo === 0 && n === 0)); n += sliceSize) {
      if (n > 0) await ctx.yieldToLoop!();
      const slice = planner.next(sliceSize);
      takeSlice(slice, chunkBatch, planned, decided, tally);
      commands.push(...slice.commands);
      // A session is idle and there is work for it: make it durable and hand it over now.
      if (!ctx.yieldToLoop || (queue.idle > 0 && commands.length > 0 && (chunkNo === 0 || n + sliceSize >= MIN_APPEND))) break;
    }
    // Intents are durable before their commands run (in one append with the outcomes recorded since the last).
    run.eventsAppended += await run.committer.commit(chunkBatch);
    for (const c of commands) {
      streamOf.set(c.commandId, c.stream);
      commandsLeft.set(c.stream, (commandsLeft.get(c.stream) ?? 0) + 1);
    }
    // The chunk's decisions are durable: notices whose enforcement is done (or needs nothing more) go now.
    notices.offer(readyNotices(planned, notices, orgChangesAccess ? afterOrg : undefined, commandsLeft, waiting));
    issued += commands.length;
    commandsKnown += commands.length;
    queue.push(...commands.map((c) => ({ commandId: c.commandId, command: c.command })));
    chunkNo++;
  }
  run.warnings.push(...planner.warnings);
  decidedAll = true;
  run.committer.release();
  progress(run, 'execute', done, commandsKnown, { final: true, failed, throttleWaits: executor.counters.throttleWaits });
  // Through the committer: it may hold a failover (CasSwitched) for the org stream, and two appends to one stream at once would conflict.
  if (grandfather) run.committer.add(org, [event('GrandfatheringApplied', { syncId, devices: tally.grandfathered })]);
  queue.close();
  let outcome = await running;
  issued += orgWork.length;
  // Org commands: the device access rules side by side (each names a rule of its own), then the org
  // settings alone once every rule has its outcome — a stricter default never lands before the
  // exceptions that soften it.
  const orgPhases = [
    orgWork.filter((w) => w.command.kind !== 'setOrgSettings'),
    orgWork.filter((w) => w.command.kind === 'setOrgSettings'),
  ];
  for (const phase of orgPhases) {
    if (phase.length === 0) continue;
    if (outcome.disconnected) {
      for (const w of phase) onResult(w, { _tag: 'Left', left: outcome.disconnected });
      continue;
    }
    // An exception that could not be made may be one that softens the new default: the default waits
    // for it (the next full sync runs both), rather than locking out the devices it was to let in.
    if (ruleFailed && phase.some(tightensDefault)) {
      for (const w of phase) onResult(w, { _tag: 'Left', left: { kind: 'other', message: HELD_DEFAULT } });
      continue;
    }
    outcome = await createExecutor({
      exchange: ctx.exchange,
      scheduler: ctx.scheduler,
      now: ctx.now,
      failover: ctx.failover,
      parallelism: Math.min(phase.length, ctx.parallelism),
      maxConcurrency: ctx.maxConcurrency,
      ...(ctx.onCommandTime ? { onCommandTime: ctx.onCommandTime } : {}),
    }).run(phase, onResult);
  }
  if (unsure.length > 0) {
    const judged = await judgeUnsure(run, unsure);
    wipesSent += judged.wipesSent;
    removed += judged.removed;
    succeeded += judged.wipesSent + judged.removed;
    failed += judged.failed + judged.pending;
  }
  // Quarantines waited for the org's commands; with Exchange gone, or one of those commands failed (the
  // quarantine may not be in force), they stay due for the next sync.
  if (!outcome.disconnected && !orgAccessFailed) notices.offer(afterOrg.filter((d) => !failedStreams.has(d.stream)));
  const notifications = await notices.finish();
  flushSwitches(run);
  run.eventsAppended += await run.committer.drain();
  const counters = executor.counters;
  return {
    decided,
    mailboxes: planner.mailboxes,
    issued,
    succeeded,
    failed,
    counters,
    drift: tally.drift,
    decisionsChanged: tally.decisionsChanged,
    grandfathered: tally.grandfathered,
    ...(outcome.disconnected ? { disconnected: outcome.disconnected } : {}),
    notifications,
    lifecycle: {
      wipesSent,
      wipesAcknowledged: 0,
      stale: stale?.chosen.length ?? 0,
      removed,
      deferred: stale?.deferred ?? 0,
      unjudged: stale?.unknown ?? 0,
    },
  };
}
