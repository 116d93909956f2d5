// eas-sync demo: a simulated organization, one full sync into a store, then a
// check that Exchange's own evaluation of every device equals the decision.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createEngine, type SyncReport } from '../../src/engine.js';
import { simulateOrganization } from '../simulator/index.js';
import { parse, intOption } from './args.js';
import { openStore, isEsdb, displaySpec } from './store.js';
import { print, printRaw, printJson, UsageError } from './io.js';
import { phaseProgress } from './progress.js';

export const DEMO_HELP = `Usage: eas-sync demo [--devices 5000] [--seed 1] [--store STORE | --log FILE] [--latency MS] [--parallelism N] [--json]

Builds a simulated Exchange organization and Intune tenant, runs one full sync
into the store (default ./eas-sync-demo.ndjson, replaced on each run), then
verifies that the simulated Exchange's own evaluation of every device equals the
engine's decision.

Another existing log is replaced only with --force. A log is replaced only
after its lock is taken: one that another process holds (a running connector,
another demo) is never touched, and a file that is not an event log of this
format is never replaced. The demo says which file it replaced.`;

const DEFAULT_LOG = './eas-sync-demo.ndjson';

export async function demo(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    devices: { type: 'string' },
    seed: { type: 'string' },
    store: { type: 'string' },
    log: { type: 'string' },
    latency: { type: 'string' },
    parallelism: { type: 'string' },
    force: { type: 'boolean' },
  });
  if (values.help) {
    printRaw(DEMO_HELP);
    return 0;
  }
  const devices = intOption(values.devices, 'devices', 5000, 1);
  const seed = intOption(values.seed, 'seed', 1);
  const latencyMs = intOption(values.latency, 'latency', 0);
  const parallelism = intOption(values.parallelism, 'parallelism', 1, 1);
  if (values.store && values.log && values.store !== values.log) throw new UsageError('--store and --log name the same thing: give one');
  const spec = (values.store ?? values.log ?? DEFAULT_LOG) as string;
  // The demo starts from an empty log. Only the store replaces it, under its
  // lock, so a log in use by another process is never removed.
  const replace = !isEsdb(spec) && existsSync(spec);
  if (replace && resolve(spec) !== resolve(DEFAULT_LOG) && !values.force)
    throw new UsageError(`${spec} exists: the demo writes a new log (pass --force to replace it)`);

  const started = Date.now();
  const store = await openStore(spec, { replace });
  if (store.replaced !== undefined)
    process.stderr.write(`eas-sync: replaced the existing log ${resolve(spec)} (${store.replaced.bytes} bytes)\n`);
  const bar = phaseProgress();
  let report: SyncReport;
  try {
    const sim = simulateOrganization({ devices, seed, latencyMs, clock: () => Date.now() });
    const engine = createEngine({
      yieldToLoop: () => new Promise<void>((r) => setImmediate(r)),
      organization: sim.organization,
      exchange: sim.exchange,
      intune: sim.intune,
      store,
      policy: sim.policy,
      notifier: sim.notifier,
      parallelism,
      onProgress: (p) => bar.update(p),
    });
    report = await engine.fullSync();
    bar.end();
    // Verify: every partnership decided, and Exchange's own evaluation agrees with each decision.
    const exchangeView = sim.evaluateAll();
    const decided = new Map(engine.devices().map((d) => [d.deviceId.toLowerCase(), d]));
    const mismatches: Array<{ deviceId: string; decided: string | null; exchange: string }> = [];
    for (const [id, ev] of exchangeView) {
      const d = decided.get(id);
      if (!d || d.access !== ev.access) mismatches.push({ deviceId: id, decided: d?.access ?? null, exchange: ev.access });
    }
    const verified = report.success && mismatches.length === 0 && decided.size === exchangeView.size;
    const out = {
      devices: report.devices,
      mailboxes: report.mailboxes,
      commands: report.commands.issued,
      access: report.access,
      verified,
      log: isEsdb(spec) ? displaySpec(spec) : resolve(spec),
      replaced: store.replaced !== undefined ? { log: resolve(spec), bytes: store.replaced.bytes } : null,
      durationMs: Date.now() - started,
      syncId: report.syncId,
      success: report.success,
      eventsAppended: report.eventsAppended,
      notifications: report.notifications,
      drift: report.drift,
      warnings: report.warnings.length,
      errors: report.errors,
      mismatches: mismatches.slice(0, 20),
      mismatchCount: mismatches.length,
    };
    if (values.json) printJson(out);
    else {
      print(`Simulated organization "${sim.organization}": ${report.devices} devices in ${report.mailboxes} mailboxes (seed ${seed})`);
      print(
        `Full sync ${report.syncId}: ${report.success ? 'succeeded' : 'FAILED'}; ${report.commands.issued} Exchange commands (${report.commands.failed} failed), ${report.notifications.sent} notifications, ${report.eventsAppended} events`,
      );
      print(`Access: ${report.access.allow} allow, ${report.access.block} block, ${report.access.quarantine} quarantine`);
      print(`Warnings: ${report.warnings.length} (${[...new Set(report.warnings.map((w) => w.kind))].join(', ') || 'none'})`);
      for (const e of report.errors.slice(0, 10)) print(`Error: ${e.message}`);
      print(`Verified against Exchange's own evaluation: ${verified ? 'yes' : `NO (${mismatches.length} mismatches)`}`);
      print(`Log: ${out.log}  (${out.durationMs} ms)`);
    }
    return verified ? 0 : 1;
  } finally {
    await store.close();
  }
}
