// The mailbox records the fold builds field by field (src/mailbox/evolve.ts,
// deviceRecord; docs/architecture.md, "Allocation in the hot paths"): each must
// be exactly the record the spread it replaces gave — the same keys, the same
// values, in the same order (a snapshot writes them as JSON).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  deviceRecord,
  evolveMailbox,
  initialMailboxState,
  mailboxInfo,
  type DeviceState,
  type MailboxInfo,
  type PartnershipFields,
} from '../src/mailbox/evolve.js';
import { event } from '../src/events.js';

const test = suite('mailbox evolve');

const text = fc.string({ maxLength: 12 });
const partnership: fc.Arbitrary<PartnershipFields> = fc
  .record(
    {
      deviceId: text,
      identity: text,
      deviceType: text,
      deviceModel: text,
      deviceOS: text,
      deviceUserAgent: text,
      friendlyName: text,
      firstSyncTime: text,
      distinguishedName: text,
    },
    { requiredKeys: ['deviceId', 'identity', 'deviceType', 'deviceModel'] },
  )
  // A reported partnership carries its fields in this order (reconcile's partnershipOf, the log's data).
  .map((p) => {
    const keys = [
      'deviceId',
      'identity',
      'deviceType',
      'deviceModel',
      'deviceOS',
      'deviceUserAgent',
      'friendlyName',
      'firstSyncTime',
      'distinguishedName',
    ] as const;
    const out: Record<string, string> = {};
    for (const k of keys) if (p[k] !== undefined) out[k] = p[k]!;
    return out as unknown as PartnershipFields;
  });
const decision = fc.option(
  fc.record({
    syncId: text,
    access: fc.constantFrom('allow' as const, 'block' as const, 'quarantine' as const),
    reason: fc.constant('compliant' as const),
    governed: fc.boolean(),
    policyRevision: fc.nat(5),
    facts: fc.constant({ groups: { included: [], excluded: [] }, intune: null, conflicts: [] }),
    at: text,
  }),
  { nil: undefined },
);
const known = fc.record({
  decision,
  owned: fc.option(fc.constantFrom('allowed' as const, 'blocked' as const), { nil: undefined }),
  notified: fc.boolean(),
  grandfathered: fc.option(fc.boolean(), { nil: undefined }),
  override: fc.option(fc.record({ overrideId: text, access: fc.constant('allow' as const), until: text, reason: text, by: text }), {
    nil: undefined,
  }),
  wipe: fc.option(
    fc.record({ wipeId: text, accountOnly: fc.boolean(), by: text, stage: fc.constant('requested' as const), requestedAt: text }),
    {
      nil: undefined,
    },
  ),
});

/** The record as the spread made it. */
type Known = typeof known extends fc.Arbitrary<infer T> ? T : never;
const spread = (p: PartnershipFields, k: Known): DeviceState =>
  ({
    ...p,
    decision: k.decision,
    owned: k.owned,
    notified: k.notified,
    ...(k.grandfathered ? { grandfathered: true } : {}),
    ...(k.override ? { override: k.override } : {}),
    ...(k.wipe ? { wipe: k.wipe } : {}),
  }) as DeviceState;

const keysAndValues = (o: object) => Object.entries(o);

test('a device record built field by field is the spread it replaces: same keys, values and order', () => {
  fc.assert(
    fc.property(partnership, known, (p, k) => {
      const built = deviceRecord(p, k as Parameters<typeof deviceRecord>[1], true);
      assert.equal(keysAndValues(built), keysAndValues(spread(p, k)));
      assert.is(JSON.stringify(built), JSON.stringify(spread(p, k)));
    }),
    { numRuns: 500 },
  );
});

test("a mailbox record is the event's fields without its lists, in their order, whichever optional fields it has (property)", () => {
  const info = fc
    .record(
      {
        identity: text,
        primarySmtpAddress: text,
        addresses: fc.array(text, { maxLength: 3 }),
        activeSyncEnabled: fc.boolean(),
        displayName: text,
        distinguishedName: text,
        userPrincipalName: text,
        guid: text,
      },
      { requiredKeys: ['identity', 'primarySmtpAddress', 'addresses', 'activeSyncEnabled'] },
    )
    // In the order the event carries them (reconcile's infoOf), the lists last.
    .map((r) => {
      const keys = [
        'identity',
        'primarySmtpAddress',
        'addresses',
        'activeSyncEnabled',
        'displayName',
        'distinguishedName',
        'userPrincipalName',
        'guid',
      ] as const;
      const out: Record<string, unknown> = {};
      for (const k of keys) if (r[k] !== undefined) out[k] = r[k];
      return out as unknown as MailboxInfo;
    });
  fc.assert(
    fc.property(info, (i) => {
      const data = { ...i, allowedDeviceIds: ['A1'], blockedDeviceIds: [] };
      const { allowedDeviceIds: _a, blockedDeviceIds: _b, ...rest } = data;
      assert.equal(keysAndValues(mailboxInfo(data)), keysAndValues(rest));
      const s = evolveMailbox(initialMailboxState, event('MailboxDiscovered', data));
      assert.is(JSON.stringify(s.info), JSON.stringify(rest));
      const u = evolveMailbox(s, event('MailboxUpdated', i));
      assert.is(JSON.stringify(u.info), JSON.stringify(i));
    }),
    { numRuns: 500 },
  );
});

test('a first MailboxDiscovered gives the record the spread gave, its fields after the empty ones', () => {
  const data = {
    identity: 'contoso.com/Users/Kim Akers',
    primarySmtpAddress: 'kim.akers@contoso.com',
    addresses: ['kim.akers@contoso.com'],
    activeSyncEnabled: true,
    displayName: 'Kim Akers',
    allowedDeviceIds: ['A1'],
    blockedDeviceIds: [],
  };
  const s = evolveMailbox(initialMailboxState, event('MailboxDiscovered', data));
  const { allowedDeviceIds, blockedDeviceIds, ...info } = data;
  const before = { ...initialMailboxState, info, lists: { allowedDeviceIds, blockedDeviceIds } };
  assert.equal(keysAndValues(s), keysAndValues(before));
  assert.is(JSON.stringify(s), JSON.stringify(before));
});

test('a rediscovered partnership keeps what is known of the device and takes the reported fields', () => {
  const first = evolveMailbox(
    initialMailboxState,
    event('PartnershipDiscovered', { deviceId: 'A1', identity: 'i', deviceType: 'iPhone', deviceModel: 'm1' }),
  );
  const granted = evolveMailbox(
    first,
    event('OverrideGranted', {
      overrideId: 'o1',
      deviceId: 'A1',
      access: 'allow',
      until: '2027-01-01T00:00:00Z',
      reason: 'ceo',
      by: 'admin',
      from: 'console',
    }),
  );
  const again = evolveMailbox(
    granted,
    event('PartnershipUpdated', { deviceId: 'A1', identity: 'i', deviceType: 'iPhone', deviceModel: 'm2', deviceOS: 'iOS 18' }),
  );
  const d = again.devices['a1']!;
  assert.is(d.deviceModel, 'm2');
  assert.is(d.deviceOS, 'iOS 18');
  assert.is(d.override?.overrideId, 'o1');
  assert.is(d.notified, false);
  assert.ok('decision' in d && d.decision === undefined);
});

test.run();
