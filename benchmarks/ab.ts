// What the A/B benchmarks share (first-sync-ab.ts, second-sync-ab.ts, replay-ab.ts):
// two builds measured round after round in one process, reported as one JSON line.
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs } from './args.js';
import type { Engine } from '../src/engine.js';
import type { Simulation } from '../adapters/simulator/index.js';
import type { RecordedOrganization } from './recorded-org.js';

export const median = (xs: readonly number[]): number => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;

export interface AbSide {
  /** The build's `dist` directory. */
  readonly dist: string;
  /** One measurement a round. */
  readonly values: readonly number[];
}

/** The line an A/B benchmark prints: `fields`, then each build's values (under `unit`) and median, then B ÷ A. */
export function abLine(fields: Readonly<Record<string, unknown>>, unit: string, a: AbSide, b: AbSide): string {
  const side = (s: AbSide) => ({ dist: s.dist, [unit]: s.values, median: median(s.values) });
  return `${JSON.stringify({ ...fields, a: side(a), b: side(b), ratio: +(median(b.values) / median(a.values)).toFixed(3) })}\n`;
}

/** The modules an engine A/B takes from a build's `dist` (each build its own module instances). */
export async function engineBuild(root: string) {
  const load = (m: string) => import(join(resolve(root), m));
  return {
    createEngine: ((await load('src/engine.js')) as typeof import('../src/engine.js')).createEngine,
    simulateOrganization: ((await load('adapters/simulator/index.js')) as typeof import('../adapters/simulator/index.js'))
      .simulateOrganization,
    openFileStore: ((await load('adapters/file-store/index.js')) as typeof import('../adapters/file-store/index.js')).openFileStore,
    recorded: (await load('benchmarks/recorded-org.js')) as typeof import('./recorded-org.js'),
  };
}

export type EngineBuild = Awaited<ReturnType<typeof engineBuild>>;

/** A build's engine over a recorded organization of `sim` and a fresh file store at `path`, 8 sessions (as the A/Bs run it). */
export async function recordedEngine(
  build: EngineBuild,
  sim: Simulation,
  org: RecordedOrganization,
  path: string,
): Promise<{ readonly engine: Engine; close(): Promise<void> }> {
  const opened = await build.openFileStore(path);
  if (opened._tag === 'Left') throw new Error(`${path}: ${JSON.stringify(opened.left)}`);
  const store = opened.right;
  const engine = build.createEngine({
    organization: sim.organization,
    exchange: org.exchange,
    intune: org.intune,
    store,
    policy: sim.policy,
    parallelism: 8,
  });
  return { engine, close: () => store.close() };
}

/** An engine A/B needs a base build (returned) and a collector it can call (node --expose-gc): said up front, exit 2. */
export function requireBaseAndGc(base: string | undefined, usage: string): string {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (base !== undefined && gc) return base;
  process.stderr.write(`${base === undefined ? '--a is required' : 'run node with --expose-gc'}\nusage: ${usage}\n`);
  return process.exit(2);
}

/**
 * An engine A/B's arguments: --a (required) and --b builds, --devices, --rounds; the collector
 * checked up front. B is this build's own dist by default (ab.js is in its benchmarks/).
 */
export function engineAbArgs(usage: string, defaultDevices: number) {
  const { values } = benchArgs(usage, {
    options: {
      a: { type: 'string' },
      b: { type: 'string' },
      devices: { type: 'string', default: String(defaultDevices) },
      rounds: { type: 'string', default: '6' },
    },
  });
  // Said up front with the usage (settle would only throw once the engines are built).
  const a = requireBaseAndGc(values.a, usage);
  const b = values.b ?? resolve(fileURLToPath(import.meta.url), '..', '..');
  return { a, b, devices: Number(values.devices), rounds: Number(values.rounds) };
}
