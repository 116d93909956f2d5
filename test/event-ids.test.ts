// Ids the stores make for new events (adapters/shared/event-ids.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { newEventId } from '../adapters/shared/event-ids.js';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('every id is a lower-case version 4 UUID, across many refills of the random batch', () => {
  for (let i = 0; i < 5_000; i++) {
    const id = newEventId();
    assert.ok(V4.test(id), id);
  }
});

test('ids do not repeat', () => {
  const n = 200_000;
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) seen.add(newEventId());
  assert.is(seen.size, n);
});

test('every random digit varies from id to id (none is written from a fixed byte)', () => {
  const values = Array.from({ length: 36 }, () => new Set<string>());
  for (let i = 0; i < 2_000; i++) [...newEventId()].forEach((c, k) => values[k]!.add(c));
  values.forEach((v, k) => {
    if ([8, 13, 18, 23].includes(k)) assert.equal([...v], ['-'], `position ${k}`);
    else if (k === 14) assert.equal([...v], ['4'], 'the version');
    else if (k === 19) assert.equal([...v].sort(), ['8', '9', 'a', 'b'], 'the variant');
    else assert.is(v.size, 16, `position ${k}: ${[...v].join('')}`);
  });
});

test('each id is a string of its own, not a view of a buffer reused by the next', () => {
  const a = newEventId();
  const copy = `${a}`;
  newEventId();
  assert.is(a, copy);
});

test.run();
