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
    { access: r.access, reason: r.reason, notified: r.notified, decidedAt: r.decidedAt },
    { access: undefined, reason: undefined, notified: false, decidedAt: undefined },
  );
  // Decided restricted again: a new episode, its user not told yet.
  assert.is(
    record(
      fold([discovered('A1'), decided('A1', 'quarantine'), notified('A1'), removed('A1'), discovered('A1'), decided('A1', 'quarantine')]),
    ).notified,
    false,
  );
});

test('a removed partnership leaves no record; a decision or a notification for it changes nothing', () => {
  const p = fold([discovered('A1'), discovered('B2'), decided('A1', 'quarantine'), removed('A1'), decided('A1', 'allow'), notified('A1')]);
  assert.equal(
    p.streams.get(STREAM)!.devices.map((d) => d.deviceId),
    ['B2'],
  );
});

test('churn: thousands of partnerships discovered and removed leave as many records as are present', () => {
  const events: DomainEvent[] = [];
  for (let i = 0; i < 5000; i++) {
    events.push(discovered(`OLD${i}`), decided(`OLD${i}`, 'quarantine'), removed(`OLD${i}`));
    if (i % 1000 === 0) events.push(discovered(`KEPT${i}`));
  }
  const m = fold(events).streams.get(STREAM)!;
  assert.equal(
    m.devices.map((d) => d.deviceId),
    ['KEPT0', 'KEPT1000', 'KEPT2000', 'KEPT3000', 'KEPT4000'],
  );
  // The id index (built past a few partnerships) follows the removals.
  assert.ok(m.index === undefined || m.index.size === m.devices.length);
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
