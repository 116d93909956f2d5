// The connector decider, given/when/then.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { decideConnector, evolveConnector, initialConnectorState, nextSyncId, type ConnectorState } from '../src/connector.js';
import type { DomainEvent } from '../src/events.js';
import { policy } from './support/builders.js';

const test = suite('connector decider');
const given = (events: DomainEvent[]): ConnectorState => events.reduce((s, e) => evolveConnector(s, { ...e, at: '2026-11-26T08:00:00.000Z' } as DomainEvent & { at: string }), initialConnectorState);
const start = (s: ConnectorState, over: { policy?: ReturnType<typeof policy>; connectorId?: string } = {}) => {
  const r = decideConnector({ type: 'StartSync', syncId: nextSyncId(s), kind: 'full', connectorId: over.connectorId ?? 'c1', organization: 'contoso', policy: over.policy ?? policy() }, s);
  if (isLeft(r)) throw new Error(r.left.message);
  return r.right;
};
const settings = { defaultAccessLevel: 'Quarantine' as const, userMailInsert: '', adminMailRecipients: [] };

test('the first sync registers the connector and records the policy as revision 1', () => {
  const events = start(initialConnectorState);
  assert.equal(events.map((e) => e.type), ['ConnectorRegistered', 'PolicyChanged', 'SyncStarted']);
  const s = given(events);
  assert.is(s.status, 'connectionPending');
  assert.is(s.policy?.revision, 1);
  assert.is(s.current?.syncId, 'sync-1');
});

test('an unchanged policy is not recorded again; a changed one gets the next revision', () => {
  const s = given([...start(initialConnectorState), { type: 'SyncCompleted', data: { syncId: 'sync-1', kind: 'full', success: true, devices: 0, commands: { succeeded: 0, failed: 0 }, access: { allow: 0, block: 0, quarantine: 0 }, warnings: 0 } }]);
  assert.equal(start(s).map((e) => e.type), ['SyncStarted']);
  const changed = start(s, { policy: policy({ defaultAccessLevel: 'block' }) });
  assert.equal(changed.map((e) => e.type), ['PolicyChanged', 'SyncStarted']);
  assert.is((changed[0] as Extract<DomainEvent, { type: 'PolicyChanged' }>).data.revision, 2);
});

test('a successful sync makes the connector connected with its last successful time; a failed one disconnected', () => {
  const base = start(initialConnectorState);
  const ok = given([...base, { type: 'SyncCompleted', data: { syncId: 'sync-1', kind: 'full', success: true, devices: 1, commands: { succeeded: 1, failed: 0 }, access: { allow: 1, block: 0, quarantine: 0 }, warnings: 0 } }]);
  assert.is(ok.status, 'connected');
  assert.is(ok.lastSuccessful.full, '2026-11-26T08:00:00.000Z');
  const bad = given([...base, { type: 'SyncFailed', data: { syncId: 'sync-1', kind: 'full', error: { kind: 'exchange.connectionLost', message: 'cas01 does not answer' } } }]);
  assert.is(bad.status, 'disconnected');
  assert.is(bad.lastSuccessful.full, undefined);
  assert.is(bad.lastError?.message, 'cas01 does not answer');
});

test('a sync with failed commands reaches Exchange but does not count as successful', () => {
  const s = given([...start(initialConnectorState), { type: 'SyncCompleted', data: { syncId: 'sync-1', kind: 'full', success: false, devices: 1, commands: { succeeded: 0, failed: 1 }, access: { allow: 1, block: 0, quarantine: 0 }, warnings: 0 } }]);
  assert.is(s.status, 'connected');
  assert.is(s.lastSuccessful.full, undefined);
});

test('a sync interrupted by a crash is closed as failed when the next one starts', () => {
  const s = given(start(initialConnectorState));
  const events = start(s);
  assert.equal(events.map((e) => e.type), ['SyncFailed', 'SyncStarted']);
});

test('org settings that differ from the policy are drift, corrected by one command after the rules', () => {
  const s = given(start(initialConnectorState));
  const p = policy({ platformExceptions: [{ type: 'family', name: 'BlackBerry', access: 'allow' }] });
  const plan = decideConnector({
    type: 'ReconcileOrg', syncId: 'sync-1', policy: p,
    settings: { defaultAccessLevel: 'Allow', userMailInsert: 'old', adminMailRecipients: [] },
    rules: [{ characteristic: 'DeviceOS', queryString: 'iOS 9.3.5 13G36', accessLevel: 'Block', name: 'iOS 9.3.5 13G36 (DeviceOS)' }],
    servers: [{ name: 'CAS01', fqdn: 'cas01.contoso.com', isClientAccessServer: true }],
  }, s);
  assert.equal(plan.events.map((e) => e.type), ['CasServersDiscovered', 'OrgDriftDetected', 'OrgDriftDetected', 'OrgDriftDetected', 'CommandIntended', 'CommandIntended', 'CommandIntended']);
  assert.equal(plan.commands.map((c) => c.command), [
    { kind: 'newDeviceAccessRule', characteristic: 'DeviceType', queryString: 'BlackBerry', accessLevel: 'Allow' },
    { kind: 'removeDeviceAccessRule', name: 'iOS 9.3.5 13G36 (DeviceOS)' },
    { kind: 'setOrgSettings', defaultAccessLevel: 'Quarantine', userMailInsert: '' },
  ]);
});

test('org settings and rules equal to the policy give no event and no command', () => {
  const p = policy({ platformExceptions: [{ type: 'family', name: 'BlackBerry', access: 'allow' }] });
  const s = given(start(initialConnectorState));
  const plan = decideConnector({ type: 'ReconcileOrg', syncId: 'sync-1', policy: p, settings, rules: [{ characteristic: 'DeviceType', queryString: 'blackberry', accessLevel: 'Allow', name: 'blackberry (DeviceType)' }], servers: [] }, s);
  assert.equal(plan.events, []);
  assert.equal(plan.commands, []);
});

test('outcomes are recorded only for pending org intents', () => {
  const s = given([...start(initialConnectorState), { type: 'CommandIntended', data: { syncId: 'sync-1', commandId: 'sync-1/org/0', command: { kind: 'removeDeviceAccessRule', name: 'x (DeviceOS)' } } }]);
  assert.ok(isRight(decideConnector({ type: 'RecordOrgCommandOutcome', commandId: 'sync-1/org/0' }, s)));
  assert.ok(isLeft(decideConnector({ type: 'RecordOrgCommandOutcome', commandId: 'sync-1/org/9' }, s)));
  const done = given([...start(initialConnectorState), { type: 'CommandIntended', data: { syncId: 'sync-1', commandId: 'k', command: { kind: 'removeDeviceAccessRule', name: 'x' } } }, { type: 'CommandSucceeded', data: { commandId: 'k' } }]);
  assert.equal(done.pending, {});
});

test('completing a sync that is not in progress is refused', () => {
  const r = decideConnector({ type: 'CompleteSync', data: { syncId: 'sync-9', kind: 'full', success: true, devices: 0, commands: { succeeded: 0, failed: 0 }, access: { allow: 0, block: 0, quarantine: 0 }, warnings: 0 } }, initialConnectorState);
  assert.ok(isLeft(r));
});

test.run();
