// jsonCopy, the append path's copy of event data: wherever it copies, the copy
// must equal JSON.parse(JSON.stringify(value)) (the slower path it replaces),
// key order included, and share nothing mutable with the value.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { jsonCopy, NOT_PLAIN } from '../adapters/shared/json-copy.js';

const test = suite('jsonCopy');
const parsed = (v: unknown): unknown => JSON.parse(JSON.stringify(v) ?? 'null');

test('copies JSON values (but those with a __proto__ key) to what parsing their text gives, key order included', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      const c = jsonCopy(v);
      // The one JSON value it declines: an object with an own "__proto__" key (parsed instead).
      if (c === NOT_PLAIN) return assert.ok(JSON.stringify(v).includes('"__proto__":'));
      assert.equal(c, parsed(v));
      assert.is(JSON.stringify(c), JSON.stringify(v));
    }),
    { numRuns: 1000 },
  );
});

test('on any value, either declines or gives what parsing its text gives', () => {
  fc.assert(
    fc.property(
      fc.anything({
        withBoxedValues: true,
        withDate: true,
        withMap: true,
        withNullPrototype: true,
        withObjectString: true,
        withSparseArray: true,
      }),
      (v) => {
        let text: string | undefined;
        try {
          text = JSON.stringify(v);
        } catch {
          return; // BigInt and the like: prepareRequests refuses these before copying
        }
        if (text === undefined) return;
        const c = jsonCopy(v);
        if (c === NOT_PLAIN) return;
        assert.equal(c, JSON.parse(text));
        assert.is(JSON.stringify(c), text);
      },
    ),
    { numRuns: 2000 },
  );
});

test('shares nothing with the value: changing the value later leaves the copy alone', () => {
  const v = { list: [1, { a: 'x' }], o: { b: true } };
  const c = jsonCopy(v) as typeof v;
  v.list.push(3);
  (v.list[1] as { a: string }).a = 'y';
  v.o.b = false;
  assert.equal(c, { list: [1, { a: 'x' }], o: { b: true } });
});

test('declines what JSON writes differently from a copy', () => {
  for (const v of [
    new Date(0),
    { toJSON: () => 1 },
    [undefined],
    [() => 1],
    NaN,
    Infinity,
    JSON.parse('{"__proto__":1}'),
    new (class X {})(),
    new String('s'),
  ])
    assert.is(jsonCopy(v), NOT_PLAIN, String(v));
});

test('leaves out keys whose value JSON leaves out, and writes -0 as 0', () => {
  assert.equal(jsonCopy({ a: undefined, b: () => 1, c: 1 }), { c: 1 });
  assert.ok(Object.is(jsonCopy(-0), 0));
});

test.run();
