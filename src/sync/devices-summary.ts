// What a sync asks of every known mailbox's devices, kept by the devices record:
// states are immutable (a change to a device makes a new record), so a sync
// looks again only at the mailboxes that changed since the last one. A nightly
// full sync at 100,000 devices otherwise walked every device twice more: for the
// watermark's latest first sync, and for the wipes sent and not yet acknowledged.
//
// What is kept per mailbox is as small as it can be: the latest first sync's text
// itself (a string the device record holds anyway) when no wipe is outstanding, an
// object only for a mailbox with one. An object with its instant as a number cost
// ~64 bytes a mailbox; the instant is read again from the text when compared
// (laterInstant: usually without parsing).
import type { MailboxState } from '../mailbox.js';

const NONE: readonly string[] = Object.freeze([]);

/** A mailbox with a wipe sent and not acknowledged (rare): its latest first sync and those devices' identities. */
interface WithWipes {
  readonly latestText: string | undefined;
  readonly wipesSent: readonly string[];
}

// undefined: a mailbox with neither (a value of the map, not a missing entry: `has` tells them apart).
type Summary = string | WithWipes | undefined;
const summaries = new WeakMap<object, Summary>();

function summaryOf(devices: MailboxState['devices']): Summary {
  const known = summaries.get(devices);
  if (known !== undefined || summaries.has(devices)) return known;
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
  const s: Summary = wipesSent === undefined ? latestText : { latestText, wipesSent };
  summaries.set(devices, s);
  return s;
}

/** The latest parsable FirstSyncTime among the devices, as written (the first of equal instants); undefined when none has one. */
export function latestFirstSync(devices: MailboxState['devices']): string | undefined {
  const s = summaryOf(devices);
  return typeof s === 'object' ? s.latestText : s;
}

/** Identities of the devices whose remote wipe was sent and is not acknowledged yet. */
export function wipesSent(devices: MailboxState['devices']): readonly string[] {
  const s = summaryOf(devices);
  return typeof s === 'object' ? s.wipesSent : NONE;
}

/**
 * Whether instant `a` is later than instant `b`, both parsable, `bMs` being `Date.parse(b)`. Two UTC
 * instants written alike (`YYYY-MM-DDTHH:MM:SS[.fff]Z`, as long as each other) compare as text, in the
 * order of their instants: no parse, the usual case (every partnership's time comes from one server).
 */
export function laterInstant(a: string, b: string, bMs: number): boolean {
  if (a.length === b.length && utcShape(a) && utcShape(b)) return a > b;
  return Date.parse(a) > bMs;
}

// Separators at their places and a final Z: Date.parse accepted the text, so what lies between is digits
// and, past the seconds, a fraction. Two such texts as long as each other order as their instants.
const utcShape = (s: string): boolean =>
  s.length >= 20 &&
  s.charCodeAt(4) === 45 &&
  s.charCodeAt(7) === 45 &&
  s.charCodeAt(10) === 84 &&
  s.charCodeAt(13) === 58 &&
  s.charCodeAt(16) === 58 &&
  s.charCodeAt(s.length - 1) === 90;
