// Logs for the snapshot tests: a real engine over the simulator, with churn
// between syncs (compliance flips, new and removed partnerships, lists edited
// in Exchange, failed commands), so the states folded hold every kind of record.
import { isLeft } from 'fp-ts/lib/Either.js';
import { createEngine } from '../src/engine.js';
import type { StoredEvent } from '../src/ports.js';
import type { OrgState } from '../src/state.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { memoryStore } from '../adapters/memory-store/index.js';

export type Churn = 'full' | 'quick' | 'flip' | 'add' | 'remove' | 'drift' | 'fail';

/** The log of `ops` run on an organization of `devices` devices (seed `seed`). */
export async function churnedLog(seed: number, devices: number, ops: readonly Churn[]): Promise<StoredEvent[]> {
  let now = Date.parse('2026-11-26T08:00:00Z');
  const sim = simulateOrganization({ devices, seed, clock: () => now });
  const store = memoryStore();
  const engine = createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store,
    policy: sim.policy,
    notifier: sim.notifier,
    clock: { now: () => now },
  });
  await engine.fullSync();
  let n = 0;
  for (const op of ops) {
    now += 900_000;
    n++;
    const all = sim.intune.devices();
    const md = all[(seed + n * 7) % all.length];
    const evaluated = [...sim.evaluateAll().entries()];
    const pick = evaluated[(seed + n * 13) % evaluated.length];
    if (op === 'full') await engine.fullSync();
    else if (op === 'quick') await engine.quickSync();
    else if (op === 'flip' && md) sim.intune.setCompliance(md.id, md.complianceState === 'compliant' ? 'noncompliant' : 'compliant');
    else if (op === 'add' && pick) sim.exchange.addPartnership({ mailbox: pick[1].mailbox, deviceId: `Added${seed}x${n}` });
    else if (op === 'remove' && pick) sim.exchange.removePartnership(pick[0]);
    else if (op === 'drift' && pick) sim.exchange.setMailboxLists(pick[1].mailbox, { allowed: [], blocked: [pick[0]] });
    else if (op === 'fail') sim.exchange.failNext(2, { kind: 'other', message: 'boom' }, { cmdlet: 'Set-CasMailbox' });
  }
  await engine.fullSync();
  const events = await store.readAll();
  if (isLeft(events)) throw new Error(`memory store: ${events.left.kind}`);
  return events.right;
}

/** A state as plain JSON (maps as sorted pairs; undefined-valued keys dropped, as the states treat them as absent). */
export const stateJson = (s: OrgState): unknown =>
  JSON.parse(
    JSON.stringify({
      organization: s.organization,
      connector: s.connector,
      mailboxes: [...s.mailboxes].sort(([a], [b]) => (a < b ? -1 : 1)),
      revisions: [...s.revisions].sort(([a], [b]) => (a < b ? -1 : 1)),
    }),
  );
