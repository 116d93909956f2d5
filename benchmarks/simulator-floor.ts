// What a sync's commands cost the simulator itself, without the engine: the
// floor beside full-sync.ts's bound. The bound counts only the latency; the
// simulated Exchange also does work in-process for every command and its
// timers fire late under load, so a sync can never reach the bound, and this
// says how close to it a sync with no engine at all gets.
import type { ExchangeCommand } from '../src/commands.js';
import type { ExchangeSession } from '../src/ports.js';
import { simulateOrganization, type Simulation, type SimulationOptions } from '../adapters/simulator/index.js';

const isOrg = (c: ExchangeCommand): boolean => c.kind === 'setOrgSettings' || c.kind.endsWith('DeviceAccessRule');

async function openSession(sim: Simulation): Promise<ExchangeSession> {
  const s = await sim.exchange.openSession();
  if (s._tag === 'Left') throw new Error(`simulator floor: cannot open a session: ${s.left.message}`);
  return s.right;
}

/** Runs `commands` through `sessions` sessions of `sim`, each taking the next; a session the simulator breaks is opened again. */
async function lanes(sim: Simulation, commands: readonly ExchangeCommand[], sessions: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(sessions, commands.length) }, async () => {
      let s = await openSession(sim);
      while (next < commands.length) {
        const c = commands[next++]!;
        let r = await s.execute(c);
        if (r._tag === 'Left' && r.left.kind === 'sessionBroken') {
          await s.close();
          s = await openSession(sim);
          r = await s.execute(c);
        }
        if (r._tag === 'Left') throw new Error(`simulator floor: ${c.kind}: ${r.left.message}`);
      }
      await s.close();
    }),
  );
}

/**
 * Seconds a fresh simulated organization of the same size, seed and latency takes for the discovery reads
 * of a full sync and then `commands` (what a sync ran, in its order), as the engine runs them: the
 * mailboxes' through `sessions` sessions, each taking the next; then the device access rules side by
 * side; then the org settings. Generating the organization is not timed.
 */
export async function simulatorFloor(
  init: Pick<SimulationOptions, 'devices' | 'seed' | 'latencyMs' | 'clock' | 'commandsPerShell'>,
  commands: readonly ExchangeCommand[],
  sessions: number,
): Promise<{ seconds: number; simulation: Simulation }> {
  const sim = simulateOrganization({ clock: () => Date.now(), ...init });
  const t0 = performance.now();
  await Promise.all([sim.exchange.getMobileDevices(), sim.exchange.getCasMailboxes()]);
  await lanes(
    sim,
    commands.filter((c) => !isOrg(c)),
    sessions,
  );
  await lanes(
    sim,
    commands.filter((c) => isOrg(c) && c.kind !== 'setOrgSettings'),
    sessions,
  );
  await lanes(
    sim,
    commands.filter((c) => c.kind === 'setOrgSettings'),
    1,
  );
  return { seconds: (performance.now() - t0) / 1000, simulation: sim };
}
