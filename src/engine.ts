// The engine: talks only to ports. A full sync discovers Exchange and Intune,
// reconciles intents left by a crash, decides every device, records intents,
// runs commands with bounded parallelism, records outcomes, notifies, completes.
import { BehaviorSubject, asyncScheduler, from, lastValueFrom, mergeMap, toArray, type SchedulerLike } from 'rxjs';
import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import type {
  EventStore, ExchangeError, ExchangeGateway, IntuneGateway, Notifier, AppendRequest, StoreError, IntuneError,
} from './ports.js';
import type { CasMailbox, DeviceAccessRule, GroupMembership, ManagedDevice, MobileDevice, OrgSettings, ExchangeServer, AccessLevel } from './facts.js';
import type { ExchangeCommand } from './commands.js';
import type { Policy } from './policy.js';
import { orgStream, mailboxStream, type DomainEvent } from './events.js';
import { decideConnector, nextSyncId, type SyncKind, type ConnectorState } from './connector.js';
import { decideMailbox } from './mailbox.js';
import { planMailboxes } from './plan.js';
import { commandApplied } from './reconcile.js';
import { renderNotification } from './notification.js';
import { foldInto, loadOrgState, type Dated, type OrgState } from './state.js';

export interface EngineOptions {
  readonly organization: string;
  readonly exchange: ExchangeGateway;
  readonly intune: IntuneGateway;
  readonly store: EventStore;
  readonly policy: Policy;
  readonly notifier?: Notifier;
  /** Supplies the clock (`now()`); tests pass a virtual-time scheduler. */
  readonly scheduler?: SchedulerLike;
  /** Concurrent Exchange commands (remote PowerShell sessions). Default 1, as the original. */
  readonly parallelism?: number;
  readonly casFailover?: boolean;
  /** Identifies this connector process in the log. Default `<organization>-connector`. */
  readonly connectorId?: string;
  /** How many times a throttled command is retried after the wait Exchange names. Default 20. */
  readonly throttleRetries?: number;
  /** Progress callback (devices decided, commands done) for CLIs. */
  readonly onProgress?: (p: SyncProgress) => void;
}

export interface SyncProgress {
  readonly phase: 'discover' | 'decide' | 'execute' | 'notify' | 'done';
  readonly done: number;
  readonly total: number;
}

export interface SyncIssue {
  readonly kind: string;
  readonly message: string;
  readonly deviceId?: string;
  readonly mailbox?: string;
}

export interface SyncReport {
  readonly syncId: string;
  readonly kind: SyncKind;
  readonly success: boolean;
  readonly startedAt: string;
  readonly completedAt: string;
  readonly devices: number;
  readonly mailboxes: number;
  readonly access: { allow: number; block: number; quarantine: number };
  readonly commands: { issued: number; succeeded: number; failed: number; throttleWaits: number };
  readonly notifications: { sent: number; failed: number };
  readonly drift: number;
  readonly decisionsChanged: number;
  readonly eventsAppended: number;
  readonly warnings: readonly SyncIssue[];
  readonly errors: readonly SyncIssue[];
}

export interface DeviceAccessView {
  readonly deviceId: string;
  readonly mailbox: string;
  readonly access: AccessLevel;
  readonly reason: string;
  readonly governed: boolean;
}

export interface ConnectorStatusView {
  readonly organization: string;
  readonly status: ConnectorState['status'];
  readonly lastSuccessfulSync: { readonly full?: string; readonly quick?: string };
  readonly lastError?: { readonly message: string; readonly at: string };
  readonly syncing?: SyncKind;
  readonly servers: readonly string[];
}

export type EngineError =
  | { readonly kind: 'store'; readonly error: StoreError; readonly message: string }
  | { readonly kind: 'invalidLog'; readonly message: string };

export interface Engine {
  fullSync(): Promise<SyncReport>;
  /** Every partnership's current decision, from the engine's state. */
  devices(): DeviceAccessView[];
  status(): ConnectorStatusView;
  readonly status$: BehaviorSubject<ConnectorStatusView>;
}

class EngineFailure extends Error {
  constructor(readonly error: EngineError) { super(error.message); }
}

const iso = (ms: number) => new Date(ms).toISOString();
const errInfo = (e: { kind: string; message: string }) => ({ kind: e.kind, message: e.message });

export function createEngine(o: EngineOptions): Engine {
  const scheduler = o.scheduler ?? asyncScheduler;
  const parallelism = Math.max(1, o.parallelism ?? 1);
  const connectorId = o.connectorId ?? `${o.organization}-connector`;
  const throttleRetries = o.throttleRetries ?? 20;
  const org = orgStream(o.organization);
  let state: OrgState | undefined;
  let running: Promise<SyncReport> | undefined;

  const statusView = (): ConnectorStatusView => {
    const c = state?.connector;
    return {
      organization: o.organization,
      status: c?.status ?? 'none',
      lastSuccessfulSync: c?.lastSuccessful ?? {},
      ...(c?.lastError ? { lastError: c.lastError } : {}),
      ...(c?.current ? { syncing: c.current.kind } : {}),
      servers: c?.servers ?? [],
    };
  };
  const status$ = new BehaviorSubject<ConnectorStatusView>(statusView());

  async function load(): Promise<OrgState> {
    if (state) return state;
    const all = await o.store.readAll();
    if (isLeft(all)) throw new EngineFailure({ kind: 'store', error: all.left, message: `cannot read the log: ${'message' in all.left ? all.left.message : all.left.kind}` });
    const s = loadOrgState(o.organization, all.right);
    if (isLeft(s)) throw new EngineFailure({ kind: 'invalidLog', message: s.left.message });
    state = s.right;
    return state;
  }

  /**
   * Appends events for several streams in one store call (one fsync on the
   * embedded log), with each stream's expected revision, then folds them in.
   */
  async function append(s: OrgState, batch: Map<string, DomainEvent[]>, at: string): Promise<number> {
    const requests: AppendRequest[] = [];
    for (const [stream, events] of batch) {
      if (events.length === 0) continue;
      requests.push({ stream, expected: s.revisions.get(stream) ?? 'noStream', events: events.map((e) => ({ type: e.type, data: e.data, at, meta: { schema: 1, connectorId } })) });
    }
    if (requests.length === 0) return 0;
    const r = await o.store.append(requests);
    if (isLeft(r)) {
      const e = r.left;
      const message = e.kind === 'conflict'
        ? `another writer appended to ${e.stream} (expected revision ${String(e.expected)}, found ${String(e.actual)}): this connector stops`
        : `cannot append to the log: ${e.message}`;
      throw new EngineFailure({ kind: 'store', error: e, message });
    }
    let n = 0;
    r.right.forEach((res, i) => {
      const req = requests[i]!;
      foldInto(s, req.stream, req.events.map((e) => ({ type: e.type, data: e.data, at: e.at }) as Dated), res.revision);
      n += req.events.length;
    });
    return n;
  }

  /** Group commit: outcomes recorded while a write is in flight go out together in the next one. */
  function groupCommitter(s: OrgState, now: () => string) {
    let buffer = new Map<string, DomainEvent[]>();
    let flushing: Promise<void> = Promise.resolve();
    let written = 0;
    let failure: unknown;
    const flush = (): Promise<void> => {
      flushing = flushing.then(async () => {
        if (buffer.size === 0 || failure) return;
        const b = buffer;
        buffer = new Map();
        try { written += await append(s, b, now()); } catch (err) { failure = err; }
      });
      return flushing;
    };
    return {
      add(stream: string, events: DomainEvent[]) {
        const list = buffer.get(stream);
        if (list) list.push(...events); else buffer.set(stream, [...events]);
        void flush();
      },
      async drain(): Promise<number> {
        await flush();
        await flushing;
        if (failure) throw failure;
        return written;
      },
    };
  }

  async function execute(command: ExchangeCommand, counters: { throttleWaits: number }): Promise<Either<ExchangeError, void>> {
    let attempt = 0;
    for (;;) {
      const r = await o.exchange.execute(command);
      if (isLeft(r) && r.left.kind === 'throttled' && attempt < throttleRetries) {
        attempt++;
        counters.throttleWaits++;
        const waitMs = r.left.waitMs;
        await new Promise<void>((res) => scheduler.schedule(() => res(), waitMs));
        continue;
      }
      return r;
    }
  }

  async function discover(): Promise<Either<{ kind: string; message: string }, {
    devices: MobileDevice[]; mailboxes: CasMailbox[]; settings: OrgSettings; rules: DeviceAccessRule[];
    servers: ExchangeServer[]; managed: ManagedDevice[]; groups: GroupMembership;
  }>> {
    const groupIds = [...new Set([...o.policy.includedGroups, ...o.policy.excludedGroups])];
    const [devices, mailboxes, settings, rules, servers, managed, groups] = await Promise.all([
      o.exchange.getMobileDevices(), o.exchange.getCasMailboxes(), o.exchange.getOrgSettings(),
      o.exchange.getDeviceAccessRules(), o.exchange.getExchangeServers(),
      o.intune.getManagedDevices(), o.intune.getGroupMembers(groupIds),
    ]);
    const firstError = [devices, mailboxes, settings, rules, servers].find(isLeft) as { left: ExchangeError } | undefined;
    if (firstError) return { _tag: 'Left', left: { kind: `exchange.${firstError.left.kind}`, message: `Exchange: ${firstError.left.message}` } };
    const intuneError = [managed, groups].find(isLeft) as { left: IntuneError } | undefined;
    if (intuneError) return { _tag: 'Left', left: { kind: `intune.${intuneError.left.kind}`, message: `Intune: ${intuneError.left.message}` } };
    const get = <A>(e: Either<unknown, A>) => (e as { right: A }).right;
    return {
      _tag: 'Right',
      right: {
        devices: get(devices), mailboxes: get(mailboxes), settings: get(settings), rules: get(rules),
        servers: get(servers), managed: get(managed), groups: get(groups),
      },
    };
  }

  async function runFullSync(): Promise<SyncReport> {
    const s = await load();
    const nowIso = () => iso(scheduler.now());
    const startedMs = scheduler.now();
    const startedAt = iso(startedMs);
    const kind: SyncKind = 'full';
    const syncId = nextSyncId(s.connector);
    const warnings: SyncIssue[] = [];
    const errors: SyncIssue[] = [];
    const counters = { throttleWaits: 0 };
    let eventsAppended = 0;
    const progress = (phase: SyncProgress['phase'], done: number, total: number) => o.onProgress?.({ phase, done, total });

    const start = decideConnector({ type: 'StartSync', syncId, kind, connectorId, organization: o.organization, policy: o.policy }, s.connector);
    if (isLeft(start)) throw new Error(start.left.message);
    eventsAppended += await append(s, new Map([[org, start.right]]), startedAt);
    status$.next(statusView());
    const policyRevision = s.connector.policy!.revision;

    progress('discover', 0, 1);
    const found = await discover();
    if (isLeft(found)) {
      const failed = decideConnector({ type: 'FailSync', syncId, kind, error: found.left }, s.connector);
      if (isLeft(failed)) throw new Error(failed.left.message);
      eventsAppended += await append(s, new Map([[org, failed.right]]), nowIso());
      status$.next(statusView());
      errors.push({ kind: found.left.kind, message: found.left.message });
      return emptyReport(syncId, kind, startedAt, nowIso(), eventsAppended, warnings, errors);
    }
    const obs = found.right;
    progress('discover', 1, 1);

    const observedMailboxes = new Map(obs.mailboxes.map((m) => [mailboxStream(o.organization, m.identity), m]));
    // Crash reconciliation: intents without an outcome are checked against what Exchange reports now.
    const first = new Map<string, DomainEvent[]>();
    const pushTo = (m: Map<string, DomainEvent[]>, stream: string, evs: DomainEvent[]) => {
      if (evs.length === 0) return;
      const l = m.get(stream); if (l) l.push(...evs); else m.set(stream, [...evs]);
    };
    for (const [commandId, command] of Object.entries(s.connector.pending)) {
      const r = decideConnector({ type: 'RecordOrgCommandOutcome', commandId, reconciled: true, ...(commandApplied(command, undefined, obs.settings, obs.rules) ? {} : { error: { kind: 'interrupted', message: 'not applied before the connector stopped' } }) }, s.connector);
      if (!isLeft(r)) pushTo(first, org, r.right);
    }
    for (const [stream, ms] of s.mailboxes) {
      for (const [commandId, command] of Object.entries(ms.pending)) {
        const observed = observedMailboxes.get(stream);
        const r = decideMailbox({ type: 'RecordCommandOutcome', commandId, reconciled: true, ...(commandApplied(command, observed, obs.settings, obs.rules) ? {} : { error: { kind: 'interrupted', message: 'not applied before the connector stopped' } }) }, ms);
        if (!isLeft(r)) pushTo(first, stream, r.right);
      }
    }
    if (first.size > 0) eventsAppended += await append(s, first, nowIso());

    // Decide: org settings and rules, then every mailbox.
    const batch = new Map<string, DomainEvent[]>();
    const orgPlan = decideConnector({ type: 'ReconcileOrg', syncId, policy: o.policy, settings: obs.settings, rules: obs.rules, servers: obs.servers }, s.connector);
    pushTo(batch, org, orgPlan.events);
    const drift = orgPlan.events.filter((e) => e.type === 'OrgDriftDetected').length;
    let mailboxDrift = 0;
    let decisionsChanged = 0;

    const mplan = planMailboxes({
      organization: o.organization, syncId, atMs: startedMs, policy: o.policy, policyRevision,
      observations: obs, state: s.mailboxes, onProgress: (d, t) => progress('decide', d, t),
    });
    warnings.push(...mplan.warnings);
    const work: Array<{ stream: string; commandId: string; command: ExchangeCommand; mailbox?: string }> = [
      ...orgPlan.commands.map((c) => ({ stream: org, ...c })),
      ...mplan.commands.map((c) => ({ ...c, mailbox: c.command.mailbox })),
    ];
    const orgCommandCount = orgPlan.commands.length;
    for (const [stream, evs] of mplan.events) {
      pushTo(batch, stream, evs);
      for (const e of evs) {
        if (e.type === 'ListsDriftDetected') mailboxDrift++;
        else if (e.type === 'AccessDecided') decisionsChanged++;
      }
    }
    const decided = mplan.devices;
    progress('decide', 1, 1);
    // Intents are durable before any command runs.
    eventsAppended += await append(s, batch, nowIso());

    // Execute: org commands in order first (rules before the default), then mailboxes in parallel.
    const committer = groupCommitter(s, nowIso);
    const failedStreams = new Set<string>();
    let succeeded = 0;
    let failed = 0;
    const record = (w: (typeof work)[number], r: Either<ExchangeError, void>) => {
      const error = isLeft(r) ? errInfo(r.left) : undefined;
      if (error) {
        failed++;
        failedStreams.add(w.stream);
        errors.push({ kind: `command.${error.kind}`, message: `${w.command.kind} ${w.mailbox ?? ''}: ${error.message}`.replace('  ', ' '), ...(w.mailbox ? { mailbox: w.mailbox } : {}) });
      } else succeeded++;
      const evs: Either<{ message: string }, DomainEvent[]> = w.stream === org
        ? decideConnector({ type: 'RecordOrgCommandOutcome', commandId: w.commandId, ...(error ? { error } : {}) }, s.connector)
        : decideMailbox({ type: 'RecordCommandOutcome', commandId: w.commandId, ...(error ? { error } : {}) }, s.mailboxes.get(w.stream)!);
      if (isLeft(evs)) throw new Error(evs.left.message);
      committer.add(w.stream, evs.right);
    };
    let done = 0;
    for (const w of work.slice(0, orgCommandCount)) { record(w, await execute(w.command, counters)); progress('execute', ++done, work.length); }
    const mailboxWork = work.slice(orgCommandCount);
    if (mailboxWork.length > 0) {
      await lastValueFrom(from(mailboxWork).pipe(
        mergeMap(async (w) => { record(w, await execute(w.command, counters)); progress('execute', ++done, work.length); }, parallelism),
        toArray(),
      ));
    }
    eventsAppended += await committer.drain();

    // Notify: once per episode, only where enforcement is in place; failures are recorded and retried next sync.
    const notifications = { sent: 0, failed: 0 };
    const toNotify = o.notifier && o.policy.notification.enabled
      ? decided.filter((d) => d.notify && !failedStreams.has(d.stream) && d.mailbox && o.notifier)
      : [];
    if (toNotify.length > 0) {
      const notifier = o.notifier!;
      const nc = groupCommitter(s, nowIso);
      await lastValueFrom(from(toNotify).pipe(mergeMap(async (d) => {
        const mb = d.mailbox!;
        const reason = d.decision.reason;
        const { subject, html } = renderNotification(o.policy, { userDisplayName: mb.displayName ?? mb.primarySmtpAddress, deviceType: d.device.deviceType, deviceModel: d.device.deviceModel, reason });
        const r = await notifier.send({ to: mb.primarySmtpAddress, subject, html, deviceId: d.device.deviceId, mailbox: mb.identity });
        const error = isLeft(r) ? errInfo(r.left) : undefined;
        if (error) { notifications.failed++; warnings.push({ kind: 'notificationFailed', deviceId: d.device.deviceId, message: `notification to ${mb.primarySmtpAddress} failed: ${error.message}` }); } else notifications.sent++;
        const evs = decideMailbox({ type: 'RecordNotification', deviceId: d.device.deviceId, to: mb.primarySmtpAddress, reason, ...(error ? { error } : {}) }, s.mailboxes.get(d.stream)!);
        if (isLeft(evs)) throw new Error(evs.left.message);
        nc.add(d.stream, evs.right);
        progress('notify', notifications.sent + notifications.failed, toNotify.length);
      }, Math.max(4, parallelism)), toArray()));
      eventsAppended += await nc.drain();
    }

    const access = { allow: 0, block: 0, quarantine: 0 };
    for (const d of decided) access[d.decision.access]++;
    const success = failed === 0;
    const completed = decideConnector({ type: 'CompleteSync', data: {
      syncId, kind, success, devices: decided.length, commands: { succeeded, failed }, access, warnings: warnings.length,
    } }, s.connector);
    if (isLeft(completed)) throw new Error(completed.left.message);
    const completedAt = nowIso();
    eventsAppended += await append(s, new Map([[org, completed.right]]), completedAt);
    status$.next(statusView());
    progress('done', 1, 1);
    return {
      syncId, kind, success, startedAt, completedAt, devices: decided.length, mailboxes: mplan.mailboxes, access,
      commands: { issued: work.length, succeeded, failed, throttleWaits: counters.throttleWaits },
      notifications, drift: drift + mailboxDrift, decisionsChanged, eventsAppended, warnings, errors,
    };
  }

  function emptyReport(syncId: string, kind: SyncKind, startedAt: string, completedAt: string, eventsAppended: number, warnings: SyncIssue[], errors: SyncIssue[]): SyncReport {
    return {
      syncId, kind, success: false, startedAt, completedAt, devices: 0, mailboxes: 0,
      access: { allow: 0, block: 0, quarantine: 0 }, commands: { issued: 0, succeeded: 0, failed: 0, throttleWaits: 0 },
      notifications: { sent: 0, failed: 0 }, drift: 0, decisionsChanged: 0, eventsAppended, warnings, errors,
    };
  }

  return {
    fullSync() {
      // Syncs never overlap: a second call waits for the running one, then runs.
      const prev = running ?? Promise.resolve(undefined);
      const next = prev.catch(() => undefined).then(() => runFullSync().catch((err: unknown) => {
        if (!(err instanceof EngineFailure)) throw err;
        // The log could not be read or written: nothing more can be recorded. The
        // state is dropped so that the next sync starts again from the log.
        state = undefined;
        const at = iso(scheduler.now());
        const kind = err.error.kind === 'store' ? `store.${err.error.error.kind}` : err.error.kind;
        return emptyReport('', 'full', at, at, 0, [], [{ kind, message: err.message }]);
      }));
      running = next;
      return next;
    },
    devices() {
      const out: DeviceAccessView[] = [];
      for (const ms of state?.mailboxes.values() ?? []) {
        for (const d of Object.values(ms.devices)) {
          if (d.decision) out.push({ deviceId: d.deviceId, mailbox: ms.info?.identity ?? '', access: d.decision.access, reason: d.decision.reason, governed: d.decision.governed });
        }
      }
      return out;
    },
    status: statusView,
    status$,
  };
}

export { EngineFailure };
