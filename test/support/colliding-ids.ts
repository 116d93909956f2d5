// Two event ids with one 52-bit idHash (adapters/shared/log-ids.ts): a real
// collision, found by a Floyd cycle search over ids of this shape (212 million
// steps). Tests that use it check the collision first (`collides`).
import * as assert from 'uvu/assert';
import { idHash } from '../../adapters/shared/log-ids.js';

export const COLLIDING_IDS = ['collide-ab8a0ca0efb32', 'collide-9c6f356ea9f03'] as const;

/** The two ids, once their hashes are seen to be equal. */
export function collidingIds(): readonly [string, string] {
  const [a, b] = COLLIDING_IDS;
  assert.is(idHash(a), idHash(b), 'the two ids share a hash');
  return [a, b];
}
