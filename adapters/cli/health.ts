// GET /healthz: healthy while connected and the last successful full sync is
// younger than the configured age. For load balancers and monitoring.
import type { ConnectorStatusView } from '../../src/engine.js';

export interface Health {
  readonly healthy: boolean;
  readonly status: string;
  readonly lastSuccessfulFullSync?: string;
  readonly maxFullSyncAgeMinutes: number;
  /** Why it is unhealthy; empty when healthy. */
  readonly reasons: readonly string[];
}

/** Default age limit: a daily full sync, plus two hours for one that runs long. */
export const DEFAULT_MAX_FULL_SYNC_AGE_MINUTES = 26 * 60;

export function healthOf(s: ConnectorStatusView, nowMs: number, maxAgeMinutes: number, stopping: boolean): Health {
  const reasons: string[] = [];
  if (stopping) reasons.push('stopping');
  if (s.fenced) reasons.push('fenced: another connector took over this organization');
  else if (s.status !== 'connected') reasons.push(`status is ${s.status}`);
  const full = s.lastSuccessfulSync.full;
  if (!full) reasons.push('no successful full sync yet');
  else {
    const ageMin = (nowMs - Date.parse(full)) / 60_000;
    if (!(ageMin <= maxAgeMinutes))
      reasons.push(`last successful full sync at ${full} is ${Math.floor(ageMin)} minutes old (limit ${maxAgeMinutes})`);
  }
  return {
    healthy: reasons.length === 0,
    status: s.status,
    ...(full ? { lastSuccessfulFullSync: full } : {}),
    maxFullSyncAgeMinutes: maxAgeMinutes,
    reasons,
  };
}
