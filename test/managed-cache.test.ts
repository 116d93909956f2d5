import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ManagedCache } from '../src/sync/managed-cache.js';
import { managed } from './support/builders.js';

const test = suite('managed-cache');

test("hands a full sync's list to the planner as read, a repeated device included", () => {
  const list = [
    managed('X1', 'kim@contoso.com', { id: 'a' }),
    managed('Y2', 'eve@contoso.com', { id: 'b' }),
    managed('X1', 'kim@contoso.com', { id: 'a' }),
  ];
  const cache = ManagedCache.ofList(list);
  assert.is(cache.values(), list);
  assert.is(cache.size, 3);
});

test('indexes the list by Intune id when asked, the later record of a repeated device kept, and holds the map from then on', () => {
  const first = managed('X1', 'eve@contoso.com', { id: 'a' });
  const later = managed('X1', 'kim@contoso.com', { id: 'a' });
  const other = managed('Y2', 'eve@contoso.com', { id: 'b' });
  const cache = ManagedCache.ofList([first, other, later]);
  const byId = cache.byId();
  assert.equal([...byId.keys()], ['a', 'b']);
  assert.is(byId.get('a'), later);
  assert.is(cache.byId(), byId, 'built once');
  // A quick sync's update is what the cache then holds.
  const changed = managed('Z3', 'ann@contoso.com', { id: 'c' });
  byId.set('c', changed);
  assert.equal([...cache.values()], [later, other, changed]);
  assert.is(cache.size, 3);
});

test('starts empty for a quick sync that reads every managed device', () => {
  const cache = ManagedCache.empty();
  assert.is(cache.size, 0);
  assert.equal([...cache.values()], []);
  cache.byId().set('a', managed('X1', 'kim@contoso.com', { id: 'a' }));
  assert.is(cache.size, 1);
});

test.run();
