// The file store keeps only an index of its log (adapters/file-store/disk-index.ts)
// and reads events back from the file (disk-reads.ts): what it gives back must
// equal what the memory store, which holds every event, gives for the same appends.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { open, readFile, writeFile } from 'node:fs/promises';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { memoryStore } from '../adapters/memory-store/index.js';
import type { AppendRequest, EventStore, StoredEvent } from '../src/ports.js';
import { ok, openOk, tempLogs } from './support/file-logs.js';
import { DiskIndex, type DiskIndexData } from '../adapters/file-store/disk-index.js';
import { encodeLines, prepareRequests } from '../adapters/shared/log-codec.js';

const AT = '2024-05-01T10:00:00.000Z';
const logs = tempLogs('eas-disk-index-');
const tempLog = () => logs.path();

const streams = ['a', 'b', 'ü "c"\n', 'mailbox-x'];
const payload = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('a\nb', '\u2028', '😀 日本', '\r\n'));
const step = fc.oneof(
  fc.record({
    kind: fc.constant('append' as const),
    batch: fc.array(fc.record({ stream: fc.constantFrom(...streams), data: fc.array(payload, { minLength: 0, maxLength: 3 }) }), {
      minLength: 1,
      maxLength: 3,
    }),
  }),
  fc.record({ kind: fc.constant('reopen' as const) }),
);

const requests = (batch: ReadonlyArray<{ stream: string; data: unknown[] }>, n: number): AppendRequest[] =>
  batch.map((r, i) => ({
    stream: r.stream,
    expected: 'any',
    events: r.data.map((d, j) => ({ type: `T${n}-${i}-${j}`, data: d, at: AT, meta: { n } })),
  }));

async function sameReads(file: EventStore, memory: EventStore, froms: readonly number[]): Promise<void> {
  assert.equal(ok(await file.readAll()), ok(await memory.readAll()), 'readAll');
  for (const from of froms) assert.equal(ok(await file.readAll({ from })), ok(await memory.readAll({ from })), `readAll from ${from}`);
  for (const s of [...streams, 'never']) {
    assert.equal(ok(await file.readStream(s)), ok(await memory.readStream(s)), `readStream ${JSON.stringify(s)}`);
    for (const from of froms)
      assert.equal(ok(await file.readStream(s, { from })), ok(await memory.readStream(s, { from })), `readStream ${s} from ${from}`);
  }
}

test('reads after any sequence of appends and reopens equal those of a store that holds every event', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 10 }), fc.array(fc.nat(12), { maxLength: 3 }), async (steps, froms) => {
      const path = await tempLog();
      const memory = memoryStore();
      let file = await openOk(path);
      try {
        let n = 0;
        for (const s of steps) {
          if (s.kind === 'reopen') {
            await file.close();
            file = await openOk(path);
            continue;
          }
          n++;
          // The same ids on both sides, so whole events compare equal.
          const rs = requests(s.batch, n).map((r, i) => ({
            ...r,
            events: r.events.map((e, j) => ({ ...e, id: `00000000-0000-4000-8000-${String(n * 100 + i * 10 + j).padStart(12, '0')}` })),
          }));
          assert.equal(ok(await file.append(rs)), ok(await memory.append(rs)), 'append results');
        }
        await sameReads(file, memory, froms);
        const readOnly = await openOk(path, { readOnly: true });
        await sameReads(readOnly, memory, froms);
        await readOnly.close();
      } finally {
        await file.close();
      }
    }),
    { numRuns: 60 },
  );
});

test('reads come from the file: a line changed under an open store is reported corrupt with its line, not served', async () => {
  const path = await tempLog();
  const store = await openOk(path);
  ok(await store.append([{ stream: 'a', expected: 'noStream', events: [0, 1, 2].map((n) => ({ type: 'T', data: { n }, at: AT })) }]));
  const text = await readFile(path, 'utf8');
  // Same length, so every offset still holds: only the content of line 2 differs.
  await writeFile(path, text.replace('{"n":1}', '{"n":1'.concat('!')));
  const all = await store.readAll();
  assert.ok(isLeft(all));
  if (isLeft(all)) {
    assert.is(all.left.kind, 'corrupt');
    assert.match('message' in all.left ? all.left.message : '', /line 2: not valid JSON/);
    assert.match('message' in all.left ? all.left.message : '', /changed after the store opened it/);
  }
  // The untouched lines still read.
  assert.equal(
    ok(await store.readAll({ from: 2 })).map((e) => e.data),
    [{ n: 2 }],
  );
  await store.close();
});

test('a log cut shorter under an open store is a corrupt read, not a short answer', async () => {
  const path = await tempLog();
  const store = await openOk(path);
  ok(await store.append([{ stream: 'a', expected: 'noStream', events: [0, 1].map((n) => ({ type: 'T', data: { n }, at: AT })) }]));
  const fh = await open(path, 'r+');
  await fh.truncate(10);
  await fh.close();
  const r = await store.readStream('a');
  assert.ok(isLeft(r) && r.left.kind === 'corrupt' && /line 1: the file is shorter/.test(r.left.message), JSON.stringify(r));
  await store.close();
});

test('a read-only store reads the log as it was when opened while a writer appends', async () => {
  const path = await tempLog();
  const writer = await openOk(path);
  ok(await writer.append([{ stream: 'a', expected: 'noStream', events: [{ type: 'One', data: 1, at: AT }] }]));
  const reader = await openOk(path, { readOnly: true });
  ok(await writer.append([{ stream: 'a', expected: 0, events: [{ type: 'Two', data: 2, at: AT }] }]));
  assert.equal(
    ok(await reader.readAll()).map((e: StoredEvent) => e.type),
    ['One'],
  );
  assert.equal(
    ok(await reader.readStream('a')).map((e) => e.type),
    ['One'],
  );
  const refused = await reader.append([{ stream: 'a', expected: 'any', events: [{ type: 'X', data: 0, at: AT }] }]);
  assert.ok(isLeft(refused) && /read-only/.test('message' in refused.left ? refused.left.message : ''));
  await reader.close();
  await writer.close();
});

test('close lets a read in flight finish, and reads after close are refused', async () => {
  const path = await tempLog();
  const store = await openOk(path);
  const events = Array.from({ length: 2000 }, (_, n) => ({ type: 'T', data: { n, pad: 'x'.repeat(200) }, at: AT }));
  ok(await store.append([{ stream: 'a', expected: 'noStream', events }]));
  const reading = store.readAll();
  const closing = store.close();
  const r = await reading;
  assert.ok(isRight(r) && r.right.length === 2000, 'the read begun before close completes');
  await closing;
  const after = await store.readAll();
  assert.ok(isLeft(after) && after.left.kind === 'closed');
});

// What data() hands out is saved while appends go on: later lines must not change it, though its
// offsets and chains are views of the live arrays (only the id table and the heads are copied).
const bytes = (a: Float64Array | Int32Array | Uint32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const frozen = (d: DiskIndexData) => ({
  count: d.count,
  arrays: [d.offsets, d.prev, d.ids.keys, d.ids.lines].map((a) => Buffer.from(bytes(a))),
  heads: JSON.stringify(d.heads),
});
const sameAsThen = (d: DiskIndexData, then: ReturnType<typeof frozen>) => {
  const now = frozen(d);
  assert.is(now.count, then.count);
  now.arrays.forEach((a, i) => assert.ok(a.equals(then.arrays[i]!), `array ${i} changed`));
  assert.is(now.heads, then.heads);
};

test('an index taken with data() stays as it was while appends go on after it, across growth', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ batch: fc.array(fc.nat(5), { minLength: 1, maxLength: 40 }), take: fc.boolean() }), {
        minLength: 1,
        maxLength: 60,
      }),
      (appends) => {
        const index = new DiskIndex();
        const taken: Array<[DiskIndexData, ReturnType<typeof frozen>]> = [];
        let at = 0;
        appends.forEach((a, n) => {
          // Through the store's own path: plan, encode, apply (which adds the ids too).
          const prepared = prepareRequests(
            a.batch.map((k) => ({ stream: `s${k}`, expected: 'any', events: [{ type: 'T', data: { n }, at: AT, meta: {} }] })),
          );
          const plan = index.plan(prepared, new Map());
          if (isLeft(plan)) throw new Error(JSON.stringify(plan.left));
          const bytes = encodeLines(plan.right.placed);
          index.apply(plan.right, prepared, bytes, at);
          at += bytes.length;
          if (a.take || n === appends.length - 1) {
            const d = index.data();
            taken.push([d, frozen(d)]);
          }
        });
        for (const [d, then] of taken) sameAsThen(d, then);
        const last = taken[taken.length - 1]![0];
        assert.is(last.offsets[last.count], at, 'the last line ends where the next starts');
        assert.ok(
          last.ids.keys.some((k) => k !== 0),
          'ids were recorded',
        );
      },
    ),
    { numRuns: 25 },
  );
});

test('a line that does not start where the last ended is refused (data() relies on it)', () => {
  const index = new DiskIndex();
  const head = index.headRecord('s');
  index.push(head, 0, 0, 10);
  assert.throws(() => index.push(head, 1, 11, 20), /line 2 starts at 11, not where line 1 ended \(10\)/);
});

test.after(() => logs.removeAll());

test.run();
