// Administrator overrides (rule 9): the decider's validation given/when/then,
// the rule's place in the order (property), and end to end through the
// engine: enforced by the next quick sync, released by the quick sync after
// its end or a revoke, notified only when asked, explained and previewed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { mailboxDecider, type GrantOverride } from '../src/mailbox.js';
import { decideAccess, type DeviceContext } from '../src/access.js';
import { event } from '../src/events.js';
import { createEngine } from '../src/engine.js';
import { decideOverride } from '../src/actions.js';
import { loadOrgState } from '../src/state.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { memoryStore } from '../adapters/memory-store/index.js';
import { explain, replay, whatIf } from '../projections/index.js';
import { policy as testPolicy } from './support/builders.js';
import { specify } from './support/decider.js';
import type { EventStore, StoredEvent } from '../src/ports.js';
import type { Policy } from '../src/policy.js';

const test = suite('administrator overrides');
const { given } = specify(mailboxDecider);

const AT = Date.parse('2026-11-26T08:00:00Z');
const DAY = 86_400_000;
const partnership = event('PartnershipDiscovered', {
  deviceId: 'ApplC39GQ9UJDTDM',
  identity: 'Kim/ExchangeActiveSyncDevices/iPhone§ApplC39GQ9UJDTDM',
  deviceType: 'iPhone',
  deviceModel: 'iPhone15C2',
});
const decided = (governed: boolean, reason: 'notEnrolled' | 'excludedGroup' = governed ? 'notEnrolled' : 'excludedGroup') =>
  ({
    ...event('AccessDecided', {
      syncId: 'sync-1',
      deviceId: 'ApplC39GQ9UJDTDM',
      access: governed ? 'quarantine' : 'allow',
      reason,
      governed,
      policyRevision: 1,
      facts: { groups: { included: governed ? ['g'] : [], excluded: governed ? [] : ['x'] }, intune: null, conflicts: [] },
    }),
    at: '2026-11-26T07:00:00.000Z',
  }) as const;
const grant = (over: Partial<GrantOverride> = {}): GrantOverride => ({
  type: 'GrantOverride',
  overrideId: 'override-3-x',
  deviceId: 'applc39gq9ujdtdm',
  access: 'allow',
  atMs: AT,
  untilMs: AT + DAY,
  maxMs: 30 * DAY,
  reason: 'CEO travelling; enrolls tomorrow',
  by: 'alice (helpdesk)',
  ...over,
});

test('grants an override of a governed device, with who, why and until when, spelled as the partnership is', () => {
  given(partnership, decided(true))
    .when(grant())
    .then([
      event('OverrideGranted', {
        overrideId: 'override-3-x',
        deviceId: 'ApplC39GQ9UJDTDM',
        access: 'allow',
        from: '2026-11-26T08:00:00.000Z',
        until: '2026-11-27T08:00:00.000Z',
        reason: 'CEO travelling; enrolls tomorrow',
        by: 'alice (helpdesk)',
      }),
    ]);
});

test('refuses an override of a device the policy does not govern, of an unknown device, and one not yet decided', () => {
  given(partnership, decided(false)).when(grant()).thenFails({
    kind: 'notGoverned',
    message: 'the policy does not govern ApplC39GQ9UJDTDM (reason excludedGroup): an override applies only to devices the engine enforces',
  });
  given(partnership).when(grant()).thenFails({ kind: 'notGoverned', message: 'ApplC39GQ9UJDTDM has no decision yet: run a sync first' });
  given().when(grant()).thenFails({ kind: 'unknownDevice', message: 'no partnership applc39gq9ujdtdm' });
});

test('refuses an end in the past or beyond the longest override, and empty or hidden-character text', () => {
  given(partnership, decided(true))
    .when(grant({ untilMs: AT - 1 }))
    .thenFails({ kind: 'badUntil', message: '--until 2026-11-26T07:59:59.999Z is not in the future' });
  given(partnership, decided(true))
    .when(grant({ untilMs: AT + 31 * DAY }))
    .thenFails({ kind: 'badUntil', message: '--until 2026-12-27T08:00:00.000Z is beyond the longest override allowed (30 days)' });
  given(partnership, decided(true))
    .when(grant({ by: '  ' }))
    .thenFails({ kind: 'badText', message: '--by must not be empty' });
  given(partnership, decided(true))
    .when(grant({ reason: 'ok\u202eevil' }))
    .thenFails({ kind: 'badText', message: '--reason holds a control or formatting character' });
  given(partnership, decided(true))
    .when(grant({ reason: 'x'.repeat(501) }))
    .thenFails({ kind: 'badText', message: '--reason is longer than 500 characters' });
});

test('revokes the override in force; revoking when none is in force is refused', () => {
  const granted = event('OverrideGranted', {
    overrideId: 'o1',
    deviceId: 'ApplC39GQ9UJDTDM',
    access: 'block',
    from: '2026-11-26T07:00:00.000Z',
    until: '2026-11-26T09:00:00.000Z',
    reason: 'lost',
    by: 'bob',
  });
  const revoke = { type: 'RevokeOverride' as const, deviceId: 'ApplC39GQ9UJDTDM', atMs: AT, reason: 'found it', by: 'bob' };
  given(partnership, decided(true), granted)
    .when(revoke)
    .then([event('OverrideRevoked', { overrideId: 'o1', deviceId: 'ApplC39GQ9UJDTDM', reason: 'found it', by: 'bob' })]);
  given(partnership, decided(true), granted)
    .when({ ...revoke, atMs: AT + 2 * 3_600_000 })
    .thenFails({ kind: 'noOverride', message: 'ApplC39GQ9UJDTDM has no override in force' });
  given(partnership, decided(true)).when(revoke).thenFails({ kind: 'noOverride', message: 'ApplC39GQ9UJDTDM has no override in force' });
});

test('while in force an override decides, after rule 0 and before every policy rule; after its end the policy decides (property)', () => {
  const contexts = fc.record({
    activeSyncEnabled: fc.boolean(),
    included: fc.boolean(),
    excluded: fc.boolean(),
    enabled: fc.boolean(),
    access: fc.constantFrom('allow' as const, 'block' as const),
    untilOffset: fc.integer({ min: -DAY, max: DAY }),
    defaultAccessLevel: fc.constantFrom('allow' as const, 'block' as const, 'quarantine' as const),
  });
  fc.assert(
    fc.property(contexts, (c) => {
      const p: Policy = { ...testPolicy(), enabled: c.enabled, defaultAccessLevel: c.defaultAccessLevel };
      const base: DeviceContext = {
        device: { deviceId: 'D1', deviceType: 'iPhone', deviceModel: 'iPhone15C2' },
        activeSyncEnabled: c.activeSyncEnabled,
        groups: { included: c.included ? ['g'] : [], excluded: c.excluded ? ['x'] : [] },
        mapping: { conflicts: [] },
      };
      const override = { overrideId: 'o', access: c.access, until: new Date(AT + c.untilOffset).toISOString(), reason: 'r', by: 'b' };
      const lists = { allowedDeviceIds: [], blockedDeviceIds: [] };
      const without = decideAccess(base, p, AT, lists);
      const withIt = decideAccess({ ...base, override }, p, AT, lists);
      if (!c.activeSyncEnabled) assert.equal(withIt, without);
      else if (c.untilOffset > 0) {
        assert.is(withIt.access, c.access);
        assert.is(withIt.reason, 'adminOverride');
        assert.is(withIt.rule, 9);
        assert.ok(withIt.governed);
        assert.equal(withIt.facts.override, override);
      } else assert.equal(withIt, without);
    }),
    { numRuns: 400 },
  );
});

// ---- end to end through the engine
let nowMs = AT;
async function events(store: EventStore): Promise<StoredEvent[]> {
  const r = await store.readAll();
  if (!isRight(r)) throw new Error('read');
  return r.right;
}
function setup() {
  const sim = simulateOrganization({ devices: 300, seed: 21, clock: () => nowMs });
  const store = memoryStore();
  const engine = createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store,
    policy: sim.policy,
    notifier: sim.notifier,
    clock: { now: () => nowMs },
  });
  return { sim, store, engine };
}
const inLists = (sim: ReturnType<typeof setup>['sim'], deviceId: string) => {
  const mb = sim.exchange
    .state()
    .mailboxes.find((m) => m.allowedDeviceIds.concat(m.blockedDeviceIds).some((x) => x.toLowerCase() === deviceId.toLowerCase()));
  return mb ? (mb.allowedDeviceIds.some((x) => x.toLowerCase() === deviceId.toLowerCase()) ? 'allowed' : 'blocked') : 'neither';
};

test('an allow override of a quarantined device is enforced by the next quick sync and released by the quick sync after its end', async () => {
  nowMs = AT;
  const { sim, store, engine } = setup();
  await engine.fullSync();
  const q = engine.devices().find((d) => d.access === 'quarantine' && d.governed)!;
  assert.ok(q, 'the simulated organization has a quarantined device');
  const g = await engine.grantOverride({
    deviceId: q.deviceId,
    access: 'allow',
    untilMs: nowMs + 8 * 3_600_000,
    reason: 'CEO, enrolls tomorrow',
    by: 'alice',
  });
  assert.ok(isRight(g), JSON.stringify(g));
  // A retried request is the same override, not a second one.
  const again = await engine.grantOverride({
    deviceId: q.deviceId,
    access: 'allow',
    untilMs: nowMs + 8 * 3_600_000,
    reason: 'CEO, enrolls tomorrow',
    by: 'alice',
  });
  assert.ok(isRight(again) && again.right.events.length === 0 && again.right.overrideId === (g as any).right.overrideId);
  assert.is(inLists(sim, q.deviceId), 'neither');
  nowMs += 15 * 60_000;
  const r1 = await engine.quickSync();
  assert.ok(r1.success);
  assert.is(r1.commands.issued, 1);
  assert.is(inLists(sim, q.deviceId), 'allowed');
  const d1 = engine.devices().find((d) => d.deviceId === q.deviceId)!;
  assert.is(d1.reason, 'adminOverride');
  assert.is(d1.access, 'allow');
  // The log explains it; replay lists it with its end.
  const log = await events(store);
  const x = explain(log, q.deviceId);
  assert.ok(isRight(x));
  if (isRight(x)) {
    assert.is(x.right.rule, 9);
    assert.is(x.right.override?.by, 'alice');
    assert.ok(x.right.explanation[0]!.includes('granted by alice because "CEO, enrolls tomorrow"'));
    assert.ok(x.right.timeline.some((t) => t.type === 'OverrideGranted'));
  }
  assert.is(replay(log).deviceStates.find((d) => d.deviceId === q.deviceId)?.overrideUntil, new Date(AT + 8 * 3_600_000).toISOString());
  // what-if keeps the override in force while it lasts.
  assert.not.ok(whatIf(log, { ...sim.policy, defaultAccessLevel: 'block' }).changes.some((c) => c.deviceId === q.deviceId));
  // Its end is a change a quick sync notices.
  nowMs = AT + 9 * 3_600_000;
  const r2 = await engine.quickSync();
  assert.ok(r2.success);
  assert.is(engine.devices().find((d) => d.deviceId === q.deviceId)!.reason, 'notEnrolled');
  assert.is(inLists(sim, q.deviceId), 'neither');
  // And then nothing more happens.
  nowMs += 15 * 60_000;
  assert.is((await engine.quickSync()).commands.issued, 0);
});

test('a block override notifies the user only when asked; revoking it releases the device at the next quick sync', async () => {
  nowMs = AT;
  const { sim, engine } = setup();
  await engine.fullSync();
  const allowed = engine.devices().filter((d) => d.access === 'allow' && d.reason === 'compliant');
  const [quiet, told] = [allowed[0]!, allowed[1]!];
  const sentBefore = sim.notifier.sent.length;
  assert.ok(
    isRight(
      await engine.grantOverride({ deviceId: quiet.deviceId, access: 'block', untilMs: nowMs + DAY, reason: 'lost phone', by: 'bob' }),
    ),
  );
  assert.ok(
    isRight(
      await engine.grantOverride({
        deviceId: told.deviceId,
        access: 'block',
        untilMs: nowMs + DAY,
        reason: 'lost phone',
        by: 'bob',
        notify: true,
      }),
    ),
  );
  nowMs += 60_000;
  await engine.quickSync();
  assert.is(inLists(sim, quiet.deviceId), 'blocked');
  assert.is(inLists(sim, told.deviceId), 'blocked');
  const sent = sim.notifier.sent.slice(sentBefore);
  assert.is(sent.length, 1);
  const r = await engine.revokeOverride({ deviceId: quiet.deviceId, reason: 'found it', by: 'bob' });
  assert.ok(isRight(r));
  const none = await engine.revokeOverride({ deviceId: quiet.deviceId, reason: 'found it', by: 'bob' });
  assert.ok(isLeft(none) && none.left.kind === 'noOverride');
  nowMs += 60_000;
  await engine.quickSync();
  assert.is(engine.devices().find((d) => d.deviceId === quiet.deviceId)!.reason, 'compliant');
  assert.is(inLists(sim, quiet.deviceId), 'allowed');
});

test('an unknown id and an id under two mailboxes are refused, naming what to do; --mailbox picks one', () => {
  // Exchange keeps one partnership per (mailbox, DeviceId): the same phone syncing two mailboxes.
  const stored: StoredEvent[] = [];
  const put = (stream: string, e: ReturnType<typeof event>) =>
    stored.push({
      stream,
      revision: stored.filter((x) => x.stream === stream).length,
      position: stored.length,
      id: `e${stored.length}`,
      type: e.type,
      at: '2026-11-26T07:00:00.000Z',
      data: e.data,
      meta: {},
    });
  for (const who of ['Kim', 'Lee']) {
    const stream = `eas-mailbox-contoso-${who}`;
    put(
      stream,
      event('MailboxDiscovered', {
        identity: `contoso.com/Users/${who}`,
        primarySmtpAddress: `${who.toLowerCase()}@contoso.com`,
        addresses: [],
        activeSyncEnabled: true,
        allowedDeviceIds: [],
        blockedDeviceIds: [],
      }),
    );
    put(stream, partnership);
    put(stream, decided(true));
  }
  const state = loadOrgState('contoso', stored);
  assert.ok(isRight(state));
  if (!isRight(state)) return;
  const req = { deviceId: 'applc39gq9ujdtdm', access: 'block' as const, untilMs: AT + DAY, reason: 'r', by: 'b' };
  const shared = decideOverride(state.right, req, AT, 30);
  assert.ok(isLeft(shared) && shared.left.kind === 'ambiguousDevice');
  if (isLeft(shared)) {
    assert.equal(shared.left.mailboxes, ['contoso.com/Users/Kim', 'contoso.com/Users/Lee']);
    assert.match(shared.left.message, /is a partnership of 2 mailboxes .*: name one with --mailbox/);
  }
  const one = decideOverride(state.right, { ...req, mailbox: 'LEE@contoso.com' }, AT, 30);
  assert.ok(isRight(one) && one.right.mailbox === 'contoso.com/Users/Lee' && one.right.events[0]!.type === 'OverrideGranted');
  const unknown = decideOverride(state.right, { ...req, deviceId: 'NoSuchDevice' }, AT, 30);
  assert.ok(isLeft(unknown) && unknown.left.kind === 'unknownDevice');
  // Names every object inherits are no partnership either.
  for (const deviceId of ['constructor', '__proto__', 'Constructor']) {
    const inherited = decideOverride(state.right, { ...req, deviceId }, AT, 30);
    assert.ok(isLeft(inherited) && inherited.left.kind === 'unknownDevice', deviceId);
  }
});

test.run();
