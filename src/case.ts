// Case-insensitive comparison as String.prototype.toLowerCase makes it, without
// making the lower-cased copy when the text is Latin-1: mapping and the platform
// exceptions compare device and user fields with lower-cased names for every
// device of every sync, and a copy each was garbage at once.

/** The lower case of a Latin-1 character (one character: A–Z and À–Þ but ×, 32 on; the rest are their own). */
const lowerLatin1 = (c: number): number => ((c >= 65 && c <= 90) || (c >= 0xc0 && c <= 0xde && c !== 0xd7) ? c + 32 : c);

/** Whether `s.slice(from).toLowerCase() === lower` (`from` 0: the whole text), without the slice either. */
export function isLowerCaseOf(s: string, lower: string, from = 0): boolean {
  const n = s.length - from;
  if (n !== lower.length) {
    // Lower-casing keeps a Latin-1 text's length: only a text with other characters can still match.
    for (let i = from; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return s.slice(from).toLowerCase() === lower;
    return false;
  }
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(from + i);
    // Past a Latin-1 prefix, each character so far lower-cased to one: the rest is left to toLowerCase.
    if (c > 0xff) return s.slice(from).toLowerCase() === lower;
    if (lowerLatin1(c) !== lower.charCodeAt(i)) return false;
  }
  return true;
}
