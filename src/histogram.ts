// A fixed-bucket histogram (Prometheus style), fed with durations the engine
// measures on its injected clock.
export interface Histogram {
  /** Upper bounds of the buckets, ascending; an implicit last bucket is +Inf. */
  readonly bounds: readonly number[];
  /** Observations per bucket (not cumulative): `counts[i]` for `bounds[i-1] < v <= bounds[i]`, the last for +Inf. */
  readonly counts: number[];
  sum: number;
  count: number;
}

export function histogram(bounds: readonly number[]): Histogram {
  return { bounds, counts: new Array<number>(bounds.length + 1).fill(0), sum: 0, count: 0 };
}

export function observe(h: Histogram, value: number): void {
  let i = 0;
  while (i < h.bounds.length && value > h.bounds[i]!) i++;
  h.counts[i]!++;
  h.sum += value;
  h.count++;
}

/** Seconds: a quick sync takes seconds, a large full sync hours. */
export const SYNC_DURATION_BOUNDS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 28800];
/** Seconds: one Exchange command, one attempt. */
export const COMMAND_LATENCY_BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
