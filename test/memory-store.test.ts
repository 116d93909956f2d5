import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { memoryStore } from '../adapters/memory-store/index.js';
import { storeConformance } from './store-conformance.js';
import { collidingIds } from './support/colliding-ids.js';

storeConformance('memory store', async () => memoryStore());

const test = suite('memory store');

test('two ids that share a hash are both held: each is refused when appended again', async () => {
  const [a, b] = collidingIds();
  const store = memoryStore();
  const at = '2026-11-26T08:00:00.000Z';
  for (const [stream, id] of [
    ['a', a],
    ['b', b],
  ] as const)
    assert.is((await store.append([{ stream, expected: 'any', events: [{ type: 'E', data: {}, at, id }] }]))._tag, 'Right');
  for (const [id, position] of [
    [a, 0],
    [b, 1],
  ] as const) {
    const r = await store.append([{ stream: 'c', expected: 'any', events: [{ type: 'Again', data: {}, at, id }] }]);
    assert.ok(r._tag === 'Left' && r.left.kind === 'duplicateId' && r.left.position === position, `${id}: ${JSON.stringify(r)}`);
  }
  await store.close();
});

test.run();
