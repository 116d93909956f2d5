// One sync, full or quick, over the ports. Full: discover everything, correct
// org drift, decide every device. Quick: new partnerships since the watermark,
// Intune devices changed since the last look, group changes and grace periods
// that ran out; only those devices are decided, only their mailboxes read and
// written. Both: reconcile intents a crash left, record intents, execute, record
// outcomes, notify, complete.
import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import type { SchedulerLike } from 'rxjs';
import type { ExchangeError, ExchangeGateway, IntuneError, IntuneGateway, Notifier } from './ports.js';
import type { CasMailbox, DeviceAccessRule, ExchangeServer, GroupMembership, ManagedDevice, MobileDevice, OrgSettings } from './facts.js';
import type { ExchangeCommand } from './commands.js';
import type { Policy } from './policy.js';
import { event, orgStream, mailboxStream, type DomainEvent } from './events.js';
import { decideConnector, nextSyncId, type SyncKind } from './connector.js';
import { decideMailbox, deviceKey, initialMailboxState, type DeviceState } from './mailbox.js';
import { accepted } from './decider.js';
import { createMailboxPlanner, groupsOf, type PlannedDevice } from './plan.js';
import { commandApplied } from './reconcile.js';
import { renderNotification } from './notification.js';
import { mailboxIdentityOfDevice } from './identity.js';
import { type Appender, type Batch, EngineFailure, pushTo, groupCommitter } from './append.js';
import type { OrgState } from './state.js';
import type { CasFailover, CasSwitch } from './failover.js';
import { createExecutor, WorkQueue, type WorkItem } from './executor.js';

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
  readonly casSwitches: readonly CasSwitch[];
  readonly eventsAppended: number;
  readonly warnings: readonly SyncIssue[];
  readonly errors: readonly SyncIssue[];
}

/** What the engine remembers between syncs that is not in the log (observations). */
export interface SyncCaches {
  managed?: Map<string, ManagedDevice>;
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
  readonly failover: CasFailover;
  readonly appender: Appender;
  readonly state: () => OrgState;
  readonly caches: SyncCaches;
  readonly switches: CasSwitch[];
  readonly onProgress?: (p: SyncProgress) => void;
  readonly onStep?: (step: 'append' | 'beforeCommand' | 'afterCommand', id?: string) => Promise<void> | void;
  readonly emitStatus: () => void;
  /** Each Exchange command attempt's duration in ms (metrics). */
  readonly onCommandTime?: (ms: number) => void;
}

type Fail = { kind: string; message: string };
const iso = (ms: number) => new Date(ms).toISOString();
const errInfo = (e: { kind: string; message: string }) => ({ kind: e.kind, message: e.message });
/** Exchange and Intune clocks are not ours: look back a little and let idempotence absorb the overlap. */
const WATERMARK_OVERLAP_MS = 5 * 60_000;

function firstError(results: ReadonlyArray<Either<ExchangeError, unknown>>, intune: ReadonlyArray<Either<IntuneError, unknown>>): Fail | undefined {
  for (const r of results) if (isLeft(r)) return { kind: `exchange.${r.left.kind}`, message: `Exchange: ${r.left.message}` };
  for (const r of intune) if (isLeft(r)) return { kind: `intune.${r.left.kind}`, message: `Intune: ${r.left.message}${r.left.url ? ` (${r.left.url})` : ''}` };
  return undefined;
}
const get = <A>(e: Either<unknown, A>) => (e as { right: A }).right;

/**
 * A decider refused what the sync asked of it: the state the sync decided from
 * is not the one it is recording into (a bug, or a log changed under it). The
 * sync stops as an engine failure, reported, and the state is read again.
 */
const refused = (command: string, f: { readonly kind: string; readonly message: string }) =>
  new EngineFailure({ kind: 'refused', refusal: { kind: f.kind, message: f.message }, message: `${command} refused: ${f.message}` });

function asMobileDevice(d: DeviceState): MobileDevice {
  const { decision: _d, owned: _o, notified: _n, grandfathered: _g, ...rest } = d;
  return rest;
}

export async function runSync(ctx: SyncContext, requested: SyncKind): Promise<SyncReport> {
  const s = ctx.state();
  const org = orgStream(ctx.organization);
  const nowIso = () => iso(ctx.now());
  const startedMs = ctx.now();
  const startedAt = iso(startedMs);
  // A quick sync needs a full one before it (its watermark and Intune cache).
  const kind: SyncKind = requested === 'quick' && s.connector.watermark === undefined && s.connector.lastSuccessful.full === undefined ? 'full' : requested;
  const syncId = nextSyncId(s.connector);
  const warnings: SyncIssue[] = [];
  const errors: SyncIssue[] = [];
  let eventsAppended = 0;
  const progress = (phase: SyncProgress['phase'], done: number, total: number, more: Partial<SyncProgress> = {}) => ctx.onProgress?.({ phase, done, total, ...more });
  const seenSwitches: CasSwitch[] = [];
  if (kind !== requested) warnings.push({ kind: 'quickBecameFull', message: 'no full sync has completed yet: this quick sync ran as a full sync' });

  const start = accepted(decideConnector({ type: 'StartSync', syncId, kind, connectorId: ctx.connectorId, organization: ctx.organization, policy: ctx.policy }, s.connector));
  eventsAppended += await ctx.appender.append(new Map([[org, start.events]]), startedAt);
  ctx.emitStatus();
  const policyRevision = ctx.state().connector.policy!.revision;
  const committer = groupCommitter(ctx.appender, nowIso);
  const flushSwitches = () => {
    for (const sw of ctx.switches.splice(0)) {
      seenSwitches.push(sw);
      committer.add(org, [event('CasSwitched', { syncId, from: sw.from, to: sw.to, reason: sw.reason })]);
    }
  };

  const fail = async (f: Fail): Promise<SyncReport> => {
    flushSwitches();
    eventsAppended += await committer.drain();
    const failed = decideConnector({ type: 'FailSync', syncId, kind, error: f }, ctx.state().connector);
    if (isLeft(failed)) throw refused('FailSync', failed.left);
    eventsAppended += await ctx.appender.append(new Map([[org, failed.right.events]]), nowIso());
    ctx.emitStatus();
    errors.push({ kind: f.kind, message: f.message });
    return report(false, { devices: 0, mailboxes: 0, access: { allow: 0, block: 0, quarantine: 0 } });
  };

  // ---------------------------------------------------------------- discover
  progress('discover', 0, 1);
  await ctx.failover.probePrimary();
  const x = ctx.failover;
  const groupIds = [...new Set([...ctx.policy.includedGroups, ...ctx.policy.excludedGroups])];
  let devices: MobileDevice[];
  let mailboxes: CasMailbox[];
  let settings: OrgSettings | undefined;
  let rules: DeviceAccessRule[] | undefined;
  let servers: ExchangeServer[] | undefined;
  let groups: GroupMembership;
  const intuneLookedAt = ctx.now();
  if (kind === 'full') {
    const [d, m, st, r, sv, md, g] = await Promise.all([
      x.read(() => ctx.exchange.getMobileDevices()), x.read(() => ctx.exchange.getCasMailboxes()), x.read(() => ctx.exchange.getOrgSettings()),
      x.read(() => ctx.exchange.getDeviceAccessRules()), x.read(() => ctx.exchange.getExchangeServers()),
      ctx.intune.getManagedDevices(), ctx.intune.getGroupMembers(groupIds),
    ]);
    const e = firstError([d, m, st, r, sv], [md, g]);
    if (e) return fail(e);
    devices = get(d); mailboxes = get(m); settings = get(st); rules = get(r); servers = get(sv); groups = get(g);
    ctx.caches.managed = new Map(get(md).map((x) => [x.id, x]));
    ctx.failover.setServers(servers.filter((v) => v.isClientAccessServer).map((v) => v.fqdn));
  } else {
    const found = await discoverQuick();
    if ('kind' in found) return fail(found);
    ({ devices, mailboxes, groups, settings, rules } = found);
  }
  ctx.caches.intuneCheckedAt = intuneLookedAt;
  progress('discover', 1, 1, { final: true, found: { partnerships: devices.length, mailboxes: mailboxes.length, managedDevices: ctx.caches.managed?.size ?? 0 } });

  // ---------------------------------------------------------------- crash reconciliation
  const observedMailboxes = new Map(mailboxes.map((m) => [mailboxStream(ctx.organization, m.identity), m]));
  const first: Batch = new Map();
  if (settings && rules) {
    for (const [commandId, command] of Object.entries(ctx.state().connector.pending)) {
      const r = decideConnector({ type: 'RecordOrgCommandOutcome', commandId, reconciled: true, ...(commandApplied(command, undefined, settings, rules) ? {} : { error: { kind: 'interrupted', message: 'not applied before the connector stopped' } }) }, ctx.state().connector);
      if (!isLeft(r)) pushTo(first, org, r.right.events);
    }
  }
  for (const [stream, ms] of ctx.state().mailboxes) {
    for (const [commandId, command] of Object.entries(ms.pending)) {
      const observed = observedMailboxes.get(stream);
      if (!observed && kind === 'quick') continue; // looked at by the next full sync
      const r = decideMailbox({ type: 'RecordCommandOutcome', commandId, reconciled: true, ...(commandApplied(command, observed, settings ?? { defaultAccessLevel: 'Allow', adminMailRecipients: [] }, rules ?? []) ? {} : { error: { kind: 'interrupted', message: 'not applied before the connector stopped' } }) }, ms);
      if (!isLeft(r)) pushTo(first, stream, r.right.events);
    }
  }
  if (first.size > 0) eventsAppended += await ctx.appender.append(first, nowIso());

  // ---------------------------------------------------------------- decide
  const batch: Batch = new Map();
  let orgWork: WorkItem[] = [];
  let drift = 0;
  let grandfather: { org: OrgSettings; rules: readonly DeviceAccessRule[] } | undefined;
  if (kind === 'full') {
    const orgPlan = accepted(decideConnector({ type: 'ReconcileOrg', syncId, policy: ctx.policy, settings: settings!, rules: rules!, servers: servers! }, ctx.state().connector));
    pushTo(batch, org, orgPlan.events);
    drift += orgPlan.events.filter((e) => e.type === 'OrgDriftDetected').length;
    orgWork = orgPlan.commands.map((c) => ({ commandId: c.commandId, command: c.command }));
    const restricts = orgPlan.commands.some((c) => c.command.kind === 'setOrgSettings' && c.command.defaultAccessLevel !== undefined && c.command.defaultAccessLevel !== 'Allow');
    // Exchange still allows by default and this sync makes it restrictive: keep what it allows.
    // Judged on Exchange's settings, not on a flag, so a crash before the change retries it.
    if (ctx.grandfathering && restricts && settings!.defaultAccessLevel === 'Allow') {
      grandfather = { org: settings!, rules: rules! };
    }
  }
  const planner = createMailboxPlanner({
    organization: ctx.organization, syncId, atMs: startedMs, policy: ctx.policy, policyRevision,
    observations: { devices, mailboxes, managed: [...(ctx.caches.managed?.values() ?? [])], groups },
    state: ctx.state().mailboxes, complete: kind === 'full', ...(grandfather ? { grandfather } : {}),
    onProgress: (d, t) => progress('decide', d, t),
  });
  let decisionsChanged = 0;
  let grandfathered = 0;
  const planned: PlannedDevice[] = [];
  const streamOf = new Map<string, string>();
  for (const w of orgWork) streamOf.set(w.commandId, org);
  const failedStreams = new Set<string>();
  let succeeded = 0;
  let failed = 0;
  let issued = 0;
  let done = 0;
  // Commands known so far (org commands are known before any mailbox is decided): the enforcing total only grows.
  let commandsKnown = orgWork.length;
  let decidedAll = false;
  const executor = createExecutor({
    exchange: ctx.exchange, scheduler: ctx.scheduler, now: ctx.now, failover: ctx.failover,
    parallelism: ctx.parallelism, maxConcurrency: ctx.maxConcurrency,
    ...(ctx.onCommandTime ? { onCommandTime: ctx.onCommandTime } : {}),
    ...(ctx.onStep ? { onStep: (step: 'beforeCommand' | 'afterCommand', id: string) => ctx.onStep!(step, id) } : {}),
  });
  const onResult = (w: WorkItem, r: Either<ExchangeError, void>) => {
    const stream = streamOf.get(w.commandId)!;
    const error = isLeft(r) ? errInfo(r.left) : undefined;
    if (error) {
      failed++;
      failedStreams.add(stream);
      const mailbox = w.command.kind === 'setCasMailbox' ? w.command.mailbox : undefined;
      errors.push({ kind: `command.${error.kind}`, message: `${w.command.kind}${mailbox ? ` ${mailbox}` : ''}: ${error.message}`, ...(mailbox ? { mailbox } : {}) });
    } else succeeded++;
    const evs: Either<{ kind: string; message: string }, { events: DomainEvent[] }> = stream === org
      ? decideConnector({ type: 'RecordOrgCommandOutcome', commandId: w.commandId, ...(error ? { error } : {}) }, ctx.state().connector)
      : decideMailbox({ type: 'RecordCommandOutcome', commandId: w.commandId, ...(error ? { error } : {}) }, ctx.state().mailboxes.get(stream) ?? initialMailboxState);
    if (isLeft(evs)) throw refused(stream === org ? 'RecordOrgCommandOutcome' : 'RecordCommandOutcome', evs.left);
    flushSwitches();
    committer.add(stream, evs.right.events);
    progress('execute', ++done, commandsKnown, { final: decidedAll, failed, throttleWaits: executor.counters.throttleWaits });
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
  while (planner.remaining() > 0 || chunkNo === 0) {
    // Small chunks: deciding blocks the event loop, and the sessions wait on it.
    const chunk = planner.next(200);
    const chunkBatch: Batch = chunkNo === 0 ? batch : new Map();
    for (const [stream, evs] of chunk.events) {
      pushTo(chunkBatch, stream, evs);
      for (const e of evs) {
        if (e.type === 'ListsDriftDetected') drift++;
        else if (e.type === 'AccessDecided') decisionsChanged++;
        else if (e.type === 'DeviceGrandfathered') grandfathered++;
      }
    }
    planned.push(...chunk.devices);
    // Intents are durable before their commands run.
    eventsAppended += await ctx.appender.append(chunkBatch, nowIso());
    for (const c of chunk.commands) streamOf.set(c.commandId, c.stream);
    issued += chunk.commands.length;
    commandsKnown += chunk.commands.length;
    queue.push(...chunk.commands.map((c) => ({ commandId: c.commandId, command: c.command as ExchangeCommand })));
    chunkNo++;
  }
  warnings.push(...planner.warnings);
  decidedAll = true;
  progress('execute', done, commandsKnown, { final: true, failed, throttleWaits: executor.counters.throttleWaits });
  if (grandfather) {
    eventsAppended += await ctx.appender.append(new Map([[org, [event('GrandfatheringApplied', { syncId, devices: grandfathered })]]]), nowIso());
  }
  queue.close();
  let outcome = await running;
  issued += orgWork.length;
  if (!outcome.disconnected) {
    // Org commands in order, on one lane.
    outcome = await createExecutor({
      exchange: ctx.exchange, scheduler: ctx.scheduler, now: ctx.now, failover: ctx.failover, parallelism: 1, maxConcurrency: ctx.maxConcurrency,
      ...(ctx.onCommandTime ? { onCommandTime: ctx.onCommandTime } : {}),
    }).run(orgWork, onResult);
  } else {
    for (const w of orgWork) onResult(w, { _tag: 'Left', left: outcome.disconnected });
  }
  flushSwitches();
  eventsAppended += await committer.drain();
  const counters = executor.counters;
  if (outcome.disconnected) {
    const e = outcome.disconnected;
    return fail({ kind: `exchange.${e.kind}`, message: `Exchange: ${e.message}` });
  }

  // ---------------------------------------------------------------- notify
  const notifications = { sent: 0, failed: 0 };
  const decided = planned.filter((d) => d.fresh);
  const toNotify = ctx.notifier && ctx.policy.notification.enabled
    ? decided.filter((d) => d.notify && !failedStreams.has(d.stream) && d.mailbox)
    : [];
  if (toNotify.length > 0) await notify(toNotify, notifications);

  const access = { allow: 0, block: 0, quarantine: 0 };
  for (const d of decided) access[d.decision.access]++;
  const success = failed === 0;
  const watermark = maxFirstSync(ctx.state());
  const completed = decideConnector({ type: 'CompleteSync', data: {
    syncId, kind, success, devices: decided.length, commands: { succeeded, failed }, access, warnings: warnings.length,
    ...(watermark ? { watermark } : {}),
  } }, ctx.state().connector);
  if (isLeft(completed)) throw refused('CompleteSync', completed.left);
  eventsAppended += await ctx.appender.append(new Map([[org, completed.right.events]]), nowIso());
  ctx.emitStatus();
  progress('done', 1, 1);
  return report(success, { devices: decided.length, mailboxes: planner.mailboxes, access }, { succeeded, failed, issued, counters, decisionsChanged, drift, notifications, grandfathered });

  // ---------------------------------------------------------------- helpers
  function report(
    success: boolean,
    base: { devices: number; mailboxes: number; access: { allow: number; block: number; quarantine: number } },
    more?: { succeeded: number; failed: number; issued: number; counters: ReturnType<typeof createExecutor>['counters']; decisionsChanged: number; drift: number; notifications: { sent: number; failed: number }; grandfathered: number },
  ): SyncReport {
    return {
      syncId, kind, success, startedAt, completedAt: nowIso(), ...base,
      commands: { issued: more?.issued ?? 0, succeeded: more?.succeeded ?? 0, failed: more?.failed ?? 0, throttleWaits: more?.counters.throttleWaits ?? 0, throttleWaitMs: more?.counters.throttleWaitMs ?? 0 },
      sessions: { opened: more?.counters.sessionsOpened ?? 0, recycled: more?.counters.sessionsRecycled ?? 0, replaced: more?.counters.sessionsReplaced ?? 0 },
      notifications: more?.notifications ?? { sent: 0, failed: 0 },
      drift: more?.drift ?? 0, decisionsChanged: more?.decisionsChanged ?? 0, grandfathered: more?.grandfathered ?? 0,
      casSwitches: seenSwitches,
      eventsAppended, warnings, errors,
    };
  }

  async function notify(list: PlannedDevice[], counts: { sent: number; failed: number }): Promise<void> {
    const notifier = ctx.notifier!;
    const nc = groupCommitter(ctx.appender, nowIso);
    let i = 0;
    // Set when the channel itself refuses: no further sends this sync (the rest stay due for the next).
    let stopped: string | undefined;
    const lanes = Math.min(list.length, Math.max(4, ctx.parallelism));
    await Promise.all(Array.from({ length: lanes }, async () => {
      while (i < list.length && stopped === undefined) {
        const d = list[i++]!;
        const mb = d.mailbox!;
        const reason = d.decision.reason;
        const { subject, html } = renderNotification(ctx.policy, { userDisplayName: mb.displayName ?? mb.primarySmtpAddress, deviceType: d.device.deviceType, deviceModel: d.device.deviceModel, reason });
        const r = await notifier.send({ to: mb.primarySmtpAddress, subject, html, deviceId: d.device.deviceId, mailbox: mb.identity });
        const error = isLeft(r) ? errInfo(r.left) : undefined;
        // Once the channel has refused, later refusals are the same failure: the
        // device stays due for the next sync without a failure of its own.
        if (error && error.kind !== 'sendFailed' && stopped !== undefined) continue;
        if (error) { counts.failed++; warnings.push({ kind: 'notificationFailed', deviceId: d.device.deviceId, message: `notification to ${mb.primarySmtpAddress} failed: ${error.message}` }); } else counts.sent++;
        if (error && error.kind !== 'sendFailed') stopped ??= error.message;
        const evs = decideMailbox({ type: 'RecordNotification', deviceId: d.device.deviceId, to: mb.primarySmtpAddress, reason, ...(error ? { error } : {}) }, ctx.state().mailboxes.get(d.stream) ?? initialMailboxState);
        if (isLeft(evs)) throw refused('RecordNotification', evs.left);
        nc.add(d.stream, evs.right.events);
        progress('notify', counts.sent + counts.failed, list.length, { final: true, failed: counts.failed });
      }
    }));
    if (stopped !== undefined) {
      const skipped = list.length - (counts.sent + counts.failed);
      warnings.push({ kind: 'notificationsSuspended', message: `notifications stopped for this sync after the channel refused (${stopped}); ${skipped} not attempted, due again at the next sync` });
    }
    eventsAppended += await nc.drain();
  }

  async function discoverQuick(): Promise<Fail | { devices: MobileDevice[]; mailboxes: CasMailbox[]; groups: GroupMembership; settings?: OrgSettings; rules?: DeviceAccessRule[] }> {
    const st = ctx.state();
    const watermark = st.connector.watermark;
    const since = watermark ? iso(Date.parse(watermark) - WATERMARK_OVERLAP_MS) : undefined;
    const intuneSince = ctx.caches.managed && ctx.caches.intuneCheckedAt !== undefined ? iso(ctx.caches.intuneCheckedAt - WATERMARK_OVERLAP_MS) : undefined;
    const [d, md, g] = await Promise.all([
      x.read(() => ctx.exchange.getMobileDevices(since ? { firstSyncAfter: since } : undefined)),
      ctx.intune.getManagedDevices(intuneSince ? { changedSince: intuneSince } : undefined),
      ctx.intune.getGroupMembers(groupIds),
    ]);
    const e = firstError([d], [md, g]);
    if (e) return e;
    const changed = get(md);
    const groups = get(g);
    if (!ctx.caches.managed || !intuneSince) ctx.caches.managed = new Map();
    const cache = ctx.caches.managed;
    // Only a change that can alter a decision makes a device affected (check-ins alone do not).
    const really = changed.filter((m) => { const prev = cache.get(m.id); return !prev || !sameManaged(prev, m); });
    for (const m of changed) cache.set(m.id, m);

    // Which known partnerships are affected, by stream.
    const streamOfDevice = new Map<string, string>();
    for (const [stream, ms] of st.mailboxes) for (const k of Object.keys(ms.devices)) streamOfDevice.set(k, stream);
    const affected = new Map<string, Set<string>>();
    const mark = (stream: string, k: string) => { const set = affected.get(stream); if (set) set.add(k); else affected.set(stream, new Set([k])); };
    const fresh: MobileDevice[] = [];
    for (const dev of get(d)) if (!streamOfDevice.has(deviceKey(dev.deviceId))) fresh.push(dev);
    for (const m of really) {
      if (!m.easDeviceId) continue;
      const stream = streamOfDevice.get(deviceKey(m.easDeviceId));
      if (stream) mark(stream, deviceKey(m.easDeviceId));
    }
    for (const [stream, ms] of st.mailboxes) {
      const addresses = ms.info?.addresses ?? [];
      const now = groupsOf(addresses, groups, ctx.policy);
      for (const [k, dev] of Object.entries(ms.devices)) {
        const dec = dev.decision;
        if (!dec) { mark(stream, k); continue; }
        const f = dec.facts;
        // Group membership changed for this user.
        if (now.included.length !== f.groups.included.length || now.excluded.length !== f.groups.excluded.length
          || now.included.some((x) => !f.groups.included.includes(x)) || now.excluded.some((x) => !f.groups.excluded.includes(x))) { mark(stream, k); continue; }
        // A grace period that has run out since the decision.
        if (dec.governed && dec.access === 'allow' && f.intune?.complianceState === 'inGracePeriod' && f.intune.graceDeadline !== undefined && Date.parse(f.intune.graceDeadline) <= startedMs) mark(stream, k);
      }
      if (Object.keys(ms.pending).length > 0 && !affected.has(stream)) affected.set(stream, new Set());
    }
    const identities = new Set<string>();
    for (const stream of affected.keys()) { const id = st.mailboxes.get(stream)?.info?.identity; if (id) identities.add(id); }
    for (const dev of fresh) { const id = mailboxIdentityOfDevice(dev.identity); if (id) identities.add(id); }
    let mailboxes: CasMailbox[] = [];
    if (identities.size > 0) {
      const m = await x.read(() => ctx.exchange.getCasMailboxes({ identities: [...identities] }));
      if (isLeft(m)) return { kind: `exchange.${m.left.kind}`, message: `Exchange: ${m.left.message}` };
      mailboxes = m.right;
    }
    const devices: MobileDevice[] = [...fresh];
    for (const [stream, keys] of affected) {
      const ms = st.mailboxes.get(stream)!;
      for (const k of keys) { const dev = ms.devices[k]; if (dev) devices.push(asMobileDevice(dev)); }
    }
    let settings: OrgSettings | undefined;
    let rules: DeviceAccessRule[] | undefined;
    if (Object.keys(st.connector.pending).length > 0) {
      const [s1, r1] = await Promise.all([x.read(() => ctx.exchange.getOrgSettings()), x.read(() => ctx.exchange.getDeviceAccessRules())]);
      if (!isLeft(s1) && !isLeft(r1)) { settings = s1.right; rules = r1.right; }
    }
    return { devices, mailboxes, groups, ...(settings ? { settings } : {}), ...(rules ? { rules } : {}) };
  }
}

const sameManaged = (a: ManagedDevice, b: ManagedDevice) =>
  a.easDeviceId === b.easDeviceId && a.userPrincipalName === b.userPrincipalName && a.emailAddress === b.emailAddress
  && a.complianceState === b.complianceState && a.managementAgent === b.managementAgent
  && a.complianceGracePeriodExpirationDateTime === b.complianceGracePeriodExpirationDateTime;

/** The latest FirstSyncTime among known partnerships: the next quick sync's watermark. */
function maxFirstSync(s: OrgState): string | undefined {
  let best: string | undefined;
  let bestMs = -Infinity;
  for (const ms of s.mailboxes.values()) {
    for (const d of Object.values(ms.devices)) {
      if (!d.firstSyncTime) continue;
      const t = Date.parse(d.firstSyncTime);
      if (t > bestMs) { bestMs = t; best = d.firstSyncTime; }
    }
  }
  return best;
}
