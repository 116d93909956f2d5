// The engine's full sync end to end with the Graph gateway: a loopback Graph
// seeded from a simulated tenant (its managed devices and group members), and
// the simulated Exchange. Verified like the demo: for every device, Exchange's
// own evaluation equals the engine's decision.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isRight } from 'fp-ts/lib/Either.js';
import { createEngine, type Engine } from '../src/engine.js';
import { simulateOrganization, type Simulation } from '../adapters/simulator/index.js';
import { memoryStore } from '../adapters/memory-store/index.js';
import { graphIntuneGateway, staticTokenProvider, toGraphManagedDevice, type GraphIntuneGateway } from '../adapters/graph/index.js';
import { startGraphServer, type GraphRecord, type GraphServer } from './support/graph-server.js';
import { fixedClockScheduler } from './support/scheduler.js';

const test = suite('engine full sync over Graph');
const NOW = Date.parse('2026-11-26T08:00:00Z');
const TOKEN = 'graph-token-1';
const scheduler = fixedClockScheduler(NOW);

const servers: GraphServer[] = [];

async function setup(devices: number, seed: number) {
  const sim = simulateOrganization({ devices, seed, clock: () => NOW });
  const ids = [sim.groups.allUsers, sim.groups.excluded, sim.groups.pilot];
  const members = await sim.intune.getGroupMembers(ids);
  if (!isRight(members)) throw new Error('simulated groups');
  const server = await startGraphServer({
    devices: sim.intune.devices().map((d) => toGraphManagedDevice(d) as unknown as GraphRecord),
    groups: Object.fromEntries([...members.right].map(([id, upns]) => [id, [...upns]])),
    pageSize: 250,
    memberPageSize: 400,
    tokens: [TOKEN],
  });
  servers.push(server);
  // Waits are recorded, not slept: the gateway's clock moves forward by each wait.
  const waits: number[] = [];
  let clock = NOW;
  const intune: GraphIntuneGateway = graphIntuneGateway({
    baseUrl: server.url,
    tokenProvider: staticTokenProvider(TOKEN),
    maxRetries: 3,
    now: () => clock,
    sleep: async (ms) => {
      waits.push(ms);
      clock += ms;
    },
    random: () => 0.5,
  });
  const store = memoryStore();
  const engine = createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune,
    store,
    policy: sim.policy,
    notifier: sim.notifier,
    parallelism: 4,
    scheduler,
  });
  return { sim, server, intune, engine, store, waits };
}

/** Re-seeds the loopback Graph from the simulated tenant (after a change there). */
const reseed = (server: GraphServer, sim: Simulation) => {
  server.devices = sim.intune.devices().map((d) => toGraphManagedDevice(d) as unknown as GraphRecord);
};

function verify(sim: Simulation, engine: Engine) {
  const ex = sim.evaluateAll();
  const decided = new Map(engine.devices().map((d) => [d.deviceId.toLowerCase(), d.access]));
  let mismatches = 0;
  for (const [id, ev] of ex) if (decided.get(id) !== ev.access) mismatches++;
  return { mismatches, decided: decided.size, exchange: ex.size };
}

test.after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

test('full sync with the Graph gateway: every device decided, Exchange agrees with every decision', async () => {
  const { sim, server, intune, engine } = await setup(2000, 5);
  const managed = sim.intune.devices().length;
  const report = await engine.fullSync();
  assert.ok(report.success, JSON.stringify(report.errors));
  assert.is(report.devices, 2000);
  assert.equal(verify(sim, engine), { mismatches: 0, decided: 2000, exchange: 2000 });
  assert.ok(report.commands.issued > 0);
  assert.is(report.access.allow + report.access.block + report.access.quarantine, 2000);
  assert.ok(report.access.allow > 0 && report.access.quarantine > 0 && report.access.block > 0);
  // every page was read: the managed-device pages and each group's member pages
  assert.is(server.count('managedDevices'), Math.ceil(managed / 250));
  assert.ok(server.count('groupMembers') >= 3);
  assert.is(intune.stats.requests, server.requests.length);

  // A device turning noncompliant in Intune reaches Exchange on the next full sync.
  const target = engine.devices().find((d) => d.reason === 'compliant')!;
  const md = sim.intune
    .devices()
    .find((m) => m.easDeviceId?.toLowerCase() === target.deviceId.toLowerCase() && m.complianceState === 'compliant')!;
  sim.intune.setCompliance(md.id, 'noncompliant');
  reseed(server, sim);
  const logBefore = sim.exchange.commandLog.length;
  const second = await engine.fullSync();
  assert.ok(second.success);
  assert.is(sim.exchange.commandLog.length - logBefore, 1);
  assert.is(engine.devices().find((d) => d.deviceId === target.deviceId)!.access, 'block');
  assert.equal(verify(sim, engine).mismatches, 0);
});

test('throttling and transient failures during the sync are absorbed: the result is the same', async () => {
  const { sim, server, engine, waits } = await setup(1200, 9);
  let n = 0;
  server.fault({ kind: 'status', status: 429, retryAfter: '3' }, { times: 2, match: (q) => q.resource === 'managedDevices' && ++n >= 2 });
  server.fault({ kind: 'status', status: 503 }, { times: 1, match: (q) => q.resource === 'groupMembers' });
  server.fault({ kind: 'cut' }, { times: 1, match: (q) => q.resource === 'managedDevices' && q.query.has('$skiptoken') });
  const report = await engine.fullSync();
  assert.ok(report.success, JSON.stringify(report.errors));
  assert.equal(verify(sim, engine), { mismatches: 0, decided: 1200, exchange: 1200 });
  assert.ok(waits.includes(3000));
});

test('Graph failing (a malformed page) fails the sync cleanly: status disconnected, no command, the URL in the error', async () => {
  const { sim, server, engine, store } = await setup(400, 2);
  server.fault({ kind: 'html' }, { match: (q) => q.resource === 'managedDevices' && q.query.has('$skiptoken') });
  const report = await engine.fullSync();
  assert.not.ok(report.success);
  assert.is(report.errors[0]!.kind, 'intune.invalidResponse');
  assert.match(report.errors[0]!.message, /Intune: .*deviceManagement\/managedDevices.*\$skiptoken=/);
  assert.is(engine.status().status, 'disconnected');
  assert.is(sim.counters.commands, 0);
  const events = await store.readAll();
  assert.ok(isRight(events));
  if (isRight(events)) assert.equal(events.right.map((e) => e.type).slice(-2), ['SyncStarted', 'SyncFailed']);
  // Graph back to normal: the next sync succeeds and verifies.
  const again = await engine.fullSync();
  assert.ok(again.success, JSON.stringify(again.errors));
  assert.is(verify(sim, engine).mismatches, 0);
});

test.run();
