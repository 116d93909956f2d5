// Grandfathering: before the engine first makes the org default restrictive,
// not-governed devices that Exchange allows are kept allowed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isRight } from 'fp-ts/lib/Either.js';
import { createEngine } from '../src/engine.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { memoryStore } from '../adapters/memory-store/index.js';

const test = suite('grandfathering');

test("excluded and untargeted users' devices that Exchange allowed stay allowed after the default becomes Quarantine", async () => {
  const sim = simulateOrganization({ devices: 800, seed: 61 });
  const before = sim.evaluateAll();
  const store = memoryStore();
  const engine = createEngine({ organization: sim.organization, exchange: sim.exchange, intune: sim.intune, store, policy: sim.policy });
  const r = await engine.fullSync();
  assert.ok(r.success);
  assert.is(sim.exchange.state().orgSettings.defaultAccessLevel, 'Quarantine');
  const ungoverned = engine.devices().filter((d) => !d.governed && d.reason !== 'activeSyncDisabled');
  assert.ok(ungoverned.length > 20);
  const after = sim.evaluateAll();
  const lockedOut = ungoverned.filter(
    (d) => before.get(d.deviceId.toLowerCase())?.access === 'allow' && after.get(d.deviceId.toLowerCase())?.access !== 'allow',
  );
  assert.equal(lockedOut, []);
  assert.ok(r.grandfathered > 0);
  const all = await store.readAll();
  assert.ok(isRight(all));
  if (!isRight(all)) return;
  assert.is(all.right.filter((e) => e.type === 'DeviceGrandfathered').length, r.grandfathered);
  assert.is(all.right.filter((e) => e.type === 'GrandfatheringApplied').length, 1);
  // Grandfathered entries are the user's, not the engine's: later syncs leave them, and it happens once.
  const again = await engine.fullSync();
  assert.is(again.grandfathered, 0);
  assert.is(again.commands.issued, 0);
});

test('with grandfathering off, the org-wide switch quarantines not-governed devices that relied on the default', async () => {
  const sim = simulateOrganization({ devices: 800, seed: 61 });
  const before = sim.evaluateAll();
  const engine = createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store: memoryStore(),
    policy: sim.policy,
    grandfathering: false,
  });
  const r = await engine.fullSync();
  assert.is(r.grandfathered, 0);
  const after = sim.evaluateAll();
  const lockedOut = engine
    .devices()
    .filter(
      (d) =>
        !d.governed && before.get(d.deviceId.toLowerCase())?.access === 'allow' && after.get(d.deviceId.toLowerCase())?.access !== 'allow',
    );
  assert.ok(lockedOut.length > 0);
  // The engine still reports exactly what Exchange does.
  const mismatches = engine.devices().filter((d) => after.get(d.deviceId.toLowerCase())?.access !== d.access);
  assert.equal(mismatches, []);
});

test.run();
