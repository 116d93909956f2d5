// The log line codec shared by the stores (adapters/shared/log-codec.ts): what
// the file store writes must be, byte for byte, JSON.stringify of the event in
// the contract's key order, whatever the payload holds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { encodeLines, IdleScratch, prepareRequests, type PlacedEvent } from '../adapters/shared/log-codec.js';

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

test('events of one append that share a stream, a meta object or an instant each carry exactly their own, in every line', () => {
  fc.assert(
    fc.property(
      fc.array(fc.dictionary(text, fc.jsonValue({ maxDepth: 2 })), { minLength: 1, maxLength: 3 }),
      fc.array(text, { minLength: 1, maxLength: 3 }),
      fc.array(fc.record({ meta: fc.nat(3), at: fc.nat(2), data: payload, request: fc.boolean() }), { minLength: 1, maxLength: 10 }),
      (metas, ats, picks) => {
        // Meta objects and instants are shared by identity across events and requests (index past the pool: no meta).
        const requests: Array<{ stream: string; expected: 'any'; events: Array<Record<string, unknown>> }> = [];
        for (const p of picks) {
          // Stream names of up to ~90 bytes: a repeated part is copied in a loop up to 64 bytes, by Buffer.copy above.
          if (requests.length === 0 || p.request)
            requests.push({ stream: `${'é'.repeat(p.meta * 15)}s${requests.length}`, expected: 'any', events: [] });
          const meta = metas[p.meta];
          requests.at(-1)!.events.push({ type: 'T', at: ats[p.at % ats.length]!, data: p.data, ...(meta ? { meta } : {}) });
        }
        const prepared = prepareRequests(requests as never, { copies: false });
        let position = 0;
        // One stream JSON a request, shared by its events, as planAppend places them.
        const placed: PlacedEvent[] = prepared.flatMap((r) => {
          const streamJson = JSON.stringify(r.stream);
          return r.events.map((e, revision) => ({ streamJson, revision, position: position++, event: e }));
        });
        let k = 0;
        const expected = requests
          .flatMap((r) =>
            r.events.map((e, revision) => {
              const id = placed[k++]!.event.id;
              const o = { stream: r.stream, revision, position: k - 1, id, type: 'T', at: e.at, data: e.data ?? null, meta: e.meta ?? {} };
              return `${JSON.stringify(o)}\n`;
            }),
          )
          .join('');
        assert.is(encodeLines(placed).toString('utf8'), expected);
      },
    ),
    { numRuns: 300 },
  );
});

const placedOf = (stream: string, n: number): PlacedEvent[] => {
  const [prepared] = prepareRequests(
    [
      {
        stream,
        expected: 'any',
        events: Array.from({ length: n }, (_, i) => ({ type: 'Noted', at: '2026-12-06T00:00:00Z', data: { i } })),
      },
    ],
    {
      copies: false,
    },
  );
  return prepared!.events.map((event, i) => ({ streamJson: JSON.stringify(stream), revision: i, position: i, event }));
};
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

test('a writer reuses its buffer from one append to the next, and lets it go once appends stop', async () => {
  const scratch = new IdleScratch(30);
  const three = placedOf('s', 3);
  // What the lines are, in a buffer of their own (the scratch's is the writer's again at its next append).
  const expected = Buffer.from(encodeLines(three));
  const sameMemory = (a: Buffer, b: Buffer) => a.buffer === b.buffer && a.byteOffset === b.byteOffset;
  const first = encodeLines(three, scratch);
  assert.ok(first.equals(expected));
  const kept = scratch.buffer;
  assert.ok(sameMemory(first, kept), 'the lines were written into the kept buffer');
  const second = encodeLines(placedOf('s', 2), scratch);
  assert.ok(sameMemory(second, kept), 'the next append wrote into the same memory');
  assert.is(scratch.buffer, kept);
  // Timers fire in the order they fall due: each use puts the drop 30 ms later, past the next 20 ms wait.
  for (let i = 0; i < 3; i++) {
    await sleep(20);
    assert.is(scratch.buffer, kept, 'in use: kept');
  }
  await sleep(120);
  assert.is(scratch.buffer.length, 0, 'idle: dropped');
  // Used again: a new buffer, and the lines are still exactly right.
  assert.ok(encodeLines(three, scratch).equals(expected));
  assert.ok(scratch.buffer.length > 0);
  scratch.release();
  assert.is(scratch.buffer.length, 0);
});

test.run();
