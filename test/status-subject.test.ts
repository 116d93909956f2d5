// The engine's status$ (src/status-subject.ts): computed only when needed, and
// never handing out a stale value.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LazyStatusSubject } from '../src/status-subject.js';

test('a change with no subscriber computes nothing until the value is read, then gives the fresh value', () => {
  let n = 0;
  let computed = 0;
  const s = new LazyStatusSubject(() => (computed++, n));
  assert.is(computed, 1, 'the initial value');
  n = 1;
  s.changed();
  n = 2;
  s.changed();
  assert.is(computed, 1, 'no one listens: nothing computed');
  assert.is(s.value, 2);
  assert.is(s.getValue(), 2);
  assert.is(computed, 2, 'computed once, when read');
});

test('a new subscriber gets the current value, and every later change while it listens', () => {
  let n = 0;
  const s = new LazyStatusSubject(() => n);
  n = 5;
  s.changed();
  const seen: number[] = [];
  const sub = s.subscribe((v) => seen.push(v));
  n = 6;
  s.changed();
  n = 7;
  s.changed();
  sub.unsubscribe();
  n = 8;
  s.changed();
  assert.equal(seen, [5, 6, 7]);
  // The deprecated three-callback form is served the same way.
  const late: number[] = [];
  s.subscribe((v) => late.push(v), undefined, undefined).unsubscribe();
  assert.equal(late, [8]);
});

test.run();
