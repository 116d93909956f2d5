// Fresh memory, counted and priced. A page the process touches for the first time
// is a minor fault: the kernel maps and zeroes it. On an ordinary host that is a
// fraction of a microsecond; on a VM whose host takes freed memory back (as the
// machine these figures were first taken on does) it can be tens of times more,
// and a CPU figure then carries it. The benchmarks print both beside their CPU
// figures so that a reader can tell the engine's work from the machine's price
// for the memory it touched (docs/architecture.md, "Fresh pages").

/** Minor page faults of this process so far (0 where the platform does not count them). */
export const minorFaults = (): number => process.resourceUsage().minorPageFault;

/**
 * What one fresh page costs this machine, in µs: a fresh 32 MiB buffer written
 * whole, its time over the faults it took, the cheapest of `rounds`. Undefined
 * when the platform counts no faults.
 */
export function pageFaultMicros(rounds = 3): number | undefined {
  let best: number | undefined;
  for (let r = 0; r < rounds; r++) {
    // Zero-filled on allocation by the kernel, not by a write: its pages are untouched until fill.
    const b = Buffer.alloc(32 * 1024 * 1024);
    const f0 = minorFaults();
    const t0 = performance.now();
    b.fill(1);
    const micros = (performance.now() - t0) * 1000;
    const faults = minorFaults() - f0;
    if (faults > 0) best = Math.min(best ?? Infinity, micros / faults);
  }
  return best === undefined ? undefined : +best.toFixed(2);
}

/** The faults taken while `run` ran. */
export async function withFaults<A>(run: () => Promise<A>): Promise<{ result: A; faults: number }> {
  const f0 = minorFaults();
  const result = await run();
  return { result, faults: minorFaults() - f0 };
}
