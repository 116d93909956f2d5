// When the engine's schedules fire: a quick sync every few minutes, a full sync daily at a UTC time.

export interface ScheduleOptions {
  /** Quick sync period in minutes (default 15). */
  readonly quickMinutes?: number;
  /** Daily full sync at this UTC time, `HH:MM` (default `02:00`). */
  readonly fullDailyAt?: string;
}

/** Milliseconds from `nowMs` to the next `HH:MM` UTC. */
export function msUntilDaily(nowMs: number, hhmm: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) throw new Error(`fullDailyAt must be HH:MM, got "${hhmm}"`);
  const d = new Date(nowMs);
  let next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), Number(m[1]), Number(m[2]));
  if (next <= nowMs) next += 86_400_000;
  return next - nowMs;
}
