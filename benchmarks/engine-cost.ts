// Benchmark (issue "a lean engine", goals 1 and 2): the engine's own CPU and
// heap per device, with the organization recorded before the clock starts
// (benchmarks/recorded.ts), on the embedded file log. Prints one JSON line per
// figure with its target and whether it is met. CPU is process CPU time
// (user + system) over the measured sync; heap is heapUsed after a forced GC,
// minus the same process after recording and before the engine existed.
//   npm run build && node --expose-gc dist/benchmarks/engine-cost.js [--devices 100000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isLeft } from 'fp-ts/lib/Either.js';
import { createEngine } from '../src/engine.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { openFileStore } from '../adapters/file-store/index.js';
import { record, recordedGateways } from './recorded.js';

const { values } = parseArgs({ options: { devices: { type: 'string', default: '100000' } } });
const devices = Number(values.devices);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const cpuMs = (since: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
};
const line = (o: Record<string, unknown>) => console.log(JSON.stringify({ benchmark: 'engine-cost', devices, ...o }));

const dir = mkdtempSync(join(tmpdir(), 'eas-engine-cost-'));
try {
  const sim = simulateOrganization({ devices, seed: 1 });
  const t0 = process.cpuUsage();
  const first = await record(sim);
  const recordCpuMs = cpuMs(t0);
  const recorded = recordedGateways(first);
  const heapBefore = heap();

  const opened = await openFileStore(join(dir, 'log.ndjson'));
  if (isLeft(opened)) throw new Error(opened.left.kind);
  const engine = createEngine({
    organization: sim.organization,
    exchange: recorded.exchange,
    intune: recorded.intune,
    store: opened.right,
    policy: sim.policy,
  });
  const c1 = process.cpuUsage();
  const w1 = performance.now();
  const r1 = await engine.fullSync();
  const firstCpu = cpuMs(c1);
  const firstWall = performance.now() - w1;
  if (!r1.success) throw new Error(JSON.stringify(r1.errors.slice(0, 3)));
  const heapAfter = heap();

  // The commands reach the simulation (not timed), and its answers are recorded again: the second sync finds nothing to change.
  for (const c of recorded.commands) await sim.exchange.execute(c);
  const second = recordedGateways(await record(sim));
  Object.assign(recorded.exchange, second.exchange);
  Object.assign(recorded.intune, second.intune);
  const c2 = process.cpuUsage();
  const r2 = await engine.fullSync();
  const secondCpu = cpuMs(c2);
  await opened.right.close();

  const per = (ms: number) => Math.round(((ms * 1000) / devices) * 10) / 10;
  line({
    figure: 'firstFullSyncCpuMicrosPerDevice',
    value: per(firstCpu),
    target: 25,
    met: per(firstCpu) <= 25,
    wallMs: Math.round(firstWall),
    commands: r1.commands.issued,
    events: r1.eventsAppended,
  });
  line({
    figure: 'secondFullSyncCpuMicrosPerDevice',
    value: per(secondCpu),
    target: 10,
    met: per(secondCpu) <= 10,
    commands: r2.commands.issued,
    events: r2.eventsAppended,
  });
  line({
    figure: 'simulatorRecordingCpuMicrosPerDevice',
    value: per(recordCpuMs),
    note: 'the simulator answering one full read, outside the figures above',
  });
  const perDevice = Math.round((heapAfter - heapBefore) / devices);
  line({
    figure: 'engineHeapBytesPerDevice',
    value: perDevice,
    target: 2048,
    met: perDevice <= 2048,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
