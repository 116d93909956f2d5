// What a sync asks of every known mailbox's devices, kept by the devices record:
// states are immutable (a change to a device makes a new record), so a sync
// looks again only at the mailboxes that changed since the last one. A nightly
// full sync at 100,000 devices otherwise walked every device twice more: for the
// watermark's latest first sync, and for the wipes sent and not yet acknowledged.
import type { MailboxState } from '../mailbox.js';

export interface DevicesSummary {
  /** The latest FirstSyncTime among the devices as written, and its instant; undefined (-Infinity) when none has one. */
  readonly latestText: string | undefined;
  readonly latestMs: number;
  /** Identities of the devices whose remote wipe was sent and is not acknowledged yet. */
  readonly wipesSent: readonly string[];
}

const NONE: readonly string[] = Object.freeze([]);
// One object per mailbox (as the watermark's alone was), a shared one for a mailbox with neither.
const NOTHING: DevicesSummary = Object.freeze({ latestText: undefined, latestMs: -Infinity, wipesSent: NONE });
const summaries = new WeakMap<object, DevicesSummary>();

export function devicesSummary(devices: MailboxState['devices']): DevicesSummary {
  const known = summaries.get(devices);
  if (known !== undefined) return known;
  let latestText: string | undefined;
  let latestMs = -Infinity;
  let wipesSent: string[] | undefined;
  for (const k in devices) {
    const d = devices[k]!;
    const f = d.firstSyncTime;
    if (f) {
      const t = Date.parse(f);
      // An unparsable instant (NaN) is never later.
      if (t > latestMs) {
        latestText = f;
        latestMs = t;
      }
    }
    if (d.wipe?.stage === 'sent') (wipesSent ??= []).push(d.identity);
  }
  const s = latestText === undefined && wipesSent === undefined ? NOTHING : { latestText, latestMs, wipesSent: wipesSent ?? NONE };
  summaries.set(devices, s);
  return s;
}
