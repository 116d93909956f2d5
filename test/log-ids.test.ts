// The id table of the log's readers (adapters/shared/log-ids.ts): every line is
// recorded with its id's hash, a hash shared by several ids included, and a hash
// seen before answers with one of its lines, whatever the table's size.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { IdSet, idHash, slot } from '../adapters/shared/log-ids.js';
import { collidingIds } from './support/colliding-ids.js';

/** What the table must answer: the lines of each hash, by a Map. */
function reference(hashes: readonly number[]): Map<number, number[]> {
  const map = new Map<number, number[]>();
  hashes.forEach((h, i) => {
    const lines = map.get(h);
    if (lines === undefined) map.set(h, [i + 1]);
    else lines.push(i + 1);
  });
  return map;
}

/** `add`'s answer for the hash at index i: 0 when no earlier line has it, else one of those lines. */
function answersAdd(set: IdSet, hs: readonly number[], i: number): void {
  const earlier: number[] = [];
  for (let j = 0; j < i; j++) if (hs[j] === hs[i]) earlier.push(j + 1);
  const got = set.add(hs[i]!, i + 1);
  if (earlier.length === 0) assert.is(got, 0);
  else assert.ok(earlier.includes(got), `add answers ${got}, not one of ${earlier.join(', ')}`);
}

function holdsAll(set: IdSet, want: Map<number, number[]>): void {
  for (const [h, lines] of want) {
    assert.equal(set.linesWith(h), lines);
    assert.ok(lines.includes(set.find(h)));
  }
  assert.is(set.find(2 ** 52 + 7), 0);
  assert.equal(set.linesWith(2 ** 52 + 7), []);
}

// Small hashes collide in slots often (a table starts at 65,536 slots); a few repeats are forced in.
const hashes = fc
  .array(fc.oneof(fc.integer({ min: 1, max: 2 ** 52 }), fc.integer({ min: 1, max: 300 })), { maxLength: 3000 })
  .chain((hs) => fc.tuple(fc.constant(hs), fc.array(fc.nat({ max: Math.max(0, hs.length - 1) }), { maxLength: 20 })))
  .map(([hs, picks]) => (hs.length === 0 ? hs : [...hs, ...picks.map((i) => hs[i]!)]));

test('records every line, those whose hash is held already included, and finds each by its hash, across its growth', () => {
  fc.assert(
    fc.property(hashes, (hs) => {
      const set = new IdSet();
      hs.forEach((_, i) => answersAdd(set, hs, i));
      holdsAll(set, reference(hs));
      assert.is(set.size, hs.length);
    }),
    { numRuns: 60 },
  );
});

test('two ids that share a hash are each recorded with their own line', () => {
  const [a, b] = collidingIds();
  const set = new IdSet();
  assert.is(set.add(idHash(a), 3), 0);
  assert.is(set.add(idHash(b), 9), 3);
  assert.equal(set.linesWith(idHash(b)), [3, 9]);
  // Rebuilt from its arrays (a saved index, another thread): both still there.
  assert.equal(new IdSet(set.data()).linesWith(idHash(a)), [3, 9]);
});

test('grows past half load without losing an entry', () => {
  const s = new IdSet();
  for (let i = 1; i <= 100_000; i++) assert.is(s.add(i * 7919, i), 0);
  assert.ok(s.data().keys.length >= 200_002, 'at most half full');
  for (let i = 1; i <= 100_000; i++) assert.is(s.find(i * 7919), i);
});

// Reservations up to 200,000 entries: past the first table's half load (32,768), so the table is made larger.
test('a reservation changes no answer, and adds within it never grow the table', () => {
  fc.assert(
    fc.property(hashes, fc.nat(), fc.nat({ max: 200_000 }), (hs, at, extra) => {
      const want = reference(hs);
      const set = new IdSet();
      const cut = hs.length === 0 ? 0 : at % hs.length;
      for (let i = 0; i < cut; i++) answersAdd(set, hs, i);
      set.reserve(hs.length + extra);
      const slots = set.data().keys.length;
      assert.ok(slots >= 2 * (hs.length + extra), 'room for the reservation at half load');
      for (let i = cut; i < hs.length; i++) answersAdd(set, hs, i);
      assert.is(set.data().keys.length, slots, 'not grown');
      assert.is(set.size, hs.length);
      holdsAll(set, want);
    }),
    { numRuns: 60 },
  );
});

test('a reservation smaller than the table leaves it as it is', () => {
  const set = new IdSet();
  set.add(5, 1);
  const before = set.data().keys;
  set.reserve(10);
  assert.is(set.data().keys, before);
});

test('merges another part of the same file, naming each pair of lines whose ids hash alike', () => {
  const a = new IdSet();
  const b = new IdSet();
  a.add(idHash('x'), 1);
  a.add(idHash('y'), 2);
  b.add(idHash('z'), 3);
  b.add(idHash('x'), 4);
  assert.equal(a.merge(b.data()), [{ line: 4, first: 1 }]);
  assert.is(a.find(idHash('z')), 3);
});

test("merging pairs each of the other part's lines with every line of this one that shares its hash, never two of its own", () => {
  const h = idHash(collidingIds()[0]);
  const a = new IdSet();
  const b = new IdSet();
  a.add(h, 2);
  a.add(h, 5);
  b.add(h, 3);
  b.add(h, 7);
  assert.equal(
    a.merge(b.data()).sort((x, y) => x.line - y.line || x.first - y.first),
    [
      { line: 3, first: 2 },
      { line: 5, first: 3 },
      { line: 7, first: 2 },
      { line: 7, first: 5 },
    ],
  );
  assert.equal(a.linesWith(h), [2, 3, 5, 7]);
});

test('a table rebuilt from its arrays (another thread, a saved index) goes on counting its entries', () => {
  const a = new IdSet();
  for (let i = 1; i <= 40_000; i++) a.add(idHash(`id-${i}`), i);
  const b = new IdSet(a.data());
  // 40,000 entries already: 10,000 more pass the half-load mark of 65,536 slots and grow the table.
  for (let i = 40_001; i <= 50_000; i++) assert.is(b.add(idHash(`id-${i}`), i), 0);
  assert.ok(b.data().keys.length > 65_536);
  for (let i = 1; i <= 50_000; i++) assert.is(b.find(idHash(`id-${i}`)), i);
});

test('a hash takes the slot saved tables were laid out with: its remainder by the table size', () => {
  fc.assert(
    fc.property(fc.string(), fc.integer({ min: 1, max: 30 }), (id, bits) => {
      const hash = idHash(id);
      assert.is(slot(hash, 2 ** bits - 1), hash % 2 ** bits);
    }),
    { numRuns: 2000 },
  );
  // The largest hashes (52 bits) and the largest table the slot serves.
  for (const hash of [2 ** 52, 2 ** 52 - 1, 2 ** 32 + 5, 2 ** 31 + 7]) assert.is(slot(hash, 2 ** 30 - 1), hash % 2 ** 30);
});

test('hashes equal strings alike and never to 0 (the empty slot)', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 50 }), (s) => {
      const h = idHash(s);
      assert.is(idHash(s.slice()), h);
      assert.ok(h >= 1 && h <= 2 ** 52 && Number.isInteger(h));
    }),
  );
});

test.run();
