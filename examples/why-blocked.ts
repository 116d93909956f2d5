// Finding out why a device was blocked, from the log alone: a small simulated
// sync is written to a temporary log file; then, as an admin with only that
// file would, we pick a blocked device and explain it.
//   node dist/examples/why-blocked.js [deviceId]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../src/index.js';
import { explain, replay } from '../projections/index.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { openFileStore, readLog } from '../adapters/file-store/index.js';
import { commandToPowerShell } from '../adapters/powershell/index.js';

const dir = mkdtempSync(join(tmpdir(), 'eas-why-'));
const log = join(dir, 'eas-sync.ndjson');
try {
  // 1. Something wrote a log (here: a full sync of a simulated organization).
  const sim = simulateOrganization({ devices: 200, seed: 3 });
  const opened = await openFileStore(log);
  if (opened._tag === 'Left') throw new Error(opened.left.kind);
  await createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store: opened.right,
    policy: sim.policy,
    notifier: sim.notifier,
  }).fullSync();
  await opened.right.close();

  // 2. Only the log from here on.
  const read = await readLog(log);
  if (read._tag === 'Left') throw new Error(read.left.kind);
  const events = read.right.events;
  const wanted = process.argv[2] ?? replay(events).deviceStates.find((d) => d.access === 'block' && d.reason === 'notCompliant')?.deviceId;
  if (!wanted) throw new Error('no blocked device in this log');
  const r = explain(events, wanted);
  if (r._tag === 'Left') {
    console.error(r.left.message);
    process.exit(2);
  }
  const x = r.right;
  console.log(`${x.deviceId} (${x.device.deviceType} ${x.device.deviceModel}) of ${x.mailbox}`);
  console.log(`access: ${x.access} — ${x.reason} (rule ${x.rule}), decided ${x.decidedAt} under policy revision ${x.policyRevision}`);
  for (const line of x.explanation) console.log(`  ${line}`);
  if (x.facts?.intune)
    console.log(
      `managed device ${x.facts.intune.id}: ${x.facts.intune.complianceState}${x.facts.intune.graceDeadline ? `, grace deadline ${x.facts.intune.graceDeadline}` : ''}`,
    );
  if (x.command) console.log(`enforced by ${x.command.commandId}: ${x.command.outcome}\n  ${commandToPowerShell(x.command.command)}`);
  for (const n of x.notes) console.log(`note: ${n}`);
  console.log('timeline:');
  for (const t of x.timeline) console.log(`  ${t.at}  ${t.type.padEnd(22)} ${t.summary}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
