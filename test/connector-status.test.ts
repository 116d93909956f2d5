import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { emptyConnectorStatus, foldConnectorStatus, pendingByStream, pendingIntents } from '../projections/connector-status.js';

const test = suite('connector status');
const at = '2026-11-26T08:00:00.000Z';
const setCasMailbox = {
  kind: 'setCasMailbox' as const,
  mailbox: 'x',
  allowedDeviceIds: { add: ['a'], remove: [] },
  blockedDeviceIds: { add: [], remove: [] },
};

test('connector status counts pending intents until their outcome arrives', () => {
  const p = emptyConnectorStatus();
  foldConnectorStatus(p, 'eas-org-contoso', { type: 'ConnectorRegistered', data: { connectorId: 'c', organization: 'contoso' } }, at);
  foldConnectorStatus(
    p,
    'eas-mailbox-contoso-x',
    { type: 'CommandIntended', data: { syncId: 's', commandId: 'k', command: setCasMailbox } },
    at,
  );
  assert.is(pendingIntents(p), 1);
  assert.equal(pendingByStream(p), new Map([['eas-mailbox-contoso-x', ['k']]]));
  assert.is(p.organizations.get('contoso')?.status, 'connectionPending');
  foldConnectorStatus(p, 'eas-mailbox-contoso-x', { type: 'CommandSucceeded', data: { commandId: 'k' } }, at);
  assert.is(pendingIntents(p), 0);
});

test('a mailbox stream keeps only Set-CasMailbox intents pending, as the mailbox decider does', () => {
  const p = emptyConnectorStatus();
  foldConnectorStatus(
    p,
    'eas-mailbox-contoso-x',
    { type: 'CommandIntended', data: { syncId: 's', commandId: 'k', command: { kind: 'removeDeviceAccessRule', name: 'r' } } },
    at,
  );
  assert.is(pendingIntents(p), 0);
});

test.run();
