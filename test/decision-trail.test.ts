import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isRight } from 'fp-ts/lib/Either.js';
import { createEngine } from '../src/engine.js';
import { decodeEvent } from '../src/events.js';
import { emptyDecisionTrail, foldDecisionTrail } from '../projections/decision-trail.js';
import { emptyConnectorStatus, foldConnectorStatus, pendingIntents } from '../projections/connector-status.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { memoryStore } from '../adapters/memory-store/index.js';

const test = suite('projections');
const NOW = Date.parse('2026-11-26T08:00:00Z');

async function syncedLog() {
  const sim = simulateOrganization({ devices: 300, seed: 11, clock: () => NOW });
  const store = memoryStore();
  const engine = createEngine({ organization: sim.organization, exchange: sim.exchange, intune: sim.intune, store, policy: sim.policy, notifier: sim.notifier, scheduler: { now: () => NOW } as never });
  await engine.fullSync();
  return { sim, store, engine };
}

test('the decision trail links each device\'s decision to the command that enforced it and its outcome', async () => {
  const { store, engine } = await syncedLog();
  const trail = emptyDecisionTrail();
  const all = await store.readAll();
  assert.ok(isRight(all));
  if (!isRight(all)) return;
  for (const e of all.right) {
    const d = decodeEvent(e.type, e.data);
    if (isRight(d)) foldDecisionTrail(trail, d.right, e.at, e.position);
  }
  const blocked = engine.devices().find((d) => d.access === 'block' && d.governed)!;
  const entries = trail.byDevice.get(blocked.deviceId.toLowerCase())!;
  assert.equal(entries.map((x) => x.type), ['PartnershipDiscovered', 'AccessDecided', 'CommandIntended', 'CommandSucceeded', ...entries.slice(4).map((x) => x.type)]);
  assert.is(entries[1]!.decision?.access, 'block');
  assert.is(entries[3]!.outcome, 'succeeded');
  assert.is(entries[2]!.commandId, entries[3]!.commandId);
  assert.is(trail.commandDevices.size, 0, 'every intent got its outcome');
});

test('connector status counts pending intents until their outcome arrives', () => {
  const p = emptyConnectorStatus();
  const at = '2026-11-26T08:00:00.000Z';
  foldConnectorStatus(p, 'eas-org-contoso', { type: 'ConnectorRegistered', data: { connectorId: 'c', organization: 'contoso' } }, at);
  foldConnectorStatus(p, 'eas-mailbox-contoso-x', { type: 'CommandIntended', data: { syncId: 's', commandId: 'k', command: { kind: 'setCasMailbox', mailbox: 'x', allowedDeviceIds: { add: ['a'], remove: [] }, blockedDeviceIds: { add: [], remove: [] } } } }, at);
  assert.is(pendingIntents(p), 1);
  assert.is(p.organizations.get('contoso')?.status, 'connectionPending');
  foldConnectorStatus(p, 'eas-mailbox-contoso-x', { type: 'CommandSucceeded', data: { commandId: 'k' } }, at);
  assert.is(pendingIntents(p), 0);
});

test.run();
