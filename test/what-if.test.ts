// whatIf(events, policy): checked against what the engine then really does when
// it syncs the same organization under that policy.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isRight } from 'fp-ts/lib/Either.js';
import { createEngine, type Engine } from '../src/engine.js';
import type { StoredEvent } from '../src/ports.js';
import type { Policy } from '../src/policy.js';
import { decodeEvent, type DomainEvent } from '../src/events.js';
import { evolveMailbox, initialMailboxState, type MailboxState } from '../src/mailbox.js';
import { whatIf, foldLean, materialize, emptyLeanMailbox, createWhatIf, governedPlan } from '../projections/what-if.js';
import { decideMailbox } from '../src/mailbox.js';
import { accepted } from '../src/decider.js';
import { simulateOrganization, type Simulation } from '../adapters/simulator/index.js';
import { memoryStore } from '../adapters/memory-store/index.js';
import { whatIfFile } from '../adapters/log/index.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const test = suite('what-if');
const T0 = Date.parse('2026-11-26T08:00:00Z');
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

interface World {
  sim: Simulation;
  store: ReturnType<typeof memoryStore>;
  clock: { t: number };
  engine(policy: Policy): Engine;
}

/** A simulated organization after one full sync under its own policy. */
async function synced(devices = 300, seed = 21): Promise<World> {
  const clock = { t: T0 };
  const sim = simulateOrganization({ devices, seed, clock: () => clock.t });
  const store = memoryStore();
  const engine = (policy: Policy) =>
    createEngine({
      organization: sim.organization,
      exchange: sim.exchange,
      intune: sim.intune,
      store,
      policy,
      notifier: sim.notifier,
      clock: { now: () => clock.t },
      parallelism: 2,
    });
  const r = await engine(sim.policy).fullSync();
  assert.ok(r.success, JSON.stringify(r.errors));
  return { sim, store, clock, engine };
}

const key = (id: string) => id.toLowerCase();

/**
 * Runs what-if for `policy`, then a real full sync under it at the same moment,
 * and returns both for comparison.
 */
async function predictThenSync(policy: Policy) {
  const w = await synced();
  w.clock.t = T0 + HOUR;
  const before = w.store.events();
  const predicted = whatIf(before, policy, { at: iso(w.clock.t) });
  const engine = w.engine(policy);
  const old = new Map((await decisions(before)).map((d) => [key(d.deviceId), d]));
  const report = await engine.fullSync();
  assert.ok(report.success, JSON.stringify(report.errors));
  const after = w.store.events().slice(before.length);
  const actualChanges = engine
    .devices()
    .filter((d) => old.get(key(d.deviceId))!.access !== d.access)
    .map((d) => ({ deviceId: d.deviceId, from: old.get(key(d.deviceId))!.access, to: d.access, reason: d.reason }));
  const intents = after.filter((e) => e.type === 'CommandIntended').map((e) => (e.data as { command: { kind: string } }).command);
  return { predicted, actualChanges, intents, report };
}

async function decisions(events: readonly StoredEvent[]) {
  const last = new Map<string, { deviceId: string; access: string }>();
  for (const e of events) {
    if (e.type === 'AccessDecided') {
      const d = e.data as { deviceId: string; access: string };
      last.set(key(d.deviceId), d);
    }
    if (e.type === 'PartnershipRemoved') last.delete(key((e.data as { deviceId: string }).deviceId));
  }
  return [...last.values()];
}

const sortBy = <A>(xs: A[], f: (a: A) => string) => [...xs].sort((a, b) => (f(a) < f(b) ? -1 : f(a) > f(b) ? 1 : 0));
const sortedLists = (c: { add: readonly string[]; remove: readonly string[] }) => ({
  add: [...c.add].sort(),
  remove: [...c.remove].sort(),
});

function assertPredicted(p: Awaited<ReturnType<typeof predictThenSync>>) {
  const predicted = p.predicted.changes.map((c) => ({ deviceId: c.deviceId, from: c.from, to: c.to, reason: c.reason }));
  assert.equal(
    sortBy(predicted, (c) => c.deviceId),
    sortBy(p.actualChanges, (c) => c.deviceId),
  );
  const total = Object.values(p.predicted.summary).reduce((a, b) => a + b, 0);
  assert.is(total, p.predicted.changes.length);
  for (const [t, n] of Object.entries(p.predicted.summary))
    assert.is(p.predicted.changes.filter((c) => `${c.from}->${c.to}` === t).length, n);
  assert.is(p.predicted.unchanged + p.predicted.changes.length, p.predicted.devices);
  const actualCas = p.intents.filter((c) => c.kind === 'setCasMailbox') as unknown as Array<{
    mailbox: string;
    allowedDeviceIds: { add: string[]; remove: string[] };
    blockedDeviceIds: { add: string[]; remove: string[] };
  }>;
  const norm = (c: {
    mailbox: string;
    allowedDeviceIds: { add: readonly string[]; remove: readonly string[] };
    blockedDeviceIds: { add: readonly string[]; remove: readonly string[] };
  }) => ({ mailbox: c.mailbox, allowedDeviceIds: sortedLists(c.allowedDeviceIds), blockedDeviceIds: sortedLists(c.blockedDeviceIds) });
  assert.equal(
    sortBy(p.predicted.commands.map(norm), (c) => c.mailbox),
    sortBy(actualCas.map(norm), (c) => c.mailbox),
  );
  assert.equal(
    p.predicted.orgCommands,
    p.intents.filter((c) => c.kind !== 'setCasMailbox'),
  );
}

test('the policy in force predicts no change and no command', async () => {
  const w = await synced();
  const r = whatIf(w.store.events(), w.sim.policy);
  assert.is(r.changes.length, 0);
  assert.equal(r.summary, {});
  assert.is(r.commands.length, 0);
  assert.is(r.orgCommands.length, 0);
  assert.is(r.unchanged, 300);
  assert.is(r.devices, 300);
  assert.is(r.policyRevision, 1);
  assert.equal(r.warnings, []);
  assert.is(r.at, w.store.events()[w.store.events().length - 1]!.at);
});

test('a stricter policy (default block, no BlackBerry exception) predicts exactly the changes and commands of the next sync', async () => {
  const w = await synced();
  const stricter: Policy = {
    ...w.sim.policy,
    defaultAccessLevel: 'block',
    platformExceptions: w.sim.policy.platformExceptions.filter((e) => e.name !== 'BlackBerry'),
  };
  const p = await predictThenSync(stricter);
  assert.ok((p.predicted.summary['quarantine->block'] ?? 0) > 0);
  assert.ok((p.predicted.summary['allow->block'] ?? 0) > 0, 'BlackBerry devices lose their exception');
  assert.ok(p.predicted.changes.every((c) => c.cause === 'policy'));
  assert.ok(p.predicted.orgCommands.some((c) => c.kind === 'setOrgSettings' && c.defaultAccessLevel === 'Block'));
  assert.ok(p.predicted.orgCommands.some((c) => c.kind === 'removeDeviceAccessRule'));
  assertPredicted(p);
});

test('disabling the policy predicts the release of every entry the engine owns, as the next sync does it', async () => {
  const w = await synced();
  const p = await predictThenSync({ ...w.sim.policy, enabled: false });
  assert.ok(p.predicted.changes.length > 0);
  assert.ok(p.predicted.changes.every((c) => c.reason === 'policyDisabled' && !c.governed));
  assert.ok(p.predicted.commands.length > 0);
  assertPredicted(p);
});

test('dropping the excluded group governs its users, as the next sync does', async () => {
  const w = await synced();
  const p = await predictThenSync({ ...w.sim.policy, excludedGroups: [] });
  assert.ok(p.predicted.changes.some((c) => c.fromReason === 'excludedGroup'));
  assert.equal(p.predicted.warnings, []);
  assertPredicted(p);
});

test('a group the log never named is a warning: its members are unknown and treated as none', async () => {
  const w = await synced();
  const r = whatIf(w.store.events(), { ...w.sim.policy, includedGroups: [w.sim.groups.pilot] });
  const warning = r.warnings.find((x) => x.kind === 'unknownGroupMembership');
  assert.ok(warning);
  assert.equal(warning.groups, [w.sim.groups.pilot]);
  assert.ok(warning.message.includes(w.sim.groups.pilot));
  assert.ok(r.changes.length > 0 && r.changes.every((c) => c.reason === 'notTargeted'));
});

test('judged after a grace deadline, the expiry is a change the current policy would make too', async () => {
  const w = await synced();
  const events = w.store.events();
  const graced = events
    .filter((e) => e.type === 'AccessDecided')
    .map(
      (e) => e.data as { deviceId: string; access: string; facts: { intune: { complianceState: string; graceDeadline?: string } | null } },
    )
    .find(
      (d) =>
        d.access === 'allow' && d.facts.intune?.complianceState === 'inGracePeriod' && d.facts.intune.graceDeadline?.startsWith('2026'),
    )!;
  assert.ok(graced);
  const later = iso(Date.parse(graced.facts.intune!.graceDeadline!) + HOUR);
  const r = whatIf(events, w.sim.policy, { at: later });
  const c = r.changes.find((x) => x.deviceId === graced.deviceId);
  assert.ok(c);
  assert.equal(
    { from: c.from, to: c.to, reason: c.reason, cause: c.cause },
    { from: 'allow', to: 'block', reason: 'notCompliant', cause: 'elapsed' },
  );
  assert.ok(r.changes.every((x) => x.cause === 'elapsed'));
});

test("the lean fold builds exactly the mailbox states the decider's evolve builds (syncs, removals, failures, drift, notifications, grandfathering)", async () => {
  const w = await synced(400, 3);
  // Another sync with changes: a failed command, lists edited by hand (drift), a removed and a new partnership.
  w.clock.t = T0 + HOUR;
  const states = new Map<string, MailboxState>();
  const some = [...w.sim.evaluateAll().entries()];
  const [victimId, victim] = some.find(([, e]) => e.access === 'allow')!;
  w.sim.exchange.setMailboxLists(victim.mailbox, { allowed: [], blocked: [victimId] });
  w.sim.exchange.removePartnership(some[5]![0]);
  w.sim.exchange.failNext(2, { kind: 'other', message: 'boom' }, { cmdlet: 'Set-CasMailbox' });
  const stricter: Policy = { ...w.sim.policy, defaultAccessLevel: 'block' };
  await w.engine(stricter).fullSync();
  const events = w.store.events();
  assert.ok(events.some((e) => e.type === 'CommandFailed'));
  assert.ok(events.some((e) => e.type === 'ListsDriftDetected'));
  assert.ok(events.some((e) => e.type === 'DeviceGrandfathered'));
  assert.ok(events.some((e) => e.type === 'NotificationSent'));
  const lean = new Map<string, ReturnType<typeof emptyLeanMailbox>>();
  for (const raw of events) {
    if (!raw.stream.startsWith('eas-mailbox-')) continue;
    const d = decodeEvent(raw.type, raw.data);
    if (!isRight(d)) throw new Error('decode');
    states.set(
      raw.stream,
      evolveMailbox(states.get(raw.stream) ?? initialMailboxState, { ...d.right, at: raw.at } as unknown as DomainEvent),
    );
    const l = lean.get(raw.stream) ?? emptyLeanMailbox();
    assert.ok(foldLean(l, d.right, raw.at), raw.type);
    lean.set(raw.stream, l);
  }
  const plain = (s: MailboxState) => JSON.parse(JSON.stringify(s)) as unknown;
  for (const [stream, s] of states) assert.equal(plain(materialize(lean.get(stream)!)), plain(s), stream);
});

test("the governed plan is the decider's plan wherever it holds (and it holds for most mailboxes of a stricter policy)", async () => {
  const w = await synced(400, 5);
  const at = Date.parse(w.store.events().at(-1)!.at) + 30 * 24 * HOUR;
  const states = new Map<string, MailboxState>();
  for (const raw of w.store.events()) {
    if (!raw.stream.startsWith('eas-mailbox-')) continue;
    const d = decodeEvent(raw.type, raw.data);
    if (!isRight(d)) throw new Error('decode');
    states.set(
      raw.stream,
      evolveMailbox(states.get(raw.stream) ?? initialMailboxState, { ...d.right, at: raw.at } as unknown as DomainEvent),
    );
  }
  const p = w.sim.policy;
  const policies: Policy[] = [
    p,
    { ...p, defaultAccessLevel: 'block' },
    { ...p, defaultAccessLevel: 'quarantine', platformExceptions: [] },
    { ...p, excludedGroups: [] },
    { ...p, enabled: false },
    { ...p, includedGroups: [] },
  ];
  let held = 0;
  let fellBack = 0;
  for (const policy of policies) {
    for (const state of states.values()) {
      if (!state.info) continue;
      const ids = Object.keys(state.devices);
      const judged = ids.map((key) => ({
        key,
        partnership: state.devices[key]!,
        decision: state.devices[key]!.decision,
        notified: state.devices[key]!.notified,
      }));
      // The contexts the judge builds: the recorded groups the policy names, the recorded mapping.
      const contexts = new Map(
        judged
          .filter((j) => j.decision)
          .map(({ key, partnership: device, decision }) => {
            const f = decision!.facts;
            const member = (g: string) => f.groups.included.includes(g) || f.groups.excluded.includes(g);
            const conflicts = f.conflicts.map((c) => ({
              id: c.id,
              userPrincipalName: c.user,
              complianceState: 'unknown' as const,
              managementAgent: 'mdm',
              easDeviceId: device.deviceId,
            }));
            const mapped = f.intune
              ? {
                  id: f.intune.id,
                  easDeviceId: device.deviceId,
                  complianceState: f.intune.complianceState as 'compliant',
                  managementAgent: f.intune.managementAgent,
                  ...(f.intune.graceDeadline ? { complianceGracePeriodExpirationDateTime: f.intune.graceDeadline } : {}),
                }
              : undefined;
            return [
              key,
              {
                groups: { included: policy.includedGroups.filter(member), excluded: policy.excludedGroups.filter(member) },
                mapping: mapped ? { mapped, conflicts } : { conflicts },
              },
            ] as const;
          }),
      );
      const lean = governedPlan(judged, state.info.activeSyncEnabled, state.lists, contexts, policy, at);
      if (lean === undefined) {
        fellBack++;
        continue;
      }
      held++;
      const plan = accepted(
        decideMailbox(
          {
            type: 'ReconcileMailbox',
            syncId: 's',
            commandId: 'c',
            atMs: at,
            policy,
            policyRevision: 9,
            partnerships: ids.map((k) => state.devices[k]!),
            complete: true,
            contexts,
          },
          state,
        ),
      );
      const command = plan.commands[0]?.command;
      assert.equal(
        lean.decisions,
        plan.decisions.map((x) => x.decision),
      );
      assert.equal(
        lean.change,
        command?.kind === 'setCasMailbox'
          ? { allowedDeviceIds: command.allowedDeviceIds, blockedDeviceIds: command.blockedDeviceIds }
          : undefined,
      );
    }
  }
  assert.ok(held > 100 && fellBack > 100, `${held} held, ${fellBack} fell back`);
});

test('whatIf and its incremental fold agree', async () => {
  const w = await synced();
  const events = w.store.events();
  const policy: Policy = { ...w.sim.policy, defaultAccessLevel: 'block' };
  const f = createWhatIf();
  for (const e of events) f.push(e);
  assert.is(f.count, events.length);
  assert.equal(f.result(policy), whatIf(events, policy));
});

test('whatIfFile on several threads gives what whatIf gives over the same events', async () => {
  const w = await synced(600, 8);
  const events = w.store.events();
  const dir = mkdtempSync(join(tmpdir(), 'eas-what-if-'));
  try {
    const log = join(dir, 'log.ndjson');
    writeFileSync(
      log,
      events
        .map(
          (e) =>
            JSON.stringify({
              stream: e.stream,
              revision: e.revision,
              position: e.position,
              id: e.id,
              type: e.type,
              at: e.at,
              data: e.data,
              meta: e.meta,
            }) + '\n',
        )
        .join(''),
    );
    const stricter: Policy = { ...w.sim.policy, defaultAccessLevel: 'block', excludedGroups: [] };
    // A group the log never named: its warning lists groups in the order first met.
    const piloted: Policy = { ...w.sim.policy, includedGroups: [w.sim.groups.pilot] };
    for (const policy of [stricter, piloted]) {
      const expected = whatIf(events, policy);
      assert.ok(expected.changes.length > 0 && expected.commands.length > 0 && (policy === stricter || expected.warnings.length > 0));
      for (const threads of [1, 2, 3]) {
        const r = await whatIfFile(log, policy, { threads });
        assert.ok(isRight(r));
        if (!isRight(r)) continue;
        assert.is(r.right.threads, threads);
        assert.equal(r.right.result, expected);
        assert.equal(r.right.errors, []);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
