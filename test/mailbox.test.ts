// The mailbox decider, given/when/then: given events, when a command, then events.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { isRight } from 'fp-ts/lib/Either.js';
import {
  applyListChange, decideMailbox, evolveMailbox, initialMailboxState, needsNotification, type MailboxState, type ReconcileMailbox,
} from '../src/mailbox.js';
import { ManagedDeviceIndex } from '../src/mapping.js';
import { evaluateExchange, toExchangeLevel } from '../src/exchange-evaluation.js';
import { rulesOfPolicy } from '../src/access.js';
import { userAddresses } from '../src/identity.js';
import type { DomainEvent } from '../src/events.js';
import type { CasMailbox, ManagedDevice, MobileDevice } from '../src/facts.js';
import type { Policy } from '../src/policy.js';
import { AT, device, mailbox, managed, policy } from './support/builders.js';

const test = suite('mailbox decider');
const given = (events: DomainEvent[]): MailboxState => events.reduce(evolveMailbox, initialMailboxState);

function reconcile(state: MailboxState, mb: CasMailbox, devices: MobileDevice[], mds: ManagedDevice[], p: Policy, over: Partial<ReconcileMailbox> = {}) {
  const index = new ManagedDeviceIndex(mds);
  const addresses = userAddresses(mb);
  const contexts = new Map(devices.map((d) => [d.deviceId.toLowerCase(), { groups: { included: ['g-all'], excluded: [] }, mapping: index.map(d.deviceId, addresses) }]));
  return decideMailbox({
    type: 'ReconcileMailbox', syncId: 'sync-1', commandId: 'sync-1/0', atMs: AT, policy: p, policyRevision: 1,
    mailbox: mb, partnerships: devices, complete: true, contexts, ...over,
  }, state);
}

const kim = mailbox('Kim Akers');
const phone = device(kim, 'ApplC39GQ9UJDTDM');
const tablet = device(kim, 'ApplDMPXK2K3J9', { deviceType: 'iPad', deviceModel: 'iPad13C1' });

test('discovers a mailbox and its partnerships, decides them and intends one Set-CasMailbox', () => {
  const plan = reconcile(initialMailboxState, kim, [phone, tablet], [managed(phone.deviceId, 'kim.akers@contoso.com')], policy());
  assert.equal(plan.events.map((e) => e.type), ['MailboxDiscovered', 'PartnershipDiscovered', 'PartnershipDiscovered', 'AccessDecided', 'AccessDecided', 'CommandIntended']);
  assert.equal(plan.command, {
    kind: 'setCasMailbox', mailbox: 'contoso.com/Users/Kim Akers',
    allowedDeviceIds: { add: ['ApplC39GQ9UJDTDM'], remove: [] },
    blockedDeviceIds: { add: [], remove: [] },
  });
});

test('given the intent succeeded, the same observations produce no event and no command', () => {
  const first = reconcile(initialMailboxState, kim, [phone, tablet], [managed(phone.deviceId, 'kim.akers@contoso.com')], policy());
  const state = given([...first.events, { type: 'CommandSucceeded', data: { commandId: 'sync-1/0' } }]);
  const after = { ...kim, allowedDeviceIds: ['ApplC39GQ9UJDTDM'] };
  const second = reconcile(state, after, [phone, tablet], [managed(phone.deviceId, 'kim.akers@contoso.com')], policy(), { syncId: 'sync-2', commandId: 'sync-2/0' });
  assert.equal(second.events, []);
  assert.is(second.command, undefined);
  assert.is(state.devices['applc39gq9ujdtdm']?.owned, 'allowed');
});

test('a compliant device turning noncompliant moves from the allowed to the blocked list', () => {
  const first = reconcile(initialMailboxState, kim, [phone], [managed(phone.deviceId, 'kim.akers@contoso.com')], policy());
  const state = given([...first.events, { type: 'CommandSucceeded', data: { commandId: 'sync-1/0' } }]);
  const plan = reconcile(state, { ...kim, allowedDeviceIds: ['ApplC39GQ9UJDTDM'] }, [phone], [managed(phone.deviceId, 'kim.akers@contoso.com', { complianceState: 'noncompliant' })], policy(), { commandId: 'sync-2/0' });
  assert.equal(plan.events.map((e) => e.type), ['AccessDecided', 'CommandIntended']);
  assert.equal(plan.command?.allowedDeviceIds, { add: [], remove: ['ApplC39GQ9UJDTDM'] });
  assert.equal(plan.command?.blockedDeviceIds, { add: ['ApplC39GQ9UJDTDM'], remove: [] });
  assert.ok(needsNotification(state.devices['applc39gq9ujdtdm']!, plan.decisions[0]!.decision));
});

test('lists changed behind the engine\'s back are recorded as drift, then corrected', () => {
  const first = reconcile(initialMailboxState, kim, [phone], [managed(phone.deviceId, 'kim.akers@contoso.com')], policy());
  const state = given([...first.events, { type: 'CommandSucceeded', data: { commandId: 'sync-1/0' } }]);
  const drifted = { ...kim, allowedDeviceIds: [], blockedDeviceIds: ['ApplC39GQ9UJDTDM', 'SomeoneElses'] };
  const plan = reconcile(state, drifted, [phone], [managed(phone.deviceId, 'kim.akers@contoso.com')], policy(), { commandId: 'sync-2/0' });
  assert.equal(plan.events.map((e) => e.type), ['ListsDriftDetected', 'CommandIntended']);
  // Only the governed device's entries change; the unknown entry is left alone.
  assert.equal(plan.command?.blockedDeviceIds, { add: [], remove: ['ApplC39GQ9UJDTDM'] });
  assert.equal(plan.command?.allowedDeviceIds, { add: ['ApplC39GQ9UJDTDM'], remove: [] });
});

test('a partnership gone from Exchange is removed and the entry the engine wrote for it is released', () => {
  const first = reconcile(initialMailboxState, kim, [phone, tablet], [managed(phone.deviceId, 'kim.akers@contoso.com')], policy());
  const state = given([...first.events, { type: 'CommandSucceeded', data: { commandId: 'sync-1/0' } }]);
  const plan = reconcile(state, { ...kim, allowedDeviceIds: ['ApplC39GQ9UJDTDM'] }, [tablet], [], policy(), { commandId: 'sync-2/0' });
  assert.equal(plan.events.map((e) => e.type), ['PartnershipRemoved', 'CommandIntended']);
  assert.equal(plan.command?.allowedDeviceIds, { add: [], remove: ['ApplC39GQ9UJDTDM'] });
});

test('an outcome for an unknown intent is refused', () => {
  const r = decideMailbox({ type: 'RecordCommandOutcome', commandId: 'nope' }, initialMailboxState);
  assert.not.ok(isRight(r));
});

test('a notification is sent once per episode and again only after the device was allowed', () => {
  const first = reconcile(initialMailboxState, kim, [phone], [], policy());
  let state = given([...first.events]);
  assert.ok(needsNotification(state.devices['applc39gq9ujdtdm']!, first.decisions[0]!.decision));
  const sent = decideMailbox({ type: 'RecordNotification', deviceId: phone.deviceId, to: kim.primarySmtpAddress, reason: 'notEnrolled' }, state);
  assert.ok(isRight(sent));
  state = given([...first.events, ...(isRight(sent) ? sent.right : [])]);
  assert.not.ok(needsNotification(state.devices['applc39gq9ujdtdm']!, first.decisions[0]!.decision));
  // Enrolled and compliant: allowed, the episode ends.
  const allowed = reconcile(state, kim, [phone], [managed(phone.deviceId, 'kim.akers@contoso.com')], policy(), { commandId: 'c2' });
  state = given([...first.events, ...(isRight(sent) ? sent.right : []), ...allowed.events]);
  const lost = reconcile(state, kim, [phone], [managed(phone.deviceId, 'kim.akers@contoso.com', { complianceState: 'noncompliant' })], policy(), { commandId: 'c3' });
  assert.ok(needsNotification(state.devices['applc39gq9ujdtdm']!, lost.decisions[0]!.decision));
});

test('applyListChange removes then adds, case-insensitively, without duplicates', () => {
  assert.equal(applyListChange(['A', 'b', 'C'], { add: ['B', 'd'], remove: ['c'] }), ['A', 'b', 'd']);
});

// ---- property: the enforcement written, evaluated by Exchange's rules, yields the decided access.
const ids = ['ApplAAA111', 'androidc222', 'BB333', 'WP444'];
const deviceArb = fc.record({
  id: fc.constantFrom(...ids),
  type: fc.constantFrom('iPhone', 'Android', 'BlackBerry', 'WindowsMail'),
  model: fc.constantFrom('iPhone15C2', 'Pixel 8', 'SM-G991B', 'Q10'),
});
const mdArb = fc.record({
  easId: fc.constantFrom(...ids, ...ids.map((x) => x.toUpperCase())),
  sameUser: fc.boolean(),
  agent: fc.constantFrom('mdm', 'easMdm', 'eas'),
  state: fc.constantFrom('compliant', 'noncompliant', 'inGracePeriod', 'unknown', 'error', 'conflict'),
  graceHours: fc.integer({ min: -48, max: 48 }),
});
const exceptionArb = fc.record({
  type: fc.constantFrom('family' as const, 'model' as const),
  name: fc.constantFrom('iPhone', 'Android', 'BlackBerry', 'Pixel 8', 'SM-G991B', 'Q10', 'android'),
  access: fc.constantFrom('allow' as const, 'block' as const, 'quarantine' as const),
});
const listArb = fc.subarray([...ids, 'ForeignId', ...ids.map((x) => x.toLowerCase())]);

test('property: for any facts and policy, Exchange evaluating the written lists gives the decided access', () => {
  fc.assert(fc.property(
    fc.uniqueArray(deviceArb, { selector: (d) => d.id, minLength: 1, maxLength: 4 }),
    fc.array(mdArb, { maxLength: 5 }),
    fc.uniqueArray(exceptionArb, { selector: (e) => `${e.type}:${e.name.toLowerCase()}`, maxLength: 4 }),
    fc.record({ enabled: fc.boolean(), included: fc.boolean(), excluded: fc.boolean(), def: fc.constantFrom('allow' as const, 'block' as const, 'quarantine' as const) }),
    listArb, listArb,
    (devs, mds, exceptions, pol, allowed, blocked) => {
      const p = policy({ enabled: pol.enabled, defaultAccessLevel: pol.def, platformExceptions: exceptions });
      const mb = { ...kim, allowedDeviceIds: allowed, blockedDeviceIds: blocked };
      const partnerships = devs.map((d) => device(kim, d.id, { deviceType: d.type, deviceModel: d.model }));
      const managedDevices = mds.map((m, i) => managed(m.easId, m.sameUser ? 'kim.akers@contoso.com' : 'eve@contoso.com', {
        id: `md${i}`, managementAgent: m.agent, complianceState: m.state as ManagedDevice['complianceState'],
        complianceGracePeriodExpirationDateTime: new Date(AT + m.graceHours * 3_600_000).toISOString(),
      }));
      const index = new ManagedDeviceIndex(managedDevices);
      const groups = { included: pol.included ? ['g-all'] : [], excluded: pol.excluded ? ['g-excluded'] : [] };
      const contexts = new Map(partnerships.map((d) => [d.deviceId.toLowerCase(), { groups, mapping: index.map(d.deviceId, userAddresses(mb)) }]));
      const plan = decideMailbox({ type: 'ReconcileMailbox', syncId: 's', commandId: 'c', atMs: AT, policy: p, policyRevision: 1, mailbox: mb, partnerships, complete: true, contexts }, initialMailboxState);
      const lists = plan.command
        ? { allowedDeviceIds: applyListChange(allowed, plan.command.allowedDeviceIds), blockedDeviceIds: applyListChange(blocked, plan.command.blockedDeviceIds) }
        : { allowedDeviceIds: allowed, blockedDeviceIds: blocked };
      for (const { device: d, decision } of plan.decisions) {
        const ev = evaluateExchange(d as unknown as MobileDevice, { activeSyncEnabled: true, ...lists }, { defaultAccessLevel: toExchangeLevel(p.defaultAccessLevel) }, rulesOfPolicy(p));
        if (ev.access !== decision.access) return false;
      }
      // Entries for ids the engine does not know are never touched.
      if (plan.command) {
        const touched = [...plan.command.allowedDeviceIds.add, ...plan.command.allowedDeviceIds.remove, ...plan.command.blockedDeviceIds.add, ...plan.command.blockedDeviceIds.remove];
        if (touched.some((t) => t === 'ForeignId')) return false;
      }
      return plan.decisions.length === partnerships.length;
    },
  ), { numRuns: 2000 });
});

test.run();
