// Records keyed by DeviceIds and command ids (src/mailbox/keyed.ts): kept in
// V8's dictionary mode, they must be the very records spreads would build —
// same own keys in the same order, same values, same prototype — whatever
// the keys (a phone may call itself `__proto__`), and never change their input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { keyedCopy, keyedPut, keyedWith, keyedWithout } from '../src/mailbox/keyed.js';

const key = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'tostring', 'hasownproperty', 'valueOf', '', '0', '1', '10', 'appl1', 'appl2', '日本'),
  fc.string({ maxLength: 6 }),
);
type Op = { readonly kind: 'with'; readonly key: string; readonly value: number } | { readonly kind: 'without'; readonly key: string };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('with' as const), key, value: fc.integer() }),
  fc.record({ kind: fc.constant('without' as const), key }),
);

/** What evolve did before: spreads, with computed keys (which never set a prototype). */
const spreadWith = (r: Readonly<Record<string, number>>, k: string, v: number) => ({ ...r, [k]: v });
function spreadWithout(r: Readonly<Record<string, number>>, k: string): Readonly<Record<string, number>> {
  if (!Object.prototype.hasOwnProperty.call(r, k)) return r;
  const { [k]: _gone, ...rest } = r;
  return rest;
}

const same = (a: object, b: object) => {
  assert.equal(Object.keys(a), Object.keys(b));
  assert.is(JSON.stringify(a), JSON.stringify(b));
  assert.equal(a, b);
  assert.is(Object.getPrototypeOf(a), Object.prototype);
};

test('any sequence of sets and removals gives the record spreads give, and leaves every earlier record as it was', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
      let mine: Readonly<Record<string, number>> = {};
      let theirs: Readonly<Record<string, number>> = {};
      const history: Array<[Readonly<Record<string, number>>, string]> = [];
      for (const o of ops) {
        history.push([mine, JSON.stringify(Object.entries(mine))]);
        if (o.kind === 'with') {
          mine = keyedWith(mine, o.key, o.value);
          theirs = spreadWith(theirs, o.key, o.value);
        } else {
          mine = keyedWithout(mine, o.key);
          theirs = spreadWithout(theirs, o.key);
        }
        same(mine, theirs);
      }
      for (const [r, was] of history) assert.is(JSON.stringify(Object.entries(r)), was);
    }),
    { numRuns: 400 },
  );
});

test('a DeviceId of __proto__ is an own key like any other: it never replaces the prototype', () => {
  const r = keyedWith(keyedWith({}, 'appl1', 1), '__proto__', 2);
  assert.equal(Object.keys(r), ['appl1', '__proto__']);
  assert.is(Object.getPrototypeOf(r), Object.prototype);
  assert.is(Object.getOwnPropertyDescriptor(r, '__proto__')?.value, 2);
  const c = keyedCopy(r);
  keyedPut(c, '__proto__', 3);
  assert.is(Object.getOwnPropertyDescriptor(c, '__proto__')?.value, 3);
  assert.is(Object.getOwnPropertyDescriptor(r, '__proto__')?.value, 2, 'the copy is its own');
  assert.equal(Object.keys(keyedWithout(c, '__proto__')), ['appl1']);
  assert.is(keyedWithout(r, 'absent'), r);
});

test.run();
