// sameJson, the decision-facts comparison of a sync: it must agree with
// comparing JSON.stringify texts (the slower path it replaces) on JSON values.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { sameJson } from '../src/mailbox/same-json.js';
import { sameDecision, type DecisionState } from '../src/mailbox.js';
import type { Decision } from '../src/access.js';

const test = suite('sameJson');
const byText = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** `v` with one leaf (chosen by `pick`) replaced by `leaf`; a copy otherwise. */
function mutate(v: unknown, pick: number, leaf: unknown): unknown {
  let n = 0;
  const walk = (x: unknown): unknown => {
    if (x !== null && typeof x === 'object') {
      if (Array.isArray(x)) return x.map(walk);
      return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, walk(y)]));
    }
    return n++ === pick ? leaf : x;
  };
  return walk(v);
}

test('agrees with comparing JSON texts on a value and its JSON copy', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      const copy: unknown = JSON.parse(JSON.stringify(v));
      assert.is(sameJson(v, copy), byText(v, copy));
      assert.ok(sameJson(v, copy));
    }),
    { numRuns: 500 },
  );
});

test('agrees with comparing JSON texts when one leaf changes', () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.nat(20), fc.jsonValue({ maxDepth: 1 }), (v, pick, leaf) => {
      const w = mutate(v, pick, leaf);
      assert.is(sameJson(v, w), byText(v, w));
    }),
    { numRuns: 1000 },
  );
});

test('agrees with comparing JSON texts on unrelated values', () => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => assert.is(sameJson(a, b), byText(a, b))),
    { numRuns: 1000 },
  );
});

test('counts a key set to undefined as absent, as JSON does', () => {
  assert.ok(sameJson({ a: 1, b: undefined }, { a: 1 }));
  assert.ok(sameJson({ a: 1 }, { a: 1, b: undefined }));
  assert.not.ok(sameJson({ a: 1 }, { a: 1, b: null }));
  assert.not.ok(sameJson({ a: [] }, { a: {} }));
});

test('the same facts written in another key order are the same decision (no new AccessDecided)', () => {
  const facts = { groups: { included: ['g1'], excluded: [] }, intune: null, conflicts: [] };
  const reordered = { conflicts: [], intune: null, groups: { excluded: [], included: ['g1'] } };
  const prev: DecisionState = { access: 'block', reason: 'notEnrolled', governed: true, policyRevision: 2, facts, syncId: 's', at: 'x' };
  const d: Decision = { access: 'block', reason: 'notEnrolled', governed: true, rule: 8, facts: reordered };
  assert.ok(sameDecision(prev, d, 2));
  assert.not.ok(
    sameDecision(prev, { ...d, facts: { ...reordered, intune: { id: 'i', complianceState: 'compliant', managementAgent: 'mdm' } } }, 2),
  );
  assert.not.ok(sameDecision(prev, d, 3));
});

test.run();
