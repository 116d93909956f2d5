// Equality of two JSON values (what JSON.parse gives, or objects built the
// same way) without serializing them: a sync compares every device's new
// decision facts with the recorded ones, and two JSON.stringify calls per
// device cost more than the decision. Keys whose value is undefined count as
// absent, as JSON drops them; key order does not matter (the same facts
// written in another order are the same facts). test/same-json.test.ts checks
// it against comparing JSON.stringify texts.
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const arr = Array.isArray(a);
  if (arr !== Array.isArray(b)) return false;
  if (arr) {
    const x = a as unknown[];
    const y = b as unknown[];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!sameJson(x[i], y[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let n = 0;
  for (const k in x) {
    const v = x[k];
    if (v === undefined) continue;
    n++;
    if (!Object.prototype.hasOwnProperty.call(y, k) || !sameJson(v, y[k])) return false;
  }
  for (const k in y) if (y[k] !== undefined) n--;
  return n === 0;
}
