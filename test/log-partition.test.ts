// How a log's lines are split between the threads that fold it (adapters/log/partition.ts).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { partFilter } from '../adapters/log/partition.js';

const test = suite('log partition');

const lineOf = (stream: string) =>
  Buffer.from(`${JSON.stringify({ stream, revision: 0, position: 0, id: 'i', type: 'T', at: 'a', data: null, meta: {} })}\n`);

test("every line is kept by exactly one part, and that part owns the line's stream", () => {
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.boolean(), fc.integer({ min: 2, max: 4 }), (name, mailbox, count) => {
      const stream = mailbox ? `eas-mailbox-contoso-${name}` : `eas-org-${name}`;
      const buf = lineOf(stream);
      const end = buf.length - 1;
      const keeping = [...Array(count).keys()].filter((i) => partFilter(i, count).keeps(buf, 0, end));
      assert.is(keeping.length, 1);
      // A name JSON writes with an escape is kept by part 0 from its bytes; the owner check then finds it out.
      const plain = JSON.stringify(stream) === `"${stream}"`;
      if (plain) assert.ok(partFilter(keeping[0]!, count).owns(stream), stream);
      return true;
    }),
    { numRuns: 300 },
  );
});

test('org streams and lines that do not open with a mailbox stream go to part 0', () => {
  for (const text of ['{"stream":"eas-org-contoso","revision":0}', 'not json at all', '{"revision":0,"stream":"eas-mailbox-x"}']) {
    const buf = Buffer.from(text);
    assert.ok(partFilter(0, 2).keeps(buf, 0, buf.length), text);
    assert.not.ok(partFilter(1, 2).keeps(buf, 0, buf.length), text);
  }
  assert.ok(partFilter(0, 3).owns('eas-org-contoso'));
});

test('mailbox streams spread over the parts', () => {
  const counts = [0, 0];
  for (let i = 0; i < 1000; i++) {
    const buf = lineOf(`eas-mailbox-contoso-contoso.com/Users/User ${i}`);
    counts[partFilter(0, 2).keeps(buf, 0, buf.length - 1) ? 0 : 1]!++;
  }
  assert.ok(counts[0]! > 400 && counts[1]! > 400, String(counts));
});

test.run();
