// benchmarks/simulator-floor.ts: a sync's commands run by the simulator alone.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../src/engine.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { memoryStore } from '../adapters/memory-store/index.js';
import { simulatorFloor } from '../benchmarks/simulator-floor.js';

test("runs every command a sync ran on a fresh organization of the same seed, leaving Exchange as the sync left it, in no less than the latency's bound", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'eas-floor-'));
  try {
    // One instant for both organizations: what the simulator generates from the clock is then the same.
    const at = Date.parse('2026-11-26T08:00:00Z');
    const init = { devices: 300, seed: 5, latencyMs: 2, clock: () => at };
    const sim = simulateOrganization(init);
    const engine = createEngine({
      organization: sim.organization,
      exchange: sim.exchange,
      intune: sim.intune,
      store: memoryStore(),
      policy: sim.policy,
      parallelism: 4,
    });
    const r = await engine.fullSync();
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
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
