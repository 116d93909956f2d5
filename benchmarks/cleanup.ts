// Benchmark: stale partnership clean-up at scale. One simulated organization
// (default 100,000 partnerships, all active) on the embedded file log:
//   1. a full sync decides everything; 2. the same again (the baseline: nothing
//   changed); 3. the policy turns clean-up on (`removeStaleAfterDays: 90`,
//   at most --max removals per sync): a new policy revision, so every decision
//   is recorded again; 4. the same with nothing stale (the cost of the
//   statistics reads alone); then --idle of the phones stop syncing (200 days
//   ago) and full syncs run until every stale partnership is gone.
// One JSON line per sync: seconds, CPU, Get-MobileDeviceStatistics calls,
// commands by cmdlet, events and log bytes written, removed and deferred.
// Compare the lines of one run (the machine is shared; absolute times drift).
//   node dist/benchmarks/cleanup.js [--devices 100000] [--idle 0.03] [--max 500] [--latency 0] [--parallelism 8]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import { createEngine } from '../src/engine.js';
import { simulateOrganization, DEFAULT_NOW } from '../adapters/simulator/index.js';
import { openFileStore } from '../adapters/file-store/index.js';
import type { Policy } from '../src/policy.js';
import { benchArgs } from './args.js';

const USAGE = 'node dist/benchmarks/cleanup.js [--devices 100000] [--idle 0.03] [--max 500] [--latency 0] [--parallelism 8]';

const { values } = benchArgs(USAGE, {
  options: {
    devices: { type: 'string', default: '100000' },
    idle: { type: 'string', default: '0.03' },
    max: { type: 'string', default: '500' },
    latency: { type: 'string', default: '0' },
    parallelism: { type: 'string', default: '8' },
  },
});
const devices = Number(values.devices);
const latencyMs = Number(values.latency);
const parallelism = Number(values.parallelism);
const dir = mkdtempSync(join(tmpdir(), 'eas-bench-cleanup-'));
const log = join(dir, 'cleanup.ndjson');
try {
  const sim = simulateOrganization({ devices, seed: 1, idleShare: 0, latencyMs });
  const opened = await openFileStore(log);
  if (isLeft(opened)) throw new Error(opened.left.kind);
  const store = opened.right;
  const engineWith = (policy: Policy, cleanupMailboxesPerSync = 1_000_000) =>
    createEngine({
      cleanupMailboxesPerSync,
      organization: sim.organization,
      exchange: sim.exchange,
      intune: sim.intune,
      store,
      policy,
      parallelism,
      clock: { now: () => DEFAULT_NOW },
    });
  let stale = 0;

  const measure = async (label: string, policy: Policy, perSync?: number) => {
    const before = { ...sim.counters.byCmdlet };
    const bytes = statSync(log).size;
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    const r = await engineWith(policy, perSync).fullSync();
    const seconds = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(cpu);
    const calls = (k: string) => (sim.counters.byCmdlet[k] ?? 0) - (before[k] ?? 0);
    console.log(
      JSON.stringify({
        benchmark: 'cleanup',
        sync: label,
        devices,
        stale,
        latencyMs,
        parallelism,
        success: r.success,
        seconds: Number(seconds.toFixed(3)),
        cpuSeconds: Number(((c.user + c.system) / 1e6).toFixed(3)),
        statisticsCalls: calls('Get-MobileDeviceStatistics'),
        setCasMailbox: calls('Set-CasMailbox'),
        removeMobileDevice: calls('Remove-MobileDevice'),
        removed: r.lifecycle.removed,
        deferred: r.lifecycle.deferred,
        unjudged: r.lifecycle.unjudged,
        eventsAppended: r.eventsAppended,
        logBytesWritten: statSync(log).size - bytes,
        partnershipsLeft: sim.exchange.state().devices.length,
      }),
    );
    return r;
  };
  const cleanup: Policy = { ...sim.policy, removeStaleAfterDays: 90, maxRemovalsPerSync: Number(values.max) };
  await measure('1 first full sync (decides everything)', sim.policy);
  await measure('2 full sync, nothing changed (baseline)', sim.policy);
  await measure('3 clean-up turned on (a new policy revision; decision rules unchanged)', cleanup);
  await measure('4 clean-up on, nothing stale (statistics reads only, every mailbox)', cleanup);
  await measure('4b the same with the default share (10,000 mailboxes a day)', cleanup, 10_000);
  // Phones that stopped syncing 200 days ago (those that first synced before then).
  const idle = Number(values.idle);
  const all = sim.exchange.state().devices;
  for (let i = 0; i < all.length; i++) {
    const d = all[i]!;
    if (i % Math.round(1 / idle) !== 0 || Date.parse(d.firstSyncTime!) > DEFAULT_NOW - 200 * 86_400_000) continue;
    sim.exchange.setLastSuccessSync(d.deviceId, DEFAULT_NOW - 200 * 86_400_000);
    stale++;
  }
  for (let n = 5; ; n++) {
    const r = await measure(`${n} clean-up`, cleanup);
    if (r.lifecycle.removed === 0 || !r.success) break;
  }
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
