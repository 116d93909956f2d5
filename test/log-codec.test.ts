// The log line codec shared by the stores (adapters/shared/log-codec.ts): what
// the file store writes must be, byte for byte, JSON.stringify of the event in
// the contract's key order, whatever the payload holds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { encodeLines, prepareRequests, type PlacedEvent } from '../adapters/shared/log-codec.js';

const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('a\nb', '"quoted"', 'back\\slash', '\u2028\u2029', '😀 日本', '\ud800 lone', 'é', ''),
);
const payload = fc.oneof(fc.jsonValue({ maxDepth: 3 }), text, fc.constant(undefined));

test('encodeLines writes each event as JSON.stringify of the contract object, newline-terminated, for any payload', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          stream: text,
          type: text,
          at: text,
          id: fc.option(text, { nil: undefined }),
          data: payload,
          meta: fc.option(fc.dictionary(text, fc.jsonValue({ maxDepth: 2 })), { nil: undefined }),
        }),
        { minLength: 1, maxLength: 8 },
      ),
      fc.nat(1000),
      (events, first) => {
        const prepared = prepareRequests(
          events.map((e) => ({
            stream: e.stream,
            expected: 'any' as const,
            events: [
              {
                type: e.type,
                at: e.at,
                data: e.data,
                ...(e.id === undefined ? {} : { id: e.id }),
                ...(e.meta === undefined ? {} : { meta: e.meta }),
              },
            ],
          })),
          { copies: false },
        );
        const placed: PlacedEvent[] = prepared.map((r, i) => ({
          streamJson: JSON.stringify(r.stream),
          revision: i,
          position: first + i,
          event: r.events[0]!,
        }));
        const expected = prepared
          .map((r, i) => {
            const e = r.events[0]!;
            const o = {
              stream: r.stream,
              revision: i,
              position: first + i,
              id: e.id,
              type: e.type,
              at: e.at,
              data: events[i]!.data ?? null,
              meta: events[i]!.meta ?? {},
            };
            return `${JSON.stringify(o)}\n`;
          })
          .join('');
        assert.ok(encodeLines(placed).equals(Buffer.from(expected, 'utf8')));
      },
    ),
    { numRuns: 500 },
  );
});

test.run();
