// What the tests of the engine A/B benchmarks (first-sync-ab, second-sync-ab) share:
// running one over this build against itself, small, and checking the line it prints.
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface AbOut {
  bench: string;
  devices: number;
  a: { cpuMicrosPerDevice: number[]; median: number };
  b: { cpuMicrosPerDevice: number[]; median: number };
  ratio: number;
  [more: string]: unknown;
}

/** The built benchmark `name` (e.g. 'first-sync-ab'), run with node `flags` and `args`. */
export function abRunner(name: string) {
  const script = fileURLToPath(new URL(`../../benchmarks/${name}.js`, import.meta.url));
  const dist = fileURLToPath(new URL('../..', import.meta.url));
  const run = (flags: string[], ...args: string[]) =>
    spawnSync(process.execPath, [...flags, script, ...args], { encoding: 'utf8', timeout: 120_000 });
  return {
    dist,
    run,
    /** 300 devices, 3 rounds; the medians, the rounds and the ratio checked. */
    measured(): AbOut {
      const r = run(['--expose-gc'], '--a', dist, '--devices', '300', '--rounds', '3');
      assert.is(r.status, 0, r.stderr);
      const out = JSON.parse(r.stdout) as AbOut;
      assert.is(out.bench, name);
      assert.is(out.devices, 300);
      for (const side of [out.a, out.b]) {
        assert.is(side.cpuMicrosPerDevice.length, 3);
        assert.ok(side.cpuMicrosPerDevice.every((x) => x > 0));
        assert.ok(side.cpuMicrosPerDevice.includes(side.median));
      }
      assert.is(out.ratio, +(out.b.median / out.a.median).toFixed(3));
      return out;
    },
    /** Exit 2 with the reason when the base build or the collector is missing. */
    refusesWithoutBaseOrGc(): void {
      const noBase = run(['--expose-gc']);
      assert.is(noBase.status, 2);
      assert.match(noBase.stderr, '--a is required');
      const noGc = run([], '--a', dist);
      assert.is(noGc.status, 2);
      assert.match(noGc.stderr, 'run node with --expose-gc');
    },
  };
}
