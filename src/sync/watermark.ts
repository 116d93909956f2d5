// Where a quick sync starts reading: from the last partnership's first sync
// (the watermark a completed sync records) and the last look at Intune.
import type { OrgState } from '../state.js';
import { laterInstant, latestFirstSync } from './devices-summary.js';
import { iso, type SyncCaches } from './run.js';

/** Exchange and Intune clocks are not ours: look back a little and let idempotence absorb the overlap. */
const WATERMARK_OVERLAP_MS = 5 * 60_000;

/** A quick sync's windows: partnerships first synced since `since`, Intune devices changed since `intuneSince` (undefined: all). */
export function quickWindows(s: OrgState, caches: SyncCaches): { since: string | undefined; intuneSince: string | undefined } {
  const watermark = s.connector.watermark;
  const since = watermark ? iso(Date.parse(watermark) - WATERMARK_OVERLAP_MS) : undefined;
  const intuneSince =
    caches.managed && caches.intuneCheckedAt !== undefined ? iso(caches.intuneCheckedAt - WATERMARK_OVERLAP_MS) : undefined;
  return { since, intuneSince };
}

/** The latest FirstSyncTime among known partnerships: the next quick sync's watermark. */
export function maxFirstSync(s: OrgState): string | undefined {
  let text: string | undefined;
  let at = -Infinity;
  for (const ms of s.mailboxes.values()) {
    const l = latestFirstSync(ms.devices);
    if (l !== undefined && (text === undefined || laterInstant(l, text, at))) {
      text = l;
      at = Date.parse(l);
    }
  }
  return text;
}
