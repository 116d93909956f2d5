// Embedding the engine in a tool: a simulated Exchange organization and Intune
// tenant (swap in the PowerShell and Graph gateways for real ones), the embedded
// file log, one full sync, its report, then a second sync that finds nothing new.
//   node dist/examples/embed-engine.js [devices]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../src/index.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { openFileStore } from '../adapters/file-store/index.js';

const devices = Number(process.argv[2] ?? 1000);
const dir = mkdtempSync(join(tmpdir(), 'eas-embed-'));
const log = join(dir, 'eas-sync.ndjson');
try {
  const sim = simulateOrganization({ devices, seed: 1 });
  const opened = await openFileStore(log);
  if (opened._tag === 'Left') throw new Error(`cannot open the log: ${opened.left.kind}`);
  const store = opened.right;
  const engine = createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store,
    policy: sim.policy,
    notifier: sim.notifier,
    parallelism: 4,
  });
  // The connector's status as it changes (what a status endpoint would serve).
  const seen = engine.status$.subscribe((s) => console.log(`status: ${s.status}${s.syncing ? ` (${s.syncing} sync running)` : ''}`));

  const report = await engine.fullSync();
  console.log(`full sync ${report.syncId}: ${report.success ? 'succeeded' : 'failed'}`);
  console.log(
    `  ${report.devices} devices in ${report.mailboxes} mailboxes: ${report.access.allow} allow, ${report.access.block} block, ${report.access.quarantine} quarantine`,
  );
  console.log(
    `  ${report.commands.issued} Exchange commands (${report.commands.failed} failed), ${report.notifications.sent} notifications, ${report.drift} drift corrected, ${report.grandfathered} grandfathered`,
  );
  console.log(
    `  ${report.eventsAppended} events appended; ${report.warnings.length} warnings (${[...new Set(report.warnings.map((w) => w.kind))].join(', ') || 'none'})`,
  );

  const again = await engine.fullSync();
  console.log(
    `second full sync ${again.syncId}: ${again.commands.issued} commands, ${again.eventsAppended} events appended (nothing changed)`,
  );
  seen.unsubscribe();
  await engine.stop();
  await store.close();
  console.log(`log: ${statSync(log).size} bytes`);
  if (!report.success || again.commands.issued !== 0) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
