// Benchmark: the demo's full sync (simulated organization, embedded file log)
// at several sizes. Each size runs in a fresh child process so that peak memory
// is its own. Prints one JSON object per line; compare ratios within one run.
//   node dist/benchmarks/full-sync.js [--devices 5000,50000] [--latency 0] [--parallelism 1] [--json]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isLeft } from 'fp-ts/lib/Either.js';
import { createEngine } from '../src/engine.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { openFileStore } from '../adapters/file-store/index.js';

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '5000,50000' }, latency: { type: 'string', default: '0' },
    parallelism: { type: 'string', default: '1' }, child: { type: 'boolean' }, json: { type: 'boolean' },
  },
});

async function child(devices: number, latencyMs: number, parallelism: number) {
  const dir = mkdtempSync(join(tmpdir(), 'eas-bench-'));
  const log = join(dir, 'bench.ndjson');
  try {
    const t0 = performance.now();
    const sim = simulateOrganization({ devices, seed: 1, latencyMs, clock: () => Date.now() });
    const generateMs = performance.now() - t0;
    const opened = await openFileStore(log);
    if (isLeft(opened)) throw new Error(opened.left.kind);
    const store = opened.right;
    const engine = createEngine({ organization: sim.organization, exchange: sim.exchange, intune: sim.intune, store, policy: sim.policy, notifier: sim.notifier, parallelism });
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    const first = await engine.fullSync();
    const wallMs = performance.now() - w0;
    const cpu = process.cpuUsage(cpu0);
    // The second sync is the steady state: nothing changed, nothing written but start/completion.
    const w1 = performance.now();
    const second = await engine.fullSync();
    const secondWallMs = performance.now() - w1;
    await store.close();
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    return {
      bench: 'full-sync', devices, mailboxes: first.mailboxes, latencyMs, parallelism, success: first.success,
      generateMs: Math.round(generateMs), wallMs: Math.round(wallMs), devicesPerSec: Math.round(devices / (wallMs / 1000)),
      cpuMsPerDevice: +((cpu.user + cpu.system) / 1000 / devices).toFixed(4),
      commands: first.commands.issued, eventsWritten: first.eventsAppended, logBytes: statSync(log).size,
      secondSync: { wallMs: Math.round(secondWallMs), commands: second.commands.issued, eventsWritten: second.eventsAppended },
      peakRssMb: Math.round(peakRssMb),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (values.child) {
  const r = await child(Number(values.devices), Number(values.latency), Number(values.parallelism));
  process.stdout.write(JSON.stringify(r) + '\n');
} else {
  const sizes = String(values.devices).split(',').map(Number);
  const results = [];
  for (const n of sizes) {
    const r = spawnSync(process.execPath, ['--max-old-space-size=8192', fileURLToPath(import.meta.url), '--child', '--devices', String(n), '--latency', String(values.latency), '--parallelism', String(values.parallelism)], { encoding: 'utf8' });
    if (r.status !== 0) { process.stderr.write(r.stderr); process.exit(1); }
    const line = r.stdout.trim().split('\n').pop()!;
    results.push(JSON.parse(line));
    process.stdout.write(line + '\n');
  }
  if (results.length > 1) {
    const [a, b] = [results[0], results[results.length - 1]];
    process.stdout.write(JSON.stringify({ bench: 'full-sync-scaling', fromDevices: a.devices, toDevices: b.devices, deviceRatio: b.devices / a.devices, wallRatio: +(b.wallMs / a.wallMs).toFixed(2), cpuPerDeviceRatio: +(b.cpuMsPerDevice / a.cpuMsPerDevice).toFixed(2) }) + '\n');
  }
}
