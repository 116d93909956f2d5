// Previewing a policy change before enforcing it: from the log of the last sync,
// which devices a stricter and a looser policy would treat differently, and the
// Exchange commands each would cause. Nothing is written, nothing is sent.
//   node dist/examples/policy-preview.js
import { createEngine, type Policy } from '../src/index.js';
import { whatIf, type WhatIfResult } from '../projections/index.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { memoryStore } from '../adapters/memory-store/index.js';

const sim = simulateOrganization({ devices: 1000, seed: 2 });
const store = memoryStore();
await createEngine({
  organization: sim.organization,
  exchange: sim.exchange,
  intune: sim.intune,
  store,
  policy: sim.policy,
  notifier: sim.notifier,
}).fullSync();
const events = store.events();

const show = (name: string, r: WhatIfResult) => {
  console.log(`${name}: ${r.changes.length} of ${r.devices} devices would change (${r.unchanged} unchanged)`);
  for (const [transition, n] of Object.entries(r.summary).sort((a, b) => b[1] - a[1])) console.log(`  ${transition.padEnd(22)} ${n}`);
  const reasons = new Map<string, number>();
  for (const c of r.changes) reasons.set(c.reason, (reasons.get(c.reason) ?? 0) + 1);
  console.log(`  new reasons: ${[...reasons].map(([k, v]) => `${k} ${v}`).join(', ') || '-'}`);
  console.log(
    `  ${r.commands.length} Set-CasMailbox, ${r.orgCommands.length} org command(s) (${r.orgCommands.map((c) => c.kind).join(', ') || '-'}), ${r.notifications} notification(s)`,
  );
  for (const w of r.warnings) console.log(`  warning: ${w.message}`);
};

// Stricter: unenrolled devices are blocked instead of quarantined, no BlackBerry exception.
const stricter: Policy = {
  ...sim.policy,
  defaultAccessLevel: 'block',
  platformExceptions: sim.policy.platformExceptions.filter((e) => e.name !== 'BlackBerry'),
};
show('stricter (default block, no BlackBerry exception)', whatIf(events, stricter));
// Looser: nobody is excluded any more (the excluded group's users become governed).
show('looser (no excluded group)', whatIf(events, { ...sim.policy, excludedGroups: [] }));
// The policy in force: nothing changes.
show('unchanged policy', whatIf(events, sim.policy));
