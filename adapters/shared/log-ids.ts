// Event ids seen by a streaming reader, in 12 bytes a slot: a 52-bit hash of
// each id (a Float64Array) and its line (a Uint32Array: up to 4,294,967,295
// lines), in an open-addressing table (a Set of a million id strings would keep
// the strings alive and cost several times as much). A hash seen twice is only
// a suspect: the reader then reads both lines again and compares the ids
// themselves (`confirmDuplicates`), so a hash collision is never reported as a
// duplicate; and both lines stay in the table, so each of the two ids is found.
import type { FileHandle } from 'node:fs/promises';

/** A 52-bit FNV-1a-style hash of a string (two 32-bit lanes, exact in a double). */
export function idHash(s: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  // 32 bits of one lane and 20 of the other; +1 so that 0 marks an empty slot.
  return (a >>> 0) * 0x100000 + ((b >>> 12) & 0xfffff) + 1;
}

/** What crosses threads: the table's arrays. */
export interface IdSetData {
  readonly keys: Float64Array;
  readonly lines: Uint32Array;
}

/** A pair of lines whose ids hash alike: the later line and the first one. */
export interface Suspect {
  readonly line: number;
  readonly first: number;
}

/**
 * A hash's first slot in a table of `mask + 1` slots (a power of two below 2^31): `hash % (mask + 1)`,
 * the slot saved tables were laid out with, from the hash's low 32 bits (exact for an integer hash)
 * instead of a floating-point remainder. @internal
 */
export const slot = (hash: number, mask: number): number => (hash >>> 0) & mask;

// A reservation never asks for more than 2^30 slots (12 GiB): growth past that is left to `add`.
const MAX_SLOTS = 2 ** 30;

export class IdSet {
  private keys: Float64Array;
  private lines: Uint32Array;
  private count = 0;

  constructor(data?: IdSetData) {
    this.keys = data?.keys ?? new Float64Array(1 << 16);
    this.lines = data?.lines ?? new Uint32Array(this.keys.length);
    // An indexed loop: for…of over a table of millions of slots took ~4× as long, at every store open.
    const keys = this.keys;
    if (data !== undefined) for (let i = 0; i < keys.length; i++) if (keys[i] !== 0) this.count++;
  }

  /** Entries recorded. */
  get size(): number {
    return this.count;
  }

  /**
   * Makes room for `entries` in all (those held included) at once, so that adding up to that many
   * never grows the table: each doubling re-inserts every entry held, a random write each (at
   * 500,000 lines, ~100 ms of a replay). A table large enough already is left as it is.
   */
  reserve(entries: number): void {
    let slots = this.keys.length;
    while (entries * 2 > slots && slots < MAX_SLOTS) slots *= 2;
    if (slots > this.keys.length) this.rehash(slots);
  }

  /**
   * Records `hash` at `line`, also when the hash is held already (two ids may share a hash: each keeps
   * its own line, so either is found by its id). A line recorded before with the same hash, or 0.
   */
  add(hash: number, line: number): number {
    if ((this.count + 1) * 2 > this.keys.length) this.grow();
    const mask = this.keys.length - 1;
    let held = 0;
    for (let i = slot(hash, mask); ; i = (i + 1) & mask) {
      const k = this.keys[i]!;
      if (k === 0) {
        this.keys[i] = hash;
        this.lines[i] = line;
        this.count++;
        return held;
      }
      if (k === hash && held === 0) held = this.lines[i]!;
    }
  }

  /** A line recorded with `hash`, or 0 when none is. */
  find(hash: number): number {
    const mask = this.keys.length - 1;
    for (let i = slot(hash, mask); ; i = (i + 1) & mask) {
      const k = this.keys[i]!;
      if (k === 0) return 0;
      if (k === hash) return this.lines[i]!;
    }
  }

  /** Every line recorded with `hash` (nearly always one; several when ids share the hash), ascending. */
  linesWith(hash: number): number[] {
    return linesIn(this.keys, this.lines, hash);
  }

  /**
   * Adds another set's entries (another part of the same file); the suspects found: each of its lines
   * paired with every line of this set that has its hash (pairs within `other` were its read's own).
   */
  merge(other: IdSetData): Suspect[] {
    const suspects: Suspect[] = [];
    let entries = 0;
    for (let i = 0; i < other.keys.length; i++) if (other.keys[i] !== 0) entries++;
    this.reserve(this.count + entries);
    for (let i = 0; i < other.keys.length; i++) {
      const k = other.keys[i]!;
      if (k === 0) continue;
      const line = other.lines[i]!;
      if (this.add(k, line) === 0) continue;
      const theirs = linesIn(other.keys, other.lines, k);
      for (const held of this.linesWith(k))
        if (!theirs.includes(held)) suspects.push(held < line ? { line, first: held } : { line: held, first: line });
    }
    return suspects;
  }

  data(): IdSetData {
    return { keys: this.keys, lines: this.lines };
  }

  private grow(): void {
    this.rehash(this.keys.length * 2);
  }

  private rehash(slots: number): void {
    const old = { keys: this.keys, lines: this.lines };
    this.keys = new Float64Array(slots);
    this.lines = new Uint32Array(slots);
    this.count = 0;
    for (let i = 0; i < old.keys.length; i++) if (old.keys[i] !== 0) this.add(old.keys[i]!, old.lines[i]!);
  }
}

/** The lines a table (of `IdSet`'s layout) records with `hash`, ascending. */
function linesIn(keys: Float64Array, lines: Uint32Array, hash: number): number[] {
  const out: number[] = [];
  const mask = keys.length - 1;
  for (let i = slot(hash, mask); keys[i] !== 0; i = (i + 1) & mask) if (keys[i] === hash) out.push(lines[i]!);
  return out.sort((a, b) => a - b);
}

/**
 * Reads the file behind `fh` once more for the suspects' lines and keeps the
 * pairs whose ids are really equal: `line N: event id "…" repeats the id of line M`.
 */
export async function confirmDuplicates(fh: FileHandle, suspects: readonly Suspect[]): Promise<Array<{ line: number; message: string }>> {
  if (suspects.length === 0) return [];
  const wanted = new Set<number>();
  for (const s of suspects) {
    wanted.add(s.line);
    wanted.add(s.first);
  }
  const ids = new Map<number, string>();
  const buf = Buffer.allocUnsafe(8 * 1024 * 1024);
  let carry = Buffer.alloc(0);
  let pos = 0;
  let lineNo = 0;
  for (;;) {
    const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) break;
    pos += bytesRead;
    let chunk = carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl >= 0; start = nl + 1, nl = chunk.indexOf(10, start)) {
      lineNo++;
      if (wanted.has(lineNo)) {
        try {
          const id = (JSON.parse(chunk.toString('utf8', start, nl)) as { id?: unknown }).id;
          if (typeof id === 'string') ids.set(lineNo, id);
        } catch {
          /* reported as invalid by the reader already */
        }
      }
    }
    carry = Buffer.from(chunk.subarray(start));
    chunk = carry;
  }
  // A line is reported once, against the first line its id appeared on (it may be suspected with several).
  const firstOf = new Map<number, number>();
  for (const s of suspects) {
    const a = ids.get(s.line);
    const held = firstOf.get(s.line);
    if (a !== undefined && a === ids.get(s.first) && (held === undefined || s.first < held)) firstOf.set(s.line, s.first);
  }
  return [...firstOf]
    .sort((x, y) => x[0] - y[0])
    .map(([line, first]) => ({ line, message: `line ${line}: event id ${JSON.stringify(ids.get(line))} repeats the id of line ${first}` }));
}
