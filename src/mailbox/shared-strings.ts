// Strings that many partnerships carry with the same value — a platform, a model, an
// OS version, a sync client's user agent, a default friendly name — kept once rather
// than once per device (deviceRecord in evolve.ts). Every answer Exchange gives is
// parsed anew, so without this 100,000 partnerships hold 100,000 copies of "iPhone"
// and of a handful of user agents (~160 bytes a device in all). Equal strings are
// equal values, so what any caller sees is the same.
//
// The table is bounded, and starts afresh when full rather than refusing new values:
// values that are each a device's own (a phone may name its own user agent, users name
// their phones) would otherwise fill it for good, and the values worth sharing that come
// later (the OS version every phone reports after an update) would each be kept once per
// device. Starting afresh costs one more copy of a common value per 8,192 new ones; the
// records that hold a value keep sharing it.
const table = new Map<string, string>();
const LIMIT = 8192;

/** `s`, or the equal string seen first since the table last started afresh (undefined stays undefined). */
export function sharedString<T extends string | undefined>(s: T): T {
  if (s === undefined) return s;
  const held = table.get(s);
  if (held !== undefined) return held as T;
  if (table.size >= LIMIT) table.clear();
  table.set(s, s);
  return s;
}

/** How many values the table holds (for tests: which values go in is a memory matter, invisible otherwise). @internal */
export const sharedStringsHeld = (): number => table.size;
