import { suite } from 'uvu';
import fc from 'fast-check';
import * as assert from 'uvu/assert';
import { ManagedDeviceIndex } from '../src/mapping.js';
import { managed } from './support/builders.js';
import type { ManagedDevice } from '../src/facts.js';

const test = suite('mapping');

test("maps by EAS id case-insensitively and by the user's UPN or email address", () => {
  const index = new ManagedDeviceIndex([managed('ApplC39GQ9UJDTDM', 'K.Akers@corp.contoso.com', { emailAddress: undefined })]);
  assert.is(index.map('applc39gq9ujdtdm', ['kim.akers@contoso.com', 'k.akers@corp.contoso.com']).mapped?.id, 'md-ApplC39GQ9UJDTDM');
  const byMail = new ManagedDeviceIndex([managed('X1', 'upn@corp.contoso.com', { emailAddress: 'Kim.Akers@contoso.com' })]);
  assert.ok(byMail.map('x1', ['kim.akers@contoso.com']).mapped);
});

test('a managed device of another user is a conflict, not a match', () => {
  const m = new ManagedDeviceIndex([managed('X1', 'eve@contoso.com')]).map('X1', ['kim.akers@contoso.com']);
  assert.is(m.mapped, undefined);
  assert.equal(
    m.conflicts.map((d) => d.userPrincipalName),
    ['eve@contoso.com'],
  );
});

test("Exchange's own eas-agent records never count as an enrollment, in any letter case; easMdm ones do", () => {
  for (const agent of ['eas', 'EAS', 'Eas']) {
    const m = new ManagedDeviceIndex([managed('X1', 'kim.akers@contoso.com', { managementAgent: agent })]).map('X1', [
      'kim.akers@contoso.com',
    ]);
    assert.is(m.mapped, undefined, agent);
    assert.equal(m.conflicts, []);
  }
  const both = new ManagedDeviceIndex([managed('X1', 'kim.akers@contoso.com', { managementAgent: 'easMdm' })]).map('X1', [
    'kim.akers@contoso.com',
  ]);
  assert.is(both.mapped?.managementAgent, 'easMdm');
});

test("an id carried by the user's device and another user's maps to the first and reports the second", () => {
  const m = new ManagedDeviceIndex([
    managed('X1', 'eve@contoso.com', { id: 'eve' }),
    managed('x1', 'kim.akers@contoso.com', { id: 'kim' }),
  ]).map('X1', ['kim.akers@contoso.com']);
  assert.is(m.mapped?.id, 'kim');
  assert.equal(
    m.conflicts.map((d) => d.id),
    ['eve'],
  );
});

test('among several matches the most recently synced wins', () => {
  const m = new ManagedDeviceIndex([
    managed('X1', 'kim.akers@contoso.com', { id: 'old', lastSyncDateTime: '2026-11-01T00:00:00Z', complianceState: 'noncompliant' }),
    managed('X1', 'kim.akers@contoso.com', { id: 'new', lastSyncDateTime: '2026-11-25T00:00:00Z' }),
    managed('X1', 'kim.akers@contoso.com', { id: 'never', lastSyncDateTime: undefined }),
  ]).map('X1', ['kim.akers@contoso.com']);
  assert.is(m.mapped?.id, 'new');
});

test("a device listed twice is one device: its later record counts, in the earlier's place", () => {
  // Listed first for another user, then (read again) for Kim: only the later record is held.
  const single = new ManagedDeviceIndex([
    managed('X1', 'eve@contoso.com', { id: 'same' }),
    managed('X1', 'kim.akers@contoso.com', { id: 'same' }),
  ]).map('X1', ['kim.akers@contoso.com']);
  assert.is(single.mapped?.userPrincipalName, 'kim.akers@contoso.com');
  assert.equal(single.conflicts, []);
  // Among devices that share an EAS id: replaced where it stood, the others kept in order.
  const shared = new ManagedDeviceIndex([
    managed('X1', 'eve@contoso.com', { id: 'a' }),
    managed('X1', 'ann@contoso.com', { id: 'b' }),
    managed('X1', 'kim.akers@contoso.com', { id: 'a', complianceState: 'noncompliant' }),
  ]).map('X1', ['bob@contoso.com']);
  assert.equal(
    shared.conflicts.map((d) => [d.id, d.userPrincipalName]),
    [
      ['a', 'kim.akers@contoso.com'],
      ['b', 'ann@contoso.com'],
    ],
  );
});

test('a device listed twice under two EAS ids (changed between two pages of one read) is matched under each', () => {
  // A full sync indexes its list as read (no map by Intune id: sync/managed-cache.ts); a quick sync's map keeps the later.
  const index = new ManagedDeviceIndex([managed('X1', 'kim@contoso.com', { id: 'a' }), managed('Y2', 'kim@contoso.com', { id: 'a' })]);
  assert.is(index.map('X1', ['kim@contoso.com']).mapped?.easDeviceId, 'X1');
  assert.is(index.map('Y2', ['kim@contoso.com']).mapped?.easDeviceId, 'Y2');
});

test('maps a list with repeated devices as it maps the same list kept by Intune id (the later record)', () => {
  // Each Intune id keeps its EAS id and agent (a record read twice); users and instants vary between reads.
  const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
  const easOf: Record<string, string> = { a: 'X1', b: 'x1', c: 'X1', d: 'Y2', e: 'y2', f: 'X1' };
  const agentOf: Record<string, string> = { a: 'mdm', b: 'easMdm', c: 'mdm', d: 'mdm', e: 'mdm', f: 'eas' };
  const users = ['kim.akers@contoso.com', 'eve@contoso.com', 'KIM.AKERS@contoso.com'];
  const record = fc.record({
    id: fc.constantFrom(...ids),
    user: fc.constantFrom(...users),
    day: fc.option(fc.integer({ min: 1, max: 28 }), { nil: undefined }),
  });
  fc.assert(
    fc.property(fc.array(record, { maxLength: 12 }), (rs) => {
      const list: ManagedDevice[] = rs.map((r) =>
        managed(easOf[r.id]!, r.user, {
          id: r.id,
          managementAgent: agentOf[r.id]!,
          lastSyncDateTime: r.day === undefined ? undefined : `2026-11-${String(r.day).padStart(2, '0')}T00:00:00Z`,
        }),
      );
      const byId = new Map<string, ManagedDevice>();
      for (const d of list) byId.set(d.id, d);
      const fromList = new ManagedDeviceIndex(list);
      const fromMap = new ManagedDeviceIndex(byId.values());
      for (const eas of ['x1', 'Y2', 'z3'])
        for (const who of [['kim.akers@contoso.com'], ['eve@contoso.com'], []]) assert.equal(fromList.map(eas, who), fromMap.map(eas, who));
    }),
    { numRuns: 500 },
  );
});

test.run();
