// The engine over the PowerShell gateway (fake pwsh processes serving the
// simulated organization): a full sync leaves Exchange agreeing with every
// decision, a second one issues nothing, and when the CAS in use stops answering
// mid-sync the engine's failover switches the gateway to the other CAS, records
// it, and comes back to the primary once it answers.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createEngine } from '../src/engine.js';
import { memoryStore } from '../adapters/memory-store/index.js';
import { DEFAULT_NOW } from '../adapters/simulator/index.js';
import { alive, fakeSetup } from './support/fake-pwsh-harness.js';
import { fixedClockScheduler } from './support/scheduler.js';

const test = suite('engine over the PowerShell gateway');

const scheduler = fixedClockScheduler(DEFAULT_NOW);

test('full sync, idle second sync, failover mid-sync and back, without leaking a session', async () => {
  const s = await fakeSetup({ devices: 150, seed: 5, gateway: { parallelism: 3 } });
  let commands = 0;
  let downAfter = -1;
  const engine = createEngine({
    organization: s.sim.organization,
    exchange: s.gateway,
    intune: s.sim.intune,
    store: memoryStore(),
    policy: s.sim.policy,
    notifier: s.sim.notifier,
    parallelism: 3,
    scheduler: scheduler,
    onStep: (step) => {
      if (step === 'afterCommand' && ++commands === downAfter) s.fake.down.add('cas01.contoso.com');
    },
  });
  const agrees = () => {
    const ex = s.sim.evaluateAll();
    return engine.devices().filter((d) => ex.get(d.deviceId.toLowerCase())?.access !== d.access).length;
  };
  try {
    const first = await engine.fullSync();
    assert.ok(first.success, JSON.stringify(first.errors.slice(0, 3)));
    assert.is(first.devices, 150);
    assert.ok(first.commands.issued > 0 && first.commands.succeeded === first.commands.issued);
    assert.is(agrees(), 0, 'Exchange agrees with every decision');
    assert.is(s.sim.exchange.state().orgSettings.defaultAccessLevel, 'Quarantine');

    const second = await engine.fullSync();
    assert.ok(second.success);
    assert.is(second.commands.issued, 0);

    for (const m of s.sim.exchange.state().mailboxes.slice(0, 40)) s.sim.exchange.setMailboxLists(m.identity, { allowed: [], blocked: [] });
    commands = 0;
    downAfter = 5;
    const third = await engine.fullSync();
    assert.ok(third.success, JSON.stringify(third.errors.slice(0, 3)));
    assert.equal(
      third.casSwitches.map((x) => [x.from, x.to]),
      [['cas01.contoso.com', 'cas02.contoso.com']],
    );
    assert.is(engine.status().cas, 'cas02.contoso.com');
    assert.is(agrees(), 0);

    s.fake.down.clear();
    downAfter = -1;
    const fourth = await engine.fullSync();
    assert.ok(fourth.success);
    assert.equal(
      fourth.casSwitches.map((x) => x.to),
      ['cas01.contoso.com'],
    );
    assert.is(s.gateway.currentServer(), 'cas01.contoso.com');
    assert.equal(s.fake.violations, []);
    assert.ok(s.fake.sessions.maxOpen <= 16);
  } finally {
    await engine.stop();
    await s.close();
  }
  assert.is(s.gateway.stats().processes, 0);
  for (const sp of s.spawned) assert.not.ok(alive(sp.child.pid));
  assert.is(s.fake.sessions.open, 0);
});

test.run();
