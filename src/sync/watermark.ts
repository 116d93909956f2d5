// Where a quick sync starts reading: from the last partnership's first sync
// (the watermark a completed sync records) and the last look at Intune.
import type { OrgState } from '../state.js';
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

// Instants in this one form (what the gateways write) order as their text does.
const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The latest FirstSyncTime among known partnerships: the next quick sync's watermark. */
export function maxFirstSync(s: OrgState): string | undefined {
  let best: string | undefined;
  let bestMs = -Infinity;
  let bestCanonical = false;
  for (const ms of s.mailboxes.values()) {
    const devices = ms.devices;
    for (const k in devices) {
      const f = devices[k]!.firstSyncTime;
      if (!f) continue;
      // Most are older than the best so far: a text comparison says so without parsing.
      if (bestCanonical && f.length === 24 && f <= best! && CANONICAL.test(f)) continue;
      const t = Date.parse(f);
      if (t > bestMs) {
        bestMs = t;
        best = f;
        bestCanonical = CANONICAL.test(f);
      }
    }
  }
  return best;
}
