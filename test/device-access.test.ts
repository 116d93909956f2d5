// The device-access projection (what replay prints per device): the mailbox
// rules on its own records. Its agreement with the decider over generated
// histories is in mailbox-folds.test.ts; these are the cases by name.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { emptyDeviceAccess, foldDeviceAccess, pendingMailboxIntents, type DeviceAccessProjection } from '../projections/device-access.js';
import type { DomainEvent } from '../src/events.js';

const test = suite('device access');
const STREAM = 'eas-mailbox-contoso-contoso.com/Users/Kim Akers';
const AT = '2026-11-26T08:00:00.000Z';
const fold = (events: DomainEvent[], p: DeviceAccessProjection = emptyDeviceAccess(), stream = STREAM) => {
  for (const e of events) foldDeviceAccess(p, stream, e, AT);
  return p;
};
const discovered = (deviceId: string): DomainEvent => ({
  type: 'PartnershipDiscovered',
  data: { deviceId, identity: `x/${deviceId}`, deviceType: 'iPhone', deviceModel: 'iPhone15C2' },
});
const decided = (deviceId: string, access: 'allow' | 'block' | 'quarantine'): DomainEvent => ({
  type: 'AccessDecided',
  data: {
    syncId: 'sync-1',
    deviceId,
    access,
    reason: access === 'allow' ? 'compliant' : 'notEnrolled',
    governed: true,
    policyRevision: 1,
    facts: { groups: { included: ['g'], excluded: [] }, intune: null, conflicts: [] },
  },
});
const notified = (deviceId: string): DomainEvent => ({
  type: 'NotificationSent',
  data: { deviceId, to: 'kim@contoso.com', reason: 'notEnrolled' },
});
const removed = (deviceId: string): DomainEvent => ({ type: 'PartnershipRemoved', data: { deviceId } });
const intended = (commandId: string, kind: 'setCasMailbox' | 'removeDeviceAccessRule' = 'setCasMailbox'): DomainEvent => ({
  type: 'CommandIntended',
  data: {
    syncId: 'sync-1',
    commandId,
    command:
      kind === 'setCasMailbox'
        ? { kind, mailbox: 'x', allowedDeviceIds: { add: ['A'], remove: [] }, blockedDeviceIds: { add: [], remove: [] } }
        : { kind, name: 'r' },
  },
});
const record = (p: DeviceAccessProjection) => p.streams.get(STREAM)!.devices[0]!;

test('a partnership removed and discovered again starts afresh: no decision, not notified', () => {
  const r = record(fold([discovered('A1'), decided('A1', 'quarantine'), notified('A1'), removed('A1'), discovered('A1')]));
  assert.equal(
    { removed: r.removed, access: r.access, reason: r.reason, notified: r.notified, decidedAt: r.decidedAt },
    { removed: false, access: undefined, reason: undefined, notified: false, decidedAt: undefined },
  );
  // Decided restricted again: a new episode, its user not told yet.
  assert.is(
    record(
      fold([discovered('A1'), decided('A1', 'quarantine'), notified('A1'), removed('A1'), discovered('A1'), decided('A1', 'quarantine')]),
    ).notified,
    false,
  );
});

test('a decision or a notification for a removed partnership changes nothing', () => {
  const r = record(fold([discovered('A1'), decided('A1', 'quarantine'), removed('A1'), decided('A1', 'allow'), notified('A1')]));
  assert.equal({ removed: r.removed, access: r.access, notified: r.notified }, { removed: true, access: 'quarantine', notified: false });
});

test("a partnership's DeviceId is spelled as its latest event spells it", () => {
  assert.is(record(fold([discovered('appla1'), discovered('APPLA1')])).deviceId, 'APPLA1');
});

test('only Set-CasMailbox intents pend on a mailbox, one per command id, until their outcome', () => {
  const p = fold([intended('sync-1/0'), intended('sync-1/0'), intended('sync-1/org/0', 'removeDeviceAccessRule')]);
  assert.equal(p.streams.get(STREAM)!.pending, ['sync-1/0']);
  fold([{ type: 'CommandFailed', data: { commandId: 'sync-1/0', error: { kind: 'other', message: 'boom' } } }], p);
  assert.is(pendingMailboxIntents(p), 0);
});

test('each projection keeps its own state: organization names are not shared between folds', () => {
  const a = fold([discovered('A1')], emptyDeviceAccess(), 'eas-mailbox-fabrikam-x');
  const b = fold([discovered('A1')]);
  assert.equal([...a.organizations.keys()], ['fabrikam']);
  assert.equal([...b.organizations.keys()], ['contoso']);
  assert.is(record(b).organization, 'contoso');
});

test.run();
