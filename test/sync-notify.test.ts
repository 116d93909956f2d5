// Notices while the sync enforces (src/sync/notify.ts and its use in the
// pipeline): a device's notice goes once its mailbox's commands have succeeded,
// a quarantine waits for org commands the sync still has to run, a failed
// mailbox is never notified, and every notice is recorded after its mailbox's
// command outcome.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isRight } from 'fp-ts/lib/Either.js';
import { createEngine } from '../src/engine.js';
import { simulateOrganization, type Simulation } from '../adapters/simulator/index.js';
import { memoryStore } from '../adapters/memory-store/index.js';
import { withAppend } from './support/wrapped-store.js';
import type { EventStore, ExchangeGateway, ExchangeSession, Notification, Notifier, StoredEvent } from '../src/ports.js';
import type { ExchangeCommand } from '../src/commands.js';
import { fixedClockScheduler } from './support/scheduler.js';

const test = suite('notices while the sync enforces');
const NOW = Date.parse('2026-11-26T08:00:00Z');
// The engine's clock is the organization's; waits are real timers.
const scheduler = fixedClockScheduler(NOW);

type Step = { readonly kind: 'command'; readonly command: ExchangeCommand } | { readonly kind: 'notice'; readonly notice: Notification };

/** The simulated organization's gateway and notifier, each step recorded in the order it happened. */
function recorded(sim: Simulation) {
  const steps: Step[] = [];
  const done = (command: ExchangeCommand) => steps.push({ kind: 'command', command });
  const ex = sim.exchange;
  const exchange: ExchangeGateway = {
    getMobileDevices: (q) => ex.getMobileDevices(q),
    getCasMailboxes: (q) => ex.getCasMailboxes(q),
    getOrgSettings: () => ex.getOrgSettings(),
    getDeviceAccessRules: () => ex.getDeviceAccessRules(),
    getExchangeServers: () => ex.getExchangeServers(),
    getMobileDeviceStatistics: (q) => ex.getMobileDeviceStatistics(q),
    currentServer: () => ex.currentServer(),
    switchServer: (f) => ex.switchServer(f),
    async execute(c) {
      const r = await ex.execute(c);
      done(c);
      return r;
    },
    async openSession() {
      const s = await ex.openSession();
      if (!isRight(s)) return s;
      const inner = s.right;
      const session: ExchangeSession = {
        ...inner,
        close: () => inner.close(),
        async execute(c) {
          const r = await inner.execute(c);
          done(c);
          return r;
        },
      };
      return { _tag: 'Right', right: session };
    },
  };
  const notifier: Notifier = {
    async send(n) {
      const r = await sim.notifier.send(n);
      if (isRight(r)) steps.push({ kind: 'notice', notice: n });
      return r;
    },
  };
  return { steps, exchange, notifier };
}

interface Setup {
  readonly devices?: number;
  readonly seed?: number;
  readonly store?: EventStore;
  /** Wraps the recording notifier (its sends are recorded when they succeed). */
  readonly notifier?: (sim: Simulation, recording: Notifier) => Notifier;
  readonly yieldToLoop?: () => Promise<void>;
}

function setup(o: Setup = {}) {
  // Commands take a moment (a timer each): many are in flight at once, as against a real Exchange.
  const sim = simulateOrganization({ devices: o.devices ?? 400, seed: o.seed ?? 11, latencyMs: 2, clock: () => NOW });
  const store = o.store ?? memoryStore();
  const { steps, exchange, notifier } = recorded(sim);
  const engine = createEngine({
    organization: sim.organization,
    exchange,
    intune: sim.intune,
    store,
    policy: sim.policy,
    notifier: o.notifier ? o.notifier(sim, notifier) : notifier,
    parallelism: 4,
    scheduler,
    ...(o.yieldToLoop ? { yieldToLoop: o.yieldToLoop } : {}),
  });
  return { sim, store, steps, engine };
}

const lastIndex = <T>(xs: readonly T[], p: (x: T) => boolean) => {
  for (let i = xs.length - 1; i >= 0; i--) if (p(xs[i]!)) return i;
  return -1;
};
const isMailboxCommand = (s: Step) => s.kind === 'command' && s.command.kind === 'setCasMailbox';
const isOrgCommand = (s: Step) => s.kind === 'command' && s.command.kind !== 'setCasMailbox';

async function allEvents(store: EventStore): Promise<StoredEvent[]> {
  const r = await store.readAll();
  if (!isRight(r)) throw new Error('read failed');
  return r.right;
}

test('notices go while later mailboxes are still being enforced, not after the last command', async () => {
  const { steps, engine } = setup();
  const report = await engine.fullSync();
  assert.ok(report.success);
  assert.ok(report.notifications.sent > 0);
  const firstNotice = steps.findIndex((s) => s.kind === 'notice');
  const lastMailboxCommand = lastIndex(steps, isMailboxCommand);
  assert.ok(
    firstNotice >= 0 && firstNotice < lastMailboxCommand,
    `first notice at step ${firstNotice}, last Set-CasMailbox at ${lastMailboxCommand}`,
  );
  // Each notice comes after its own mailbox's command.
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    if (s.kind !== 'notice') continue;
    const own = steps.findIndex(
      (x) => x.kind === 'command' && x.command.kind === 'setCasMailbox' && x.command.mailbox === s.notice.mailbox,
    );
    if (own >= 0) assert.ok(own < i, `notice for ${s.notice.mailbox} at step ${i} before its command at ${own}`);
  }
});

test("a quarantine waits for the org commands the sync still runs (Exchange's default enforces it); a block does not", async () => {
  const { steps, engine } = setup();
  const report = await engine.fullSync();
  assert.ok(report.success);
  const access = new Map(engine.devices().map((d) => [d.deviceId, d.access]));
  const lastOrg = lastIndex(steps, isOrgCommand);
  assert.ok(lastOrg > 0, 'the first sync corrects the org settings and rules');
  const notices = steps.flatMap((s, i) => (s.kind === 'notice' ? [{ i, access: access.get(s.notice.deviceId) }] : []));
  const quarantines = notices.filter((n) => n.access === 'quarantine');
  const blocks = notices.filter((n) => n.access === 'block');
  assert.ok(quarantines.length > 0 && blocks.length > 0, `${quarantines.length} quarantine and ${blocks.length} block notices`);
  for (const q of quarantines) assert.ok(q.i > lastOrg, `a quarantine notice at step ${q.i}, before the last org command at ${lastOrg}`);
  assert.ok(
    blocks.some((b) => b.i < lastOrg),
    'block notices go as their mailbox is enforced',
  );
  assert.is(report.notifications.sent, notices.length);
});

test('with no org command to run, a quarantine goes as soon as its decision is recorded, while other mailboxes are enforced', async () => {
  const { sim, steps, engine } = setup();
  assert.ok((await engine.fullSync()).success);
  // New, unenrolled phones of governed users in a dozen mailboxes: quarantined by the default already in place
  // (no list changes: in neither list). In two dozen other mailboxes a compliant phone turns noncompliant (a block: one
  // Set-CasMailbox each).
  const devices = engine.devices();
  const governed = [...new Set(devices.filter((d) => d.governed && d.reason !== 'compliant').map((d) => d.mailbox))].slice(0, 12);
  const managedOf = (id: string) =>
    sim.intune.devices().find((m) => m.easDeviceId?.toLowerCase() === id.toLowerCase() && m.complianceState === 'compliant');
  const compliant = devices.filter((d) => d.reason === 'compliant' && !governed.includes(d.mailbox) && managedOf(d.deviceId));
  const flipped = new Map<string, string>();
  for (const d of compliant) if (flipped.size < 24 && ![...flipped.values()].includes(d.mailbox)) flipped.set(d.deviceId, d.mailbox);
  assert.is(governed.length, 12);
  assert.is(flipped.size, 24);
  const added = new Set(
    governed.map((m, i) => sim.exchange.addPartnership({ mailbox: m, deviceId: `NEWPHONE${i}`, deviceType: 'iPhone' }).deviceId),
  );
  for (const id of flipped.keys()) sim.intune.setCompliance(managedOf(id)!.id, 'noncompliant');
  const from = steps.length;
  const report = await engine.fullSync();
  assert.ok(report.success);
  const after = steps.slice(from);
  assert.is(lastIndex(after, isOrgCommand), -1, 'the org is as the policy wants it');
  assert.is(after.filter(isMailboxCommand).length, flipped.size);
  const access = new Map(engine.devices().map((d) => [d.deviceId, d.access]));
  for (const id of added) assert.is(access.get(id), 'quarantine');
  for (const id of flipped.keys()) assert.is(access.get(id), 'block');
  const quarantineNotices = after.flatMap((s, i) => (s.kind === 'notice' && added.has(s.notice.deviceId) ? [i] : []));
  assert.is(quarantineNotices.length, added.size);
  assert.ok(quarantineNotices[0]! < lastIndex(after, isMailboxCommand), 'the first quarantine notice precedes the last Set-CasMailbox');
  assert.is(report.notifications.sent, added.size + flipped.size);
});

test('an org command that leaves access as it was (the admin recipients) holds no quarantine notice back', async () => {
  const { sim, steps, engine } = setup();
  assert.ok((await engine.fullSync()).success);
  // Someone cleared the admin recipients: the next full sync corrects them, last, and changes no one's access.
  sim.exchange.setOrgSettings({ adminMailRecipients: [] });
  const governed = [
    ...new Set(
      engine
        .devices()
        .filter((d) => d.governed && d.reason !== 'compliant')
        .map((d) => d.mailbox),
    ),
  ].slice(0, 6);
  const added = new Set(
    governed.map((m, i) => sim.exchange.addPartnership({ mailbox: m, deviceId: `SPAREPHONE${i}`, deviceType: 'iPhone' }).deviceId),
  );
  const from = steps.length;
  const report = await engine.fullSync();
  assert.ok(report.success);
  const after = steps.slice(from);
  const orgCommands = after.filter(isOrgCommand);
  assert.equal(
    orgCommands.map((s) => (s.kind === 'command' ? s.command : undefined)),
    [{ kind: 'setOrgSettings', adminMailRecipients: sim.policy.notification.adminRecipients }],
  );
  const notices = after.flatMap((s, i) => (s.kind === 'notice' && added.has(s.notice.deviceId) ? [i] : []));
  assert.is(notices.length, added.size);
  const org = lastIndex(after, isOrgCommand);
  for (const i of notices) assert.ok(i < org, `a quarantine notice at step ${i}, after the org command at ${org}`);
});

test('a mailbox whose command failed is not notified; the others are, and its user is told at the next sync', async () => {
  const { sim, steps, engine } = setup();
  assert.ok((await engine.fullSync()).success);
  // Two compliant phones in two mailboxes turn noncompliant: a block and a notice each, once their Set-CasMailbox succeeds.
  const managedOf = (id: string) =>
    sim.intune.devices().find((m) => m.easDeviceId?.toLowerCase() === id.toLowerCase() && m.complianceState === 'compliant');
  const picked = new Map<string, string>();
  for (const d of engine.devices())
    if (d.reason === 'compliant' && managedOf(d.deviceId) && ![...picked.values()].includes(d.mailbox) && picked.size < 2)
      picked.set(d.deviceId, d.mailbox);
  assert.is(picked.size, 2);
  for (const id of picked.keys()) sim.intune.setCompliance(managedOf(id)!.id, 'noncompliant');
  sim.exchange.failNext(1, { kind: 'other', message: 'The operation could not be performed' }, { cmdlet: 'Set-CasMailbox' });
  const from = steps.length;
  const report = await engine.fullSync();
  assert.not.ok(report.success);
  assert.is(report.commands.failed, 1);
  const failed = report.errors[0]!.mailbox!;
  const [told] = [...picked].filter(([, m]) => m !== failed);
  assert.ok(told && [...picked.values()].includes(failed));
  const notices = steps.slice(from).flatMap((s) => (s.kind === 'notice' ? [s.notice.deviceId] : []));
  assert.equal(notices, [told[0]]);
  assert.is(report.notifications.sent, 1);
  const again = await engine.fullSync();
  assert.ok(again.success);
  const [untold] = [...picked].filter(([, m]) => m === failed);
  assert.equal(
    steps.slice(from).flatMap((s) => (s.kind === 'notice' ? [s.notice.deviceId] : [])),
    [told[0], untold![0]],
  );
});

test("every notice is recorded in its mailbox's stream after the command outcome it waited for", async () => {
  const { store, engine } = setup();
  const report = await engine.fullSync();
  const events = await allEvents(store);
  const byStream = new Map<string, StoredEvent[]>();
  for (const e of events) byStream.set(e.stream, [...(byStream.get(e.stream) ?? []), e]);
  let checked = 0;
  for (const evs of byStream.values()) {
    const notice = evs.findIndex((e) => e.type === 'NotificationSent');
    if (notice < 0) continue;
    const intended = evs.findIndex((e) => e.type === 'CommandIntended');
    if (intended < 0) continue;
    const outcome = evs.findIndex((e) => e.type === 'CommandSucceeded');
    assert.ok(outcome >= 0 && outcome < notice, `${evs[0]!.stream}: outcome at ${outcome}, notice at ${notice}`);
    checked++;
  }
  assert.ok(checked > 0);
  assert.is(events.filter((e) => e.type === 'NotificationSent').length, report.notifications.sent);
});

test('a channel that refuses stops the notices of this sync, mid-enforcement, with one warning; the rest stay due', async () => {
  let sends = 0;
  const { sim, engine } = setup({
    notifier: (_, recording) => ({
      async send(n) {
        sends++;
        if (sends > 3) return { _tag: 'Left', left: { kind: 'authFailed', message: '535 5.7.8 authentication failed' } };
        return recording.send(n);
      },
    }),
  });
  const r1 = await engine.fullSync();
  assert.ok(r1.success, 'a refusing channel never fails enforcement');
  assert.is(r1.notifications.sent, 3);
  assert.is(r1.notifications.failed, 1);
  const suspended = r1.warnings.filter((w) => w.kind === 'notificationsSuspended');
  assert.is(suspended.length, 1);
  // Sends stop at the refusal: at most one in flight per lane after it.
  assert.ok(sends <= 3 + 8, `${sends} sends`);
  // Every device its user must hear about: governed, quarantined or blocked for enrollment or compliance.
  const due = engine.devices().filter((d) => d.governed && (d.reason === 'notEnrolled' || d.reason === 'notCompliant'));
  assert.ok(due.length > 12);
  sends = -1_000_000;
  const r2 = await engine.fullSync();
  assert.is(r2.notifications.sent, due.length - 3, 'the next sync tells everyone not told yet');
  const told = sim.notifier.sent.map((n) => n.deviceId);
  assert.is(new Set(told).size, told.length, 'nobody is told twice');
  assert.equal(new Set(told), new Set(due.map((d) => d.deviceId)));
  assert.is((await engine.fullSync()).notifications.sent, 0);
});

test('a sync that fails while notices go out: the next sync tells again at most the ones that were in flight', async () => {
  const inner = memoryStore();
  let sends = 0;
  let failedAt: number | undefined;
  let full = true;
  // The disk fills up once the first notices went: the next chunk of intents cannot be written.
  const store = withAppend(inner, async (requests, next) => {
    if (sends >= 3 && full) {
      failedAt ??= sends;
      return { _tag: 'Left', left: { kind: 'io', message: 'append failed: ENOSPC: no space left on device' } };
    }
    return next(requests);
  });
  const { sim, engine } = setup({
    devices: 2000,
    seed: 5,
    store,
    notifier: (_, recording) => ({
      send: async (n) => {
        sends++;
        await new Promise((r) => setTimeout(r, 3));
        return recording.send(n);
      },
    }),
    // Deciding in slices lets commands finish, and notices start, while later chunks are still decided.
    yieldToLoop: () => new Promise<void>((r) => setImmediate(r)),
  });
  const r = await engine.fullSync();
  assert.not.ok(r.success);
  assert.match(r.errors[0]!.message, /ENOSPC/);
  assert.ok(failedAt !== undefined);
  // A notice in flight when the sync failed may have gone without its record: delivery is at least once.
  const lanes = 4;
  assert.ok(sends - failedAt <= lanes, `${sends - failedAt} notices started after the failure`);
  full = false;
  const again = await engine.fullSync();
  assert.ok(again.success);
  const told = sim.notifier.sent.map((n) => n.deviceId);
  const twice = told.length - new Set(told).size;
  // Told again: per lane, the notice in flight when the append failed, and the one it had just sent
  // whose record was in that append (no notice starts once an append of the sync failed).
  assert.ok(twice <= 2 * lanes, `${twice} users told twice`);
  // Everyone due was told by one sync or the other.
  const due = engine.devices().filter((d) => d.governed && (d.reason === 'notEnrolled' || d.reason === 'notCompliant'));
  assert.equal(new Set(told), new Set(due.map((d) => d.deviceId)));
});

test.run();
