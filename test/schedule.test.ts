// The sync queue and the rxjs schedules, in virtual time: a simulated day in milliseconds.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { VirtualTimeScheduler } from 'rxjs';
import { isRight } from 'fp-ts/lib/Either.js';
import { createEngine, msUntilDaily, type SyncReport } from '../src/engine.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { memoryStore } from '../adapters/memory-store/index.js';

const test = suite('schedule and queue');
const BASE = Date.parse('2026-11-26T00:00:00Z');
const settle = () => new Promise<void>((r) => setImmediate(r));

test('a simulated day runs a quick sync every 15 minutes and one full sync at 02:00, never overlapping', async () => {
  const vts = new VirtualTimeScheduler();
  const now = () => BASE + vts.now();
  const sim = simulateOrganization({ devices: 200, seed: 5, clock: now });
  const store = memoryStore();
  const engine = createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store,
    policy: sim.policy,
    scheduler: vts,
    clock: { now },
  });
  let inFlight = 0;
  let maxInFlight = 0;
  engine.status$.subscribe((s) => {
    inFlight = s.syncing ? 1 : 0;
    maxInFlight = Math.max(maxInFlight, inFlight);
  });
  engine.start();
  for (let t = 0; t <= 86_400_000; t += 60_000) {
    vts.maxFrames = t;
    vts.flush();
    for (let i = 0; i < 20; i++) await settle();
  }
  await engine.stop();
  const all = await store.readAll();
  assert.ok(isRight(all));
  if (!isRight(all)) return;
  const started = all.right.filter((e) => e.type === 'SyncStarted').map((e) => ({ kind: (e.data as { kind: string }).kind, at: e.at }));
  const fulls = started.filter((x) => x.kind === 'full');
  const quicks = started.filter((x) => x.kind === 'quick');
  // The first quick sync (00:15) runs as a full one: nothing has been synced yet.
  assert.is(fulls.length, 2);
  assert.is(fulls[1]!.at, '2026-11-26T02:00:00.000Z');
  assert.is(quicks.length, 96 - 1);
  assert.is(maxInFlight, 1);
  const completed = all.right.filter((e) => e.type === 'SyncCompleted').length;
  assert.is(completed, started.length, 'every sync completed');
});

test('a full sync requested during a quick sync runs right after it; a quick request then is covered by it', async () => {
  const sim = simulateOrganization({ devices: 200, seed: 6, latencyMs: 2 });
  const store = memoryStore();
  const engine = createEngine({ organization: sim.organization, exchange: sim.exchange, intune: sim.intune, store, policy: sim.policy });
  await engine.fullSync();
  const order: string[] = [];
  const quick = engine.quickSync().then((r) => {
    order.push(`quick:${r.syncId}`);
    return r;
  });
  const full = engine.requestSync('full').then((r) => {
    order.push(`full:${r.syncId}`);
    return r;
  });
  const quick2 = engine.requestSync('quick');
  const [q, f, q2]: SyncReport[] = await Promise.all([quick, full, quick2]);
  assert.is(q!.kind, 'quick');
  assert.is(f!.kind, 'full');
  assert.is(q2!.syncId, f!.syncId, 'the waiting quick request is answered by the full sync');
  assert.equal(order, [`quick:${q!.syncId}`, `full:${f!.syncId}`]);
  assert.is(Number(f!.syncId.split('-')[1]), Number(q!.syncId.split('-')[1]) + 1);
});

test('stop finishes the running sync and does not start the queued ones (their callers hear so)', async () => {
  const sim = simulateOrganization({ devices: 200, seed: 7, latencyMs: 2 });
  const store = memoryStore();
  const engine = createEngine({ organization: sim.organization, exchange: sim.exchange, intune: sim.intune, store, policy: sim.policy });
  const running = engine.fullSync();
  const queuedFull = engine.requestSync('full');
  const queuedQuick = engine.requestSync('quick');
  await settle();
  await engine.stop();
  const [r, f, q] = await Promise.all([running, queuedFull, queuedQuick]);
  assert.is(r.success, true, 'the running sync finished');
  for (const x of [f, q]) {
    assert.is(x.success, false);
    assert.is(x.errors[0]!.kind, 'stopped');
  }
  const all = await store.readAll();
  assert.ok(isRight(all) && all.right.filter((e) => e.type === 'SyncStarted').length === 1, 'only one sync ran');
  const after = await engine.quickSync();
  assert.is(after.kind, 'quick', 'an engine that was stopped still takes a direct request');
});

test('the daily full sync time is computed in UTC', () => {
  assert.is(msUntilDaily(Date.parse('2026-11-26T01:00:00Z'), '02:00'), 3_600_000);
  assert.is(msUntilDaily(Date.parse('2026-11-26T02:00:00Z'), '02:00'), 86_400_000);
  assert.throws(() => msUntilDaily(0, '25:00'), /HH:MM/);
});

test.run();
