// A sliding-window request budget: at most `requests` requests start in any
// `perMs` window, and nothing starts while Graph has asked us to back off (a 429
// pauses every caller, not only the one that received it).
export interface Budget {
  readonly requests: number;
  readonly perMs: number;
}

/** Below Intune's 2,000 requests per 20 s per app per tenant, leaving room for other tools using the same app. */
export const DEFAULT_BUDGET: Budget = { requests: 1500, perMs: 20_000 };

export class RequestBudget {
  private readonly starts: number[] = [];
  private pausedUntil = 0;

  constructor(
    private readonly budget: Budget,
    private readonly now: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {
    if (!Number.isInteger(budget.requests) || budget.requests < 1)
      throw new RangeError(`budget.requests must be an integer ≥ 1, got ${budget.requests}`);
    if (!(budget.perMs > 0)) throw new RangeError(`budget.perMs must be > 0, got ${budget.perMs}`);
  }

  /** Every caller waits until `until` (ms since the epoch) before its next request. */
  pause(until: number): void {
    if (until > this.pausedUntil) this.pausedUntil = until;
  }

  /** Resolves when one more request may start, and counts it as started. */
  async acquire(): Promise<void> {
    for (;;) {
      const now = this.now();
      if (now < this.pausedUntil) {
        await this.sleep(this.pausedUntil - now);
        continue;
      }
      while (this.starts.length > 0 && this.starts[0]! <= now - this.budget.perMs) this.starts.shift();
      if (this.starts.length < this.budget.requests) {
        this.starts.push(now);
        return;
      }
      await this.sleep(Math.max(1, this.starts[0]! + this.budget.perMs - now));
    }
  }
}
