// The full sync's fast path for a mailbox with nothing changed: whenever it
// says "unchanged", reconciling would have recorded no event, intended no
// command and decided every device as recorded (property over generated
// mailboxes and changes); and it does say so for a mailbox synced twice alike.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { decideMailbox, deviceKey, evolveMailbox, initialMailboxState, type MailboxState, type ReconcileMailbox } from '../src/mailbox.js';
import { recordedDecision, recordedDecisions, unchangedKeys, unchangedMailbox } from '../src/mailbox/unchanged.js';
import { keyedGet } from '../src/mailbox/keyed.js';
import { accepted } from '../src/decider.js';
import { event, type DomainEvent } from '../src/events.js';
import type { ManagedDevice } from '../src/facts.js';
import { AT, device, mailbox, managed, policy } from './support/builders.js';

const test = suite('unchanged mailbox');
const kim = mailbox('Kim Akers');
const IDS = ['ApplAAA111', 'androidc222', 'BB333'];

const facts = fc.record({
  type: fc.constantFrom('iPhone', 'Android', 'BlackBerry'),
  enrolled: fc.boolean(),
  compliance: fc.constantFrom('compliant', 'noncompliant', 'inGracePeriod', 'unknown'),
  graceHours: fc.integer({ min: -24, max: 24 }),
  excluded: fc.constantFrom(false, false, true),
  included: fc.constantFrom(true, true, false),
  conflict: fc.constantFrom(false, false, false, true),
});
const inputs = fc.record({
  present: fc.subarray(IDS, { minLength: 1 }),
  facts: fc.array(facts, { minLength: IDS.length, maxLength: IDS.length }),
  allowed: fc.subarray([...IDS, 'ForeignId']),
  blocked: fc.subarray([...IDS, 'ForeignId']),
  activeSyncEnabled: fc.constantFrom(true, true, false),
  defaultAccessLevel: fc.constantFrom('allow' as const, 'block' as const, 'quarantine' as const),
  blackberry: fc.constantFrom('allow' as const, 'block' as const, 'quarantine' as const, undefined),
  revision: fc.integer({ min: 1, max: 2 }),
  os: fc.constantFrom('iOS 17.1', 'iOS 17.2'),
  hours: fc.integer({ min: 0, max: 30 }),
  override: fc.constantFrom(false, false, false, true),
  outcome: fc.constantFrom('succeeded', 'succeeded', 'failed'),
});
type Inputs = typeof inputs extends fc.Arbitrary<infer T> ? T : never;

const policyIndex = (i: Inputs) =>
  ['allow', 'block', 'quarantine'].indexOf(i.defaultAccessLevel) * 4 + ['allow', 'block', 'quarantine', undefined].indexOf(i.blackberry);

let n = 0;
function command(
  i: Inputs,
  lists: { allowedDeviceIds: readonly string[]; blockedDeviceIds: readonly string[] },
  atMs: number,
): ReconcileMailbox {
  const seen = i.present.map((id) => [id, i.facts[IDS.indexOf(id)]!] as const);
  const contexts = new Map(
    seen.map(([id, f]) => {
      const mapped: ManagedDevice | undefined = f.enrolled
        ? managed(id, 'kim.akers@contoso.com', {
            complianceState: f.compliance as ManagedDevice['complianceState'],
            complianceGracePeriodExpirationDateTime: new Date(AT + f.graceHours * 3_600_000).toISOString(),
          })
        : undefined;
      const conflicts = f.conflict ? [managed(id, 'someone.else@contoso.com', { id: `other-${id}` })] : [];
      return [
        deviceKey(id),
        {
          groups: { included: f.included ? ['g-all'] : [], excluded: f.excluded ? ['g-excluded'] : [] },
          mapping: mapped ? { mapped, conflicts } : { conflicts },
        },
      ] as const;
    }),
  );
  return {
    type: 'ReconcileMailbox',
    syncId: `sync-${++n}`,
    commandId: `sync-${n}/0`,
    atMs,
    policy: policy({
      defaultAccessLevel: i.defaultAccessLevel,
      platformExceptions: i.blackberry ? [{ type: 'family', name: 'BlackBerry', access: i.blackberry }] : [],
    }),
    // A revision names one policy (the engine moves it on every change): the same revision never comes with other settings.
    policyRevision: policyIndex(i) * 2 + i.revision,
    mailbox: { ...kim, activeSyncEnabled: i.activeSyncEnabled, ...lists },
    partnerships: seen.map(([id, f]) => device(kim, id, { deviceType: f.type, deviceOS: i.os })),
    complete: true,
    contexts,
  };
}

/** A sync: reconcile, its events folded, its command's outcome recorded (Exchange's lists then follow a success). */
function sync(state: MailboxState, i: Inputs, atMs: number) {
  const lists = n === 0 || !state.info ? { allowedDeviceIds: i.allowed, blockedDeviceIds: i.blocked } : state.lists;
  const c = command(i, lists, atMs);
  const d = accepted(decideMailbox(c, state));
  const fold = (s: MailboxState, events: readonly DomainEvent[]) =>
    events.reduce((x, e) => evolveMailbox(x, { ...e, at: new Date(atMs).toISOString() } as unknown as DomainEvent), s);
  let s = fold(state, d.events);
  for (const cmd of d.commands)
    s = fold(s, [
      i.outcome === 'succeeded'
        ? event('CommandSucceeded', { commandId: cmd.commandId })
        : event('CommandFailed', { commandId: cmd.commandId, error: { kind: 'other', message: 'no' } }),
    ]);
  if (i.override) {
    const first = Object.values(s.devices)[0];
    if (first?.decision?.governed)
      s = fold(s, [
        event('OverrideGranted', {
          overrideId: 'o1',
          deviceId: first.deviceId,
          access: 'allow',
          from: '',
          until: new Date(atMs + 3_600_000).toISOString(),
          reason: 'r',
          by: 'b',
        }),
      ]);
  }
  return s;
}

const view = (
  l: ReadonlyArray<{ device: { deviceId: string }; decision: { access: string; reason: string; governed: boolean; facts: unknown } }>,
) =>
  new Map(l.map((x) => [x.device.deviceId, JSON.stringify([x.decision.access, x.decision.reason, x.decision.governed, x.decision.facts])]));

test('whenever a mailbox is judged unchanged, reconciling it records nothing, intends nothing and decides every device as recorded (property)', () => {
  let unchanged = 0;
  fc.assert(
    fc.property(inputs, fc.option(inputs, { freq: 2 }), (first, next) => {
      n = 0;
      const state = sync(initialMailboxState, first, AT);
      // The next full sync: the same inputs (nothing changed), or other ones.
      const i = next ?? first;
      const atMs = AT + i.hours * 3_600_000;
      const c = command(i, { allowedDeviceIds: state.lists.allowedDeviceIds, blockedDeviceIds: state.lists.blockedDeviceIds }, atMs);
      if (!unchangedMailbox(state, c)) return;
      unchanged++;
      const d = accepted(decideMailbox(c, state));
      assert.equal(d.events, [], 'no event');
      assert.equal(d.commands, [], 'no command');
      assert.equal(view(d.decisions), view(recordedDecisions(state)), 'the recorded decisions');
      // What the planner walks: the keys it is given back, in the state's order.
      const keys = unchangedKeys(
        state,
        c,
        c.partnerships.map((p) => c.contexts.get(deviceKey(p.deviceId))),
      )!;
      assert.equal(
        keys.map((k) => ({ device: keyedGet(state.devices, k)!, decision: recordedDecision(keyedGet(state.devices, k)!) })),
        recordedDecisions(state),
      );
    }),
    { numRuns: 1500 },
  );
  assert.ok(unchanged > 100, `the fast path was taken (${unchanged} times)`);
});

test('a mailbox synced twice with the same inputs is unchanged; a compliance change, a new partnership or a policy revision is not', () => {
  const i: Inputs = {
    present: ['ApplAAA111', 'androidc222'],
    facts: IDS.map(() => ({
      type: 'iPhone',
      enrolled: true,
      compliance: 'compliant',
      graceHours: 0,
      excluded: false,
      included: true,
      conflict: false,
    })),
    allowed: [],
    blocked: [],
    activeSyncEnabled: true,
    defaultAccessLevel: 'quarantine',
    blackberry: undefined,
    revision: 1,
    os: 'iOS 17.1',
    hours: 0,
    override: false,
    outcome: 'succeeded',
  };
  n = 0;
  const state = sync(initialMailboxState, i, AT);
  const again = (x: Inputs) => command(x, state.lists, AT + 3_600_000);
  assert.ok(unchangedMailbox(state, again(i)));
  assert.not.ok(
    unchangedMailbox(state, again({ ...i, facts: i.facts.map((f, j) => (j === 0 ? { ...f, compliance: 'noncompliant' } : f)) })),
  );
  assert.not.ok(unchangedMailbox(state, again({ ...i, present: IDS })));
  assert.not.ok(unchangedMailbox(state, again({ ...i, revision: 2 })));
  assert.not.ok(unchangedMailbox(state, again({ ...i, os: 'iOS 17.2' })));
  // A failed command leaves the lists short of the decision: the next sync must try again.
  n = 0;
  const failed = sync(initialMailboxState, { ...i, outcome: 'failed' }, AT);
  assert.not.ok(unchangedMailbox(failed, command(i, failed.lists, AT + 3_600_000)));
});

test('a partnership reported twice is never unchanged, among a few (compared key by key) or among many (over 16: a set)', () => {
  const context = { groups: { included: ['g-all'], excluded: [] }, mapping: { conflicts: [] } };
  for (const count of [3, 20]) {
    const ids = Array.from({ length: count }, (_, j) => `Dev${j}`);
    const reconcile = (present: readonly string[], lists: MailboxState['lists'], no: number): ReconcileMailbox => ({
      type: 'ReconcileMailbox',
      syncId: `sync-${no}`,
      commandId: `sync-${no}/0`,
      atMs: AT,
      policy: policy(),
      policyRevision: 1,
      mailbox: { ...kim, ...lists },
      partnerships: present.map((id) => device(kim, id)),
      complete: true,
      contexts: new Map(
        present.map((id) => [deviceKey(id), { groups: { included: ['g-all'], excluded: [] }, mapping: { conflicts: [] } }]),
      ),
    });
    const first = accepted(decideMailbox(reconcile(ids, { allowedDeviceIds: [], blockedDeviceIds: [] }, 1), initialMailboxState));
    let state = first.events.reduce(
      (x, e) => evolveMailbox(x, { ...e, at: new Date(AT).toISOString() } as unknown as DomainEvent),
      initialMailboxState,
    );
    for (const c of first.commands) state = evolveMailbox(state, event('CommandSucceeded', { commandId: c.commandId }));
    assert.ok(unchangedMailbox(state, reconcile(ids, state.lists, 2)), `${count}: the same partnerships`);
    // As many partnerships as known, one of them twice and another one missing.
    const twice = [...ids.slice(0, -1), ids[0]!];
    assert.not.ok(unchangedMailbox(state, reconcile(twice, state.lists, 3)), `${count}: one reported twice`);
    assert.is(
      accepted(decideMailbox(reconcile(twice, state.lists, 3), state)).events.length > 0,
      true,
      `${count}: reconciling records the change`,
    );
    // The same partnerships in another order than the state's (each key then looked up, repeats searched from the start).
    const reversed = [...ids].reverse();
    assert.equal(
      unchangedKeys(
        state,
        reconcile(reversed, state.lists, 4),
        reversed.map(() => context),
      ),
      Object.keys(state.devices),
      `${count}: reversed`,
    );
    const reversedTwice = [...reversed.slice(0, -1), reversed[1]!];
    assert.not.ok(unchangedMailbox(state, reconcile(reversedTwice, state.lists, 5)), `${count}: reversed, one reported twice`);
  }
});

test.run();
