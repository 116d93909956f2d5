// Connector status in Intune's terms: the projection mapped onto Graph's
// deviceManagementExchangeConnector resource.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isRight } from 'fp-ts/lib/Either.js';
import { evolveConnector, initialConnectorState, type ConnectorState } from '../src/connector.js';
import { event, type DomainEvent } from '../src/events.js';
import { toExchangeConnectorResource, toExchangeConnectorCollection, GRAPH_UNSET_DATE } from '../projections/intune-status.js';
import { emptyConnectorStatus, foldConnectorStatus } from '../projections/connector-status.js';
import { createEngine } from '../src/engine.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { memoryStore } from '../adapters/memory-store/index.js';

const test = suite('intune status');
const INFO = { version: '0.1.0', exchangeOrganization: 'contoso' };

const fold = (events: ReadonlyArray<[DomainEvent, string]>): ConnectorState =>
  events.reduce((s, [e, at]) => evolveConnector(s, { ...e, at }), initialConnectorState);

const completed = (syncId: string, kind: 'full' | 'quick', success = true) =>
  event('SyncCompleted', {
    syncId,
    kind,
    success,
    devices: 10,
    commands: { succeeded: 1, failed: success ? 0 : 1 },
    access: { allow: 5, block: 3, quarantine: 2 },
    warnings: 0,
  });

test('never registered: status none, the unset date, no server', () => {
  const r = toExchangeConnectorResource(initialConnectorState, INFO);
  assert.equal(r, {
    id: '',
    status: 'none',
    lastSyncDateTime: GRAPH_UNSET_DATE,
    serverName: null,
    version: '0.1.0',
    exchangeOrganization: 'contoso',
    connectorServerName: null,
    exchangeConnectorType: 'onPremises',
    primarySmtpAddress: null,
    exchangeAlias: null,
  });
});

test('the lifecycle: connectionPending, connected, disconnected; lastSyncDateTime is the last successful sync of either kind', () => {
  const registered: Array<[DomainEvent, string]> = [
    [event('ConnectorRegistered', { connectorId: 'contoso-connector', organization: 'contoso' }), '2026-11-26T07:59:00Z'],
  ];
  let s = fold(registered);
  let r = toExchangeConnectorResource(s, INFO);
  assert.is(r.status, 'connectionPending');
  assert.is(r.id, 'contoso-connector');
  assert.is(r.lastSyncDateTime, GRAPH_UNSET_DATE);

  const full: Array<[DomainEvent, string]> = [
    ...registered,
    [event('SyncStarted', { syncId: 's1', kind: 'full' }), '2026-11-26T08:00:00Z'],
    [event('CasServersDiscovered', { servers: ['cas01.contoso.com', 'cas02.contoso.com'] }), '2026-11-26T08:00:01Z'],
    [completed('s1', 'full'), '2026-11-26T08:02:00Z'],
  ];
  s = fold(full);
  r = toExchangeConnectorResource(s, INFO);
  assert.is(r.status, 'connected');
  assert.is(r.lastSyncDateTime, '2026-11-26T08:02:00.000Z');
  assert.is(r.serverName, 'cas01.contoso.com');

  const quick: Array<[DomainEvent, string]> = [
    ...full,
    [event('SyncStarted', { syncId: 's2', kind: 'quick' }), '2026-11-26T08:15:00Z'],
    [completed('s2', 'quick'), '2026-11-26T08:15:20Z'],
  ];
  r = toExchangeConnectorResource(fold(quick), {
    ...INFO,
    serverName: 'cas02.contoso.com',
    connectorServerName: 'eas-sync01.contoso.com',
    id: '8f3c…',
  });
  assert.is(r.lastSyncDateTime, '2026-11-26T08:15:20.000Z');
  assert.is(r.serverName, 'cas02.contoso.com');
  assert.is(r.connectorServerName, 'eas-sync01.contoso.com');
  assert.is(r.id, '8f3c…');

  // A failed full sync: disconnected, and the last successful sync does not move.
  const failed: Array<[DomainEvent, string]> = [
    ...quick,
    [event('SyncStarted', { syncId: 's3', kind: 'full' }), '2026-11-27T02:00:00Z'],
    [
      event('SyncFailed', { syncId: 's3', kind: 'full', error: { kind: 'exchange.connectionLost', message: 'cas01 does not answer' } }),
      '2026-11-27T02:00:30Z',
    ],
  ];
  r = toExchangeConnectorResource(fold(failed), INFO);
  assert.is(r.status, 'disconnected');
  assert.is(r.lastSyncDateTime, '2026-11-26T08:15:20.000Z');

  // A completed sync with failed commands is connected (Exchange was reached) but not a successful sync.
  const partial: Array<[DomainEvent, string]> = [
    ...failed,
    [event('SyncStarted', { syncId: 's4', kind: 'full' }), '2026-11-27T03:00:00Z'],
    [completed('s4', 'full', false), '2026-11-27T03:01:00Z'],
  ];
  r = toExchangeConnectorResource(fold(partial), INFO);
  assert.is(r.status, 'connected');
  assert.is(r.lastSyncDateTime, '2026-11-26T08:15:20.000Z');
});

test("from a real log: the engine's full sync over the simulator, folded by the connector status projection", async () => {
  const NOW = Date.parse('2026-11-26T08:00:00Z');
  const sim = simulateOrganization({ devices: 100, seed: 2, clock: () => NOW });
  const store = memoryStore();
  const engine = createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store,
    policy: sim.policy,
    scheduler: {
      now: () => NOW,
      schedule: () => {
        throw new Error('unused');
      },
    },
  });
  const report = await engine.fullSync();
  assert.ok(report.success);
  const all = await store.readAll();
  if (!isRight(all)) throw new Error('read');
  const p = emptyConnectorStatus();
  for (const e of all.right) foldConnectorStatus(p, e.stream, { type: e.type, data: e.data } as DomainEvent, e.at);
  const collection = toExchangeConnectorCollection(p, () => ({ version: '0.1.0', connectorServerName: 'eas01' }));
  assert.is(collection.value.length, 1);
  const r = collection.value[0]!;
  assert.is(r.status, 'connected');
  assert.is(r.exchangeOrganization, 'contoso');
  assert.is(r.id, 'contoso-connector');
  assert.is(r.lastSyncDateTime, new Date(NOW).toISOString());
  const servers = await sim.exchange.getExchangeServers();
  assert.ok(isRight(servers) && r.serverName !== null && servers.right.some((s) => s.fqdn === r.serverName), String(r.serverName));
  assert.is(r.exchangeConnectorType, 'onPremises');
  // the same field names and enum spellings as Graph's JSON
  assert.equal(Object.keys(r).sort(), [
    'connectorServerName',
    'exchangeAlias',
    'exchangeConnectorType',
    'exchangeOrganization',
    'id',
    'lastSyncDateTime',
    'primarySmtpAddress',
    'serverName',
    'status',
    'version',
  ]);
});

test.run();
