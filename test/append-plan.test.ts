// Planning an append (adapters/shared/append-plan.ts): a store that keeps no
// events (the file store) gets the same placement and answers without them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { planAppend, type LogView } from '../adapters/shared/append-plan.js';
import { prepareRequests } from '../adapters/shared/log-codec.js';

const AT = '2026-12-06T10:00:00.000Z';

/** A log of `length` events whose streams have the given heads. */
const viewOf = (length: number, heads: ReadonlyMap<string, { revision: number; position: number }>): LogView => ({
  length,
  head: (s) => heads.get(s),
  positionOfId: () => undefined,
});

const requests = fc.array(
  fc.record({
    stream: fc.constantFrom('s-a', 's-b', 's-c'),
    events: fc.array(fc.record({ type: fc.constantFrom('T', 'U'), data: fc.integer() }), { maxLength: 3 }),
  }),
  { maxLength: 6 },
);

test('a plan that keeps no events places every event and answers every request as one that keeps them (property)', () => {
  fc.assert(
    fc.property(requests, fc.boolean(), (rs, known) => {
      const heads = new Map(known ? [['s-a', { revision: 4, position: 9 }]] : []);
      const prepared = prepareRequests(
        rs.map((r) => ({ stream: r.stream, expected: 'any' as const, events: r.events.map((e) => ({ ...e, at: AT })) })),
        { copies: false },
      );
      const kept = planAppend(viewOf(10, heads), prepared);
      const lean = planAppend(viewOf(10, heads), prepared, false);
      if (kept._tag === 'Left' || lean._tag === 'Left') throw new Error('a plan was refused');
      assert.equal(lean.right.placed, kept.right.placed);
      assert.equal(lean.right.results, kept.right.results);
      assert.equal(lean.right.events, []);
      assert.is(kept.right.events.length, kept.right.placed.length);
    }),
    { numRuns: 300 },
  );
});

test('ids the store makes are not looked up; every id a caller gives is, in the log and in the batch (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.option(fc.constantFrom('id-1', 'id-2', 'id-3'), { nil: undefined }), { minLength: 1, maxLength: 8 }), (ids) => {
      const asked: string[] = [];
      const view: LogView = {
        length: 5,
        head: () => undefined,
        // id-3 is in the log already.
        positionOfId: (id) => (asked.push(id), id === 'id-3' ? 2 : undefined),
      };
      const prepared = prepareRequests(
        [
          {
            stream: 's',
            expected: 'any',
            events: ids.map((id) => ({ type: 'T', data: null, at: AT, ...(id === undefined ? {} : { id }) })),
          },
        ],
        {
          copies: false,
        },
      );
      assert.equal(
        prepared[0]!.events.map((e) => e.ownId),
        ids.map((id) => id === undefined),
      );
      const plan = planAppend(view, prepared, false);
      const given: string[] = ids.filter((id) => id !== undefined);
      const firstBad = given.findIndex((id, i) => id === 'id-3' || given.indexOf(id) < i);
      if (firstBad < 0) {
        if (plan._tag === 'Left') throw new Error(JSON.stringify(plan.left));
        assert.is(plan.right.placed.length, ids.length);
        // Only the caller's ids were asked about, each once, in order.
        assert.equal(asked, given);
      } else {
        assert.is(plan._tag, 'Left');
        if (plan._tag === 'Left') {
          assert.is(plan.left.kind, 'duplicateId');
          assert.is((plan.left as { id: string }).id, given[firstBad]);
        }
      }
    }),
    { numRuns: 300 },
  );
});

test.run();
