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

test('users in the same groups share one result; lists longer than 15 groups and any membership answer as the plain rule does (property)', () => {
  const address = fc.constantFrom('a@x', 'b@x', 'c@x', 'd@x', 'e@x');
  const ids = Array.from({ length: 20 }, (_, i) => `g${i}`);
  const id = fc.constantFrom(...ids);
  fc.assert(
    fc.property(
      fc.array(fc.array(address, { maxLength: 3 }), { minLength: 1, maxLength: 6 }),
      fc.array(fc.tuple(id, fc.uniqueArray(address)), { maxLength: 20 }),
      // Lists with repeats, and up to 20 groups (past the 15 whose results are shared).
      fc.array(id, { maxLength: 20 }),
      fc.array(id, { maxLength: 18 }),
      (users, members, included, excluded) => {
        const groups = new Map<string, Set<string>>(members.map(([g, m]) => [g, new Set(m)]));
        const p = policy({ includedGroups: included, excludedGroups: excluded });
        const inGroup = (addresses: readonly string[]) => (g: string) => addresses.some((a) => groups.get(g)?.has(a) === true);
        const results = users.map((addresses) => {
          const got = groupsOf(addresses, groups, p);
          assert.equal(got, { included: included.filter(inGroup(addresses)), excluded: excluded.filter(inGroup(addresses)) });
          return got;
        });
        for (let i = 0; i < users.length; i++)
          for (let j = 0; j < i; j++) {
            const same = JSON.stringify(results[i]) === JSON.stringify(results[j]);
            if (included.length <= 15 && excluded.length <= 15) assert.is(results[i] === results[j], same, 'shared exactly when equal');
            else assert.is.not(results[i], results[j], 'a result of its own');
          }
      },
    ),
    { numRuns: 300 },
  );
});

test.run();
