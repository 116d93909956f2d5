import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManagedDeviceIndex } from '../src/mapping.js';
import { managed } from './support/builders.js';

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

test.run();
