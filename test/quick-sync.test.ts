// Quick sync: only what changed is read, decided and written.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isRight } from 'fp-ts/lib/Either.js';
import { createEngine } from '../src/engine.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { memoryStore } from '../adapters/memory-store/index.js';
import type { EventStore, StoredEvent } from '../src/ports.js';

const test = suite('quick sync');
let nowMs = Date.parse('2026-11-26T08:00:00Z');
const clock = { now: () => nowMs };

async function events(store: EventStore): Promise<StoredEvent[]> {
  const r = await store.readAll();
  if (!isRight(r)) throw new Error('read');
  return r.right;
}

function setup(devices = 600) {
  const sim = simulateOrganization({ devices, seed: 21, clock: () => nowMs });
  const store = memoryStore();
  const engine = createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store,
    policy: sim.policy,
    notifier: sim.notifier,
    clock,
  });
  return { sim, store, engine };
}

function agrees(sim: ReturnType<typeof setup>['sim'], engine: ReturnType<typeof setup>['engine']): number {
  const decided = new Map(engine.devices().map((d) => [d.deviceId.toLowerCase(), d.access]));
  let bad = 0;
  for (const [id, ev] of sim.evaluateAll()) if (decided.get(id) !== ev.access) bad++;
  return bad;
}

test('a quick sync with nothing new appends only its start and completion and reads no mailbox', async () => {
  const { sim, store, engine } = setup();
  await engine.fullSync();
  nowMs += 15 * 60_000;
  const before = (await events(store)).length;
  const readsBefore = sim.counters.byCmdlet['Get-CasMailbox']!;
  const r = await engine.quickSync();
  assert.is(r.kind, 'quick');
  assert.ok(r.success);
  assert.is(r.commands.issued, 0);
  assert.equal(
    (await events(store)).slice(before).map((e) => e.type),
    ['SyncStarted', 'SyncCompleted'],
  );
  assert.is(sim.counters.byCmdlet['Get-CasMailbox'], readsBefore);
});

test('a new partnership is discovered, decided and enforced by the next quick sync, touching only its mailbox', async () => {
  const { sim, store, engine } = setup();
  await engine.fullSync();
  nowMs += 15 * 60_000;
  const mb = sim.exchange.state().mailboxes.find((m) => m.activeSyncEnabled)!;
  const dev = sim.exchange.addPartnership({
    mailbox: mb.identity,
    deviceType: 'Android',
    deviceModel: 'Pixel 8',
    firstSyncTime: new Date(nowMs - 60_000).toISOString(),
  });
  const before = (await events(store)).length;
  const logBefore = sim.exchange.commandLog.length;
  const r = await engine.quickSync();
  assert.ok(r.success, JSON.stringify(r.errors));
  assert.is(r.devices, 1);
  const written = (await events(store)).slice(before);
  const streams = new Set(written.filter((e) => !e.stream.startsWith('eas-org-')).map((e) => e.stream));
  assert.equal([...streams], [`eas-mailbox-contoso-${mb.identity}`]);
  assert.ok(written.some((e) => e.type === 'PartnershipDiscovered' && (e.data as { deviceId: string }).deviceId === dev.deviceId));
  assert.ok(sim.exchange.commandLog.length - logBefore <= 1);
  assert.is(agrees(sim, engine), 0);
});

test('an Intune device turning noncompliant is picked up by a quick sync', async () => {
  const { sim, engine } = setup();
  await engine.fullSync();
  const target = engine.devices().find((d) => d.reason === 'compliant')!;
  const md = sim.intune
    .devices()
    .find((m) => m.easDeviceId?.toLowerCase() === target.deviceId.toLowerCase() && m.complianceState === 'compliant')!;
  nowMs += 15 * 60_000;
  sim.intune.setCompliance(md.id, 'noncompliant');
  const logBefore = sim.exchange.commandLog.length;
  const r = await engine.quickSync();
  assert.ok(r.success);
  assert.is(r.decisionsChanged, 1);
  const cmds = sim.exchange.commandLog.slice(logBefore);
  assert.is(cmds.length, 1);
  assert.is(cmds[0]!.kind === 'setCasMailbox' && cmds[0]!.mailbox, target.mailbox);
  assert.is(agrees(sim, engine), 0);
});

test('a grace period that runs out is enforced by a quick sync without any change in Intune', async () => {
  const { sim, engine } = setup();
  await engine.fullSync();
  const graced = sim.intune
    .devices()
    .filter(
      (m) =>
        m.complianceState === 'inGracePeriod' &&
        m.complianceGracePeriodExpirationDateTime &&
        Date.parse(m.complianceGracePeriodExpirationDateTime) > nowMs,
    );
  assert.ok(graced.length > 0);
  const latest = Math.max(...graced.map((m) => Date.parse(m.complianceGracePeriodExpirationDateTime!)));
  nowMs = latest + 60_000;
  const r = await engine.quickSync();
  assert.ok(r.success);
  assert.ok(r.decisionsChanged > 0);
  const stillAllowed = engine
    .devices()
    .filter((d) => d.governed && d.access === 'allow' && graced.some((m) => m.easDeviceId?.toLowerCase() === d.deviceId.toLowerCase()));
  assert.is(stillAllowed.length, 0, 'no governed device is allowed on an expired grace period');
  assert.is(agrees(sim, engine), 0);
});

test('a user removed from the included group is released by a quick sync', async () => {
  const { sim, engine } = setup();
  await engine.fullSync();
  const blocked = engine.devices().find((d) => d.governed && d.access === 'block')!;
  const mb = sim.exchange.state().mailboxes.find((m) => m.identity === blocked.mailbox)!;
  const members = [
    ...((await sim.intune.getGroupMembers([sim.groups.allUsers])) as unknown as { right: Map<string, Set<string>> }).right.get(
      sim.groups.allUsers,
    )!,
  ];
  sim.intune.setGroupMembers(
    sim.groups.allUsers,
    members.filter((u) => u !== mb.userPrincipalName!.toLowerCase()),
  );
  nowMs += 15 * 60_000;
  const r = await engine.quickSync();
  assert.ok(r.success);
  const now = engine.devices().find((d) => d.deviceId === blocked.deviceId)!;
  assert.is(now.reason, 'notTargeted');
  assert.is(agrees(sim, engine), 0);
});

test('a device brought back into scope by a quick sync is decided on the Intune record the last full sync read', async () => {
  const { sim, engine } = setup();
  const fullAt = nowMs;
  await engine.fullSync();
  // A compliant device whose record Intune will not list as changed (last synced well before the full sync).
  const md = sim.intune.devices().find((m) => {
    const d = engine.devices().find((x) => x.deviceId.toLowerCase() === m.easDeviceId?.toLowerCase());
    return d?.reason === 'compliant' && m.lastSyncDateTime !== undefined && Date.parse(m.lastSyncDateTime) < fullAt - 60 * 60_000;
  })!;
  const target = engine.devices().find((d) => d.deviceId.toLowerCase() === md.easDeviceId!.toLowerCase())!;
  const mb = sim.exchange.state().mailboxes.find((m) => m.identity === target.mailbox)!;
  const all = sim.groups.allUsers;
  const members = [...((await sim.intune.getGroupMembers([all])) as unknown as { right: Map<string, Set<string>> }).right.get(all)!];
  const asked: Array<string | undefined> = [];
  const read = sim.intune.getManagedDevices.bind(sim.intune);
  sim.intune.getManagedDevices = (q) => {
    asked.push(q?.changedSince);
    return read(q);
  };
  sim.intune.setGroupMembers(
    all,
    members.filter((u) => u !== mb.userPrincipalName!.toLowerCase()),
  );
  nowMs += 15 * 60_000;
  assert.ok((await engine.quickSync()).success);
  assert.is(engine.devices().find((d) => d.deviceId === target.deviceId)!.reason, 'notTargeted');
  sim.intune.setGroupMembers(all, members);
  nowMs += 15 * 60_000;
  assert.ok((await engine.quickSync()).success);
  // Both quick syncs asked only for what changed since the last look; the device's record came from the full sync.
  assert.equal(asked, [new Date(fullAt - 5 * 60_000).toISOString(), new Date(fullAt + 15 * 60_000 - 5 * 60_000).toISOString()]);
  const back = engine.devices().find((d) => d.deviceId === target.deviceId)!;
  assert.is(back.reason, 'compliant');
  assert.is(back.access, 'allow');
  assert.is(agrees(sim, engine), 0);
});

test.run();
