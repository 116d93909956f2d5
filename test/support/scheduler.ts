// An engine scheduler for tests: the organization's clock stands still at
// `nowMs` while waits (throttling, retries) run on real timers.
import type { SchedulerLike } from 'rxjs';

export function fixedClockScheduler(nowMs: number): SchedulerLike {
  return {
    now: () => nowMs,
    schedule: (work: () => void, delay?: number) => {
      const h = setTimeout(work, delay ?? 0);
      return { unsubscribe: () => clearTimeout(h), closed: false };
    },
  } as unknown as SchedulerLike;
}
