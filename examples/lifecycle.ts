// The device lifecycle from code: a stolen phone is wiped (requested, sent by
// the next quick sync, acknowledged by a later one once the phone checks in),
// and a full sync with clean-up removes the partnerships of phones nobody has
// used for 90 days — at most ten per sync here, the longest idle first.
//   node dist/examples/lifecycle.js
import { isLeft } from 'fp-ts/lib/Either.js';
import { createEngine } from '../src/index.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { memoryStore } from '../adapters/memory-store/index.js';

let now = Date.parse('2026-11-26T08:00:00Z');
// 5 % of the simulated phones stopped syncing 60 to 420 days ago.
const sim = simulateOrganization({ devices: 400, seed: 5, idleShare: 0.05, clock: () => now });
const engine = createEngine({
  organization: sim.organization,
  exchange: sim.exchange,
  intune: sim.intune,
  store: memoryStore(),
  policy: { ...sim.policy, removeStaleAfterDays: 90, maxRemovalsPerSync: 10 },
  clock: { now: () => now },
});
await engine.quickSync(); // the first sync runs as a full one: every phone decided, and the first ten stale ones removed

const phone = engine.devices()[0]!;
const requested = await engine.requestWipe({ deviceId: phone.deviceId, reason: 'stolen on the train', by: 'alice (helpdesk)' });
if (isLeft(requested)) throw new Error(requested.left.message);
const stage = () => engine.devices().find((d) => d.deviceId === phone.deviceId)?.wipe?.stage;
console.log(`wipe ${requested.right.wipeId} of ${phone.deviceId}: ${stage()}`);
now += 60_000;
const sent = await engine.quickSync();
console.log(`quick sync ${sent.syncId}: ${sent.lifecycle.wipesSent} wipe sent, stage ${stage()}`);
now += 20 * 60_000; // the phone's next contact with Exchange
const acked = await engine.quickSync();
console.log(`quick sync ${acked.syncId}: ${acked.lifecycle.wipesAcknowledged} acknowledged, stage ${stage()}`);

const full = await engine.fullSync();
const { stale, removed, deferred } = full.lifecycle;
console.log(`full sync ${full.syncId}: ${stale} stale partnership(s) chosen, ${removed} removed, ${deferred} left for later full syncs`);
