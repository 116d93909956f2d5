// What the A/B benchmarks share (second-sync-ab.ts, replay-ab.ts): two builds
// measured round after round in one process, reported as one JSON line.

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
