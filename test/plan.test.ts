// The sync planner (src/plan.ts): which partnerships each mailbox gets, in what
// order mailboxes are planned, and that planning in slices is planning at once.
import { suite } from 'uvu';
import fc from 'fast-check';
import * as assert from 'uvu/assert';
import { createMailboxPlanner, isStreamOf, planMailboxes, type PlanArgs } from '../src/plan.js';
import { mailboxStream } from '../src/events.js';
import { initialMailboxState, evolveMailbox, type MailboxState } from '../src/mailbox.js';
import type { DomainEvent } from '../src/events.js';
import { AT, device, mailbox, managed, policy } from './support/builders.js';

const test = suite('plan');

const ORG = 'contoso';
const groups = new Map([['g-all', new Set(['kim.akers@contoso.com', 'ann.beck@contoso.com', 'raj.patel@contoso.com'])]]);
const kim = mailbox('Kim Akers');
const ann = mailbox('Ann Beck');
const raj = mailbox('Raj Patel');

const args = (over: Partial<PlanArgs> = {}): PlanArgs => ({
  organization: ORG,
  syncId: 'sync-1',
  atMs: AT,
  policy: policy(),
  policyRevision: 1,
  observations: {
    devices: [device(kim, 'K1'), device(ann, 'A1'), device(kim, 'K2'), device(raj, 'R1')],
    mailboxes: [kim, ann, raj],
    managed: [managed('K1', 'kim.akers@contoso.com'), managed('R1', 'raj.patel@contoso.com', { complianceState: 'noncompliant' })],
    groups,
  },
  ...over,
});

/** The state a plan's events leave, by stream. */
function stateAfter(events: Map<string, DomainEvent[]>): Map<string, MailboxState> {
  const out = new Map<string, MailboxState>();
  for (const [stream, evs] of events) out.set(stream, evs.reduce(evolveMailbox, initialMailboxState));
  return out;
}

test('each partnership is planned with its own mailbox, found by DN or else by identity; one without a mailbox is reported', () => {
  const orphan = device(mailbox('Nobody Here'), 'X1');
  const noDn = { ...device(ann, 'A2'), distinguishedName: undefined };
  const plan = planMailboxes(args({ observations: { ...args().observations, devices: [...args().observations.devices, orphan, noDn] } }));
  const byStream = new Map<string, string[]>();
  for (const d of plan.devices) byStream.set(d.stream, [...(byStream.get(d.stream) ?? []), d.device.deviceId]);
  assert.equal(byStream.get(mailboxStream(ORG, kim.identity)), ['K1', 'K2']);
  assert.equal(byStream.get(mailboxStream(ORG, ann.identity)), ['A1', 'A2']);
  assert.equal(byStream.get(mailboxStream(ORG, raj.identity)), ['R1']);
  assert.equal(
    plan.warnings.filter((w) => w.kind === 'orphanPartnership').map((w) => w.deviceId),
    ['X1'],
  );
  assert.is(plan.mailboxes, 3);
  const access = Object.fromEntries(plan.devices.map((d) => [d.device.deviceId, d.decision.access]));
  assert.equal(access, { K1: 'allow', K2: 'quarantine', A1: 'quarantine', A2: 'quarantine', R1: 'block' });
});

test('a mailbox reported twice is planned once, with the partnerships of both reports and the last report as its mailbox', () => {
  const again = { ...kim, displayName: 'Kim Akers (again)' };
  const plan = planMailboxes(args({ observations: { ...args().observations, mailboxes: [kim, ann, again, raj] } }));
  const kims = plan.devices.filter((d) => d.stream === mailboxStream(ORG, kim.identity));
  assert.equal(
    kims.map((d) => d.device.deviceId),
    ['K1', 'K2'],
  );
  assert.ok(kims.every((d) => d.mailbox === again));
  assert.is(plan.mailboxes, 3);
  assert.is(plan.events.get(mailboxStream(ORG, kim.identity))!.filter((e) => e.type === 'MailboxDiscovered').length, 1);
});

test('mailboxes are planned in the order observed, then (full) the known ones no longer observed, which lose their partnerships', () => {
  const first = planMailboxes(args());
  const state = stateAfter(first.events);
  const gone = planMailboxes(
    args({
      syncId: 'sync-2',
      state,
      observations: { ...args().observations, mailboxes: [raj, kim], devices: [device(raj, 'R1'), device(kim, 'K1'), device(kim, 'K2')] },
    }),
  );
  const order = [...new Set(gone.devices.map((d) => d.stream))];
  assert.equal(order, [mailboxStream(ORG, raj.identity), mailboxStream(ORG, kim.identity)]);
  assert.ok(gone.events.get(mailboxStream(ORG, ann.identity))!.some((e) => e.type === 'PartnershipRemoved'));
  // A quick sync looks only at what it observed.
  const quick = planMailboxes(
    args({
      syncId: 'sync-3',
      state,
      complete: false,
      observations: { ...args().observations, mailboxes: [raj], devices: [device(raj, 'R1')] },
    }),
  );
  assert.equal(
    [...quick.events.keys()].filter((s) => s !== mailboxStream(ORG, raj.identity)),
    [],
  );
});

test('a full sync plans every known mailbox it no longer observes once, whatever order Exchange lists the mailboxes in', () => {
  const people = ['Ann Beck', 'Raj Patel', 'Kim Akers', 'Lee Chen', 'Mia Diaz', 'Noa Eze', 'Oli Fox', 'Pat Gil'].map((n) => mailbox(n));
  const pick = fc.uniqueArray(fc.integer({ min: 0, max: people.length - 1 }), { maxLength: people.length });
  fc.assert(
    fc.property(pick, pick, fc.option(fc.nat(7)), (firstSeen, nowSeen, twice) => {
      const observe = (ids: number[]) => ({
        ...args().observations,
        mailboxes: ids.map((i) => people[i]!),
        devices: ids.map((i) => device(people[i]!, `D${i}`)),
      });
      const state = stateAfter(planMailboxes(args({ observations: observe(firstSeen) })).events);
      const now = observe(nowSeen);
      // A mailbox Exchange reports twice is still one stream.
      if (twice !== null && nowSeen.length > 0) now.mailboxes.push(now.mailboxes[twice % nowSeen.length]!);
      const planner = createMailboxPlanner(args({ syncId: 'sync-2', state, observations: now }));
      const gone = firstSeen.filter((i) => !nowSeen.includes(i));
      assert.is(planner.remaining(), nowSeen.length + gone.length);
      const plan = planner.next(Number.MAX_SAFE_INTEGER);
      const removed = [...plan.events].filter(([, evs]) => evs.some((e) => e.type === 'PartnershipRemoved')).map(([s]) => s);
      assert.equal(removed.sort(), gone.map((i) => mailboxStream(ORG, people[i]!.identity)).sort());
      // Each observed mailbox planned against its own state: nothing to record for one seen alike before, a first record for a new one.
      for (const i of new Set(nowSeen)) {
        const evs = plan.events.get(mailboxStream(ORG, people[i]!.identity)) ?? [];
        if (firstSeen.includes(i)) assert.equal(evs, [], people[i]!.displayName);
        else assert.ok(evs.some((e) => e.type === 'MailboxDiscovered'));
      }
    }),
  );
});

test('planning in slices gives what planning at once gives', () => {
  const whole = planMailboxes(args());
  for (const n of [1, 2]) {
    const planner = createMailboxPlanner(args());
    const events = new Map<string, DomainEvent[]>();
    const commands: unknown[] = [];
    const devices: unknown[] = [];
    while (planner.remaining() > 0) {
      const slice = planner.next(n);
      for (const [s, evs] of slice.events) events.set(s, evs);
      commands.push(...slice.commands);
      devices.push(...slice.devices);
    }
    assert.equal(events, whole.events);
    assert.equal(commands, whole.commands);
    assert.equal(devices, whole.devices);
    assert.equal(planner.warnings, whole.warnings);
  }
});

test("a known stream name is recognised as the mailbox's without making the name, exactly when it equals it (property)", () => {
  const part = fc.string({ maxLength: 6, unit: fc.constantFrom('a', 'b', '-', '/', 'é') });
  // Names built from the same few characters, so that near misses (a shifted split, another org) are common.
  fc.assert(
    fc.property(part, part, part, part, (org, identity, otherOrg, otherIdentity) => {
      const prefix = `eas-mailbox-${org}-`;
      assert.is(prefix + identity, mailboxStream(org, identity));
      for (const stream of [prefix + identity, mailboxStream(otherOrg, otherIdentity), `${prefix}${identity}x`, prefix, identity])
        assert.is(isStreamOf(stream, prefix, identity), stream === prefix + identity, JSON.stringify({ stream, prefix, identity }));
    }),
    { numRuns: 2000 },
  );
});

test('progress is reported after each slice planned, and every 250 mailboxes when everything is planned at once', () => {
  const boxes = Array.from({ length: 600 }, (_, i) => mailbox(`User ${i}`));
  const devices = boxes.flatMap((m, i) => (i % 2 === 0 ? [device(m, `D${i}a`), device(m, `D${i}b`)] : [device(m, `D${i}`)]));
  const observations = { devices, mailboxes: boxes, managed: [], groups };
  const at = (n: number) => boxes.slice(0, n).reduce((sum, _, i) => sum + (i % 2 === 0 ? 2 : 1), 0);
  const calls: Array<[number, number]> = [];
  const whole = planMailboxes(args({ observations, onProgress: (done, total) => calls.push([done, total]) }));
  assert.equal(calls, [
    [at(250), devices.length],
    [at(500), devices.length],
    [devices.length, devices.length],
  ]);
  assert.is(whole.devices.length, devices.length);
  calls.length = 0;
  const planner = createMailboxPlanner(args({ observations, onProgress: (done, total) => calls.push([done, total]) }));
  planner.next(10);
  planner.next(5);
  assert.equal(calls, [
    [at(10), devices.length],
    [at(15), devices.length],
  ]);
});

test.run();
