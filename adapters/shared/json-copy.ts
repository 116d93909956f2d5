// A deep copy of a value equal to JSON.parse(JSON.stringify(value)), made by
// walking it rather than parsing the text again: every appended event is
// serialized for the log line and kept in memory as a copy the caller cannot
// change, and parsing the line back cost more than the rest of the append.
// Values whose JSON form differs from a plain copy (toJSON, Dates, class
// instances, undefined or functions in arrays, non-finite numbers, a
// "__proto__" key) are not copied: the caller parses the text instead.
// test/json-copy.test.ts checks it against JSON.parse(JSON.stringify(value)).

/** Returned when `value` needs the JSON text parsed. */
export const NOT_PLAIN: unique symbol = Symbol('not plain JSON');

export function jsonCopy(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? (value === 0 ? 0 : value) : NOT_PLAIN;
    case 'object': {
      if (value === null) return null;
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto === Array.prototype) {
        const a = value as unknown[];
        const out = new Array<unknown>(a.length);
        for (let i = 0; i < a.length; i++) {
          const v = a[i];
          // JSON writes null for these; leave them to the parser.
          if (v === undefined || typeof v === 'function' || typeof v === 'symbol') return NOT_PLAIN;
          const c = jsonCopy(v);
          if (c === NOT_PLAIN) return NOT_PLAIN;
          out[i] = c;
        }
        return out;
      }
      if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
      const o = value as Record<string, unknown>;
      if (typeof o.toJSON === 'function') return NOT_PLAIN;
      const out: Record<string, unknown> = {};
      for (const k in o) {
        const v = o[k];
        // JSON leaves these keys out.
        if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
        if (k === '__proto__') return NOT_PLAIN;
        const c = jsonCopy(v);
        if (c === NOT_PLAIN) return NOT_PLAIN;
        out[k] = c;
      }
      return out;
    }
    default:
      return NOT_PLAIN;
  }
}
