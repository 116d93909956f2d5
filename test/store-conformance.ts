// Behaviour every EventStore must share (memory, file, EventStoreDB...).
// Each test gets a fresh, empty store from `make` and closes it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight, type Either } from 'fp-ts/lib/Either.js';
import type { AppendRequest, EventStore, NewEvent, StoredEvent, StoreError } from '../src/ports.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const ev = (type: string, data: unknown = { n: 1 }, extra: Partial<NewEvent> = {}): NewEvent => ({
  type,
  data,
  at: '2024-05-01T10:00:00.000Z',
  ...extra,
});

function ok<A>(e: Either<StoreError, A>, what = 'operation'): A {
  if (isLeft(e))
    throw new assert.Assertion({
      message: `${what} failed: ${JSON.stringify(e.left)}`,
      generated: false,
      operator: 'ok',
      expects: 'Right',
      actual: e.left,
    });
  return e.right;
}

function err<A>(e: Either<StoreError, A>, what = 'operation'): StoreError {
  if (isRight(e))
    throw new assert.Assertion({
      message: `${what} should have failed, got ${JSON.stringify(e.right)}`,
      generated: false,
      operator: 'err',
      expects: 'Left',
      actual: e.right,
    });
  return e.left;
}

const shape = (events: readonly StoredEvent[]) => events.map((e) => [e.stream, e.revision, e.position, e.type]);

export function storeConformance(name: string, make: () => Promise<EventStore>, cleanup?: () => Promise<void>): void {
  const s = suite(name);
  const withStore = (fn: (store: EventStore) => Promise<void>) => async () => {
    const store = await make();
    try {
      await fn(store);
    } finally {
      await store.close();
    }
  };
  const append = async (store: EventStore, requests: AppendRequest[]) => ok(await store.append(requests), 'append');
  const all = async (store: EventStore) => ok(await store.readAll(), 'readAll');

  s(
    'appends to a new stream with noStream, starting at revision 0 and position 0',
    withStore(async (store) => {
      const res = await append(store, [{ stream: 'a', expected: 'noStream', events: [ev('One'), ev('Two')] }]);
      assert.equal(res, [{ stream: 'a', revision: 1, position: 1 }]);
      assert.equal(shape(ok(await store.readStream('a'))), [
        ['a', 0, 0, 'One'],
        ['a', 1, 1, 'Two'],
      ]);
    }),
  );

  s(
    "appends when the expected revision is the stream's last revision",
    withStore(async (store) => {
      await append(store, [{ stream: 'a', expected: 'noStream', events: [ev('One')] }]);
      const res = await append(store, [{ stream: 'a', expected: 0, events: [ev('Two')] }]);
      assert.equal(res, [{ stream: 'a', revision: 1, position: 1 }]);
      const res2 = await append(store, [{ stream: 'a', expected: 1, events: [ev('Three')] }]);
      assert.equal(res2, [{ stream: 'a', revision: 2, position: 2 }]);
    }),
  );

  s(
    'rejects an append whose expected revision is stale and writes nothing',
    withStore(async (store) => {
      await append(store, [{ stream: 'a', expected: 'noStream', events: [ev('One'), ev('Two')] }]);
      const e = err(await store.append([{ stream: 'a', expected: 0, events: [ev('Late')] }]));
      assert.equal(e, { kind: 'conflict', stream: 'a', expected: 0, actual: 1 });
      assert.equal(shape(await all(store)), [
        ['a', 0, 0, 'One'],
        ['a', 1, 1, 'Two'],
      ]);
    }),
  );

  s(
    'rejects a numeric expected revision on a stream that does not exist',
    withStore(async (store) => {
      const e = err(await store.append([{ stream: 'ghost', expected: 0, events: [ev('X')] }]));
      assert.equal(e, { kind: 'conflict', stream: 'ghost', expected: 0, actual: 'noStream' });
      assert.equal(await all(store), []);
    }),
  );

  s(
    'rejects noStream on an existing stream and reports its actual revision',
    withStore(async (store) => {
      await append(store, [{ stream: 'a', expected: 'noStream', events: [ev('One'), ev('Two'), ev('Three')] }]);
      const e = err(await store.append([{ stream: 'a', expected: 'noStream', events: [ev('Again')] }]));
      assert.equal(e, { kind: 'conflict', stream: 'a', expected: 'noStream', actual: 2 });
      assert.is((await all(store)).length, 3);
    }),
  );

  s(
    'accepts expected any whether or not the stream exists',
    withStore(async (store) => {
      const r1 = await append(store, [{ stream: 'a', expected: 'any', events: [ev('One')] }]);
      const r2 = await append(store, [{ stream: 'a', expected: 'any', events: [ev('Two')] }]);
      assert.equal(
        [...r1, ...r2],
        [
          { stream: 'a', revision: 0, position: 0 },
          { stream: 'a', revision: 1, position: 1 },
        ],
      );
    }),
  );

  s(
    'writes no part of a multi-stream batch when one request conflicts',
    withStore(async (store) => {
      await append(store, [{ stream: 'b', expected: 'noStream', events: [ev('B0')] }]);
      const e = err(
        await store.append([
          { stream: 'a', expected: 'noStream', events: [ev('A0'), ev('A1')] },
          { stream: 'c', expected: 'any', events: [ev('C0')] },
          { stream: 'b', expected: 'noStream', events: [ev('B1')] },
        ]),
      );
      assert.equal(e, { kind: 'conflict', stream: 'b', expected: 'noStream', actual: 0 });
      assert.equal(shape(await all(store)), [['b', 0, 0, 'B0']]);
      assert.equal(ok(await store.readStream('a')), []);
      // The rejected batch consumed no positions.
      const r = await append(store, [{ stream: 'a', expected: 'noStream', events: [ev('A0')] }]);
      assert.equal(r, [{ stream: 'a', revision: 0, position: 1 }]);
    }),
  );

  s(
    'appends every request of a successful multi-stream batch, in order',
    withStore(async (store) => {
      const r = await append(store, [
        { stream: 'a', expected: 'noStream', events: [ev('A0')] },
        { stream: 'b', expected: 'noStream', events: [ev('B0'), ev('B1')] },
      ]);
      assert.equal(r, [
        { stream: 'a', revision: 0, position: 0 },
        { stream: 'b', revision: 1, position: 2 },
      ]);
      assert.equal(shape(await all(store)), [
        ['a', 0, 0, 'A0'],
        ['b', 0, 1, 'B0'],
        ['b', 1, 2, 'B1'],
      ]);
    }),
  );

  s(
    'treats a stream named twice in one batch in order',
    withStore(async (store) => {
      const r = await append(store, [
        { stream: 'a', expected: 'noStream', events: [ev('A0')] },
        { stream: 'a', expected: 0, events: [ev('A1')] },
      ]);
      assert.equal(r, [
        { stream: 'a', revision: 0, position: 0 },
        { stream: 'a', revision: 1, position: 1 },
      ]);
      const e = err(
        await store.append([
          { stream: 'a', expected: 1, events: [ev('A2')] },
          { stream: 'a', expected: 1, events: [ev('A3')] },
        ]),
      );
      assert.equal(e, { kind: 'conflict', stream: 'a', expected: 1, actual: 2 });
      assert.is((await all(store)).length, 2);
    }),
  );

  s(
    'counts revisions per stream from 0 and positions across the log',
    withStore(async (store) => {
      await append(store, [{ stream: 'a', expected: 'any', events: [ev('A0')] }]);
      await append(store, [{ stream: 'b', expected: 'any', events: [ev('B0')] }]);
      await append(store, [{ stream: 'a', expected: 'any', events: [ev('A1')] }]);
      await append(store, [{ stream: 'b', expected: 'any', events: [ev('B1'), ev('B2')] }]);
      assert.equal(shape(await all(store)), [
        ['a', 0, 0, 'A0'],
        ['b', 0, 1, 'B0'],
        ['a', 1, 2, 'A1'],
        ['b', 1, 3, 'B1'],
        ['b', 2, 4, 'B2'],
      ]);
      assert.equal(shape(ok(await store.readStream('b'))), [
        ['b', 0, 1, 'B0'],
        ['b', 1, 3, 'B1'],
        ['b', 2, 4, 'B2'],
      ]);
    }),
  );

  s(
    'answers an append with no events as a revision check without writing',
    withStore(async (store) => {
      const empty = await append(store, [{ stream: 'a', expected: 'noStream', events: [] }]);
      assert.equal(empty, [{ stream: 'a', revision: -1, position: -1 }]);
      await append(store, [{ stream: 'a', expected: 'noStream', events: [ev('A0'), ev('A1')] }]);
      await append(store, [{ stream: 'b', expected: 'noStream', events: [ev('B0')] }]);
      assert.equal(await append(store, [{ stream: 'a', expected: 1, events: [] }]), [{ stream: 'a', revision: 1, position: 1 }]);
      assert.equal(await append(store, [{ stream: 'c', expected: 'noStream', events: [] }]), [{ stream: 'c', revision: -1, position: 2 }]);
      assert.equal(err(await store.append([{ stream: 'a', expected: 0, events: [] }])), {
        kind: 'conflict',
        stream: 'a',
        expected: 0,
        actual: 1,
      });
      assert.is((await all(store)).length, 3);
    }),
  );

  s(
    'reads a missing stream as an empty list',
    withStore(async (store) => {
      await append(store, [{ stream: 'a', expected: 'any', events: [ev('A0')] }]);
      assert.equal(ok(await store.readStream('nope')), []);
    }),
  );

  s(
    'reads a stream from a revision and the log from a position',
    withStore(async (store) => {
      await append(store, [{ stream: 'a', expected: 'any', events: [ev('A0'), ev('A1'), ev('A2')] }]);
      await append(store, [{ stream: 'b', expected: 'any', events: [ev('B0')] }]);
      assert.equal(shape(ok(await store.readStream('a', { from: 1 }))), [
        ['a', 1, 1, 'A1'],
        ['a', 2, 2, 'A2'],
      ]);
      assert.equal(ok(await store.readStream('a', { from: 3 })), []);
      assert.equal(shape(ok(await store.readAll({ from: 2 }))), [
        ['a', 2, 2, 'A2'],
        ['b', 0, 3, 'B0'],
      ]);
      assert.equal(ok(await store.readAll({ from: 4 })), []);
      assert.is(ok(await store.readAll({ from: 0 })).length, 4);
    }),
  );

  s(
    'keeps an event id that is given and generates a UUID when none is',
    withStore(async (store) => {
      const given = '0b8c5f0e-6a53-4b7c-9a43-6a0e9d6a1c11';
      await append(store, [{ stream: 'a', expected: 'any', events: [ev('Given', 1, { id: given }), ev('Generated'), ev('Generated')] }]);
      const [e0, e1, e2] = await all(store);
      assert.is(e0!.id, given);
      assert.match(e1!.id, UUID);
      assert.match(e2!.id, UUID);
      assert.is.not(e1!.id, e2!.id);
    }),
  );

  s(
    'round-trips data, meta and at exactly, with meta {} when absent',
    withStore(async (store) => {
      const data = {
        nested: { list: [1, 2.5, -3, null, true, false, { deep: ['x'] }], empty: {}, none: [] },
        unicode: 'Grüße 日本語 😀 \u2028\u2029 é',
        loneSurrogate: 'half \ud800 pair',
        tricky: 'line1\nline2\r\n"quoted" \\back\\slash\t{"json":"inside"}',
        big: Number.MAX_SAFE_INTEGER,
      };
      const meta = { correlationId: 'c-1', causation: { id: 'x', chain: ['a\nb', '"q"'] } };
      await append(store, [
        {
          stream: 'strange "stream"\nname 😀',
          expected: 'noStream',
          events: [
            { type: 'T', data, meta, at: '2024-02-29T23:59:59.999Z' },
            { type: 'Scalar', data: 'just a "string"\n', at: '2024-03-01T00:00:00.000Z' },
            { type: 'Null', data: null, at: '2024-03-01T00:00:00.000Z' },
          ],
        },
      ]);
      const events = ok(await store.readStream('strange "stream"\nname 😀'));
      assert.is(events.length, 3);
      assert.equal(events[0]!.data, data);
      assert.equal(events[0]!.meta, meta);
      assert.is(events[0]!.at, '2024-02-29T23:59:59.999Z');
      assert.is(events[0]!.type, 'T');
      assert.is(events[1]!.data, 'just a "string"\n');
      assert.equal(events[1]!.meta, {});
      assert.is(events[2]!.data, null);
    }),
  );

  s(
    'is not affected by the caller mutating data after the append',
    withStore(async (store) => {
      const data = { list: [1, 2] };
      await append(store, [{ stream: 'a', expected: 'any', events: [ev('A', data)] }]);
      data.list.push(3);
      assert.equal(ok(await store.readStream('a'))[0]!.data, { list: [1, 2] });
    }),
  );

  s(
    'lands 50 concurrent appends with distinct consecutive positions',
    withStore(async (store) => {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => store.append([{ stream: `s${i % 5}`, expected: 'any', events: [ev('E', { i })] }])),
      );
      const positions = results.map((r) => ok(r)[0]!.position).sort((x, y) => x - y);
      assert.equal(
        positions,
        Array.from({ length: 50 }, (_, i) => i),
      );
      const events = await all(store);
      assert.equal(
        events.map((e) => e.position),
        positions,
      );
      assert.equal(new Set(events.map((e) => (e.data as { i: number }).i)).size, 50);
      for (let k = 0; k < 5; k++) {
        assert.equal(
          ok(await store.readStream(`s${k}`)).map((e) => e.revision),
          [...Array(10).keys()],
        );
      }
    }),
  );

  s(
    'lets exactly one of two racing appends with the same expected revision win',
    withStore(async (store) => {
      await append(store, [{ stream: 'a', expected: 'noStream', events: [ev('A0')] }]);
      const [x, y] = await Promise.all([
        store.append([{ stream: 'a', expected: 0, events: [ev('X')] }]),
        store.append([{ stream: 'a', expected: 0, events: [ev('Y')] }]),
      ]);
      const wins = [x, y].filter(isRight);
      const losses = [x, y].filter(isLeft).map((l) => l.left);
      assert.is(wins.length, 1);
      assert.equal(losses, [{ kind: 'conflict', stream: 'a', expected: 0, actual: 1 }]);
      assert.is(ok(await store.readStream('a')).length, 2);
    }),
  );

  s('answers every call with Left closed after close', async () => {
    const store = await make();
    await append(store, [{ stream: 'a', expected: 'any', events: [ev('A0')] }]);
    await store.close();
    assert.is(err(await store.append([{ stream: 'a', expected: 'any', events: [ev('A1')] }])).kind, 'closed');
    assert.is(err(await store.readStream('a')).kind, 'closed');
    assert.is(err(await store.readAll()).kind, 'closed');
    await store.close(); // closing twice is harmless
  });

  if (cleanup !== undefined) s.after(cleanup);
  s.run();
}
