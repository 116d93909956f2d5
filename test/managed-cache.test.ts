import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { keptManaged, ManagedCache } from '../src/sync/managed-cache.js';
import { sharedStringsHeld } from '../src/mailbox/shared-strings.js';
import type { ManagedDevice } from '../src/facts.js';
import { managed } from './support/builders.js';

const test = suite('managed-cache');

const FIELDS = [
  'id',
  'easDeviceId',
  'userPrincipalName',
  'emailAddress',
  'complianceState',
  'managementAgent',
  'lastSyncDateTime',
  'complianceGracePeriodExpirationDateTime',
] as const;
/** Every field of a managed device that the engine reads, an absent one as undefined. */
const fields = (m: ManagedDevice) => FIELDS.map((k) => [k, m[k]]);

test("hands a full sync's list to the planner every field the engine reads as read, in its order, a repeated device included", () => {
  const list = [
    managed('X1', 'kim@contoso.com', { id: 'a' }),
    managed('Y2', 'eve@contoso.com', { id: 'b', model: 'Pixel 8', complianceGracePeriodExpirationDateTime: '9999-12-31T23:59:59Z' }),
    managed('X1', 'kim@contoso.com', { id: 'a' }),
  ];
  const cache = ManagedCache.ofList(list);
  assert.equal([...cache.values()].map(fields), list.map(fields));
  assert.is(cache.size, 3);
});

test('keeps every field of a managed device that the engine reads, whatever it has, and not its name, model or OS (property)', () => {
  const opt = (...xs: string[]) => fc.option(fc.constantFrom(...xs), { nil: undefined });
  const record = fc.record(
    {
      id: fc.uuid(),
      easDeviceId: opt('ApplX1', 'androidc123'),
      userPrincipalName: opt('kim@contoso.com', 'Kim@Contoso.com'),
      emailAddress: opt('kim@contoso.com', 'kim.akers@contoso.com', ''),
      complianceState: fc.constantFrom('compliant' as const, 'noncompliant' as const, 'inGracePeriod' as const),
      managementAgent: fc.constantFrom('mdm', 'eas', 'easMdm'),
      lastSyncDateTime: opt('2026-11-26T07:00:00Z'),
      complianceGracePeriodExpirationDateTime: opt('9999-12-31T23:59:59Z', '2026-12-01T00:00:00Z'),
      deviceName: opt("Kim's iPhone"),
      model: opt('iPhone 15'),
      operatingSystem: opt('iOS', 'Android'),
    },
    { requiredKeys: ['id', 'complianceState', 'managementAgent'] },
  );
  fc.assert(
    fc.property(record, (m) => {
      const kept = keptManaged(m);
      assert.equal(fields(kept), fields(m));
      assert.equal([kept.deviceName, kept.model, kept.operatingSystem], [undefined, undefined, undefined]);
    }),
  );
});

test("puts no device's own grace deadline in the table of shared strings (16,000 at 200,000 devices filled it)", () => {
  // The values worth sharing are in once; then only a device's own deadline is new.
  keptManaged(managed('X0', 'kim@contoso.com'));
  const held = sharedStringsHeld();
  for (let i = 0; i < 100; i++) {
    const deadline = new Date(Date.UTC(2026, 11, 1, 0, 0, i)).toISOString();
    const m = managed(`X${i}`, 'kim@contoso.com', { complianceGracePeriodExpirationDateTime: deadline });
    assert.is(keptManaged(m).complianceGracePeriodExpirationDateTime, deadline);
  }
  assert.is(sharedStringsHeld(), held);
});

test('indexes the list by Intune id when asked, the later record of a repeated device kept, and holds the map from then on', () => {
  const first = managed('X1', 'eve@contoso.com', { id: 'a' });
  const later = managed('X1', 'kim@contoso.com', { id: 'a' });
  const other = managed('Y2', 'eve@contoso.com', { id: 'b' });
  const cache = ManagedCache.ofList([first, other, later]);
  const byId = cache.byId();
  assert.equal([...byId.keys()], ['a', 'b']);
  assert.equal(fields(byId.get('a')!), fields(later));
  assert.is(cache.byId(), byId, 'built once');
  // A quick sync's update is what the cache then holds.
  const changed = managed('Z3', 'ann@contoso.com', { id: 'c' });
  byId.set('c', changed);
  assert.equal([...cache.values()].map(fields), [later, other, changed].map(fields));
  assert.is(cache.size, 3);
});

test('starts empty for a quick sync that reads every managed device', () => {
  const cache = ManagedCache.empty();
  assert.is(cache.size, 0);
  assert.equal([...cache.values()], []);
  cache.byId().set('a', managed('X1', 'kim@contoso.com', { id: 'a' }));
  assert.is(cache.size, 1);
});

test.run();
