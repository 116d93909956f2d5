// Where a quick sync starts reading: from the last partnership's first sync
// (the watermark a completed sync records) and the last look at Intune.
import type { OrgState } from '../state.js';
import type { MailboxState } from '../mailbox.js';
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

/** A mailbox's latest first sync: its text and instant. */
interface Latest {
  readonly text: string;
  readonly ms: number;
}

// Each mailbox's latest first sync, kept by its devices record: states are immutable (a change
// to a device makes a new record), so a sync looks again only at the mailboxes that changed.
// A nightly full sync or a quick sync at 50,000 devices otherwise parsed every instant again.
const latestOf = new WeakMap<object, Latest | null>();

function latestIn(devices: MailboxState['devices']): Latest | null {
  const known = latestOf.get(devices);
  if (known !== undefined) return known;
  let best: Latest | null = null;
  for (const k in devices) {
    const f = devices[k]!.firstSyncTime;
    if (!f) continue;
    const t = Date.parse(f);
    // An unparsable instant (NaN) is never later.
    if (t > (best?.ms ?? -Infinity)) best = { text: f, ms: t };
  }
  latestOf.set(devices, best);
  return best;
}

/** The latest FirstSyncTime among known partnerships: the next quick sync's watermark. */
export function maxFirstSync(s: OrgState): string | undefined {
  let best: Latest | null = null;
  for (const ms of s.mailboxes.values()) {
    const l = latestIn(ms.devices);
    if (l !== null && (best === null || l.ms > best.ms)) best = l;
  }
  return best?.text;
}
