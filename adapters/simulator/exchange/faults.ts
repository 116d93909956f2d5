// Injected failures: the next calls (of one cmdlet, or any) fail with a given error.
import type { ExchangeError } from '../../../src/ports.js';
import type { Cmdlet, FailureOptions } from './types.js';

export interface Failure {
  remaining: number;
  error: ExchangeError;
  cmdlet?: Cmdlet;
  applied: boolean;
}

export class Faults {
  private readonly failures: Failure[] = [];

  /** The next `n` calls (of `options.cmdlet`, when given) fail with `error`. */
  failNext(n: number, error: ExchangeError, options: FailureOptions = {}): void {
    if (n > 0) this.failures.push({ remaining: n, error, cmdlet: options.cmdlet, applied: options.applied ?? false });
  }

  /** The failure this call consumes, if any (first queued first). */
  take(cmdlet: Cmdlet): Failure | undefined {
    for (let i = 0; i < this.failures.length; i++) {
      const f = this.failures[i]!;
      if (f.cmdlet !== undefined && f.cmdlet !== cmdlet) continue;
      if (--f.remaining <= 0) this.failures.splice(i, 1);
      return f;
    }
    return undefined;
  }
}
