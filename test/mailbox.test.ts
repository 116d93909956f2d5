// The mailbox decider, given/when/then: given the mailbox stream so far, when
// a command (what Exchange and Intune report now, or an outcome to record),
// then exactly these events — or this refusal.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  applyListChange,
  deviceKey,
  sameDeviceSet,
  decideMailbox,
  hasDevice,
  hasDeviceKey,
  initialMailboxState,
  mailboxDecider,
  needsNotification,
  type ReconcileMailbox,
} from '../src/mailbox.js';
import { accepted } from '../src/decider.js';
import { ManagedDeviceIndex } from '../src/mapping.js';
import { evaluateExchange, toExchangeLevel } from '../src/exchange-evaluation.js';
import { rulesOfPolicy } from '../src/access.js';
import { userAddresses } from '../src/identity.js';
import type { DomainEvent, EventData } from '../src/events.js';
import type { CasMailbox, ManagedDevice, MobileDevice } from '../src/facts.js';
import type { Policy } from '../src/policy.js';
import { AT, device, mailbox, managed, policy } from './support/builders.js';
import { specify, type Given } from './support/decider.js';

const test = suite('mailbox decider');
const { given, stateOf } = specify(mailboxDecider);

// ---- what Exchange and Intune report
const kim = mailbox('Kim Akers');
const phone = device(kim, 'ApplC39GQ9UJDTDM');
const tablet = device(kim, 'ApplDMPXK2K3J9', { deviceType: 'iPad', deviceModel: 'iPad13C1' });
const enrolled = (over: Partial<ManagedDevice> = {}) => managed(phone.deviceId, 'kim.akers@contoso.com', over);

/** Reconciling Kim's mailbox as a sync would: the user in g-all (or in `groups`), each device mapped to the managed devices given. */
function reconcile(
  mb: CasMailbox,
  devices: MobileDevice[],
  mds: ManagedDevice[],
  over: Partial<ReconcileMailbox> & { groups?: { included: string[]; excluded: string[] }; p?: Policy } = {},
): ReconcileMailbox {
  const index = new ManagedDeviceIndex(mds);
  const groups = over.groups ?? { included: ['g-all'], excluded: [] };
  const contexts = new Map(devices.map((d) => [d.deviceId.toLowerCase(), { groups, mapping: index.map(d.deviceId, userAddresses(mb)) }]));
  const { groups: _g, p, ...rest } = over;
  return {
    type: 'ReconcileMailbox',
    syncId: 'sync-1',
    commandId: 'sync-1/0',
    atMs: AT,
    policy: p ?? policy(),
    policyRevision: 1,
    mailbox: mb,
    partnerships: devices,
    complete: true,
    contexts,
    ...rest,
  };
}
const sync2 = { syncId: 'sync-2', commandId: 'sync-2/0' };

// ---- the stream, as the log holds it
const KIM = 'contoso.com/Users/Kim Akers';
const PHONE = 'ApplC39GQ9UJDTDM';
const TABLET = 'ApplDMPXK2K3J9';
const T1 = '2026-11-26T08:00:00.000Z';
const G_ALL = { included: ['g-all'], excluded: [] };
const INTUNE = {
  id: 'md-ApplC39GQ9UJDTDM',
  complianceState: 'compliant',
  managementAgent: 'mdm',
  userPrincipalName: 'kim.akers@contoso.com',
  emailAddress: 'kim.akers@contoso.com',
};
const NO_CHANGE = { add: [], remove: [] };
const setCasMailbox = (
  commandId: string,
  allowedDeviceIds: { add: string[]; remove: string[] },
  blockedDeviceIds: { add: string[]; remove: string[] },
): DomainEvent => ({
  type: 'CommandIntended',
  data: {
    syncId: commandId.split('/')[0]!,
    commandId,
    command: { kind: 'setCasMailbox', mailbox: KIM, allowedDeviceIds, blockedDeviceIds },
  },
});
type Decided = Extract<DomainEvent, { type: 'AccessDecided' }> & { readonly at: string };
const decided = (data: EventData<'AccessDecided'>): Decided => ({ type: 'AccessDecided', data, at: T1 });

const kimDiscovered: Given = {
  type: 'MailboxDiscovered',
  at: T1,
  data: {
    identity: KIM,
    primarySmtpAddress: 'kim.akers@contoso.com',
    addresses: ['kim.akers@contoso.com'],
    activeSyncEnabled: true,
    displayName: 'Kim Akers',
    distinguishedName: 'CN=Kim Akers,OU=Users,DC=contoso,DC=com',
    userPrincipalName: 'kim.akers@contoso.com',
    allowedDeviceIds: [],
    blockedDeviceIds: [],
  },
};
const phoneDiscovered: Given = {
  type: 'PartnershipDiscovered',
  at: T1,
  data: {
    deviceId: PHONE,
    identity: `${KIM}/ExchangeActiveSyncDevices/iPhone§${PHONE}`,
    deviceType: 'iPhone',
    deviceModel: 'iPhone15C2',
    deviceOS: 'iOS 17.1 21B74',
    deviceUserAgent: 'Apple-iPhone15C2/2101.74',
    distinguishedName: `CN=iPhone§${PHONE},CN=ExchangeActiveSyncDevices,CN=Kim Akers,OU=Users,DC=contoso,DC=com`,
  },
};
const tabletDiscovered: Given = {
  type: 'PartnershipDiscovered',
  at: T1,
  data: {
    deviceId: TABLET,
    identity: `${KIM}/ExchangeActiveSyncDevices/iPad§${TABLET}`,
    deviceType: 'iPad',
    deviceModel: 'iPad13C1',
    deviceOS: 'iOS 17.1 21B74',
    deviceUserAgent: 'Apple-iPhone15C2/2101.74',
    distinguishedName: `CN=iPad§${TABLET},CN=ExchangeActiveSyncDevices,CN=Kim Akers,OU=Users,DC=contoso,DC=com`,
  },
};
const phoneAllowed = decided({
  syncId: 'sync-1',
  deviceId: PHONE,
  access: 'allow',
  reason: 'compliant',
  governed: true,
  policyRevision: 1,
  facts: { groups: G_ALL, intune: INTUNE, conflicts: [] },
});
const tabletQuarantined = decided({
  syncId: 'sync-1',
  deviceId: TABLET,
  access: 'quarantine',
  reason: 'notEnrolled',
  governed: true,
  policyRevision: 1,
  facts: { groups: G_ALL, intune: null, conflicts: [] },
});
const allowPhone: Given = { ...setCasMailbox('sync-1/0', { add: [PHONE], remove: [] }, NO_CHANGE), at: T1 };
const allowPhoneSucceeded: Given = { type: 'CommandSucceeded', data: { commandId: 'sync-1/0' }, at: T1 };

/** Kim's mailbox after the first sync: the phone allowed (and in the allowed list), the tablet quarantined. */
const firstSync = [kimDiscovered, phoneDiscovered, tabletDiscovered, phoneAllowed, tabletQuarantined, allowPhone, allowPhoneSucceeded];
const kimAfter = { ...kim, allowedDeviceIds: [PHONE] };

// ------------------------------------------------------------------ reconcile
test('a new mailbox: discovered with its partnerships, each decided, one Set-CasMailbox for the lists', () => {
  given()
    .when(reconcile(kim, [phone, tablet], [enrolled()]))
    .then([
      { type: 'MailboxDiscovered', data: kimDiscovered.data },
      { type: 'PartnershipDiscovered', data: phoneDiscovered.data },
      { type: 'PartnershipDiscovered', data: tabletDiscovered.data },
      { type: 'AccessDecided', data: phoneAllowed.data },
      { type: 'AccessDecided', data: tabletQuarantined.data },
      setCasMailbox('sync-1/0', { add: [PHONE], remove: [] }, NO_CHANGE),
    ]);
});

test('nothing changed since the last sync: no event, no command', () => {
  const d = given(...firstSync)
    .when(reconcile(kimAfter, [phone, tablet], [enrolled()], sync2))
    .then([]);
  assert.equal(d.commands, []);
});

test("DeviceIds are compared without regard to case: a list entry spelled otherwise is the device's", () => {
  given(...firstSync)
    .when(reconcile({ ...kim, allowedDeviceIds: [PHONE.toLowerCase()] }, [phone, tablet], [enrolled()], sync2))
    .then([]);
});

test('a compliant device turning noncompliant moves from the allowed to the blocked list', () => {
  given(...firstSync)
    .when(reconcile(kimAfter, [phone, tablet], [enrolled({ complianceState: 'noncompliant' })], sync2))
    .then([
      {
        type: 'AccessDecided',
        data: {
          syncId: 'sync-2',
          deviceId: PHONE,
          access: 'block',
          reason: 'notCompliant',
          governed: true,
          policyRevision: 1,
          facts: { groups: G_ALL, intune: { ...INTUNE, complianceState: 'noncompliant' }, conflicts: [] },
        },
      },
      setCasMailbox('sync-2/0', { add: [], remove: [PHONE] }, { add: [PHONE], remove: [] }),
    ]);
});

test("lists changed behind the engine's back are drift, then corrected; entries of unknown devices are left alone", () => {
  const drifted = { ...kim, allowedDeviceIds: [], blockedDeviceIds: [PHONE, 'SomeoneElses'] };
  given(...firstSync)
    .when(reconcile(drifted, [phone, tablet], [enrolled()], sync2))
    .then([
      {
        type: 'ListsDriftDetected',
        data: {
          syncId: 'sync-2',
          expected: { allowedDeviceIds: [PHONE], blockedDeviceIds: [] },
          actual: { allowedDeviceIds: [], blockedDeviceIds: [PHONE, 'SomeoneElses'] },
        },
      },
      setCasMailbox('sync-2/0', { add: [PHONE], remove: [] }, { add: [], remove: [PHONE] }),
    ]);
});

test('a partnership gone from Exchange is removed, and the entry the engine wrote for it is released', () => {
  given(...firstSync)
    .when(reconcile(kimAfter, [tablet], [], sync2))
    .then([{ type: 'PartnershipRemoved', data: { deviceId: PHONE } }, setCasMailbox('sync-2/0', { add: [], remove: [PHONE] }, NO_CHANGE)]);
});

test("a device the engine no longer governs gets Exchange's own evaluation, and the entry the engine wrote is released", () => {
  const excluded = { included: ['g-all'], excluded: ['g-excluded'] };
  given(...firstSync)
    .when(reconcile(kimAfter, [phone, tablet], [enrolled()], { ...sync2, groups: excluded }))
    .then([
      {
        type: 'AccessDecided',
        data: {
          syncId: 'sync-2',
          deviceId: PHONE,
          access: 'quarantine',
          reason: 'excludedGroup',
          governed: false,
          policyRevision: 1,
          facts: { groups: excluded, intune: INTUNE, conflicts: [], exchange: { access: 'quarantine', reason: 'global' } },
        },
      },
      {
        type: 'AccessDecided',
        data: {
          syncId: 'sync-2',
          deviceId: TABLET,
          access: 'quarantine',
          reason: 'excludedGroup',
          governed: false,
          policyRevision: 1,
          facts: { groups: excluded, intune: null, conflicts: [], exchange: { access: 'quarantine', reason: 'global' } },
        },
      },
      setCasMailbox('sync-2/0', { add: [], remove: [PHONE] }, NO_CHANGE),
    ]);
});

test('when the org default first becomes restrictive, a device Exchange allowed and the engine does not govern is grandfathered', () => {
  const excluded = { included: [], excluded: ['g-excluded'] };
  const d = given()
    .when(reconcile(kim, [tablet], [], { groups: excluded, grandfather: { org: { defaultAccessLevel: 'Allow' }, rules: [] } }))
    .then([
      { type: 'MailboxDiscovered', data: kimDiscovered.data },
      { type: 'PartnershipDiscovered', data: tabletDiscovered.data },
      { type: 'DeviceGrandfathered', data: { syncId: 'sync-1', deviceId: TABLET } },
      {
        type: 'AccessDecided',
        data: {
          syncId: 'sync-1',
          deviceId: TABLET,
          access: 'allow',
          reason: 'excludedGroup',
          governed: false,
          policyRevision: 1,
          facts: { groups: excluded, intune: null, conflicts: [], exchange: { access: 'allow', reason: 'individual' } },
        },
      },
      setCasMailbox('sync-1/0', { add: [TABLET], remove: [] }, NO_CHANGE),
    ]);
  // The allowed entry is the user's, not the engine's: it is never released.
  const after = stateOf([...d.events, { type: 'CommandSucceeded', data: { commandId: 'sync-1/0' } }]);
  assert.equal(after.devices[TABLET.toLowerCase()]?.grandfathered, true);
  assert.is(after.devices[TABLET.toLowerCase()]?.owned, undefined);
});

test('a quick sync looks only at the partnerships it observed: the others keep their decision', () => {
  given(...firstSync)
    .when(reconcile(kimAfter, [], [], { ...sync2, complete: false }))
    .then([]);
});

// ------------------------------------------------------------------ outcomes
test('the outcome of a pending intent is recorded: success, or failure with its error, reconciled after a crash or not', () => {
  const pending = firstSync.slice(0, -1);
  given(...pending)
    .when({ type: 'RecordCommandOutcome', commandId: 'sync-1/0' })
    .then([{ type: 'CommandSucceeded', data: { commandId: 'sync-1/0' } }]);
  given(...pending)
    .when({ type: 'RecordCommandOutcome', commandId: 'sync-1/0', error: { kind: 'other', message: 'boom' }, reconciled: true })
    .then([{ type: 'CommandFailed', data: { commandId: 'sync-1/0', error: { kind: 'other', message: 'boom' }, reconciled: true } }]);
});

test('an outcome for no pending intent is refused, including one already recorded', () => {
  given()
    .when({ type: 'RecordCommandOutcome', commandId: 'nope' })
    .thenFails({ kind: 'unknownCommand', message: 'no pending intent nope' });
  given(...firstSync)
    .when({ type: 'RecordCommandOutcome', commandId: 'sync-1/0' })
    .thenFails({ kind: 'unknownCommand', message: 'no pending intent sync-1/0' });
});

test("a succeeded Set-CasMailbox changes the known lists and makes the entries it added the engine's; a failed one changes nothing", () => {
  const ok = stateOf(firstSync);
  assert.equal(ok.lists, { allowedDeviceIds: [PHONE], blockedDeviceIds: [] });
  assert.is(ok.devices[PHONE.toLowerCase()]?.owned, 'allowed');
  assert.equal(ok.pending, {});
  const failed = stateOf([
    ...firstSync.slice(0, -1),
    { type: 'CommandFailed', data: { commandId: 'sync-1/0', error: { kind: 'other', message: 'boom' } } },
  ]);
  assert.equal(failed.lists, { allowedDeviceIds: [], blockedDeviceIds: [] });
  assert.is(failed.devices[PHONE.toLowerCase()]?.owned, undefined);
  assert.equal(failed.pending, {});
});

// ------------------------------------------------------------------ notifications
test('a notification is recorded for a known partnership, sent or failed', () => {
  given(...firstSync)
    .when({ type: 'RecordNotification', deviceId: TABLET, to: 'kim.akers@contoso.com', reason: 'notEnrolled' })
    .then([{ type: 'NotificationSent', data: { deviceId: TABLET, to: 'kim.akers@contoso.com', reason: 'notEnrolled' } }]);
  given(...firstSync)
    .when({
      type: 'RecordNotification',
      deviceId: TABLET,
      to: 'kim.akers@contoso.com',
      reason: 'notEnrolled',
      error: { kind: 'sendFailed', message: '550 no such user' },
    })
    .then([
      {
        type: 'NotificationFailed',
        data: { deviceId: TABLET, to: 'kim.akers@contoso.com', error: { kind: 'sendFailed', message: '550 no such user' } },
      },
    ]);
});

test('a notification for no partnership of the mailbox is refused', () => {
  given(...firstSync)
    .when({ type: 'RecordNotification', deviceId: 'Nope', to: 'kim.akers@contoso.com', reason: 'notEnrolled' })
    .thenFails({ kind: 'unknownDevice', message: 'no partnership Nope' });
});

test('a user is notified once per restricted episode; the episode ends when the device is allowed', () => {
  const tabletKey = TABLET.toLowerCase();
  const quarantined = tabletQuarantined.data;
  assert.ok(needsNotification(stateOf(firstSync).devices[tabletKey]!, quarantined));
  const told: Given = { type: 'NotificationSent', data: { deviceId: TABLET, to: 'kim.akers@contoso.com', reason: 'notEnrolled' }, at: T1 };
  assert.not.ok(needsNotification(stateOf([...firstSync, told]).devices[tabletKey]!, quarantined));
  // Decided again, still restricted: the same episode.
  const again = decided({ ...quarantined, syncId: 'sync-2', policyRevision: 2 });
  assert.not.ok(needsNotification(stateOf([...firstSync, told, again]).devices[tabletKey]!, quarantined));
  // Allowed, then restricted again: a new episode.
  const allowed = decided({
    ...quarantined,
    syncId: 'sync-3',
    access: 'allow',
    reason: 'compliant',
    facts: { groups: G_ALL, intune: INTUNE, conflicts: [] },
  });
  assert.ok(needsNotification(stateOf([...firstSync, told, allowed, again]).devices[tabletKey]!, quarantined));
});

test("a partnership removed and discovered again starts afresh: no decision, not notified, no entry of the engine's", () => {
  const told: Given = { type: 'NotificationSent', data: { deviceId: TABLET, to: 'kim.akers@contoso.com', reason: 'notEnrolled' }, at: T1 };
  const s = stateOf([
    ...firstSync,
    told,
    { type: 'PartnershipRemoved', data: { deviceId: PHONE } },
    { type: 'PartnershipRemoved', data: { deviceId: TABLET } },
    phoneDiscovered,
    tabletDiscovered,
  ]);
  assert.equal(s.devices[PHONE.toLowerCase()], { ...phoneDiscovered.data, decision: undefined, owned: undefined, notified: false });
  assert.equal(s.devices[TABLET.toLowerCase()], { ...tabletDiscovered.data, decision: undefined, owned: undefined, notified: false });
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
  fc.assert(
    fc.property(
      fc.uniqueArray(deviceArb, { selector: (d) => d.id, minLength: 1, maxLength: 4 }),
      fc.array(mdArb, { maxLength: 5 }),
      fc.uniqueArray(exceptionArb, { selector: (e) => `${e.type}:${e.name.toLowerCase()}`, maxLength: 4 }),
      fc.record({
        enabled: fc.boolean(),
        included: fc.boolean(),
        excluded: fc.boolean(),
        def: fc.constantFrom('allow' as const, 'block' as const, 'quarantine' as const),
      }),
      listArb,
      listArb,
      (devs, mds, exceptions, pol, allowed, blocked) => {
        const p = policy({ enabled: pol.enabled, defaultAccessLevel: pol.def, platformExceptions: exceptions });
        const mb = { ...kim, allowedDeviceIds: allowed, blockedDeviceIds: blocked };
        const partnerships = devs.map((d) => device(kim, d.id, { deviceType: d.type, deviceModel: d.model }));
        const managedDevices = mds.map((m, i) =>
          managed(m.easId, m.sameUser ? 'kim.akers@contoso.com' : 'eve@contoso.com', {
            id: `md${i}`,
            managementAgent: m.agent,
            complianceState: m.state as ManagedDevice['complianceState'],
            complianceGracePeriodExpirationDateTime: new Date(AT + m.graceHours * 3_600_000).toISOString(),
          }),
        );
        const index = new ManagedDeviceIndex(managedDevices);
        const groups = { included: pol.included ? ['g-all'] : [], excluded: pol.excluded ? ['g-excluded'] : [] };
        const contexts = new Map(
          partnerships.map((d) => [d.deviceId.toLowerCase(), { groups, mapping: index.map(d.deviceId, userAddresses(mb)) }]),
        );
        const plan = accepted(
          decideMailbox(
            {
              type: 'ReconcileMailbox',
              syncId: 's',
              commandId: 'c',
              atMs: AT,
              policy: p,
              policyRevision: 1,
              mailbox: mb,
              partnerships,
              complete: true,
              contexts,
            },
            initialMailboxState,
          ),
        );
        const command = plan.commands[0]?.command;
        const lists =
          command?.kind === 'setCasMailbox'
            ? {
                allowedDeviceIds: applyListChange(allowed, command.allowedDeviceIds),
                blockedDeviceIds: applyListChange(blocked, command.blockedDeviceIds),
              }
            : { allowedDeviceIds: allowed, blockedDeviceIds: blocked };
        for (const { device: d, decision } of plan.decisions) {
          const ev = evaluateExchange(
            d,
            { activeSyncEnabled: true, ...lists },
            { defaultAccessLevel: toExchangeLevel(p.defaultAccessLevel) },
            rulesOfPolicy(p),
          );
          if (ev.access !== decision.access) return false;
        }
        // Entries for ids the engine does not know are never touched.
        if (command?.kind === 'setCasMailbox') {
          const touched = [
            ...command.allowedDeviceIds.add,
            ...command.allowedDeviceIds.remove,
            ...command.blockedDeviceIds.add,
            ...command.blockedDeviceIds.remove,
          ];
          if (touched.some((t) => t === 'ForeignId')) return false;
        }
        return plan.decisions.length === partnerships.length && plan.commands.length <= 1;
      },
    ),
    { numRuns: 2000 },
  );
});

test('hasDevice (the entry spelled as the DeviceId first) agrees with hasDeviceKey, whatever the spellings', () => {
  const id = fc.constantFrom('a', 'A', 'b', 'B', 'dev1', 'DEV1', 'Dev1', 'İ', 'i̇');
  fc.assert(
    fc.property(fc.array(id, { maxLength: 5 }), id, (list, deviceId) => {
      assert.is(hasDevice(list, deviceId, deviceKey(deviceId)), hasDeviceKey(list, deviceKey(deviceId)));
    }),
    { numRuns: 1000 },
  );
});

test('sameDeviceSet agrees with comparing the sets of device keys (its in-order shortcut included)', () => {
  const bySets = (a: readonly string[], b: readonly string[]) => {
    if (a.length !== b.length) return false;
    const s = new Set(a.map(deviceKey));
    return b.every((x) => s.has(deviceKey(x)));
  };
  const id = fc.constantFrom('a', 'A', 'b', 'B', 'c', 'dev1', 'DEV1');
  fc.assert(
    fc.property(fc.array(id, { maxLength: 5 }), fc.array(id, { maxLength: 5 }), (a, b) => {
      assert.is(sameDeviceSet(a, b), bySets(a, b));
      assert.is(sameDeviceSet(a, [...a]), true);
    }),
    { numRuns: 1000 },
  );
});

test.run();
