// The engine's full sync end to end over the simulated organization and the
// in-memory store (the file store is exercised by the CLI tests).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight, right } from 'fp-ts/lib/Either.js';
import { createEngine, type Engine } from '../src/engine.js';
import { replay } from '../projections/replay.js';
import { explain } from '../projections/explain.js';
import { whatIf } from '../projections/what-if.js';
import { simulateOrganization, type Simulation } from '../adapters/simulator/index.js';
import { memoryStore } from '../adapters/memory-store/index.js';
import { withAppend } from './support/wrapped-store.js';
import type { EventStore, ExchangeGateway, StoredEvent } from '../src/ports.js';
import type { CasMailbox } from '../src/facts.js';
import { fixedClockScheduler } from './support/scheduler.js';

const test = suite('engine full sync');
const NOW = Date.parse('2026-11-26T08:00:00Z');
const clock = {
  now: () => NOW,
  schedule: () => {
    throw new Error('unused');
  },
};

function setup(
  devices = 600,
  seed = 7,
  over: { store?: EventStore; sim?: Simulation; parallelism?: number; policy?: Simulation['policy'] } = {},
) {
  const sim = over.sim ?? simulateOrganization({ devices, seed, clock: () => NOW });
  const store = over.store ?? memoryStore();
  const engine: Engine = createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store,
    policy: over.policy ?? sim.policy,
    notifier: sim.notifier,
    parallelism: over.parallelism ?? 4,
    scheduler: fixedClockScheduler(NOW),
  });
  return { sim, store, engine };
}
void clock;

const allEvents = async (store: EventStore): Promise<StoredEvent[]> => {
  const r = await store.readAll();
  if (!isRight(r)) throw new Error('read failed');
  return r.right;
};

function agrees(sim: Simulation, engine: Engine): { mismatches: number; decided: number; exchange: number } {
  const ex = sim.evaluateAll();
  const decided = new Map(engine.devices().map((d) => [d.deviceId.toLowerCase(), d.access]));
  let mismatches = 0;
  for (const [id, ev] of ex) if (decided.get(id) !== ev.access) mismatches++;
  return { mismatches, decided: decided.size, exchange: ex.size };
}

test("after a full sync, Exchange's own evaluation of every device equals the engine's decision", async () => {
  const { sim, engine } = setup(2000);
  const report = await engine.fullSync();
  assert.ok(report.success, JSON.stringify(report.errors));
  assert.is(report.devices, 2000);
  const a = agrees(sim, engine);
  assert.equal(a, { mismatches: 0, decided: 2000, exchange: 2000 });
  assert.ok(report.commands.issued > 0);
  assert.is(report.commands.succeeded, report.commands.issued);
  assert.is(report.access.allow + report.access.block + report.access.quarantine, 2000);
  assert.ok(report.notifications.sent > 0);
  assert.is(sim.notifier.sent.length, report.notifications.sent);
  // Org settings now follow the policy.
  assert.is(sim.exchange.state().orgSettings.defaultAccessLevel, 'Quarantine');
});

test('every finished sync, requested or scheduled, is handed to onReport before its callers hear back', async () => {
  const sim = simulateOrganization({ devices: 60, seed: 7, clock: () => NOW });
  const seen: string[] = [];
  const engine = createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store: memoryStore(),
    policy: sim.policy,
    clock: { now: () => NOW },
    onReport: (r) => seen.push(`${r.kind}:${r.syncId}:${r.success}`),
  });
  const full = await engine.fullSync();
  assert.equal(seen, [`full:${full.syncId}:true`]);
  const quick = await engine.quickSync();
  assert.equal(seen, [`full:${full.syncId}:true`, `quick:${quick.syncId}:true`]);
});

test('a second full sync right after the first issues zero commands and appends only its start and completion', async () => {
  const { sim, store, engine } = setup();
  await engine.fullSync();
  const before = (await allEvents(store)).length;
  const commandsBefore = sim.counters.commands;
  const sentBefore = sim.notifier.sent.length;
  const second = await engine.fullSync();
  const after = await allEvents(store);
  assert.is(sim.counters.commands, commandsBefore);
  assert.is(second.commands.issued, 0);
  assert.is(sim.notifier.sent.length, sentBefore);
  assert.equal(
    after.slice(before).map((e) => e.type),
    ['SyncStarted', 'SyncCompleted'],
  );
  assert.ok(second.success);
});

test('a policy change that leaves the decision rules as they were decides no device again; one that changes them does', async () => {
  const { sim, store, engine } = setup(300);
  assert.ok((await engine.fullSync()).success);
  const restartWith = async (policy: typeof sim.policy) => {
    // The same organization, store and clock; only the policy differs.
    const e = setup(300, 7, { sim, store, policy }).engine;
    const before = (await allEvents(store)).length;
    const r = await e.fullSync();
    assert.ok(r.success, JSON.stringify(r.errors));
    const added = (await allEvents(store)).slice(before);
    return { engine: e, added, decided: added.filter((x) => x.type === 'AccessDecided') };
  };
  // Only the notification and the clean-up: a new revision, no decision recorded again.
  const quiet = await restartWith({
    ...sim.policy,
    notification: { ...sim.policy.notification, subject: 'Another subject' },
    removeStaleAfterDays: 3650,
  });
  assert.equal(
    quiet.added.filter((x) => x.type === 'PolicyChanged').map((x) => (x.data as { revision: number }).revision),
    [2],
  );
  assert.is(quiet.decided.length, 0, 'no device decided again');
  assert.is(quiet.engine.devices().length, engine.devices().length);
  // A platform exception changes what is decided: every governed device is decided again, under revision 3.
  const loud = await restartWith({
    ...sim.policy,
    platformExceptions: [...sim.policy.platformExceptions, { type: 'family', name: 'NoSuchFamily', access: 'block' }],
  });
  assert.ok(loud.decided.length > 0);
  assert.ok(loud.decided.every((x) => (x.data as { policyRevision: number }).policyRevision === 3));
});

test('one compliant device turning noncompliant gives exactly one Set-CasMailbox, for its mailbox, and one notification', async () => {
  const { sim, engine } = setup();
  await engine.fullSync();
  const target = engine.devices().find((d) => d.reason === 'compliant')!;
  const md = sim.intune
    .devices()
    .find((m) => m.easDeviceId?.toLowerCase() === target.deviceId.toLowerCase() && m.complianceState === 'compliant')!;
  sim.intune.setCompliance(md.id, 'noncompliant');
  const logBefore = sim.exchange.commandLog.length;
  const sentBefore = sim.notifier.sent.length;
  const report = await engine.fullSync();
  const commands = sim.exchange.commandLog.slice(logBefore);
  assert.is(commands.length, 1);
  const c = commands[0]!;
  assert.is(c.kind, 'setCasMailbox');
  if (c.kind === 'setCasMailbox') {
    assert.is(c.mailbox, target.mailbox);
    assert.equal(c.blockedDeviceIds.add, [target.deviceId]);
  }
  assert.is(sim.notifier.sent.length - sentBefore, 1);
  assert.is(sim.notifier.sent.at(-1)!.deviceId, target.deviceId);
  assert.is(report.decisionsChanged, 1);
  assert.is(agrees(sim, engine).mismatches, 0);
});

test('a failed command is recorded, the sync reports it, and the last successful sync does not move', async () => {
  const { sim, store, engine } = setup();
  sim.exchange.failNext(
    1,
    { kind: 'other', message: 'The operation could not be performed because object was not found' },
    { cmdlet: 'Set-CasMailbox' },
  );
  const report = await engine.fullSync();
  assert.not.ok(report.success);
  assert.is(report.commands.failed, 1);
  assert.is(report.errors.length, 1);
  assert.match(report.errors[0]!.message, /could not be performed/);
  const events = await allEvents(store);
  assert.is(events.filter((e) => e.type === 'CommandFailed').length, 1);
  const r = replay(events);
  assert.is(r.lastSuccessfulSync?.full, undefined);
  assert.is(engine.status().status, 'connected');
  // The next sync retries the mailbox and succeeds.
  const again = await engine.fullSync();
  assert.ok(again.success);
  assert.is(again.commands.issued, 1);
  assert.is(agrees(sim, engine).mismatches, 0);
});

test('Exchange unreachable: the sync fails cleanly, status disconnected, nothing half-recorded', async () => {
  const { sim, store, engine } = setup();
  sim.exchange.failNext(1, { kind: 'connectionLost', message: 'cas01.contoso.com does not answer' });
  const report = await engine.fullSync();
  assert.not.ok(report.success);
  assert.is(engine.status().status, 'disconnected');
  assert.equal(
    (await allEvents(store)).map((e) => e.type),
    ['ConnectorRegistered', 'PolicyChanged', 'SyncStarted', 'SyncFailed'],
  );
  assert.is(sim.counters.commands, 0);
});

test("intents left without an outcome by a crash are reconciled from Exchange's lists, and nothing is applied twice", async () => {
  const sim = simulateOrganization({ devices: 300, seed: 3, clock: () => NOW });
  const store = memoryStore();
  // First connector: the lost responses mean the commands were applied but never acknowledged.
  sim.exchange.failNext(3, { kind: 'other', message: 'the response was lost' }, { cmdlet: 'Set-CasMailbox', applied: true });
  const first = setup(0, 0, { sim, store, parallelism: 1 }).engine;
  const r1 = await first.fullSync();
  assert.is(r1.commands.failed, 3);
  // Simulate a crash: re-open the same log with a fresh engine, with one intent left pending.
  const events = await allEvents(store);
  const failed = events.filter((e) => e.type === 'CommandFailed').map((e) => (e.data as { commandId: string }).commandId);
  assert.is(failed.length, 3);
  const crashed = memoryStore();
  const kept = events.filter(
    (e) => !(e.type === 'CommandFailed' && (e.data as { commandId: string }).commandId === failed[0]) && e.type !== 'SyncCompleted',
  );
  for (const e of kept) {
    const r = await crashed.append([
      { stream: e.stream, expected: 'any', events: [{ type: e.type, data: e.data, at: e.at, meta: e.meta, id: e.id }] },
    ]);
    assert.ok(isRight(r));
  }
  const commandsBefore = sim.counters.commands;
  const second = setup(0, 0, { sim, store: crashed, parallelism: 1 }).engine;
  const r2 = await second.fullSync();
  assert.ok(r2.success, JSON.stringify(r2.errors));
  const after = await allEvents(crashed);
  const reconciled = after.filter((e) => (e.data as { reconciled?: boolean }).reconciled === true);
  assert.is(reconciled.length, 1);
  assert.is(reconciled[0]!.type, 'CommandSucceeded');
  // The two commands whose failures were recorded are found already applied: no re-issue either.
  assert.is(sim.counters.commands - commandsBefore, 0);
  assert.ok(after.some((e) => e.type === 'SyncFailed' && (e.data as { error: { kind: string } }).error.kind === 'interrupted'));
  assert.is(agrees(sim, second).mismatches, 0);
});

test('a failed notification is recorded and retried on the next sync, then never repeated', async () => {
  const { sim, engine, store } = setup();
  sim.notifier.failNext(1);
  const r1 = await engine.fullSync();
  assert.is(r1.notifications.failed, 1);
  assert.ok(r1.success, 'a notification failure never fails enforcement');
  const r2 = await engine.fullSync();
  assert.is(r2.notifications.sent, 1);
  const r3 = await engine.fullSync();
  assert.is(r3.notifications.sent + r3.notifications.failed, 0);
  const events = await allEvents(store);
  assert.is(events.filter((e) => e.type === 'NotificationFailed').length, 1);
});

test('throttled commands wait the time Exchange names and do not fail the sync', async () => {
  const { sim, engine } = setup(300);
  sim.exchange.failNext(
    5,
    {
      kind: 'throttled',
      waitMs: 5,
      message: 'The user load quota of 100 requests per 10 seconds has been exceeded. … at least 5 milliseconds.',
    },
    { cmdlet: 'Set-CasMailbox' },
  );
  const report = await engine.fullSync();
  assert.ok(report.success);
  assert.is(report.commands.throttleWaits, 5);
  assert.is(agrees(sim, engine).mismatches, 0);
});

test('another writer on the organization stream fences the connector out with a clear error', async () => {
  const { store, engine } = setup(100);
  await engine.fullSync();
  const r = await store.append([
    {
      stream: 'eas-org-contoso',
      expected: 'any',
      events: [{ type: 'ConnectorRegistered', data: { connectorId: 'other', organization: 'contoso' }, at: '2026-11-26T08:00:00Z' }],
    },
  ]);
  assert.ok(isRight(r));
  const report = await engine.fullSync();
  assert.not.ok(report.success);
  assert.is(report.errors[0]!.kind, 'store.conflict');
  assert.match(report.errors[0]!.message, /another writer appended to eas-org-contoso/);
});

test('device fields travel into commands as data, never interpreted', async () => {
  const { sim, engine } = setup(50);
  const hostile = "x'); Remove-Mailbox -Identity * -Confirm:$false; ('";
  const mb = sim.exchange.state().mailboxes[0] as CasMailbox;
  sim.exchange.addPartnership({ mailbox: mb.identity, deviceId: hostile, deviceType: 'iPhone`$(calc)', deviceModel: '"; rm -rf /' });
  const report = await engine.fullSync();
  assert.ok(report.success, JSON.stringify(report.errors));
  const cmd = sim.exchange.commandLog.find(
    (c) => c.kind === 'setCasMailbox' && [...c.allowedDeviceIds.add, ...c.blockedDeviceIds.add].includes(hostile),
  );
  // Quarantine writes no list entry; block or allow must carry the id verbatim.
  const decision = engine.devices().find((d) => d.deviceId === hostile)!;
  assert.ok(decision, 'the hostile partnership is decided, not skipped');
  if (decision.access !== 'quarantine') assert.ok(cmd, 'the command carries the raw id as a field');
  assert.is(agrees(sim, engine).mismatches, 0);
});

test('DeviceIds that name members of every object (__proto__, constructor, toString) are partnerships like any other', async () => {
  const { sim, store, engine } = setup(200, 3);
  assert.ok((await engine.fullSync()).success);
  const mailbox = engine.devices().find((d) => d.governed)!.mailbox;
  const ids = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
  for (const deviceId of ids) sim.exchange.addPartnership({ mailbox, deviceId, deviceType: 'iPhone' });
  const r = await engine.fullSync();
  assert.ok(r.success);
  const mine = new Map(engine.devices().map((d) => [d.deviceId, d]));
  for (const id of ids) {
    assert.is(mine.get(id)?.access, 'quarantine', id);
    assert.is(mine.get(id)?.reason, 'notEnrolled', id);
  }
  assert.is(agrees(sim, engine).mismatches, 0);
  assert.is((await engine.fullSync()).commands.issued, 0, 'nothing is decided again');
  // The same state from the log: a new engine over the store has nothing to do either.
  const again = setup(200, 3, { store, sim }).engine;
  const r2 = await again.fullSync();
  assert.ok(r2.success);
  assert.is(r2.commands.issued, 0);
  assert.is(r2.decisionsChanged, 0);
  assert.is(again.devices().length, engine.devices().length);
  // The log's readers key records by DeviceId too: each finds these partnerships as itself.
  const events = await allEvents(store);
  for (const id of ids) {
    const why = explain(events, id);
    assert.ok(isRight(why), id);
    if (isRight(why)) {
      assert.is(why.right.deviceId, id);
      assert.is(why.right.access, 'quarantine', id);
      assert.is(why.right.reason, 'notEnrolled', id);
    }
  }
  // A member name that is no partnership here is unknown, not found on the prototype.
  const unknown = explain(events, 'valueOf');
  assert.is(isLeft(unknown) ? unknown.left.kind : 'found', 'unknownDevice');
  assert.equal(replay(events).access, r.access);
  const blocked = whatIf(events, { ...sim.policy, defaultAccessLevel: 'block' });
  for (const id of ids) {
    const change = blocked.changes.filter((c) => c.deviceId === id);
    assert.is(change.length, 1, id);
    assert.is(change[0]!.from, 'quarantine', id);
    assert.is(change[0]!.to, 'block', id);
  }
});

test("replay of the log reproduces the engine's access counts", async () => {
  const { store, engine } = setup(800);
  const report = await engine.fullSync();
  const r = replay(await allEvents(store));
  assert.equal(r.access, report.access);
  assert.is(r.devices, 800);
  assert.is(r.connector.status, 'connected');
  assert.is(r.pendingIntents, 0);
  assert.equal(r.invalid, []);
});

test('a sync that stops when the log cannot be written reports the events it did write', async () => {
  const inner = memoryStore();
  let appends = 0;
  // A disk that fills up after a few appends: later appends fail as the file store reports it.
  const store = withAppend(inner, async (requests, next) =>
    ++appends > 4
      ? { _tag: 'Left', left: { kind: 'io', message: 'log x: append failed: ENOSPC: no space left on device' } }
      : next(requests),
  );
  const { engine } = setup(400, 3, { store });
  const r = await engine.fullSync();
  assert.is(r.success, false);
  assert.match(r.errors[0]!.message, /ENOSPC/);
  const written = (await allEvents(inner)).length;
  assert.ok(written > 0);
  assert.is(r.eventsAppended, written, 'the report counts what reached the log');
});

test('metrics keep histograms of sync durations by kind and of each command attempt, measured on the injected clock', async () => {
  let t = NOW;
  const sim = simulateOrganization({ devices: 200, seed: 11, clock: () => t });
  // Every command attempt takes 250 ms of virtual time; nothing else advances it.
  const STEP = 250;
  const ex = sim.exchange as ExchangeGateway;
  const exchange = new Proxy(ex, {
    get(target, prop) {
      if (prop === 'execute')
        return (c: never) => {
          t += STEP;
          return target.execute(c);
        };
      if (prop === 'openSession') {
        return async () => {
          const r = await target.openSession!();
          if (!isRight(r)) return r;
          const s = r.right;
          return right({
            ...(s.server ? { server: s.server } : {}),
            close: () => s.close(),
            execute: (c: never) => {
              t += STEP;
              return s.execute(c);
            },
          });
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const engine = createEngine({
    organization: sim.organization,
    exchange,
    intune: sim.intune,
    store: memoryStore(),
    policy: sim.policy,
    notifier: sim.notifier,
    parallelism: 1,
    clock: { now: () => t },
    scheduler: {
      now: () => t,
      schedule: (work: () => void, delay?: number) => {
        const h = setTimeout(work, delay ?? 0);
        return { unsubscribe: () => clearTimeout(h), closed: false } as never;
      },
    } as never,
  });
  const report = await engine.fullSync();
  assert.ok(report.success, JSON.stringify(report.errors));
  assert.ok(report.commands.issued > 0);
  const lat = engine.metrics().commandLatencySeconds;
  assert.is(lat.count, report.commands.issued);
  assert.is(lat.sum, (lat.count * STEP) / 1000);
  const at = lat.bounds.indexOf(0.25);
  assert.is(lat.counts[at], lat.count, 'every attempt in the bucket up to 0.25 s');
  const full = engine.metrics().syncDurationSeconds.full;
  assert.is(full.count, 1);
  assert.is(full.sum, (Date.parse(report.completedAt) - Date.parse(report.startedAt)) / 1000);
  assert.ok(full.sum >= (report.commands.issued * STEP) / 1000);
  assert.is(engine.metrics().syncDurationSeconds.quick.count, 0);
  await engine.quickSync();
  assert.is(engine.metrics().syncDurationSeconds.quick.count, 1);
});

test.run();
