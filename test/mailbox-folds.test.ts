// Every fold of mailbox events agrees with the decider's state: over generated
// histories (valid by construction: produced by the decider, or by the engine
// syncing a simulated organization that changes between syncs), the decider's
// evolve, what-if's lean fold, the device-access records replay prints,
// replay's summary, explain and the connector status give each device the same
// access, reason, list entries and ownership, pending intents and
// notification episode.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { isRight } from 'fp-ts/lib/Either.js';
import {
  decideMailbox,
  deviceKey,
  evolveMailbox,
  hasDeviceKey,
  initialMailboxState,
  needsNotification,
  type MailboxState,
  type ReconcileMailbox,
} from '../src/mailbox.js';
import { accepted } from '../src/decider.js';
import { decodeEvent, type DomainEvent } from '../src/events.js';
import type { StoredEvent } from '../src/ports.js';
import type { ManagedDevice } from '../src/facts.js';
import type { Policy } from '../src/policy.js';
import { createEngine } from '../src/engine.js';
import { emptyDeviceAccess, foldDeviceAccess } from '../projections/device-access.js';
import { emptyConnectorStatus, foldConnectorStatus, pendingByStream } from '../projections/connector-status.js';
import { emptyLeanMailbox, foldLean, materialize } from '../projections/what-if.js';
import { replay } from '../projections/replay.js';
import { explain } from '../projections/explain.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { memoryStore } from '../adapters/memory-store/index.js';
import { AT, device, mailbox, managed, policy } from './support/builders.js';

const test = suite('mailbox folds');

/** JSON's view of a value: what every fold is compared on (undefined fields dropped). */
const plain = (x: unknown): unknown => (x === undefined ? undefined : JSON.parse(JSON.stringify(x)));

/** Checks every fold over `log` (mailbox and org streams, in log order) against evolveMailbox. */
function checkFolds(log: readonly StoredEvent[]): void {
  const decoded = log.map((raw) => {
    const d = decodeEvent(raw.type, raw.data);
    if (!isRight(d)) throw new Error(`invalid event ${raw.type}`);
    return { raw, e: d.right };
  });
  const states = new Map<string, MailboxState>();
  const lean = new Map<string, ReturnType<typeof emptyLeanMailbox>>();
  const access = emptyDeviceAccess();
  const status = emptyConnectorStatus();
  for (const { raw, e } of decoded) {
    if (!raw.stream.startsWith('eas-mailbox-')) continue;
    states.set(raw.stream, evolveMailbox(states.get(raw.stream) ?? initialMailboxState, { ...e, at: raw.at } as unknown as DomainEvent));
    const l = lean.get(raw.stream) ?? emptyLeanMailbox();
    assert.ok(foldLean(l, e, raw.at), `the lean fold knows ${e.type}`);
    lean.set(raw.stream, l);
    foldDeviceAccess(access, raw.stream, e, raw.at);
    foldConnectorStatus(status, raw.stream, e, raw.at);
  }
  const replayed = replay(log);
  const byStream = pendingByStream(status);
  const expectedStates: Array<{
    deviceId: string;
    mailbox: string;
    access: string;
    reason: string;
    overrideUntil?: string;
    wipe?: string;
  }> = [];
  let pendingTotal = 0;

  for (const [stream, s] of states) {
    // what-if's lean fold materializes to exactly the decider's state: decisions, ownership, lists, episodes, intents.
    assert.equal(plain(materialize(lean.get(stream)!)), plain(s), `lean fold of ${stream}`);

    const m = access.streams.get(stream)!;
    const mailboxName = s.info?.identity ?? '';
    assert.is(m.mailbox, mailboxName, `mailbox of ${stream}`);
    assert.equal(m.pending, Object.keys(s.pending), `pending intents of ${stream} (device access)`);
    assert.equal(byStream.get(stream) ?? [], Object.keys(s.pending), `pending intents of ${stream} (connector status)`);
    pendingTotal += Object.keys(s.pending).length;
    const present = m.devices;
    assert.equal(present.map((r) => deviceKey(r.deviceId)).sort(), Object.keys(s.devices).sort(), `partnerships of ${stream}`);
    for (const r of present) {
      const d = s.devices[deviceKey(r.deviceId)]!;
      const dec = d.decision;
      assert.equal(
        {
          deviceId: r.deviceId,
          mailbox: r.mailbox,
          deviceType: r.deviceType,
          deviceModel: r.deviceModel,
          access: r.access,
          reason: r.reason,
          governed: r.governed,
          policyRevision: r.policyRevision,
          decidedAt: r.decidedAt,
          notified: r.notified,
          complianceState: r.complianceState,
          intuneDeviceId: r.intuneDeviceId,
          wipe: r.wipe,
        },
        {
          deviceId: d.deviceId,
          mailbox: mailboxName,
          deviceType: d.deviceType,
          deviceModel: d.deviceModel,
          access: dec?.access,
          reason: dec?.reason,
          governed: dec?.governed,
          policyRevision: dec?.policyRevision,
          decidedAt: dec?.at,
          notified: d.notified,
          complianceState: dec?.facts.intune?.complianceState,
          intuneDeviceId: dec?.facts.intune?.id,
          wipe: d.wipe?.stage,
        },
        `device ${d.deviceId} of ${stream}`,
      );
      if (dec)
        expectedStates.push({
          deviceId: d.deviceId,
          mailbox: mailboxName,
          access: dec.access,
          reason: dec.reason,
          ...(dec.facts.override ? { overrideUntil: dec.facts.override.until } : {}),
          ...(d.wipe ? { wipe: d.wipe.stage } : {}),
        });

      // explain, at the end of the log.
      const x = explain(log, d.deviceId);
      if (!isRight(x)) throw new Error(`explain ${d.deviceId}: ${x.left.message}`);
      if (x.right.stream !== stream) continue; // the same DeviceId in several mailboxes: explained from another
      const k = deviceKey(d.deviceId);
      assert.equal(
        {
          present: x.right.present,
          access: x.right.access,
          reason: x.right.reason,
          governed: x.right.governed,
          decidedAt: x.right.decidedAt,
          lists: x.right.lists,
          wipe: x.right.wipe?.stage ?? null,
        },
        {
          present: true,
          access: dec?.access ?? null,
          reason: dec?.reason ?? null,
          governed: dec?.governed ?? null,
          decidedAt: dec?.at ?? null,
          lists: { allowed: hasDeviceKey(s.lists.allowedDeviceIds, k), blocked: hasDeviceKey(s.lists.blockedDeviceIds, k) },
          wipe: d.wipe?.stage ?? null,
        },
        `explain ${d.deviceId}`,
      );
    }
  }
  // replay's summary: every current device with a decision, and the pending intents.
  const key = (d: { deviceId: string; mailbox: string }) => `${d.mailbox}\u0000${d.deviceId}`;
  const sorted = <T extends { deviceId: string; mailbox: string }>(l: readonly T[]) => [...l].sort((a, b) => (key(a) < key(b) ? -1 : 1));
  assert.equal(sorted(replayed.deviceStates), sorted(expectedStates), "replay's device states");
  assert.is(replayed.pendingIntents, pendingTotal + countOrgPending(decoded), "replay's pending intents");
}

function countOrgPending(decoded: ReadonlyArray<{ raw: StoredEvent; e: DomainEvent }>): number {
  const pending = new Set<string>();
  for (const { raw, e } of decoded) {
    if (!raw.stream.startsWith('eas-org-')) continue;
    if (e.type === 'CommandIntended' && e.data.command.kind !== 'setCasMailbox') pending.add(e.data.commandId);
    if (e.type === 'CommandSucceeded' || e.type === 'CommandFailed') pending.delete(e.data.commandId);
  }
  return pending.size;
}

// ------------------------------------------------------------------ histories from the decider
const kim = mailbox('Kim Akers');
const STREAM = 'eas-mailbox-contoso-contoso.com/Users/Kim Akers';
const IDS = ['ApplAAA111', 'androidc222', 'BB333', 'WP444'];
const spelled = (id: string, variant: number) => (variant === 1 ? id.toUpperCase() : variant === 2 ? id.toLowerCase() : id);

const deviceFacts = fc.record({
  variant: fc.integer({ min: 0, max: 2 }),
  type: fc.constantFrom('iPhone', 'Android', 'BlackBerry'),
  enrolled: fc.boolean(),
  compliance: fc.constantFrom('compliant', 'noncompliant', 'inGracePeriod', 'unknown'),
  graceHours: fc.integer({ min: -24, max: 24 }),
  // Mostly governed: restricted episodes, notifications and list entries need it.
  excluded: fc.constantFrom(false, false, false, true),
  included: fc.constantFrom(true, true, true, false),
});
const step = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('reconcile' as const),
      present: fc.subarray(IDS),
      facts: fc.array(deviceFacts, { minLength: IDS.length, maxLength: IDS.length }),
      allowed: fc.subarray([...IDS, 'ForeignId', ...IDS.map((x) => x.toLowerCase())]),
      blocked: fc.subarray([...IDS, 'ForeignId', ...IDS.map((x) => x.toUpperCase())]),
      complete: fc.boolean(),
      activeSyncEnabled: fc.constantFrom(true, true, true, false),
      defaultAccessLevel: fc.constantFrom('allow' as const, 'block' as const, 'quarantine' as const),
      enabled: fc.constantFrom(true, true, true, false),
      blackberry: fc.constantFrom('allow' as const, 'block' as const, 'quarantine' as const, undefined),
      grandfather: fc.boolean(),
      revision: fc.integer({ min: 1, max: 3 }),
      hours: fc.integer({ min: 0, max: 30 }),
      // Stale partnerships chosen for removal (the decider refuses some again: override, excluded, wipe).
      remove: fc.constantFrom([], [], [], ...IDS.map((x) => [x])),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('outcome' as const),
      pick: fc.nat(),
      fail: fc.boolean(),
      // A failure the wipe may be sent again after (a crash, the connection) or one that ends it.
      error: fc.constantFrom('other', 'notFound', 'interrupted', 'connectionLost'),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('wipe' as const),
      pick: fc.nat(),
      accountOnly: fc.boolean(),
      ack: fc.constantFrom(false, true),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('notify' as const), pick: fc.nat(), fail: fc.constantFrom(false, false, true) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('override' as const),
      pick: fc.nat(),
      access: fc.constantFrom('allow' as const, 'block' as const),
      hours: fc.integer({ min: 1, max: 40 }),
      notify: fc.boolean(),
      revoke: fc.constantFrom(false, false, true),
    }),
  },
);

/** Drives the mailbox decider through `steps`, as syncs would: every event it answers is appended and folded. */
function historyOf(steps: ReadonlyArray<typeof step extends fc.Arbitrary<infer T> ? T : never>): StoredEvent[] {
  let state = initialMailboxState;
  const log: StoredEvent[] = [];
  let now = AT;
  let n = 0;
  const append = (events: readonly DomainEvent[]) => {
    const at = new Date(now).toISOString();
    for (const e of events) {
      log.push({
        stream: STREAM,
        revision: log.length,
        position: log.length,
        id: `e${log.length}`,
        type: e.type,
        at,
        data: e.data,
        meta: {},
      });
      state = evolveMailbox(state, { ...e, at } as unknown as DomainEvent);
    }
  };
  for (const s of steps) {
    now += 3_600_000;
    if (s.kind === 'reconcile') {
      now += s.hours * 3_600_000;
      const seen = s.present.map((id) => [id, s.facts[IDS.indexOf(id)]!] as const);
      const partnerships = seen.map(([id, f]) => device(kim, spelled(id, f.variant), { deviceType: f.type }));
      const contexts = new Map(
        seen.map(([id, f]) => {
          const mapped: ManagedDevice | undefined = f.enrolled
            ? managed(spelled(id, f.variant), 'kim.akers@contoso.com', {
                complianceState: f.compliance as ManagedDevice['complianceState'],
                complianceGracePeriodExpirationDateTime: new Date(now + f.graceHours * 3_600_000).toISOString(),
              })
            : undefined;
          return [
            deviceKey(id),
            {
              groups: { included: f.included ? ['g-all'] : [], excluded: f.excluded ? ['g-excluded'] : [] },
              mapping: mapped ? { mapped, conflicts: [] } : { conflicts: [] },
            },
          ] as const;
        }),
      );
      const p: Policy = policy({
        enabled: s.enabled,
        defaultAccessLevel: s.defaultAccessLevel,
        platformExceptions: s.blackberry ? [{ type: 'family', name: 'BlackBerry', access: s.blackberry }] : [],
      });
      const command: ReconcileMailbox = {
        type: 'ReconcileMailbox',
        syncId: `sync-${++n}`,
        commandId: `sync-${n}/0`,
        atMs: now,
        policy: p,
        policyRevision: s.revision,
        mailbox: { ...kim, activeSyncEnabled: s.activeSyncEnabled, allowedDeviceIds: s.allowed, blockedDeviceIds: s.blocked },
        partnerships,
        complete: s.complete,
        contexts,
        ...(s.grandfather ? { grandfather: { org: { defaultAccessLevel: 'Allow' as const }, rules: [] } } : {}),
        ...(s.remove.length > 0 ? { removals: new Map(s.remove.map((id) => [deviceKey(id), { idleDays: 200 }])), staleAfterDays: 90 } : {}),
      };
      append(accepted(decideMailbox(command, state)).events);
    } else if (s.kind === 'wipe') {
      // An administrator's wipe, or (ack) the statistics of a sent one; refusals write nothing.
      const ids = Object.values(state.devices).map((d) => d.deviceId);
      if (ids.length === 0) continue;
      const d = state.devices[deviceKey(ids[s.pick % ids.length]!)]!;
      const r = s.ack
        ? decideMailbox(
            { type: 'RecordWipeStatus', deviceId: d.deviceId, wipeId: d.wipe?.wipeId ?? '', ackTime: new Date(now).toISOString() },
            state,
          )
        : decideMailbox(
            {
              type: 'RequestWipe',
              wipeId: `w${log.length}`,
              deviceId: d.deviceId,
              accountOnly: s.accountOnly,
              reason: 'lost',
              by: 'admin',
            },
            state,
          );
      if (isRight(r)) append(r.right.events);
    } else if (s.kind === 'override') {
      // An administrator's action between syncs; refusals (not governed, none in force) write nothing.
      const ids = Object.values(state.devices).map((d) => d.deviceId);
      if (ids.length === 0) continue;
      const deviceId = ids[s.pick % ids.length]!;
      const r = decideMailbox(
        s.revoke
          ? { type: 'RevokeOverride', deviceId, atMs: now, reason: 'done', by: 'admin' }
          : {
              type: 'GrantOverride',
              overrideId: `o${log.length}`,
              deviceId,
              access: s.access,
              atMs: now,
              untilMs: now + s.hours * 3_600_000,
              maxMs: 30 * 86_400_000,
              reason: 'why',
              by: 'admin',
              ...(s.notify ? { notify: true } : {}),
            },
        state,
      );
      if (isRight(r)) append(r.right.events);
    } else if (s.kind === 'outcome') {
      const ids = Object.keys(state.pending);
      if (ids.length === 0) continue;
      const r = decideMailbox(
        {
          type: 'RecordCommandOutcome',
          commandId: ids[s.pick % ids.length]!,
          ...(s.fail ? { error: { kind: s.error, message: 'boom' } } : {}),
        },
        state,
      );
      if (!isRight(r)) throw new Error('refused');
      append(r.right.events);
    } else {
      // As a sync notifies: the devices whose user should be told, told or not.
      const due = Object.values(state.devices).filter((d) => d.decision && needsNotification(d, d.decision));
      if (due.length === 0) continue;
      const d = due[s.pick % due.length]!;
      const r = decideMailbox(
        {
          type: 'RecordNotification',
          deviceId: d.deviceId,
          to: kim.primarySmtpAddress,
          reason: d.decision!.reason,
          ...(s.fail ? { error: { kind: 'sendFailed', message: 'no' } } : {}),
        },
        state,
      );
      if (!isRight(r)) throw new Error('refused');
      append(r.right.events);
    }
  }
  return log;
}

test("property: over histories the mailbox decider produces, every fold agrees with the decider's state", () => {
  fc.assert(
    fc.property(fc.array(step, { minLength: 1, maxLength: 24 }), (steps) => {
      checkFolds(historyOf(steps));
    }),
    { numRuns: 300 },
  );
});

// ------------------------------------------------------------------ histories from the engine
const change = fc.record({
  noncompliant: fc.nat({ max: 6 }),
  compliant: fc.nat({ max: 6 }),
  remove: fc.nat({ max: 3 }),
  readd: fc.boolean(),
  drift: fc.boolean(),
  failCommands: fc.nat({ max: 3 }),
  failNotifications: fc.nat({ max: 2 }),
  policy: fc.constantFrom('same', 'block', 'noBlackBerry', 'disabled', 'noExclusions'),
  quick: fc.boolean(),
});

test("property: over histories the engine writes while a simulated organization changes, every fold agrees with the decider's state", async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 10_000 }), fc.array(change, { minLength: 1, maxLength: 4 }), async (seed, changes) => {
      let now = AT;
      const sim = simulateOrganization({ devices: 40, seed, clock: () => now });
      const store = memoryStore();
      const run = (p: Policy, quick: boolean) => {
        const engine = createEngine({
          organization: sim.organization,
          exchange: sim.exchange,
          intune: sim.intune,
          store,
          policy: p,
          notifier: sim.notifier,
          clock: { now: () => now },
        });
        return quick ? engine.quickSync() : engine.fullSync();
      };
      await run(sim.policy, false);
      const removed: Array<{ id: string; mailbox: string }> = [];
      for (const c of changes) {
        now += 6 * 3_600_000;
        const managedDevices = sim.intune.devices();
        managedDevices
          .filter((m) => m.complianceState === 'compliant')
          .slice(0, c.noncompliant)
          .forEach((m) => sim.intune.setCompliance(m.id, 'noncompliant'));
        managedDevices
          .filter((m) => m.complianceState !== 'compliant')
          .slice(0, c.compliant)
          .forEach((m) => sim.intune.setCompliance(m.id, 'compliant'));
        const evaluated = [...sim.evaluateAll().entries()];
        for (const [id, e] of evaluated.slice(0, c.remove)) {
          if (sim.exchange.removePartnership(id)) removed.push({ id, mailbox: e.mailbox });
        }
        // A partnership removed earlier syncs again: the same DeviceId, spelled otherwise.
        if (c.readd && removed.length > 0 && !evaluated.slice(0, c.remove).some(([id]) => deviceKey(id) === deviceKey(removed[0]!.id))) {
          const back = removed.shift()!;
          sim.exchange.addPartnership({ mailbox: back.mailbox, deviceId: back.id.toUpperCase() });
        }
        const victim = evaluated.find(([, e]) => e.access === 'allow');
        if (c.drift && victim) sim.exchange.setMailboxLists(victim[1].mailbox, { allowed: [], blocked: [victim[0]] });
        sim.exchange.failNext(c.failCommands, { kind: 'other', message: 'boom' }, { cmdlet: 'Set-CasMailbox' });
        sim.notifier.failNext(c.failNotifications, 'smtp down');
        const p: Policy =
          c.policy === 'block'
            ? { ...sim.policy, defaultAccessLevel: 'block' }
            : c.policy === 'noBlackBerry'
              ? { ...sim.policy, platformExceptions: sim.policy.platformExceptions.filter((x) => x.name !== 'BlackBerry') }
              : c.policy === 'disabled'
                ? { ...sim.policy, enabled: false }
                : c.policy === 'noExclusions'
                  ? { ...sim.policy, excludedGroups: [] }
                  : sim.policy;
        await run(p, c.quick);
      }
      checkFolds(store.events());
    }),
    { numRuns: 12 },
  );
});

test.run();
