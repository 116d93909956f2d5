// explain(events, deviceId, { at }) over logs the engine wrote for a simulated
// organization across two syncs, and explainFile's scan over the same log on disk.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine } from '../src/engine.js';
import type { EventStore, StoredEvent } from '../src/ports.js';
import { explain, closestIds, type Explanation } from '../projections/explain.js';
import { explainFile } from '../adapters/log/index.js';
import { scanFor } from '../adapters/log/explain-scan.js';
import { simulateOrganization, type Simulation } from '../adapters/simulator/index.js';
import { memoryStore } from '../adapters/memory-store/index.js';
import { openFileStore, readLog } from '../adapters/file-store/index.js';

const test = suite('explain');
const T0 = Date.parse('2026-11-26T08:00:00Z');
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const dir = mkdtempSync(join(tmpdir(), 'eas-explain-'));

interface History {
  sim: Simulation;
  engine: Engine;
  events: StoredEvent[];
  /** Compliant at the first sync, noncompliant at the second. */
  turned: string;
  turnedManaged: string;
  /** Quarantined at the first sync, its partnership removed before the second. */
  gone: string;
  log?: string;
}

/** Two full syncs an hour apart; between them one device turns noncompliant and one partnership goes away. */
async function history(store: EventStore = memoryStore(), devices = 300): Promise<History> {
  let now = T0;
  const sim = simulateOrganization({ devices, seed: 11, clock: () => now });
  const engine = createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store,
    policy: sim.policy,
    notifier: sim.notifier,
    clock: { now: () => now },
    parallelism: 2,
  });
  const first = await engine.fullSync();
  assert.ok(first.success, JSON.stringify(first.errors));
  const target = engine.devices().find((d) => d.reason === 'compliant' && d.governed)!;
  const md = sim.intune
    .devices()
    .find((m) => m.easDeviceId?.toLowerCase() === target.deviceId.toLowerCase() && m.complianceState === 'compliant')!;
  const gone = engine.devices().find((d) => d.access === 'quarantine' && d.reason === 'notEnrolled')!;
  now = T0 + HOUR;
  sim.intune.setCompliance(md.id, 'noncompliant');
  assert.ok(sim.exchange.removePartnership(gone.deviceId));
  const second = await engine.fullSync();
  assert.ok(second.success, JSON.stringify(second.errors));
  const all = await store.readAll();
  if (!isRight(all)) throw new Error('read failed');
  return { sim, engine, events: all.right, turned: target.deviceId, turnedManaged: md.id, gone: gone.deviceId };
}

let h: History;
const must = (r: ReturnType<typeof explain>): Explanation => {
  if (isLeft(r)) throw new Error(`${r.left.kind}: ${r.left.message}`);
  return r.right;
};

test.before(async () => {
  h = await history();
});

test('a device that turned noncompliant is blocked for notCompliant, from its mapped managed device, by a Set-CasMailbox that succeeded', () => {
  const x = must(explain(h.events, h.turned));
  assert.is(x.access, 'block');
  assert.is(x.reason, 'notCompliant');
  assert.is(x.rule, 6);
  assert.is(x.governed, true);
  assert.is(x.decidedAt, iso(T0 + HOUR));
  assert.is(x.syncId, 'sync-2');
  assert.is(x.policyRevision, 1);
  assert.is(x.facts?.intune?.id, h.turnedManaged);
  assert.is(x.facts?.intune?.complianceState, 'noncompliant');
  assert.ok(x.facts!.groups.included.includes(h.sim.groups.allUsers));
  assert.equal(x.facts!.groups.excluded, []);
  assert.is(x.policy?.enabled, true);
  assert.equal(x.policy?.includedGroups, [h.sim.groups.allUsers]);
  assert.equal(x.lists, { allowed: false, blocked: true });
  assert.ok(x.command);
  assert.equal(x.command.effect, { allowed: 'remove', blocked: 'add' });
  assert.is(x.command.outcome, 'succeeded');
  assert.is(x.command.syncId, 'sync-2');
  assert.is(x.command.command.mailbox, x.mailbox);
  assert.ok(x.explanation.some((s) => s.includes('noncompliant') && s.includes('block')));
  const types = x.timeline.map((t) => t.type);
  assert.is(types[0], 'PolicyChanged');
  assert.is(types.filter((t) => t === 'AccessDecided').length, 2);
  assert.is(types.filter((t) => t === 'CommandSucceeded').length, 2, 'allowed at the first sync, blocked at the second');
  assert.ok(
    x.timeline.every((t, i) => i === 0 || t.position > x.timeline[i - 1]!.position),
    'in log order',
  );
  assert.is(x.at, h.events[h.events.length - 1]!.at);
});

test('--at between the two syncs explains the decision in force then', () => {
  const x = must(explain(h.events, h.turned, { at: iso(T0 + HOUR / 2) }));
  assert.is(x.access, 'allow');
  assert.is(x.reason, 'compliant');
  assert.is(x.rule, 5);
  assert.is(x.facts?.intune?.complianceState, 'compliant');
  assert.equal(x.lists, { allowed: true, blocked: false });
  assert.equal(x.command?.effect, { allowed: 'add', blocked: null });
  assert.is(x.at, iso(T0 + HOUR / 2));
  assert.ok(x.timeline.every((t) => Date.parse(t.at) <= T0 + HOUR / 2));
  assert.is(x.timeline.filter((t) => t.type === 'AccessDecided').length, 1);
});

test('the device id matches in any letter case; an unknown id fails with the closest known ids', () => {
  const x = must(explain(h.events, h.turned.toLowerCase()));
  assert.is(x.deviceId, h.turned);
  const typo = `${h.turned.slice(0, -1)}${h.turned.endsWith('Z') ? 'Y' : 'Z'}`;
  const r = explain(h.events, typo);
  assert.ok(isLeft(r));
  if (isLeft(r)) {
    assert.is(r.left.kind, 'unknownDevice');
    assert.ok(r.left.kind === 'unknownDevice' && r.left.closest[0] === h.turned, JSON.stringify(r.left));
  }
  const prefix = explain(h.events, h.turned.slice(0, 8));
  assert.ok(isLeft(prefix) && prefix.left.kind === 'unknownDevice' && prefix.left.closest.includes(h.turned));
});

test('closestIds puts prefixes first, then the smallest edit distances', () => {
  assert.equal(closestIds('abcd', ['abcdef', 'abxd', 'zzzz', 'ABCD1']), ['ABCD1', 'abcdef', 'abxd']);
  assert.equal(closestIds('x', []), []);
});

test('a moment before the device was first seen is an error that says when it was', () => {
  const r = explain(h.events, h.turned, { at: iso(T0 - 24 * HOUR) });
  assert.ok(isLeft(r) && r.left.kind === 'notYetKnown');
  if (isLeft(r) && r.left.kind === 'notYetKnown') assert.is(r.left.firstSeen, iso(T0));
  const bad = explain(h.events, h.turned, { at: 'yesterday' });
  assert.ok(isLeft(bad) && bad.left.kind === 'invalidTime');
});

test('a removed partnership is explained as removed, with its last decision', () => {
  const x = must(explain(h.events, h.gone));
  assert.is(x.present, false);
  assert.is(x.removedAt, iso(T0 + HOUR));
  assert.is(x.access, 'quarantine');
  assert.is(x.reason, 'notEnrolled');
  assert.is(x.timeline[x.timeline.length - 1]!.type, 'PartnershipRemoved');
  assert.ok(x.notes.some((n) => n.includes('removed')));
  const before = must(explain(h.events, h.gone, { at: iso(T0 + 1) }));
  assert.is(before.present, true);
  assert.is(before.removedAt, null);
});

test('a quarantined device is enforced by the default access level, not by a list entry', () => {
  const q = h.engine.devices().find((d) => d.access === 'quarantine' && d.reason === 'notEnrolled')!;
  const x = must(explain(h.events, q.deviceId));
  assert.is(x.rule, 8);
  assert.is(x.facts?.intune, null);
  assert.equal(x.lists, { allowed: false, blocked: false });
  assert.ok(x.explanation.some((s) => s.includes('default access level is quarantine')));
  assert.ok(x.explanation.some((s) => s.includes('out of both lists')));
});

test("a device of an excluded user is not governed and shows Exchange's own evaluation", () => {
  const ex = h.engine.devices().find((d) => d.reason === 'excludedGroup')!;
  const x = must(explain(h.events, ex.deviceId));
  assert.is(x.governed, false);
  assert.is(x.rule, 2);
  assert.ok(x.facts?.exchange);
  assert.is(x.facts.exchange.access, x.access!);
  assert.ok(x.facts.groups.excluded.includes(h.sim.groups.excluded));
  assert.ok(x.explanation[0]!.includes('excluded group'));
});

test('a grandfathered device of a not-governed user says why it keeps access', () => {
  const ids = new Set(h.events.filter((e) => e.type === 'DeviceGrandfathered').map((e) => (e.data as { deviceId: string }).deviceId));
  assert.ok(ids.size > 0, 'the first sync grandfathered some devices');
  const x = must(explain(h.events, [...ids][0]!));
  assert.is(x.governed, false);
  assert.ok(x.timeline.some((t) => t.type === 'DeviceGrandfathered'));
  assert.ok(x.explanation.some((s) => s.includes('grandfathered')));
});

test('a platform exception names the exception; a grace period that ran out since the decision is pointed out', () => {
  const exc = h.engine.devices().find((d) => d.reason === 'exchangeDeviceRule')!;
  const x = must(explain(h.events, exc.deviceId));
  assert.is(x.rule, 7);
  assert.ok(x.facts?.exception);
  assert.ok(x.explanation.some((s) => s.includes(`"${x.facts!.exception!.name}"`)));
  const graced = h.engine
    .devices()
    .map((d) => must(explain(h.events, d.deviceId)))
    .find(
      (e) =>
        e.access === 'allow' && e.facts?.intune?.complianceState === 'inGracePeriod' && e.facts.intune.graceDeadline?.startsWith('2026'),
    );
  assert.ok(graced, 'the simulation has a device allowed in a running grace period');
  const later = must(explain(h.events, graced.deviceId, { at: iso(Date.parse(graced.facts!.intune!.graceDeadline!) + HOUR) }));
  assert.ok(
    later.notes.some((n) => n.includes('grace deadline')),
    JSON.stringify(later.notes),
  );
  assert.not.ok(graced.notes.some((n) => n.includes('grace deadline')));
});

test('a policy change not yet applied to the device is pointed out, with the policy of the decision and the one in force', async () => {
  let now = T0;
  const sim = simulateOrganization({ devices: 60, seed: 8, clock: () => now });
  const store = memoryStore();
  const make = (policy: typeof sim.policy) =>
    createEngine({ organization: sim.organization, exchange: sim.exchange, intune: sim.intune, store, policy, clock: { now: () => now } });
  await make(sim.policy).fullSync();
  now += HOUR;
  await make({ ...sim.policy, defaultAccessLevel: 'block' }).fullSync();
  const events = store.events();
  const changed = events.findIndex((e) => e.type === 'PolicyChanged' && (e.data as { revision: number }).revision === 2);
  const device = events.find((e) => e.type === 'AccessDecided')!.data as { deviceId: string };
  const before = must(explain(events.slice(0, changed + 1), device.deviceId));
  assert.is(before.policyRevision, 1);
  assert.is(before.policyInForce?.revision, 2);
  assert.is(before.policyInForce?.policy.defaultAccessLevel, 'block');
  assert.is(before.policy?.defaultAccessLevel, 'quarantine');
  assert.ok(before.notes.some((n) => n.includes('Policy revision 2') && n.includes('revision 1')));
  const after = must(explain(events, device.deviceId));
  assert.is(after.policyRevision, 2);
  assert.not.ok(after.notes.some((n) => n.includes('Policy revision')));
  assert.equal(
    after.timeline.filter((t) => t.type === 'PolicyChanged').map((t) => t.summary),
    ['policy revision 1', 'policy revision 2'],
  );
});

test('a policy change that leaves the decision rules as they were is not pointed out: the decision stands under it', async () => {
  let now = T0;
  const sim = simulateOrganization({ devices: 40, seed: 8, clock: () => now });
  const store = memoryStore();
  const make = (policy: typeof sim.policy) =>
    createEngine({ organization: sim.organization, exchange: sim.exchange, intune: sim.intune, store, policy, clock: { now: () => now } });
  await make(sim.policy).fullSync();
  now += HOUR;
  await make({ ...sim.policy, notification: { ...sim.policy.notification, subject: 'New subject' } }).fullSync();
  const events = store.events();
  const device = events.find((e) => e.type === 'AccessDecided')!.data as { deviceId: string };
  const x = must(explain(events, device.deviceId));
  assert.is(x.policyRevision, 1);
  assert.is(x.policyInForce?.revision, 2);
  assert.not.ok(
    x.notes.some((n) => n.includes('Policy revision')),
    JSON.stringify(x.notes),
  );
});

// ---------------------------------------------------------------- the file scan
let fileH: History;
let log: string;
let all: StoredEvent[];

test("explainFile answers from the device's lines only, with exactly the explanation of explain over every event", async () => {
  log = join(dir, 'history.ndjson');
  const opened = await openFileStore(log);
  if (isLeft(opened)) throw new Error(opened.left.kind);
  fileH = await history(opened.right);
  await opened.right.close();
  const read = await readLog(log);
  if (isLeft(read)) throw new Error('read');
  all = read.right.events;
  const ids = [
    fileH.turned,
    fileH.gone,
    fileH.turned.toLowerCase(),
    ...fileH.engine
      .devices()
      .filter((_, i) => i % 10 === 0)
      .map((d) => d.deviceId),
  ];
  for (const id of ids) {
    const viaScan = await explainFile(log, id);
    assert.ok(isRight(viaScan), id);
    if (!isRight(viaScan)) continue;
    assert.is(viaScan.right.via, 'scan');
    assert.ok(viaScan.right.parsedLines < all.length / 20, `${viaScan.right.parsedLines} lines parsed of ${all.length}`);
    assert.equal(viaScan.right.explanation, must(explain(all, id)));
  }
  const at = iso(T0 + HOUR / 2);
  const then = await explainFile(log, fileH.turned, { at });
  assert.ok(isRight(then));
  if (isRight(then)) assert.equal(then.right.explanation, must(explain(all, fileH.turned, { at })));
});

test('the scan finds the same lines whatever its read size: lines across reads, a line longer than a read', async () => {
  const longest = Math.max(
    ...readFileSync(log, 'utf8')
      .split('\n')
      .map((l) => Buffer.byteLength(l)),
  );
  for (const id of [fileH.turned, fileH.gone, fileH.turned.slice(0, -2)]) {
    const whole = await scanFor(log, id);
    assert.ok(isRight(whole));
    for (const bytes of [Math.floor(longest / 3), longest + 1, 4093, 65536]) {
      const small = await scanFor(log, id, bytes);
      assert.equal(small, whole, `${id}, reads of ${bytes} bytes`);
    }
  }
});

test('explainFile of an unknown id lists the closest known ids', async () => {
  const r = await explainFile(log, fileH.turned.slice(0, -2));
  assert.ok(isLeft(r) && r.left.kind === 'unknownDevice');
  if (isLeft(r) && r.left.kind === 'unknownDevice') assert.ok(r.left.closest.includes(fileH.turned));
});

test("a damaged line of the device's mailbox makes explainFile read every line and report it; damage elsewhere does not matter", async () => {
  const lines = readFileSync(log, 'utf8').split('\n');
  const x = must(explain(all, fileH.turned));
  const decided = x.timeline.find((t) => t.type === 'AccessDecided')!;
  const broken = [...lines];
  broken[decided.position] = broken[decided.position]!.replace('"revision":', '"revision":x');
  const bad = join(dir, 'damaged.ndjson');
  writeFileSync(bad, broken.join('\n'));
  const r = await explainFile(bad, fileH.turned);
  assert.ok(isLeft(r) && r.left.kind === 'invalidLog');
  if (isLeft(r) && r.left.kind === 'invalidLog') assert.is(r.left.errors[0]!.line, decided.position + 1);
  // The same line twice: the scan sees positions that do not rise and leaves it to the full read.
  const doubled = [...lines];
  doubled.splice(decided.position, 0, lines[decided.position]!);
  writeFileSync(bad, doubled.join('\n'));
  const twice = await explainFile(bad, fileH.turned);
  assert.ok(isLeft(twice) && twice.left.kind === 'invalidLog');
  if (isLeft(twice) && twice.left.kind === 'invalidLog') assert.is(twice.left.errors[0]!.line, decided.position + 2);
  // A line of another mailbox: not read by the scan.
  const other = all.find((e) => e.stream !== x.stream && e.stream.startsWith('eas-mailbox-') && e.type === 'MailboxDiscovered')!;
  const elsewhere = [...lines];
  elsewhere[other.position] = elsewhere[other.position]!.replace('"revision":', '"revision":x');
  writeFileSync(bad, elsewhere.join('\n'));
  const fine = await explainFile(bad, fileH.turned);
  assert.ok(isRight(fine) && fine.right.via === 'scan');
  if (isRight(fine)) assert.equal(fine.right.explanation, x);
});

test('a torn last line is ignored by the scan as by every reader', async () => {
  const torn = join(dir, 'torn.ndjson');
  writeFileSync(torn, readFileSync(log, 'utf8') + '{"stream":"eas-org-contoso","revision":9');
  const r = await explainFile(torn, fileH.turned);
  assert.ok(isRight(r));
  if (isRight(r)) assert.equal(r.right.explanation, must(explain(all, fileH.turned)));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
