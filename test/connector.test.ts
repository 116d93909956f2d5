// The connector decider, given/when/then: given the organization stream so
// far, when a command, then exactly these events (or this refusal).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connectorDecider, type ConnectorCommand } from '../src/connector.js';
import { DEFAULT_NOTIFICATION, withDefaults, type PolicyDocument } from '../src/policy.js';
import type { DomainEvent } from '../src/events.js';
import { specify, type Given } from './support/decider.js';

const test = suite('connector decider');
const { given, stateOf } = specify(connectorDecider);
const AT = '2026-11-26T08:00:00.000Z';

const DOC: PolicyDocument = {
  enabled: true,
  includedGroups: ['g-all'],
  excludedGroups: ['g-excluded'],
  defaultAccessLevel: 'quarantine',
  platformExceptions: [],
  notification: { ...DEFAULT_NOTIFICATION, adminRecipients: [] },
};
const BLOCKING: PolicyDocument = { ...DOC, defaultAccessLevel: 'block' };
const startSync = (syncId: string, doc: PolicyDocument = DOC): ConnectorCommand => ({
  type: 'StartSync',
  syncId,
  kind: 'full',
  connectorId: 'c1',
  organization: 'contoso',
  policy: withDefaults(doc),
});

// The history of a first sync started (events as the log holds them, with their moment).
const registered: Given = { type: 'ConnectorRegistered', data: { connectorId: 'c1', organization: 'contoso' }, at: AT };
const policy1: Given = { type: 'PolicyChanged', data: { revision: 1, policy: DOC }, at: AT };
const started1: Given = { type: 'SyncStarted', data: { syncId: 'sync-1', kind: 'full' }, at: AT };
const completed = (syncId: string, success: boolean, failed = 0): Given => ({
  type: 'SyncCompleted',
  at: AT,
  data: {
    syncId,
    kind: 'full',
    success,
    devices: 1,
    commands: { succeeded: 1 - failed, failed },
    access: { allow: 1, block: 0, quarantine: 0 },
    warnings: 0,
  },
});

test('the first sync registers the connector and records the policy as revision 1', () => {
  given()
    .when(startSync('sync-1'))
    .then([
      { type: 'ConnectorRegistered', data: { connectorId: 'c1', organization: 'contoso' } },
      { type: 'PolicyChanged', data: { revision: 1, policy: DOC } },
      { type: 'SyncStarted', data: { syncId: 'sync-1', kind: 'full' } },
    ]);
  const s = stateOf([registered, policy1, started1]);
  assert.is(s.status, 'connectionPending');
  assert.is(s.policy?.revision, 1);
  assert.equal(s.current, { syncId: 'sync-1', kind: 'full', startedAt: AT });
});

test('an unchanged policy is not recorded again', () => {
  given(registered, policy1, started1, completed('sync-1', true))
    .when(startSync('sync-2'))
    .then([{ type: 'SyncStarted', data: { syncId: 'sync-2', kind: 'full' } }]);
});

test('a changed policy is recorded with the next revision', () => {
  given(registered, policy1, started1, completed('sync-1', true))
    .when(startSync('sync-2', BLOCKING))
    .then([
      { type: 'PolicyChanged', data: { revision: 2, policy: BLOCKING } },
      { type: 'SyncStarted', data: { syncId: 'sync-2', kind: 'full' } },
    ]);
});

test('a sync interrupted by a crash is closed as failed when the next one starts', () => {
  given(registered, policy1, started1)
    .when(startSync('sync-2'))
    .then([
      {
        type: 'SyncFailed',
        data: {
          syncId: 'sync-1',
          kind: 'full',
          error: { kind: 'interrupted', message: 'sync sync-1 was interrupted before it completed' },
        },
      },
      { type: 'SyncStarted', data: { syncId: 'sync-2', kind: 'full' } },
    ]);
});

test('a successful sync makes the connector connected with its last successful time; a failed one disconnected', () => {
  const ok = stateOf([registered, policy1, started1, completed('sync-1', true)]);
  assert.is(ok.status, 'connected');
  assert.is(ok.lastSuccessful.full, AT);
  assert.is(ok.current, undefined);
  const bad = stateOf([
    registered,
    policy1,
    started1,
    {
      type: 'SyncFailed',
      data: { syncId: 'sync-1', kind: 'full', error: { kind: 'exchange.connectionLost', message: 'cas01 does not answer' } },
      at: AT,
    },
  ]);
  assert.is(bad.status, 'disconnected');
  assert.is(bad.lastSuccessful.full, undefined);
  assert.equal(bad.lastError, { message: 'cas01 does not answer', at: AT });
});

test('a sync with failed commands reaches Exchange but does not count as successful', () => {
  const s = stateOf([registered, policy1, started1, completed('sync-1', false, 1)]);
  assert.is(s.status, 'connected');
  assert.is(s.lastSuccessful.full, undefined);
  assert.equal(s.lastError, { message: 'sync sync-1: 1 command(s) failed', at: AT });
});

test('completing the sync in progress records it', () => {
  const data = {
    syncId: 'sync-1',
    kind: 'full' as const,
    success: true,
    devices: 0,
    commands: { succeeded: 0, failed: 0 },
    access: { allow: 0, block: 0, quarantine: 0 },
    warnings: 0,
    watermark: '2026-11-26T07:00:00Z',
  };
  given(registered, policy1, started1)
    .when({ type: 'CompleteSync', data })
    .then([{ type: 'SyncCompleted', data }]);
});

test('completing or failing a sync that is not in progress is refused', () => {
  const data = {
    syncId: 'sync-9',
    kind: 'full' as const,
    success: true,
    devices: 0,
    commands: { succeeded: 0, failed: 0 },
    access: { allow: 0, block: 0, quarantine: 0 },
    warnings: 0,
  };
  given().when({ type: 'CompleteSync', data }).thenFails({ kind: 'noSync', message: 'sync sync-9 is not in progress' });
  given(registered, policy1, started1)
    .when({ type: 'FailSync', syncId: 'sync-9', kind: 'full', error: { kind: 'x', message: 'y' } })
    .thenFails({ kind: 'noSync', message: 'sync sync-9 is not in progress' });
});

test('failing the sync in progress records the error', () => {
  given(registered, policy1, started1)
    .when({
      type: 'FailSync',
      syncId: 'sync-1',
      kind: 'full',
      error: { kind: 'exchange.connectionLost', message: 'cas01 does not answer' },
    })
    .then([
      {
        type: 'SyncFailed',
        data: { syncId: 'sync-1', kind: 'full', error: { kind: 'exchange.connectionLost', message: 'cas01 does not answer' } },
      },
    ]);
});

test('org settings that differ from the policy are drift, corrected by one command after the rules', () => {
  const doc: PolicyDocument = { ...DOC, platformExceptions: [{ type: 'family', name: 'BlackBerry', access: 'allow' }] };
  const d = given(registered, policy1, started1)
    .when({
      type: 'ReconcileOrg',
      syncId: 'sync-1',
      policy: withDefaults(doc),
      settings: { defaultAccessLevel: 'Allow', userMailInsert: 'old', adminMailRecipients: [] },
      rules: [{ characteristic: 'DeviceOS', queryString: 'iOS 9.3.5 13G36', accessLevel: 'Block', name: 'iOS 9.3.5 13G36 (DeviceOS)' }],
      servers: [
        { name: 'CAS01', fqdn: 'cas01.contoso.com', isClientAccessServer: true },
        { name: 'MBX01', fqdn: 'mbx01.contoso.com', isClientAccessServer: false },
      ],
    })
    .then([
      { type: 'CasServersDiscovered', data: { servers: ['cas01.contoso.com'] } },
      { type: 'OrgDriftDetected', data: { syncId: 'sync-1', field: 'defaultAccessLevel', expected: 'Quarantine', actual: 'Allow' } },
      { type: 'OrgDriftDetected', data: { syncId: 'sync-1', field: 'userMailInsert', expected: '', actual: 'old' } },
      {
        type: 'OrgDriftDetected',
        data: {
          syncId: 'sync-1',
          field: 'deviceAccessRules',
          expected: [{ characteristic: 'DeviceType', queryString: 'BlackBerry', accessLevel: 'Allow' }],
          actual: [{ characteristic: 'DeviceOS', queryString: 'iOS 9.3.5 13G36', accessLevel: 'Block' }],
        },
      },
      {
        type: 'CommandIntended',
        data: {
          syncId: 'sync-1',
          commandId: 'sync-1/org/0',
          command: { kind: 'newDeviceAccessRule', characteristic: 'DeviceType', queryString: 'BlackBerry', accessLevel: 'Allow' },
        },
      },
      {
        type: 'CommandIntended',
        data: {
          syncId: 'sync-1',
          commandId: 'sync-1/org/1',
          command: { kind: 'removeDeviceAccessRule', name: 'iOS 9.3.5 13G36 (DeviceOS)' },
        },
      },
      {
        type: 'CommandIntended',
        data: {
          syncId: 'sync-1',
          commandId: 'sync-1/org/2',
          command: { kind: 'setOrgSettings', defaultAccessLevel: 'Quarantine', userMailInsert: '' },
        },
      },
    ]);
  // The intents to execute are the ones the events record, in order.
  assert.equal(
    d.commands.map((c) => c.commandId),
    ['sync-1/org/0', 'sync-1/org/1', 'sync-1/org/2'],
  );
});

test('org settings and rules equal to the policy (rule names compared case-insensitively) give no event and no command', () => {
  const doc: PolicyDocument = { ...DOC, platformExceptions: [{ type: 'family', name: 'BlackBerry', access: 'allow' }] };
  const d = given(registered, policy1, started1, { type: 'CasServersDiscovered', data: { servers: ['cas01.contoso.com'] } })
    .when({
      type: 'ReconcileOrg',
      syncId: 'sync-1',
      policy: withDefaults(doc),
      settings: { defaultAccessLevel: 'Quarantine', userMailInsert: '', adminMailRecipients: [] },
      rules: [{ characteristic: 'DeviceType', queryString: 'blackberry', accessLevel: 'Allow', name: 'blackberry (DeviceType)' }],
      servers: [{ name: 'CAS01', fqdn: 'CAS01.contoso.com', isClientAccessServer: true }],
    })
    .then([]);
  assert.equal(d.commands, []);
});

const intended: Given = {
  type: 'CommandIntended',
  data: { syncId: 'sync-1', commandId: 'sync-1/org/0', command: { kind: 'removeDeviceAccessRule', name: 'x (DeviceOS)' } },
  at: AT,
};

test('the outcome of a pending org intent is recorded, success or failure, reconciled after a crash or not', () => {
  given(registered, policy1, started1, intended)
    .when({ type: 'RecordOrgCommandOutcome', commandId: 'sync-1/org/0' })
    .then([{ type: 'CommandSucceeded', data: { commandId: 'sync-1/org/0' } }]);
  given(registered, policy1, started1, intended)
    .when({ type: 'RecordOrgCommandOutcome', commandId: 'sync-1/org/0', error: { kind: 'other', message: 'boom' }, reconciled: true })
    .then([{ type: 'CommandFailed', data: { commandId: 'sync-1/org/0', error: { kind: 'other', message: 'boom' }, reconciled: true } }]);
});

test('an outcome for no pending org intent is refused, including one already recorded', () => {
  given(registered, policy1, started1, intended)
    .when({ type: 'RecordOrgCommandOutcome', commandId: 'sync-1/org/9' })
    .thenFails({ kind: 'unknownCommand', message: 'no pending intent sync-1/org/9' });
  const done: Given = { type: 'CommandSucceeded', data: { commandId: 'sync-1/org/0' }, at: AT };
  given(registered, policy1, started1, intended, done)
    .when({ type: 'RecordOrgCommandOutcome', commandId: 'sync-1/org/0' })
    .thenFails({ kind: 'unknownCommand', message: 'no pending intent sync-1/org/0' });
  assert.equal(stateOf([registered, policy1, started1, intended, done]).pending, {});
});

test("Set-CasMailbox intents are the mailboxes' own: the organization does not keep them pending", () => {
  const mailboxIntent: DomainEvent = {
    type: 'CommandIntended',
    data: {
      syncId: 'sync-1',
      commandId: 'sync-1/0',
      command: {
        kind: 'setCasMailbox',
        mailbox: 'x',
        allowedDeviceIds: { add: ['a'], remove: [] },
        blockedDeviceIds: { add: [], remove: [] },
      },
    },
  };
  assert.equal(stateOf([registered, policy1, started1, mailboxIntent]).pending, {});
});

test.run();
