// Importing the library changes nothing outside it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { produce } from 'immer';

const test = suite('side effects');

test("importing the core and the projections leaves immer's global settings alone (drafts stay frozen)", async () => {
  await import('../src/index.js');
  const next = produce({ a: { b: 1 } }, (d) => {
    d.a.b = 2;
  });
  assert.ok(Object.isFrozen(next) && Object.isFrozen(next.a));
});

test.run();
