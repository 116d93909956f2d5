// Remote wipes: the decider's validation given/when/then, and end to end
// through the engine against the simulated Exchange: requested → sent by the
// next sync → acknowledged by a later one, Exchange's refusals, a phone that
// stays offline, and a lost connection that never makes a second wipe.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { evolveMailbox, initialMailboxState, mailboxDecider, type MailboxState } from '../src/mailbox.js';
import { event, type DomainEvent } from '../src/events.js';
import { createEngine, type Engine } from '../src/engine.js';
import { simulateOrganization, DEFAULT_NOW, type Simulation } from '../adapters/simulator/index.js';
import { memoryStore } from '../adapters/memory-store/index.js';
import { explain, replay } from '../projections/index.js';
import { specify } from './support/decider.js';
import type { EventStore, StoredEvent } from '../src/ports.js';

const test = suite('remote wipes');
const { given } = specify(mailboxDecider);

const ID = 'ApplC39GQ9UJDTDM';
const partnership = event('PartnershipDiscovered', {
  deviceId: ID,
  identity: `Kim/ExchangeActiveSyncDevices/iPhone§${ID}`,
  deviceType: 'iPhone',
  deviceModel: 'iPhone15C2',
});
const requested = {
  ...event('WipeRequested', { wipeId: 'wipe-1', deviceId: ID, accountOnly: false, reason: 'phone lost', by: 'alice' }),
  at: '2026-11-26T08:00:00.000Z',
};
const clear = {
  kind: 'clearMobileDevice' as const,
  identity: partnership.data.identity,
  deviceId: ID,
  mailbox: 'Kim',
  accountOnly: false,
  wipeId: 'wipe-1',
};
const intended = event('CommandIntended', { syncId: 'sync-2', commandId: 'sync-2/0/wipe-0', command: clear });

test('records a wipe request with who and why, spelled as the partnership is', () => {
  given(partnership)
    .when({ type: 'RequestWipe', wipeId: 'wipe-1', deviceId: ID.toLowerCase(), accountOnly: true, reason: 'phone lost', by: 'alice' })
    .then([event('WipeRequested', { wipeId: 'wipe-1', deviceId: ID, accountOnly: true, reason: 'phone lost', by: 'alice' })]);
});

test('refuses a wipe of an unknown device, without who or why, and a second one while the first is outstanding', () => {
  given(partnership)
    .when({ type: 'RequestWipe', wipeId: 'w', deviceId: 'nope', accountOnly: false, reason: 'x', by: 'alice' })
    .thenFails({ kind: 'unknownDevice', message: 'no partnership nope' });
  given(partnership)
    .when({ type: 'RequestWipe', wipeId: 'w', deviceId: ID, accountOnly: false, reason: ' ', by: 'alice' })
    .thenFails({ kind: 'badText', message: '--reason must not be empty' });
  given(partnership, requested)
    .when({ type: 'RequestWipe', wipeId: 'wipe-2', deviceId: ID, accountOnly: false, reason: 'again', by: 'bob' })
    .thenFails({
      kind: 'wipeInProgress',
      message: `a wipe of ${ID} requested by "alice" at 2026-11-26T08:00:00.000Z is already requested: wait for its acknowledgement`,
    });
});

test('a new wipe may be requested once the previous one failed or was acknowledged', () => {
  const failed = event('CommandFailed', { commandId: intended.data.commandId, error: { kind: 'other', message: 'never synced' } });
  given(partnership, requested, intended, failed)
    .when({ type: 'RequestWipe', wipeId: 'wipe-2', deviceId: ID, accountOnly: false, reason: 'again', by: 'bob' })
    .then([event('WipeRequested', { wipeId: 'wipe-2', deviceId: ID, accountOnly: false, reason: 'again', by: 'bob' })]);
  const sent = event('CommandSucceeded', { commandId: intended.data.commandId });
  const acked = event('WipeAcknowledged', { wipeId: 'wipe-1', deviceId: ID, ackTime: '2026-11-26T09:00:00.000Z' });
  given(partnership, requested, intended, sent, acked)
    .when({ type: 'RequestWipe', wipeId: 'wipe-2', deviceId: ID, accountOnly: false, reason: 'again', by: 'bob' })
    .then([event('WipeRequested', { wipeId: 'wipe-2', deviceId: ID, accountOnly: false, reason: 'again', by: 'bob' })]);
});

test('an acknowledgement is recorded once, and only for the wipe that was sent', () => {
  const sent = event('CommandSucceeded', { commandId: intended.data.commandId });
  const ack = { type: 'RecordWipeStatus' as const, deviceId: ID, wipeId: 'wipe-1', ackTime: '2026-11-26T09:00:00.000Z' };
  given(partnership, requested, intended, sent)
    .when(ack)
    .then([event('WipeAcknowledged', { wipeId: 'wipe-1', deviceId: ID, ackTime: '2026-11-26T09:00:00.000Z' })]);
  given(partnership, requested, intended, sent, event('WipeAcknowledged', { wipeId: 'wipe-1', deviceId: ID, ackTime: ack.ackTime }))
    .when(ack)
    .then([]);
  given(partnership, requested).when(ack).then([]); // not sent yet: nothing to acknowledge
  given(partnership, requested, intended, sent)
    .when({ ...ack, wipeId: 'other' })
    .then([]);
});

const fold = (events: ReadonlyArray<DomainEvent & { at?: string }>): MailboxState =>
  events.reduce((s, e) => evolveMailbox(s, e), initialMailboxState);
test("a Clear-MobileDevice judged not applied leaves the wipe to be sent again; Exchange's refusal ends it", () => {
  const after = (kind: string) =>
    fold([partnership, requested, intended, event('CommandFailed', { commandId: intended.data.commandId, error: { kind, message: 'm' } })])
      .devices[ID.toLowerCase()]!.wipe!.stage;
  assert.is(after('interrupted'), 'requested');
  assert.is(after('throttled'), 'requested');
  assert.is(after('notFound'), 'failed');
  assert.is(after('other'), 'failed');
});

// ------------------------------------------------------------------ end to end
interface Run {
  sim: Simulation;
  engine: Engine;
  store: EventStore;
  clock: { now: number };
  log(): Promise<StoredEvent[]>;
}

async function started(o: { accountOnlyWipe?: boolean; wipeAckDelayMs?: number } = {}): Promise<Run> {
  const clock = { now: DEFAULT_NOW };
  const sim = simulateOrganization({ devices: 40, seed: 9, clock: () => clock.now, ...o });
  const store = memoryStore();
  const engine = createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    notifier: sim.notifier,
    store,
    policy: sim.policy,
    clock: { now: () => clock.now },
  });
  assert.ok((await engine.fullSync()).success);
  return {
    sim,
    engine,
    store,
    clock,
    log: async () => {
      const r = await store.readAll();
      if (isLeft(r)) throw new Error('read');
      return r.right;
    },
  };
}
const clears = (sim: Simulation) => sim.exchange.commandLog.filter((c) => c.kind === 'clearMobileDevice');

test('a wipe is sent by the next quick sync and acknowledged by a later one; explain and replay show requested → sent → acknowledged', async () => {
  const r = await started();
  const target = r.engine.devices()[5]!;
  const w = await r.engine.requestWipe({ deviceId: target.deviceId, reason: 'phone stolen on the train', by: 'alice (helpdesk)' });
  assert.ok(isRight(w) && w.right.events.length === 1 && w.right.wipeId);
  assert.is(r.engine.devices().find((d) => d.deviceId === target.deviceId)?.wipe?.stage, 'requested');

  r.clock.now += 60_000;
  const q1 = await r.engine.quickSync();
  assert.ok(q1.success);
  assert.is(q1.lifecycle.wipesSent, 1);
  assert.equal(
    clears(r.sim).map((c) => c.kind === 'clearMobileDevice' && c.deviceId),
    [target.deviceId],
  );
  assert.ok(r.sim.exchange.statistics(target.deviceId)?.deviceWipeRequestTime, 'Exchange holds the wipe');
  assert.is(r.engine.devices().find((d) => d.deviceId === target.deviceId)?.wipe?.stage, 'sent');

  // The phone's next contact, 15 minutes later: the next sync reads the acknowledgement.
  r.clock.now += 20 * 60_000;
  const q2 = await r.engine.quickSync();
  assert.is(q2.lifecycle.wipesAcknowledged, 1);
  assert.is(clears(r.sim).length, 1, 'sent once');
  const log = await r.log();
  const x = explain(log, target.deviceId);
  if (isLeft(x)) throw new Error(x.left.message);
  assert.is(x.right.wipe?.stage, 'acknowledged');
  assert.is(x.right.wipe?.by, 'alice (helpdesk)');
  const lines = x.right.timeline.map((t) => t.summary);
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
  assert.ok(at(/remote wipe requested by alice/) >= 0, lines.join('\n'));
  assert.ok(at(/Clear-MobileDevice .* accepted by Exchange/) > at(/remote wipe requested/));
  assert.ok(at(/acknowledged wipe/) > at(/accepted by Exchange/));
  assert.is(replay(log).deviceStates.find((d) => d.deviceId === target.deviceId)?.wipe, 'acknowledged');
});

test('the same request again records nothing; another one while it is outstanding is refused', async () => {
  const r = await started();
  const id = r.engine.devices()[2]!.deviceId;
  const first = await r.engine.requestWipe({ deviceId: id, reason: 'lost', by: 'alice' });
  const again = await r.engine.requestWipe({ deviceId: id, reason: 'lost', by: 'alice' });
  assert.ok(isRight(first) && isRight(again));
  if (isRight(first) && isRight(again)) {
    assert.is(again.right.events.length, 0);
    assert.is(again.right.wipeId, first.right.wipeId);
  }
  const other = await r.engine.requestWipe({ deviceId: id, reason: 'something else', by: 'bob' });
  assert.ok(isLeft(other) && other.left.kind === 'wipeInProgress');
  assert.is((await r.log()).filter((e) => e.type === 'WipeRequested').length, 1);
});

test("Exchange's refusals end a wipe with its message and it is never sent again: -AccountOnly on 2013, a phone that never synced", async () => {
  const r = await started({ accountOnlyWipe: false });
  const [a, b] = r.engine.devices();
  r.sim.exchange.setLastSuccessSync(b!.deviceId, undefined);
  assert.ok(isRight(await r.engine.requestWipe({ deviceId: a!.deviceId, accountOnly: true, reason: 'leaver', by: 'alice' })));
  assert.ok(isRight(await r.engine.requestWipe({ deviceId: b!.deviceId, reason: 'lost', by: 'alice' })));
  const q = await r.engine.quickSync();
  assert.not.ok(q.success, 'a refused command is a failed sync');
  assert.ok(q.errors.some((e) => e.deviceId === a!.deviceId && /AccountOnly/.test(e.message)));
  assert.ok(q.errors.some((e) => e.deviceId === b!.deviceId && /never synchronized/.test(e.message)));
  const views = r.engine.devices();
  assert.is(views.find((d) => d.deviceId === a!.deviceId)?.wipe?.stage, 'failed');
  assert.is(views.find((d) => d.deviceId === b!.deviceId)?.wipe?.stage, 'failed');
  await r.engine.quickSync();
  assert.is(r.sim.counters.byCmdlet['Clear-MobileDevice'], 2, 'one attempt each, no retry');
});

test('a phone that stays offline keeps its wipe sent, never acknowledged', async () => {
  const r = await started();
  const id = r.engine.devices()[7]!.deviceId;
  r.sim.exchange.setDeviceOffline(id, true);
  await r.engine.requestWipe({ deviceId: id, reason: 'lost', by: 'alice' });
  await r.engine.quickSync();
  r.clock.now += 3 * 86_400_000;
  const q = await r.engine.quickSync();
  assert.is(q.lifecycle.wipesAcknowledged, 0);
  assert.is(r.engine.devices().find((d) => d.deviceId === id)?.wipe?.stage, 'sent');
  assert.is(clears(r.sim).length, 1);
});

test('a lost response after Exchange applied the wipe is judged on the statistics: success, never a second wipe', async () => {
  const r = await started();
  const id = r.engine.devices()[3]!.deviceId;
  await r.engine.requestWipe({ deviceId: id, reason: 'lost', by: 'alice' });
  r.sim.exchange.failNext(
    1,
    { kind: 'connectionLost', message: 'The WinRM client cannot complete the operation' },
    { cmdlet: 'Clear-MobileDevice', applied: true },
  );
  const q = await r.engine.quickSync();
  assert.is(q.lifecycle.wipesSent, 1, 'judged applied');
  assert.is(r.engine.devices().find((d) => d.deviceId === id)?.wipe?.stage, 'sent');
  await r.engine.quickSync();
  assert.is(clears(r.sim).length, 1, 'Exchange applied it once, and it was never sent again');
  const outcome = (await r.log()).find((e) => e.type === 'CommandSucceeded' && (e.data as { reconciled?: boolean }).reconciled);
  assert.ok(outcome, 'recorded as reconciled');
});

test('a lost connection before Exchange applied it: judged not applied, sent again by the next sync', async () => {
  const r = await started();
  const id = r.engine.devices()[4]!.deviceId;
  await r.engine.requestWipe({ deviceId: id, reason: 'lost', by: 'alice' });
  r.sim.exchange.failNext(1, { kind: 'connectionLost', message: 'connection reset' }, { cmdlet: 'Clear-MobileDevice' });
  const q1 = await r.engine.quickSync();
  assert.is(q1.lifecycle.wipesSent, 0);
  assert.is(clears(r.sim).length, 0);
  assert.is(r.engine.devices().find((d) => d.deviceId === id)?.wipe?.stage, 'requested');
  const q2 = await r.engine.quickSync();
  assert.is(q2.lifecycle.wipesSent, 1);
  assert.is(clears(r.sim).length, 1);
});

test.run();
