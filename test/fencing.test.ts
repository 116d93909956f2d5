// One connector per organization; several organizations per store.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isRight } from 'fp-ts/lib/Either.js';
import { createEngine } from '../src/engine.js';
import { replay } from '../projections/replay.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { memoryStore } from '../adapters/memory-store/index.js';

const test = suite('fencing');

test('registering a second connector for an organization replaces the first, which is fenced out on its next append and stops', async () => {
  const sim = simulateOrganization({ devices: 300, seed: 51 });
  const store = memoryStore();
  const make = (connectorId: string) =>
    createEngine({ organization: sim.organization, exchange: sim.exchange, intune: sim.intune, store, policy: sim.policy, connectorId });
  const first = make('host-a');
  assert.ok((await first.fullSync()).success);
  const second = make('host-b');
  const r2 = await second.fullSync();
  assert.ok(r2.success);
  const all = await store.readAll();
  assert.ok(isRight(all));
  if (isRight(all))
    assert.equal(
      all.right.filter((e) => e.type === 'ConnectorRegistered').map((e) => (e.data as { connectorId: string }).connectorId),
      ['host-a', 'host-b'],
    );
  const fenced = await first.fullSync();
  assert.not.ok(fenced.success);
  assert.is(fenced.errors[0]!.kind, 'store.conflict');
  assert.match(fenced.errors[0]!.message, /eas-org-contoso/);
  assert.match(fenced.errors[0]!.message, /another connector has taken over/);
  assert.ok(first.status().fenced);
  assert.is(first.status().status, 'disconnected');
  // It stays stopped: no further sync runs, and nothing more is written by it.
  const before = isRight(all) ? ((await store.readAll()) as { right: unknown[] }).right.length : 0;
  const again = await first.quickSync();
  assert.is(again.errors[0]!.kind, 'fenced');
  assert.is(((await store.readAll()) as { right: unknown[] }).right.length, before);
  // The new connector carries on.
  assert.ok((await second.fullSync()).success);
});

test('two organizations share one store independently', async () => {
  const store = memoryStore();
  const contoso = simulateOrganization({ devices: 300, seed: 52, organization: 'contoso' });
  const fabrikam = simulateOrganization({ devices: 200, seed: 53, organization: 'fabrikam' });
  const e1 = createEngine({ organization: 'contoso', exchange: contoso.exchange, intune: contoso.intune, store, policy: contoso.policy });
  const e2 = createEngine({
    organization: 'fabrikam',
    exchange: fabrikam.exchange,
    intune: fabrikam.intune,
    store,
    policy: fabrikam.policy,
  });
  const [r1, r2] = await Promise.all([e1.fullSync(), e2.fullSync()]);
  assert.ok(r1.success && r2.success);
  assert.is(r1.devices, 300);
  assert.is(r2.devices, 200);
  // Each keeps working after the other wrote.
  assert.ok((await e1.fullSync()).success);
  assert.ok((await e2.quickSync()).success);
  const all = await store.readAll();
  assert.ok(isRight(all));
  if (!isRight(all)) return;
  const r = replay(all.right);
  assert.equal(r.organizations.map((o) => o.organization).sort(), ['contoso', 'fabrikam']);
  assert.is(r.devices, 500);
});

test.run();
