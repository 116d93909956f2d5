// An administrator's override from code: a quarantined phone of a simulated
// organization is allowed for eight hours (the CEO enrolls it tomorrow), a
// quick sync enforces it, and the quick sync after its end gives the device
// back to the policy.
//   node dist/examples/override.js
import { isLeft } from 'fp-ts/lib/Either.js';
import { createEngine } from '../src/index.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { memoryStore } from '../adapters/memory-store/index.js';

let now = Date.parse('2026-11-26T08:00:00Z');
const sim = simulateOrganization({ devices: 200, seed: 3, clock: () => now });
const engine = createEngine({
  organization: sim.organization,
  exchange: sim.exchange,
  intune: sim.intune,
  store: memoryStore(),
  policy: sim.policy,
  clock: { now: () => now },
});
await engine.fullSync();
const phone = engine.devices().find((d) => d.access === 'quarantine' && d.governed)!;
console.log(`${phone.deviceId}: ${phone.access} (${phone.reason})`);

const granted = await engine.grantOverride({
  deviceId: phone.deviceId,
  access: 'allow',
  untilMs: now + 8 * 3_600_000,
  reason: 'CEO travelling; enrolls tomorrow',
  by: 'alice (helpdesk)',
});
if (isLeft(granted)) throw new Error(granted.left.message);
console.log(`override ${granted.right.overrideId} granted in ${granted.right.mailbox}`);

const show = () => {
  const d = engine.devices().find((x) => x.deviceId === phone.deviceId)!;
  return `${d.access} (${d.reason})`;
};
now += 15 * 60_000;
const enforced = await engine.quickSync();
console.log(`after quick sync ${enforced.syncId}: ${show()}, ${enforced.commands.issued} command`);

now += 8 * 3_600_000;
const released = await engine.quickSync();
console.log(`after the override ended, quick sync ${released.syncId}: ${show()}`);
