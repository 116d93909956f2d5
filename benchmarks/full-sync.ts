// Benchmark: the demo's full sync (simulated organization, embedded file log)
// at several sizes. Each size runs in a fresh child process so that peak memory
// is its own. Prints one JSON object per line; compare ratios within one run.
//   npm run bench -- [--devices 5000,50000] [--latency 0] [--parallelism 1] [--default-mode] [--notify-latency MS] [--exceptions N]
// With latency, `boundSeconds` is the least time the Exchange side allows:
// mailbox commands × latency ÷ sessions, plus the org commands (the rules side
// by side, then the settings) and one round of discovery reads; `ratio` =
// seconds ÷ boundSeconds.
// --default-mode also runs the original connector's default: one session, one
// Set-CasMailbox per device (same decisions, same organization).
// --notify-latency gives each notification that many ms (an SMTP round trip):
// notices go while the commands run, so the wall time shows what they add.
// --exceptions N gives the policy N model exceptions instead of its own two
// (a first sync then creates N device access rules: they run side by side).
// After the first sync: a second full sync with nothing changed (`secondSync`), then five
// quick syncs with nothing new (`quickSyncMedianMs`, their median wall time, and
// `quickSyncCpuMs`, their median CPU with the simulator's answers).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isLeft } from 'fp-ts/lib/Either.js';
import { createEngine } from '../src/engine.js';
import { RecordingNotifier, simulateOrganization } from '../adapters/simulator/index.js';
import { openFileStore } from '../adapters/file-store/index.js';
import { sessionCount } from '../src/executor.js';
import type { ExchangeGateway } from '../src/ports.js';
import type { ExchangeCommand } from '../src/commands.js';
import type { Simulation } from '../adapters/simulator/index.js';
import type { Policy } from '../src/policy.js';
import { benchArgs } from './args.js';
import { minorFaults, pageFaultMicros } from './page-faults.js';
import { simulatorFloor } from './simulator-floor.js';

const USAGE =
  'npm run bench -- [--devices 5000,50000] [--latency 0] [--parallelism 1] [--default-mode] [--notify-latency MS] [--exceptions N]';

/** Org commands the first sync issues, from the simulator's log: device access rules (run side by side), then org settings. */
function orgCommandCounts(sim: Simulation): { rules: number; settings: number } {
  let rules = 0;
  let settings = 0;
  for (const c of sim.exchange.commandLog) {
    if (c.kind === 'setOrgSettings') settings++;
    else if (c.kind === 'newDeviceAccessRule' || c.kind === 'setDeviceAccessRule' || c.kind === 'removeDeviceAccessRule') rules++;
  }
  return { rules, settings };
}

const { values } = benchArgs(
  USAGE,
  {
    options: {
      devices: { type: 'string', default: '5000,50000' },
      latency: { type: 'string', default: '0' },
      'notify-latency': { type: 'string', default: '0' },
      // Platform exceptions in the policy (absent: the simulator's own two).
      exceptions: { type: 'string' },
      parallelism: { type: 'string', default: '1' },
      child: { type: 'boolean' },
      json: { type: 'boolean' },
      'default-mode': { type: 'boolean' },
      mode: { type: 'string', default: 'engine' },
      // V8's young generation for the children, in MB (as examples/deploy runs the connector); 0: Node's default.
      'semi-space': { type: 'string', default: '64' },
    },
  },
  ['exceptions'],
);

/** The original's default mode: one command per device, one at a time, no sessions of its own. */
function perDeviceGateway(inner: ExchangeGateway): ExchangeGateway {
  return {
    getMobileDevices: (q) => inner.getMobileDevices(q),
    getCasMailboxes: (q) => inner.getCasMailboxes(q),
    getOrgSettings: () => inner.getOrgSettings(),
    getDeviceAccessRules: () => inner.getDeviceAccessRules(),
    getExchangeServers: () => inner.getExchangeServers(),
    async execute(c) {
      if (c.kind !== 'setCasMailbox') return inner.execute(c);
      // One command per device: both list changes of a device travel together, as the original did.
      const ids = new Set(
        [...c.allowedDeviceIds.add, ...c.allowedDeviceIds.remove, ...c.blockedDeviceIds.add, ...c.blockedDeviceIds.remove].map((x) =>
          x.toLowerCase(),
        ),
      );
      for (const id of ids) {
        const pick = (l: readonly string[]) => l.filter((x) => x.toLowerCase() === id);
        const cmd: ExchangeCommand = {
          kind: 'setCasMailbox',
          mailbox: c.mailbox,
          allowedDeviceIds: { add: pick(c.allowedDeviceIds.add), remove: pick(c.allowedDeviceIds.remove) },
          blockedDeviceIds: { add: pick(c.blockedDeviceIds.add), remove: pick(c.blockedDeviceIds.remove) },
        };
        const r = await inner.execute(cmd);
        if (r._tag === 'Left') return r;
      }
      return { _tag: 'Right', right: undefined };
    },
  };
}

const QUICK_SYNCS = 5;
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The bound as the simulated Exchange really allows it: the same number of
 * timer waits the simulator makes (its latency is a setTimeout, which fires a
 * little late, more so on a loaded machine), on the same lanes, with no engine.
 * Measured in the same process right after the sync.
 */
async function calibratedBound(
  mailboxCommands: number,
  org: { rules: number; settings: number },
  sessions: number,
  latencyMs: number,
): Promise<number> {
  const t0 = performance.now();
  await sleep(latencyMs); // the discovery round
  const perLane = Math.ceil(mailboxCommands / sessions);
  await Promise.all(
    Array.from({ length: sessions }, async () => {
      for (let i = 0; i < perLane; i++) await sleep(latencyMs);
    }),
  );
  for (let left = org.rules; left > 0; left -= sessions)
    await Promise.all(Array.from({ length: Math.min(left, sessions) }, () => sleep(latencyMs)));
  for (let i = 0; i < org.settings; i++) await sleep(latencyMs);
  return (performance.now() - t0) / 1000;
}

/** The simulator's policy, or one with `n` model exceptions (allow and block in turn) instead of its own. */
function policyOf(sim: Simulation, n: number | undefined): Policy {
  if (n === undefined) return sim.policy;
  const platformExceptions = Array.from({ length: n }, (_, i) => ({
    type: 'model' as const,
    name: `Bench Model ${i}`,
    access: i % 2 === 0 ? ('allow' as const) : ('block' as const),
  }));
  return { ...sim.policy, platformExceptions };
}

async function child(devices: number, latencyMs: number, parallelism: number, mode: string, notifyLatencyMs: number, exceptions?: number) {
  const dir = mkdtempSync(join(tmpdir(), 'eas-bench-'));
  const log = join(dir, 'bench.ndjson');
  try {
    const t0 = performance.now();
    const sim = simulateOrganization({ devices, seed: 1, latencyMs, clock: () => Date.now() });
    const generateMs = performance.now() - t0;
    const opened = await openFileStore(log);
    if (isLeft(opened)) throw new Error(opened.left.kind);
    const store = opened.right;
    const exchange = mode === 'default' ? perDeviceGateway(sim.exchange) : sim.exchange;
    const engine = createEngine({
      yieldToLoop: () => new Promise<void>((r) => setImmediate(r)),
      organization: sim.organization,
      exchange,
      intune: sim.intune,
      store,
      policy: policyOf(sim, exceptions),
      notifier: notifyLatencyMs > 0 ? new RecordingNotifier(notifyLatencyMs) : sim.notifier,
      parallelism: mode === 'default' ? 1 : parallelism,
    });
    const cmdBefore = sim.counters.commands;
    const logBefore = sim.exchange.commandLog.length;
    const faults0 = minorFaults();
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    const first = await engine.fullSync();
    const wallMs = performance.now() - w0;
    const cpu = process.cpuUsage(cpu0);
    const faults = minorFaults() - faults0;
    const exchangeCommands = sim.counters.commands - cmdBefore;
    const firstCommands = sim.exchange.commandLog.slice(logBefore);
    // The second sync is the steady state: nothing changed, nothing written but start/completion.
    const w1 = performance.now();
    const second = await engine.fullSync();
    const secondWallMs = performance.now() - w1;
    // The everyday sync: quick syncs with nothing new (their reads, the start and the end), the median of five.
    const quickMs: number[] = [];
    const quickCpuMs: number[] = [];
    for (let i = 0; i < QUICK_SYNCS; i++) {
      const q0 = performance.now();
      const qc = process.cpuUsage();
      const q = await engine.quickSync();
      const c = process.cpuUsage(qc);
      if (!q.success) throw new Error(`quick sync failed: ${JSON.stringify(q.errors.slice(0, 3))}`);
      quickMs.push(performance.now() - q0);
      quickCpuMs.push((c.user + c.system) / 1000);
    }
    await store.close();
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    const sessions = mode === 'default' ? 1 : sessionCount(parallelism);
    const org = orgCommandCounts(sim);
    const mailboxCommands = exchangeCommands - org.rules - org.settings;
    const orgMs = (Math.ceil(org.rules / sessions) + org.settings) * latencyMs;
    const boundSeconds = latencyMs > 0 ? ((mailboxCommands * latencyMs) / sessions + orgMs + latencyMs) / 1000 : 0;
    const seconds = wallMs / 1000;
    const calibrated = latencyMs > 0 ? await calibratedBound(mailboxCommands, org, sessions, latencyMs) : 0;
    // The same commands through the simulator with no engine (the default mode's split commands aside).
    const floor =
      latencyMs > 0 && mode === 'engine' ? (await simulatorFloor({ devices, seed: 1, latencyMs }, firstCommands, sessions)).seconds : 0;
    return {
      bench: 'full-sync',
      mode,
      devices,
      mailboxes: first.mailboxes,
      commands: exchangeCommands,
      latencyMs,
      notifyLatencyMs,
      notifications: first.notifications.sent,
      orgCommands: org,
      parallelism: mode === 'default' ? 1 : parallelism,
      sessions,
      seconds: +seconds.toFixed(3),
      boundSeconds: +boundSeconds.toFixed(3),
      ratio: boundSeconds > 0 ? +(seconds / boundSeconds).toFixed(3) : null,
      // The same against the simulator's own timer waits (see calibratedBound): the engine's share alone.
      calibratedBoundSeconds: +calibrated.toFixed(3),
      calibratedRatio: calibrated > 0 ? +(seconds / calibrated).toFixed(3) : null,
      // The first sync's commands run by the simulator alone (benchmarks/simulator-floor.ts): over the bound,
      // what the simulator's work and timers cost; the sync over it, what the engine adds.
      simulatorFloorSeconds: floor > 0 ? +floor.toFixed(3) : null,
      simulatorFloorRatio: floor > 0 && boundSeconds > 0 ? +(floor / boundSeconds).toFixed(3) : null,
      overSimulatorFloor: floor > 0 ? +(seconds / floor).toFixed(3) : null,
      success: first.success,
      generateMs: Math.round(generateMs),
      wallMs: Math.round(wallMs),
      devicesPerSec: Math.round(devices / (wallMs / 1000)),
      cpuMsPerDevice: +((cpu.user + cpu.system) / 1000 / devices).toFixed(4),
      // Fresh pages the process touched during the first sync, and what one costs this machine (page-faults.ts).
      minorPageFaults: faults,
      pageFaultMicros: pageFaultMicros() ?? null,
      engineCommands: first.commands.issued,
      eventsWritten: first.eventsAppended,
      logBytes: statSync(log).size,
      secondSync: { wallMs: Math.round(secondWallMs), commands: second.commands.issued, eventsWritten: second.eventsAppended },
      quickSyncMedianMs: +median(quickMs).toFixed(1),
      // Its CPU (the simulator's answers included), the median of the five.
      quickSyncCpuMs: +median(quickCpuMs).toFixed(1),
      peakRssMb: Math.round(peakRssMb),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (values.child) {
  const r = await child(
    Number(values.devices),
    Number(values.latency),
    Number(values.parallelism),
    String(values.mode),
    Number(values['notify-latency']),
    values.exceptions === undefined ? undefined : Number(values.exceptions),
  );
  process.stdout.write(JSON.stringify(r) + '\n');
} else {
  const sizes = String(values.devices).split(',').map(Number);
  const results = [];
  const runChild = (n: number, mode: string) => {
    const r = spawnSync(
      process.execPath,
      [
        '--max-old-space-size=8192',
        ...(Number(values['semi-space']) > 0 ? [`--max-semi-space-size=${values['semi-space']}`] : []),
        fileURLToPath(import.meta.url),
        '--child',
        '--devices',
        String(n),
        '--latency',
        String(values.latency),
        '--parallelism',
        String(values.parallelism),
        '--notify-latency',
        String(values['notify-latency']),
        '--mode',
        mode,
        ...(values.exceptions === undefined ? [] : ['--exceptions', String(values.exceptions)]),
      ],
      { encoding: 'utf8', maxBuffer: 1 << 24 },
    );
    if (r.status !== 0) {
      process.stderr.write(r.stderr);
      process.exit(1);
    }
    const line = r.stdout.trim().split('\n').pop()!;
    process.stdout.write(line + '\n');
    return JSON.parse(line);
  };
  for (const n of sizes) {
    const engineRun = runChild(n, 'engine');
    results.push(engineRun);
    if (values['default-mode']) {
      const d = runChild(n, 'default');
      process.stdout.write(
        JSON.stringify({
          bench: 'versus-default-mode',
          devices: n,
          latencyMs: Number(values.latency),
          parallelism: engineRun.parallelism,
          engineSeconds: engineRun.seconds,
          defaultModeSeconds: d.seconds,
          speedup: +(d.seconds / engineRun.seconds).toFixed(2),
          engineCommands: engineRun.commands,
          defaultModeCommands: d.commands,
        }) + '\n',
      );
    }
  }
  if (results.length > 1) {
    const [a, b] = [results[0], results[results.length - 1]];
    process.stdout.write(
      JSON.stringify({
        bench: 'full-sync-scaling',
        fromDevices: a.devices,
        toDevices: b.devices,
        deviceRatio: b.devices / a.devices,
        wallRatio: +(b.wallMs / a.wallMs).toFixed(2),
        cpuPerDeviceRatio: +(b.cpuMsPerDevice / a.cpuMsPerDevice).toFixed(2),
      }) + '\n',
    );
  }
}
