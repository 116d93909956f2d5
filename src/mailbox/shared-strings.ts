// Strings that many partnerships carry with the same value — a platform, a model, an
// OS version, a sync client's user agent, a default friendly name — kept once rather
// than once per device (deviceRecord in evolve.ts). Every answer Exchange gives is
// parsed anew, so without this 100,000 partnerships hold 100,000 copies of "iPhone"
// and of a handful of user agents (~160 bytes a device in all). The table is bounded: values past its size (a phone
// names its own user agent) are kept as they came. Equal strings are equal values,
// so what any caller sees is the same.
const table = new Map<string, string>();
const LIMIT = 8192;

/** `s`, or the equal string seen first (undefined stays undefined). */
export function sharedString<T extends string | undefined>(s: T): T {
  if (s === undefined) return s;
  const held = table.get(s);
  if (held !== undefined) return held as T;
  if (table.size < LIMIT) table.set(s, s);
  return s;
}

/** How many values the table holds (for tests: which values go in is a memory matter, invisible otherwise). @internal */
export const sharedStringsHeld = (): number => table.size;
