// Group targeting: which of the policy's groups a mailbox's user is in.
import { suite } from 'uvu';
import fc from 'fast-check';
import * as assert from 'uvu/assert';
import { groupsOf } from '../src/groups.js';
import { policy } from './support/builders.js';

const test = suite('groups');

test('a user is in a group by any of their addresses, and a group Intune did not report is no group of theirs', () => {
  const groups = new Map([
    ['g-all', new Set(['kim@contoso.com'])],
    ['g-excluded', new Set(['k.akers@contoso.com'])],
    ['g-other', new Set(['kim@contoso.com'])],
  ]);
  const p = policy({ includedGroups: ['g-missing', 'g-all', 'g-other'], excludedGroups: ['g-excluded'] });
  assert.equal(groupsOf(['kim@contoso.com', 'k.akers@contoso.com'], groups, p), {
    included: ['g-all', 'g-other'],
    excluded: ['g-excluded'],
  });
  assert.equal(groupsOf(['ann@contoso.com'], groups, p), { included: [], excluded: [] });
});

test("the groups are the policy's, in its order, each once, whose members include one of the addresses (property)", () => {
  const address = fc.constantFrom('a@x', 'b@x', 'c@x', 'd@x');
  const id = fc.constantFrom('g1', 'g2', 'g3', 'g4');
  fc.assert(
    fc.property(
      fc.array(address, { maxLength: 3 }),
      fc.array(fc.tuple(id, fc.uniqueArray(address)), { maxLength: 4 }),
      fc.uniqueArray(id),
      fc.uniqueArray(id),
      (addresses, members, included, excluded) => {
        const groups = new Map<string, Set<string>>(members.map(([g, m]) => [g, new Set(m)]));
        const inGroup = (g: string) => addresses.some((a) => groups.get(g)?.has(a) === true);
        assert.equal(groupsOf(addresses, groups, policy({ includedGroups: included, excludedGroups: excluded })), {
          included: included.filter(inGroup),
          excluded: excluded.filter(inGroup),
        });
      },
    ),
  );
});

test.run();
