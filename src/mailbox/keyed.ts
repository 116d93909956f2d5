// Records keyed by values only known at run time: a mailbox's devices (by
// DeviceId) and its pending intents (by command id). Built with spreads, every
// distinct set of keys becomes a hidden class of its own in V8 — one per
// mailbox of an organization — so each copy allocates one and each lookup is
// megamorphic. These copies are made in dictionary mode instead: the same
// keys in the same order, the same prototype, equal under any comparison;
// only cheaper to copy and to look up.

/** An empty plain object in dictionary mode (deleting a property that is not the last one puts it there). */
function dictionary<T>(): Record<string, T> {
  const o: Record<string, unknown> = { a: 0, b: 0 };
  delete o.a;
  delete o.b;
  return o as Record<string, T>;
}

/**
 * Sets own property `key` of `o`. Keys come from phones (a DeviceId may be
 * `__proto__`): assigning that one would set the prototype instead.
 */
export function keyedPut<T>(o: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
  else o[key] = value;
}

/** A copy of `record` to change (with `keyedPut`) before it is shared. */
export function keyedCopy<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  const o = dictionary<T>();
  for (const k of Object.keys(record)) keyedPut(o, k, record[k]!);
  return o;
}

/** `record` with `key` set to `value` (in place when it is there already, last otherwise). */
export function keyedWith<T>(record: Readonly<Record<string, T>>, key: string, value: T): Readonly<Record<string, T>> {
  const o = keyedCopy(record);
  keyedPut(o, key, value);
  return o;
}

// What a removal leaves most often (the last pending intent of a mailbox): one shared empty record,
// not an empty dictionary per mailbox (~100 bytes each, a mailbox state's largest part once idle).
const EMPTY: Readonly<Record<string, never>> = Object.freeze({});

/** `record` without `key` (itself when it has none). */
export function keyedWithout<T>(record: Readonly<Record<string, T>>, key: string): Readonly<Record<string, T>> {
  if (!Object.prototype.hasOwnProperty.call(record, key)) return record;
  const keys = Object.keys(record);
  if (keys.length === 1) return EMPTY;
  const o = dictionary<T>();
  for (const k of keys) if (k !== key) keyedPut(o, k, record[k]!);
  return o;
}

/**
 * The value at own key `key`, or undefined. A plain record inherits members
 * of every object: read directly, a DeviceId of `constructor` or `__proto__`
 * (a phone chooses its own) would find one where there is no partnership.
 */
export function keyedGet<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  const v: unknown = record[key];
  // Inherited members are functions, or the prototype itself (`__proto__`); the values kept here are plain data.
  return (typeof v === 'function' || v === Object.prototype) && !Object.prototype.hasOwnProperty.call(record, key) ? undefined : (v as T);
}
