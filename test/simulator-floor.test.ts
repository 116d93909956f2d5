// benchmarks/simulator-floor.ts: a sync's commands run by the simulator alone.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { simulatorFloor } from '../benchmarks/simulator-floor.js';
import { simulatedEngine } from './support/simulated-engine.js';

test("runs every command a sync ran on a fresh organization of the same seed, leaving Exchange as the sync left it, in no less than the latency's bound", async () => {
  // One instant for both organizations: what the simulator generates from the clock is then the same.
  const at = Date.parse('2026-11-26T08:00:00Z');
  const init = { devices: 300, seed: 5, latencyMs: 2, clock: () => at };
  const sim = simulateOrganization(init);
  const r = await simulatedEngine(sim, { parallelism: 4 }).fullSync();
  assert.ok(r.success);
  const commands = sim.exchange.commandLog.slice();
  assert.ok(
    commands.some((c) => c.kind === 'setCasMailbox') && commands.some((c) => c.kind !== 'setCasMailbox'),
    'mailbox and org commands',
  );
  // Its sessions break after 25 commands: the floor opens another, as the engine does.
  const { seconds, simulation } = await simulatorFloor({ ...init, commandsPerShell: 25 }, commands, 4);
  assert.equal(simulation.exchange.commandLog, commands, 'the same commands, each once');
  assert.equal(simulation.exchange.state(), sim.exchange.state(), 'Exchange as the sync left it');
  const mailbox = commands.filter((c) => c.kind === 'setCasMailbox').length;
  assert.ok(seconds >= (Math.ceil(mailbox / 4) * init.latencyMs) / 1000, `${seconds} s`);
});

test.run();
