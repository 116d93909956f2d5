// An engine over a simulated organization and a memory store: what most engine tests start from.
import { createEngine, type Engine, type EngineOptions } from '../../src/engine.js';
import { memoryStore } from '../../adapters/memory-store/index.js';
import type { Simulation } from '../../adapters/simulator/index.js';

export function simulatedEngine(sim: Simulation, over: Partial<EngineOptions> = {}): Engine {
  return createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store: memoryStore(),
    policy: sim.policy,
    ...over,
  });
}
