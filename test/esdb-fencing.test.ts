// Fencing on EventStoreDB: two connector engines for one organization, each with
// its own connection to one node (the in-process server). When the second one
// registers and syncs, the first one's next sync is refused by the expected
// revision of the organization stream: it reports store.conflict naming the
// stream and writes nothing more.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { createEngine, type Engine } from '../src/engine.js';
import { simulateOrganization, type Simulation } from '../adapters/simulator/index.js';
import { eventStoreDbStore, type EventStoreDbStore } from '../adapters/eventstoredb/index.js';
import type { StoredEvent } from '../src/ports.js';
import { startEsdbServer, type EsdbServer } from './support/esdb-server.js';
import { fixedClockScheduler } from './support/scheduler.js';

const test = suite('fencing on EventStoreDB');
const NOW = Date.parse('2026-11-26T08:00:00Z');
const scheduler = fixedClockScheduler(NOW);

let node: EsdbServer;
const stores: EventStoreDbStore[] = [];
test.before(async () => {
  node = await startEsdbServer();
});
test.after(async () => {
  for (const s of stores) await s.close();
  await node.stop();
});

async function connect(): Promise<EventStoreDbStore> {
  const r = await eventStoreDbStore(node.connectionString);
  if (isLeft(r)) throw new Error(JSON.stringify(r.left));
  stores.push(r.right);
  return r.right;
}

function engine(sim: Simulation, store: EventStoreDbStore, connectorId: string): Engine {
  return createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store,
    policy: sim.policy,
    notifier: sim.notifier,
    parallelism: 4,
    connectorId,
    scheduler,
  });
}

const orgEvents = async (store: EventStoreDbStore): Promise<StoredEvent[]> => {
  const r = await store.readStream('eas-org-contoso');
  if (!isRight(r)) throw new Error('read failed');
  return r.right;
};

test("the replaced connector is fenced out by the organization stream's expected revision", async () => {
  const sim = simulateOrganization({ devices: 300, seed: 11, clock: () => NOW });
  const first = engine(sim, await connect(), 'connector-a');
  const r1 = await first.fullSync();
  assert.ok(r1.success, JSON.stringify(r1.errors));

  // A second process for the same organization, on its own connection.
  const storeB = await connect();
  const second = engine(sim, storeB, 'connector-b');
  const r2 = await second.fullSync();
  assert.ok(r2.success, JSON.stringify(r2.errors));
  assert.is(r2.commands.issued, 0, 'the second connector finds Exchange already in line with the decisions');
  const afterB = await orgEvents(storeB);
  assert.ok(afterB.some((e) => e.type === 'ConnectorRegistered' && (e.data as { connectorId: string }).connectorId === 'connector-b'));

  // The first one still believes it owns the organization: its next append carries a stale expected revision.
  const before = node.events().length;
  const r3 = await first.fullSync();
  assert.not.ok(r3.success);
  assert.is(r3.errors.length, 1);
  assert.is(r3.errors[0]!.kind, 'store.conflict');
  assert.match(r3.errors[0]!.message, /another writer appended to eas-org-contoso/);
  assert.match(r3.errors[0]!.message, new RegExp(`found ${afterB[afterB.length - 1]!.revision}\\b`));
  assert.is(node.events().length, before, 'the fenced connector wrote nothing');
  assert.equal(await orgEvents(storeB), afterB);

  // The second connector carries on.
  const r4 = await second.fullSync();
  assert.ok(r4.success, JSON.stringify(r4.errors));
});

test.run();
