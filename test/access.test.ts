import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { decideAccess, matchingException, rulesOfPolicy, type DeviceContext } from '../src/access.js';
import { ManagedDeviceIndex } from '../src/mapping.js';
import { groupsOf } from '../src/groups.js';
import { AT, device, mailbox, managed, policy } from './support/builders.js';

const test = suite('access decision');
const kim = mailbox('Kim Akers');
const noLists = { allowedDeviceIds: [], blockedDeviceIds: [] };
const ctx = (over: Partial<DeviceContext> = {}): DeviceContext => ({
  device: device(kim, 'ApplC39GQ9UJDTDM'),
  activeSyncEnabled: true,
  groups: { included: ['g-all'], excluded: [] },
  mapping: { conflicts: [] },
  ...over,
});
const mapped = (state: Parameters<typeof managed>[2] = {}) => ({
  mapped: managed('ApplC39GQ9UJDTDM', 'kim.akers@contoso.com', state),
  conflicts: [],
});

test('rule 1: a disabled policy governs nothing and reports policyDisabled', () => {
  const d = decideAccess(ctx({ mapping: mapped({ complianceState: 'noncompliant' }) }), policy({ enabled: false }), AT, noLists);
  assert.is(d.reason, 'policyDisabled');
  assert.is(d.governed, false);
  assert.is(d.rule, 1);
  // Exchange's own evaluation under the policy's default (quarantine) decides.
  assert.is(d.access, 'quarantine');
});

test('rule 2: a user in an excluded group is not governed, even when also included', () => {
  const d = decideAccess(ctx({ groups: { included: ['g-all'], excluded: ['g-excluded'] } }), policy(), AT, {
    allowedDeviceIds: ['ApplC39GQ9UJDTDM'],
    blockedDeviceIds: [],
  });
  assert.is(d.reason, 'excludedGroup');
  assert.is(d.governed, false);
  assert.is(d.access, 'allow'); // the mailbox's own allowed list lets it in
  assert.equal(d.facts.exchange, { access: 'allow', reason: 'individual' });
});

test('rule 3: a user in no included group is notTargeted', () => {
  const d = decideAccess(ctx({ groups: { included: [], excluded: [] } }), policy(), AT, noLists);
  assert.is(d.reason, 'notTargeted');
  assert.is(d.governed, false);
  assert.is(d.rule, 3);
});

test('rule 5: a mapped compliant device is allowed as compliant', () => {
  const d = decideAccess(ctx({ mapping: mapped() }), policy(), AT, noLists);
  assert.equal([d.access, d.reason, d.governed, d.rule], ['allow', 'compliant', true, 5]);
  assert.is(d.facts.intune?.id, 'md-ApplC39GQ9UJDTDM');
});

test('rule 5: a device in its grace period is allowed until the deadline', () => {
  const d = decideAccess(
    ctx({ mapping: mapped({ complianceState: 'inGracePeriod', complianceGracePeriodExpirationDateTime: '2026-11-27T00:00:00Z' }) }),
    policy(),
    AT,
    noLists,
  );
  assert.equal([d.access, d.reason], ['allow', 'compliant']);
});

test('rule 6: a grace period whose deadline has passed blocks as notCompliant', () => {
  const d = decideAccess(
    ctx({ mapping: mapped({ complianceState: 'inGracePeriod', complianceGracePeriodExpirationDateTime: '2026-11-25T00:00:00Z' }) }),
    policy(),
    AT,
    noLists,
  );
  assert.equal([d.access, d.reason, d.rule], ['block', 'notCompliant', 6]);
  assert.is(d.facts.graceExpired, true);
});

test('rule 6: noncompliant, unknown, conflict and error states block as notCompliant', () => {
  for (const state of ['noncompliant', 'unknown', 'conflict', 'error', 'configManager'] as const) {
    const d = decideAccess(ctx({ mapping: mapped({ complianceState: state }) }), policy(), AT, noLists);
    assert.equal([d.access, d.reason], ['block', 'notCompliant'], state);
  }
});

test('rule 7: an unmapped device matching a platform exception gets its access, model before family', () => {
  const p = policy({
    platformExceptions: [
      { type: 'family', name: 'Android', access: 'block' },
      { type: 'model', name: 'Pixel 8', access: 'allow' },
    ],
  });
  const pixel = ctx({ device: device(kim, 'androidc1', { deviceType: 'Android', deviceModel: 'PIXEL 8' }) });
  const other = ctx({ device: device(kim, 'androidc2', { deviceType: 'android', deviceModel: 'SM-G991B' }) });
  assert.equal([decideAccess(pixel, p, AT, noLists).access, decideAccess(pixel, p, AT, noLists).reason], ['allow', 'exchangeDeviceRule']);
  assert.equal(decideAccess(other, p, AT, noLists).access, 'block');
  assert.is(matchingException(p, pixel.device)?.type, 'model');
});

test('rule 7: a model quarantine that a family Block rule would override is decided as block, and says so', () => {
  const p = policy({
    platformExceptions: [
      { type: 'family', name: 'Android', access: 'block' },
      { type: 'model', name: 'Pixel 8', access: 'quarantine' },
    ],
  });
  const d = decideAccess(ctx({ device: device(kim, 'androidc1', { deviceType: 'Android', deviceModel: 'Pixel 8' }) }), p, AT, noLists);
  assert.is(d.access, 'block');
  assert.is(d.facts.overriddenBy, 'Android (DeviceType)');
});

test('rule 8: quarantines unknown devices when the default rule is quarantine', () => {
  const d = decideAccess(ctx(), policy({ defaultAccessLevel: 'quarantine' }), AT, noLists);
  assert.equal([d.access, d.reason, d.rule], ['quarantine', 'notEnrolled', 8]);
});

test('rule 8: blocks unknown devices when the default rule is block or allow', () => {
  assert.is(decideAccess(ctx(), policy({ defaultAccessLevel: 'block' }), AT, noLists).access, 'block');
  assert.is(decideAccess(ctx(), policy({ defaultAccessLevel: 'allow' }), AT, noLists).access, 'block');
});

test("rule 4: another user's enrollment of the same EAS id never unlocks the device", () => {
  const index = new ManagedDeviceIndex([managed('ApplC39GQ9UJDTDM', 'someone.else@contoso.com')]);
  const mapping = index.map('ApplC39GQ9UJDTDM', ['kim.akers@contoso.com']);
  const d = decideAccess(ctx({ mapping }), policy(), AT, noLists);
  assert.equal([d.access, d.reason], ['quarantine', 'notEnrolled']);
  assert.equal(d.facts.conflicts, [{ id: 'md-ApplC39GQ9UJDTDM', user: 'someone.else@contoso.com' }]);
});

test('a mailbox with ActiveSync disabled is blocked and not governed', () => {
  const d = decideAccess(ctx({ activeSyncEnabled: false, mapping: mapped() }), policy(), AT, noLists);
  assert.equal([d.access, d.reason, d.governed, d.rule], ['block', 'activeSyncDisabled', false, 0]);
});

test('platform exceptions become Exchange device access rules named as Exchange names them', () => {
  const rules = rulesOfPolicy(
    policy({
      platformExceptions: [
        { type: 'family', name: 'BlackBerry', access: 'allow' },
        { type: 'model', name: 'Pixel 8', access: 'block' },
      ],
    }),
  );
  assert.equal(rules, [
    { characteristic: 'DeviceType', queryString: 'BlackBerry', accessLevel: 'Allow', name: 'BlackBerry (DeviceType)' },
    { characteristic: 'DeviceModel', queryString: 'Pixel 8', accessLevel: 'Block', name: 'Pixel 8 (DeviceModel)' },
  ]);
});

test('decisions under the same groups share the frozen groups groupsOf gave, and no conflicts is one frozen empty list', () => {
  const p = policy();
  const members = new Map([['g-all', new Set(['kim.akers@contoso.com', 'lee@contoso.com'])]]);
  const kimGroups = groupsOf(['kim.akers@contoso.com'], members, p);
  const leeGroups = groupsOf(['lee@contoso.com'], members, p);
  const a = decideAccess(ctx({ groups: kimGroups, mapping: mapped() }), p, AT, noLists);
  const b = decideAccess(ctx({ groups: leeGroups }), p, AT, noLists);
  assert.ok(Object.isFrozen(kimGroups) && Object.isFrozen(kimGroups.included), 'groupsOf gives frozen results');
  assert.is(a.facts.groups, b.facts.groups, 'one object for every user in the same groups');
  assert.is(a.facts.conflicts, b.facts.conflicts);
  assert.throws(() => (a.facts.conflicts as unknown[]).push({ id: 'x', user: 'y' }), TypeError);
  assert.equal(a.facts.groups, { included: ['g-all'], excluded: [] });
});

test("a caller's own (unfrozen) groups are copied: changing them later leaves the decision as made", () => {
  const groups = { included: ['g-all'], excluded: [] as string[] };
  const d = decideAccess(ctx({ groups }), policy(), AT, noLists);
  groups.included.push('g-later');
  groups.excluded.push('g-excluded');
  assert.equal(d.facts.groups, { included: ['g-all'], excluded: [] });
});

test("a decision's Intune facts are the mapped record's, its optional fields in one order whichever it has (property)", () => {
  const opt = fc.option(fc.constantFrom('kim.akers@contoso.com', 'Kim.Akers@Contoso.com', '9999-12-31T23:59:59Z', ''), { nil: undefined });
  fc.assert(
    fc.property(opt, opt, opt, fc.constantFrom('compliant' as const, 'noncompliant' as const), (upn, email, grace, state) => {
      const m = managed('ApplC39GQ9UJDTDM', 'x', { complianceState: state });
      const record = { ...m, userPrincipalName: upn, emailAddress: email, complianceGracePeriodExpirationDateTime: grace };
      const d = decideAccess(ctx({ mapping: { mapped: record, conflicts: [] } }), policy(), AT, noLists);
      // What the fields added one by one, absent ones left out, give.
      const expected: Record<string, string> = { id: m.id, complianceState: state, managementAgent: 'mdm' };
      if (upn !== undefined) expected.userPrincipalName = upn;
      if (email !== undefined) expected.emailAddress = email;
      if (grace !== undefined) expected.graceDeadline = grace;
      assert.equal(Object.entries(d.facts.intune!), Object.entries(expected));
    }),
    { numRuns: 300 },
  );
});

test.run();
