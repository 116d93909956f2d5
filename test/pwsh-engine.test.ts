// The engine over the PowerShell gateway in real pwsh against the Exchange
// stand-in: a full sync leaves Exchange agreeing with every decision, a second
// issues nothing, Exchange's user load quota is waited out for the time it
// names, and when the CAS in use stops answering mid-sync the engine's failover
// moves to the other CAS and back; no credential reaches an event; no process
// or remote session is left behind.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createEngine } from '../src/engine.js';
import { memoryStore } from '../adapters/memory-store/index.js';
import { DEFAULT_NOW, simulateOrganization } from '../adapters/simulator/index.js';
import { isRight } from 'fp-ts/lib/Either.js';
import { alive, TEST_PASSWORD, TEST_USER } from './support/fake-pwsh-harness.js';
import { realPwshTests, realSetup, running } from './support/real-pwsh.js';
import { fixedClockScheduler } from './support/scheduler.js';

const real = realPwshTests('pwsh-engine');

const scheduler = fixedClockScheduler(DEFAULT_NOW);

if (real.available) {
  const t = suite('engine over real pwsh');

  t('full sync, idle second sync, a throttled command waits its named time, failover mid-sync and back, no leak', async () => {
    const s = await realSetup({ devices: 120, seed: 5, gateway: { parallelism: 3 } });
    const store = memoryStore();
    let commands = 0;
    let downAfter = -1;
    const engine = createEngine({
      organization: s.sim.organization,
      exchange: s.gateway,
      intune: s.sim.intune,
      store,
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
      s.sim.exchange.failNext(
        1,
        {
          kind: 'throttled',
          waitMs: 0,
          message:
            'The user load quota of 100 requests per 60 seconds has been exceeded. Send future requests at a slower rate or raise the quota for this user. The next request from this user will not be approved for at least 250 milliseconds.',
        },
        { cmdlet: 'Set-CasMailbox' },
      );
      const first = await engine.fullSync();
      assert.ok(first.success, JSON.stringify(first.errors.slice(0, 3)));
      assert.is(first.devices, 120);
      assert.ok(first.commands.issued > 0 && first.commands.succeeded === first.commands.issued);
      assert.is(first.commands.throttleWaits, 1, 'the quota was waited out once');
      assert.is(first.commands.throttleWaitMs, 250, 'for the time Exchange named');
      assert.is(agrees(), 0, 'Exchange agrees with every decision');

      const second = await engine.fullSync();
      assert.ok(second.success);
      assert.is(second.commands.issued, 0);

      for (const m of s.sim.exchange.state().mailboxes.slice(0, 30))
        s.sim.exchange.setMailboxLists(m.identity, { allowed: [], blocked: [] });
      commands = 0;
      downAfter = 5;
      const third = await engine.fullSync();
      assert.ok(third.success, JSON.stringify(third.errors.slice(0, 3)));
      assert.equal(
        third.casSwitches.map((x) => [x.from, x.to]),
        [['cas01.contoso.com', 'cas02.contoso.com']],
      );
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
    const events = JSON.stringify(store.events());
    assert.ok(events.length > 1000);
    for (const secret of [TEST_PASSWORD, TEST_USER, Buffer.from(TEST_PASSWORD, 'utf16le').toString('base64')])
      assert.not.ok(events.includes(secret), 'no credential in an event');
    assert.is(s.gateway.stats().processes, 0);
    for (const sp of s.spawned) assert.not.ok(alive(sp.child.pid));
    const deadline = Date.now() + 15_000;
    while ([...s.host.pids.values()].some(running) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.not.ok([...s.host.pids.values()].some(running), 'every PowerShell ended');
    assert.is(s.fake.sessions.open, 0);
  });

  t('a remote wipe and the stale clean-up through real pwsh: removed once each, the wipe sent once and acknowledged later', async () => {
    let now = DEFAULT_NOW;
    const sim = simulateOrganization({ devices: 60, seed: 8, idleShare: 0.15, clock: () => now });
    const s = await realSetup({
      sim,
      gateway: { parallelism: 2 },
      exchange: { extraCmdlets: ['Clear-MobileDevice', 'Remove-MobileDevice', 'Get-MobileDeviceStatistics'] },
    });
    const engine = createEngine({
      organization: sim.organization,
      exchange: s.gateway,
      intune: sim.intune,
      store: memoryStore(),
      policy: { ...sim.policy, excludedGroups: [], removeStaleAfterDays: 90 },
      parallelism: 2,
      clock: { now: () => now },
    });
    try {
      const before = sim.exchange.state().devices.length;
      const full = await engine.fullSync();
      assert.ok(full.success, JSON.stringify(full.errors.slice(0, 3)));
      assert.ok(full.lifecycle.removed > 0, 'stale partnerships removed');
      const removals = s.fake.calls.filter((c) => c.op === 'Remove-MobileDevice');
      assert.is(removals.length, full.lifecycle.removed, 'one Remove-MobileDevice each');
      assert.ok(removals.every((c) => c.splat['Confirm'] === false));
      assert.is(sim.exchange.state().devices.length, before - full.lifecycle.removed);
      assert.is(engine.devices().length, sim.exchange.state().devices.length);

      const target = engine.devices()[0]!.deviceId;
      assert.ok(isRight(await engine.requestWipe({ deviceId: target, reason: 'stolen', by: 'alice' })));
      now += 60_000;
      const q1 = await engine.quickSync();
      assert.is(q1.lifecycle.wipesSent, 1, JSON.stringify(q1.errors));
      now += 20 * 60_000;
      const q2 = await engine.quickSync();
      assert.is(q2.lifecycle.wipesAcknowledged, 1, 'acknowledged, read through Get-MobileDeviceStatistics in pwsh');
      assert.is(s.fake.calls.filter((c) => c.op === 'Clear-MobileDevice').length, 1);
      assert.is(engine.devices().find((d) => d.deviceId === target)?.wipe?.stage, 'acknowledged');
      assert.equal(s.fake.violations, []);
    } finally {
      await engine.stop();
      await s.close();
    }
  });

  t.run();
}

import { test } from 'uvu';
test.run();
