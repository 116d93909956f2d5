// CAS failover: another discovered CAS takes over mid-sync; back to the primary when it answers.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isRight } from 'fp-ts/lib/Either.js';
import { createEngine } from '../src/engine.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { memoryStore } from '../adapters/memory-store/index.js';
import type { EventStore, StoredEvent } from '../src/ports.js';

const test = suite('CAS failover');
const all = async (s: EventStore): Promise<StoredEvent[]> => {
  const r = await s.readAll();
  if (!isRight(r)) throw new Error('read');
  return r.right;
};

function setup(casFailover: boolean) {
  const sim = simulateOrganization({ devices: 600, seed: 41 });
  const store = memoryStore();
  let commands = 0;
  let takeDownAfter = -1;
  const engine = createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store,
    policy: sim.policy,
    parallelism: 3,
    casFailover,
    onStep: (step) => {
      if (step === 'afterCommand' && ++commands === takeDownAfter) sim.exchange.setServerUp('cas01.contoso.com', false);
    },
  });
  return {
    sim,
    store,
    engine,
    downAfter: (n: number) => {
      commands = 0;
      takeDownAfter = n;
    },
  };
}

test('the engine switches to another CAS mid-sync, records it, finishes, and returns to the primary when it answers', async () => {
  const { sim, store, engine, downAfter } = setup(true);
  await engine.fullSync(); // discovers the CAS list
  // Make work for a second sync: every governed list entry is removed behind the engine's back.
  for (const m of sim.exchange.state().mailboxes.slice(0, 200)) sim.exchange.setMailboxLists(m.identity, { allowed: [], blocked: [] });
  downAfter(20);
  const r = await engine.fullSync();
  assert.ok(r.success, JSON.stringify(r.errors.slice(0, 3)));
  assert.equal(
    r.casSwitches.map((s) => [s.from, s.to]),
    [['cas01.contoso.com', 'cas02.contoso.com']],
  );
  assert.is(engine.status().cas, 'cas02.contoso.com');
  const ex = sim.evaluateAll();
  const bad = engine.devices().filter((d) => ex.get(d.deviceId.toLowerCase())?.access !== d.access);
  assert.is(bad.length, 0);
  const switched = (await all(store)).filter((e) => e.type === 'CasSwitched');
  assert.is(switched.length, 1);
  // The primary answers again: the next sync goes back to it, and says so.
  sim.exchange.setServerUp('cas01.contoso.com', true);
  const back = await engine.fullSync();
  assert.ok(back.success);
  assert.equal(
    back.casSwitches.map((s) => s.to),
    ['cas01.contoso.com'],
  );
  assert.is(sim.exchange.currentServer(), 'cas01.contoso.com');
});

test('with casFailover off, a lost CAS fails the sync cleanly: disconnected, every intent has its outcome', async () => {
  const { sim, store, engine, downAfter } = setup(false);
  await engine.fullSync();
  for (const m of sim.exchange.state().mailboxes.slice(0, 200)) sim.exchange.setMailboxLists(m.identity, { allowed: [], blocked: [] });
  downAfter(10);
  const r = await engine.fullSync();
  assert.not.ok(r.success);
  assert.is(engine.status().status, 'disconnected');
  assert.equal(r.casSwitches, []);
  const events = await all(store);
  const intents = events.filter((e) => e.type === 'CommandIntended').map((e) => (e.data as { commandId: string }).commandId);
  const outcomes = new Set(
    events
      .filter((e) => e.type === 'CommandSucceeded' || e.type === 'CommandFailed')
      .map((e) => (e.data as { commandId: string }).commandId),
  );
  assert.ok(
    intents.every((id) => outcomes.has(id)),
    'no intent is left without an outcome',
  );
  assert.is(events.at(-1)!.type, 'SyncFailed');
  assert.is(engine.status().pendingIntents, 0);
  // The report counts each event of this sync once, from its SyncStarted to its SyncFailed.
  const started = events.map((e) => e.type).lastIndexOf('SyncStarted');
  assert.is(r.eventsAppended, events.length - started);
});

test.run();
