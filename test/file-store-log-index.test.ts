// The index the file store saves beside its log (`<log>.index`): used on open
// only while the log's bytes are those it was made from, rebuilt in every other
// case, and never changing what the store reads, appends or refuses.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { existsSync } from 'node:fs';
import { appendFile, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { isLeft } from 'fp-ts/lib/Either.js';
import { logIndexPath, openFileStore } from '../adapters/file-store/index.js';
import { saveChecked } from '../adapters/file-store/checked-file.js';
import { matchPrefix, openScan } from '../adapters/file-store/open-scan.js';
import { loadLogIndex, saveLogIndex } from '../adapters/file-store/log-index-file.js';
import { idHash } from '../adapters/shared/log-ids.js';
import { collidingIds } from './support/colliding-ids.js';
import { createHash } from 'node:crypto';
import { open as openFile } from 'node:fs/promises';
import type { AppendRequest } from '../src/ports.js';
import { ok, openOk, tempLogs } from './support/file-logs.js';

const AT = '2024-05-01T10:00:00.000Z';
const logs = tempLogs('eas-log-index-');
const tempLog = () => logs.path();

const open = openOk;

const batch = (stream: string, n: number, from = 0): AppendRequest[] => [
  { stream, expected: 'any', events: Array.from({ length: n }, (_, i) => ({ type: 'T', data: { i: from + i, s: 'ü\n😀' }, at: AT })) },
];

/** A log of `n` events in three streams, closed with its index saved. */
async function indexedLog(n: number): Promise<string> {
  const path = await tempLog();
  const store = await open(path, { saveIndexEvery: 1 });
  for (let i = 0; i < n; i++) ok(await store.append(batch(`s${i % 3}`, 1, i)));
  await store.close();
  return path;
}

test('a closed store saves its index and the next open takes every line from it, reading the same events', async () => {
  const path = await indexedLog(30);
  assert.ok(existsSync(logIndexPath(path)), 'index saved on close');
  const fresh = await open(path, { readOnly: true });
  assert.equal(fresh.logIndex, { kind: 'loaded', events: 30, checked: 0 });
  const all = ok(await fresh.readAll());
  assert.equal(
    all.map((e) => (e.data as { i: number }).i),
    Array.from({ length: 30 }, (_, i) => i),
  );
  assert.equal(
    ok(await fresh.readStream('s1', { from: 2 })).map((e) => [e.revision, e.position]),
    Array.from({ length: 8 }, (_, r) => [r + 2, (r + 2) * 3 + 1]),
  );
  await fresh.close();
});

test('lines appended after the index was saved are checked on open and continue its streams', async () => {
  const path = await indexedLog(9);
  // Another writer's lines after the index: not covered, so read and checked.
  const writer = await open(path, { saveIndexEvery: 1000 });
  assert.is(writer.logIndex.kind, 'loaded');
  ok(await writer.append([{ stream: 's0', expected: 2, events: [{ type: 'T', data: { i: 9 }, at: AT }] }]));
  await writer.close();
  const store = await open(path, { saveIndexEvery: 1000 });
  assert.equal(store.logIndex, { kind: 'loaded', events: 9, checked: 1 });
  // The stream head and the position continue from both parts.
  assert.equal(ok(await store.append([{ stream: 's0', expected: 3, events: [{ type: 'T', data: { i: 10 }, at: AT }] }])), [
    { stream: 's0', revision: 4, position: 10 },
  ]);
  await store.close();
});

test('an id the saved index holds is still refused when appended again', async () => {
  const path = await tempLog();
  const id = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
  const first = await open(path, { saveIndexEvery: 1 });
  ok(await first.append([{ stream: 'a', expected: 'any', events: [{ id, type: 'T', data: 1, at: AT }] }]));
  await first.close();
  const store = await open(path);
  assert.is(store.logIndex.kind, 'loaded');
  const e = await store.append([{ stream: 'b', expected: 'any', events: [{ id, type: 'T', data: 2, at: AT }] }]);
  assert.ok(isLeft(e) && e.left.kind === 'duplicateId' && e.left.position === 0, JSON.stringify(e));
  await store.close();
});

/** The log's index sealed again (a valid checksum) with some of its header's fields changed. */
async function resealed(log: string, changed: Record<string, unknown>): Promise<void> {
  const file = await readFile(logIndexPath(log));
  const nl = file.indexOf(10);
  const { format, bytes: _b, sha256: _s, ...fields } = JSON.parse(file.toString('utf8', 0, nl)) as Record<string, unknown>;
  await saveChecked(logIndexPath(log), 'log index', String(format), file.subarray(nl + 1), { ...fields, ...changed });
}

test('an index that does not match the log is not used: changed bytes, a shorter log, a damaged or foreign index', async () => {
  const cases: Array<[string, (path: string) => Promise<void>, RegExp]> = [
    [
      'a line edited in place (same length)',
      async (p) => writeFile(p, (await readFile(p, 'utf8')).replace('"i":3,', '"i":4,')),
      /bytes 0-\d+ are not those its index was made from/,
    ],
    ['a log cut shorter', async (p) => writeFile(p, (await readFile(p, 'utf8')).split('\n').slice(0, 5).join('\n') + '\n'), /shorter than/],
    ['a damaged index', async (p) => appendFile(logIndexPath(p), 'x'), /log index .*: line 2 holds/],
    ['a foreign file as index', async (p) => writeFile(logIndexPath(p), '{"format":"something-else"}\n{}'), /not a log index header/],
    [
      'a byte of the index changed (same length)',
      async (p) => {
        const file = await readFile(logIndexPath(p));
        const at = file.indexOf(10) + 9;
        file[at] = file[at]! ^ 0x01;
        await writeFile(logIndexPath(p), file);
      },
      /log index .*: line 2 does not match the header checksum/,
    ],
    ['an index whose header claims more than it holds', async (p) => resealed(p, { idSlots: 2 ** 40 }), /shorter than its header says/],
    [
      'an index of an older version',
      // A well-sealed index whose header says version 1 (line numbers as float64 then).
      async (p) => resealed(p, { version: 1 }),
      /version 1, this store reads 2 and 3/,
    ],
  ];
  for (const [what, damage, reason] of cases) {
    const path = await indexedLog(12);
    await damage(path);
    const opened = await openFileStore(path, { readOnly: true });
    if (what === 'a line edited in place (same length)') {
      // Line 4 now holds the data of another, but the line itself is valid: the store reads the file as it is.
      const store = ok(opened);
      assert.is(store.logIndex.kind, 'rebuilt', what);
      assert.match(store.logIndex.kind === 'rebuilt' ? store.logIndex.reason : '', reason, what);
      assert.is((ok(await store.readAll({ from: 3 }))[0]!.data as { i: number }).i, 4);
      await store.close();
      continue;
    }
    const store = ok(opened);
    assert.is(store.logIndex.kind, 'rebuilt', what);
    assert.match(store.logIndex.kind === 'rebuilt' ? store.logIndex.reason : '', reason, what);
    await store.close();
  }
});

test('a corrupt line after the indexed part is refused on open, naming its line, and the log left byte-identical', async () => {
  const path = await indexedLog(6);
  await appendFile(path, '{"stream":"s0","revision":2,"position":6,"id":"x","type":"T","at":"a","data":1}\n');
  const before = await readFile(path);
  const r = await openFileStore(path);
  assert.ok(
    isLeft(r) && r.left.kind === 'corrupt' && r.left.line === 7 && /line 7: field "meta": missing/.test(r.left.message),
    JSON.stringify(r),
  );
  assert.ok((await readFile(path)).equals(before));
});

test('a torn tail after the indexed part is cut as on any open, and the index is then saved again', async () => {
  const path = await indexedLog(6);
  const size = (await stat(path)).size;
  await appendFile(path, '{"stream":"s0","rev');
  const store = await open(path, { saveIndexEvery: 1 });
  assert.equal(store.logIndex, { kind: 'loaded', events: 6, checked: 0 });
  assert.is(store.tornTail?.bytes, 19);
  assert.is((await stat(path)).size, size);
  ok(await store.append(batch('s0', 2)));
  await store.close();
  const again = await open(path, { readOnly: true });
  assert.equal(again.logIndex, { kind: 'loaded', events: 8, checked: 0 });
  await again.close();
});

test('a log emptied by replace does not reuse the index of the log it replaced', async () => {
  const path = await indexedLog(6);
  const store = await open(path, { replace: true, saveIndexEvery: 1 });
  assert.equal(store.logIndex, { kind: 'rebuilt', reason: 'none yet', checked: 0 }, 'the old index was removed with the log it indexed');
  assert.equal(ok(await store.readAll()), []);
  ok(await store.append(batch('z', 1)));
  await store.close();
  const again = await open(path, { readOnly: true });
  assert.equal(again.logIndex, { kind: 'loaded', events: 1, checked: 0 });
  assert.equal(
    ok(await again.readAll()).map((e) => e.stream),
    ['z'],
  );
  await again.close();
});

test('opening from the saved index gives the same reads and appends as checking every line (property)', async () => {
  const streams = ['a', 'b', 'ü "c"\n'];
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.constantFrom(...streams), fc.integer({ min: 0, max: 4 })), { minLength: 1, maxLength: 12 }),
      fc.integer({ min: 1, max: 6 }),
      async (appends, every) => {
        const path = await tempLog();
        let store = await open(path, { saveIndexEvery: every });
        let k = 0;
        for (const [s, n] of appends) {
          ok(await store.append(batch(s, n, k)));
          k += n;
          // Now and then a restart, which may or may not find an index (saved every `every` events).
          if (k % 3 === 0) {
            await store.close();
            store = await open(path, { saveIndexEvery: every });
          }
        }
        await store.close();
        const fromIndex = await open(path, { readOnly: true });
        await rm(logIndexPath(path), { force: true });
        const fromLines = await open(path, { readOnly: true });
        assert.is(fromLines.logIndex.kind, 'rebuilt');
        assert.equal(ok(await fromIndex.readAll()), ok(await fromLines.readAll()));
        for (const s of streams) assert.equal(ok(await fromIndex.readStream(s)), ok(await fromLines.readStream(s)));
        await fromIndex.close();
        await fromLines.close();
      },
    ),
    { numRuns: 40 },
  );
});

test('a store that cannot save its index keeps appending and says why', async () => {
  const path = await indexedLog(3);
  // A directory where the temporary file would go: the save fails, the append does not.
  const { mkdir } = await import('node:fs/promises');
  await mkdir(`${logIndexPath(path)}.tmp`);
  const store = await open(path, { saveIndexEvery: 1 });
  ok(await store.append(batch('s0', 1)));
  await store.close();
  assert.match(store.logIndexError ?? '', /log index .*cannot write/);
  const reader = await open(path, { readOnly: true });
  assert.is(ok(await reader.readAll()).length, 4);
  await reader.close();
});

test("the log's prefix is matched against the index's hash whatever the read size, and any changed byte is found (property)", async () => {
  const path = await tempLog();
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ minLength: 1, maxLength: 300 }),
      fc.nat(),
      fc.integer({ min: 1, max: 64 }),
      fc.option(fc.nat(), { nil: undefined }),
      async (content, cut, chunk, flip) => {
        await writeFile(path, content);
        const bytes = cut % (content.length + 1);
        const sha256 = createHash('sha256').update(content.subarray(0, bytes)).digest('hex');
        const fh = await openFile(path, 'r');
        try {
          const hash = createHash('sha256');
          assert.is(await matchPrefix(fh, { bytes, sha256 }, content.length, hash, chunk), true);
          // The hash goes on from the prefix: what appends continue.
          assert.is(hash.digest('hex'), sha256);
          if (flip !== undefined && bytes > 0) {
            const changed = Buffer.from(content);
            changed[flip % bytes] = changed[flip % bytes]! ^ 0x01;
            await writeFile(path, changed);
            const reason = await matchPrefix(fh, { bytes, sha256 }, content.length, createHash('sha256'), chunk);
            assert.match(String(reason), `the log's first ${bytes} bytes are not those its index was made from`);
          }
          assert.match(
            String(await matchPrefix(fh, { bytes: content.length + 1, sha256 }, content.length, createHash('sha256'), chunk)),
            'is shorter than',
          );
        } finally {
          await fh.close();
        }
      },
    ),
    { numRuns: 150 },
  );
});

/** A log of `n` events whose index is hashed in 1 KiB blocks (several full ones: checked on another thread). */
async function blockLog(n: number): Promise<string> {
  const path = await tempLog();
  const store = await open(path, { saveIndexEvery: 1, indexBlockBytes: 1024 });
  for (let i = 0; i < n; i++) ok(await store.append(batch(`s${i % 3}`, 1, i)));
  await store.close();
  return path;
}

test('an index hashed in blocks is used when every block matches, and a changed byte in any block makes the store rebuild it, naming the bytes', async () => {
  const path = await blockLog(40);
  const header = JSON.parse((await readFile(logIndexPath(path), 'utf8')).split('\n')[0]!) as {
    version: number;
    logBlocks: string[];
    logBytes: number;
  };
  assert.is(header.version, 3);
  assert.ok(header.logBlocks.length >= 4, `${header.logBlocks.length} full blocks`);
  const intact = await open(path, { readOnly: true });
  assert.equal(intact.logIndex, { kind: 'loaded', events: 40, checked: 0 });
  await intact.close();
  const original = await readFile(path);
  // Event i's digit changed in place: the line stays valid, only the bytes differ (block 0, a middle block, the partial block).
  for (const i of [1, 20, 39]) {
    const at = original.indexOf(`"i":${i},`) + 4;
    const changed = Buffer.from(original);
    changed[at] = changed[at] === 0x37 ? 0x38 : 0x37;
    await writeFile(path, changed);
    const block = Math.floor(at / 1024);
    const store = await open(path, { readOnly: true });
    assert.is(store.logIndex.kind, 'rebuilt', `event ${i}`);
    const reason = store.logIndex.kind === 'rebuilt' ? store.logIndex.reason : '';
    assert.match(
      reason,
      `the log's bytes ${block * 1024}-${Math.min(header.logBytes, (block + 1) * 1024) - 1} are not those its index was made from`,
    );
    assert.is(ok(await store.readAll()).length, 40);
    await store.close();
  }
});

test('when the checking thread fails, the full blocks are checked on the store thread: a matching index is still used, a changed one still refused', async () => {
  const path = await blockLog(30);
  const failing = async () => ({ kind: 'error' as const, message: 'no thread here' });
  const fh = await openFile(path, 'r');
  try {
    const scan = await openScan(fh, path, 1024, failing);
    assert.equal(scan.note, { kind: 'loaded', events: 30, checked: 0 });
    assert.is(scan.hash.bytes, scan.validBytes);
  } finally {
    await fh.close();
  }
  const original = await readFile(path);
  const at = original.indexOf('"i":2,') + 4;
  original[at] = 0x37;
  await writeFile(path, original);
  const changed = await openFile(path, 'r');
  try {
    const scan = await openScan(changed, path, 1024, failing);
    assert.is(scan.note.kind, 'rebuilt');
    assert.match(scan.note.kind === 'rebuilt' ? scan.note.reason : '', `the log's bytes 0-1023 are not those its index was made from`);
  } finally {
    await changed.close();
  }
});

test('an index of version 2 (one SHA-256 of the prefix) is still used, and the next save writes version 3', async () => {
  const path = await indexedLog(12);
  const file = await readFile(logIndexPath(path));
  const h = JSON.parse(file.toString('utf8', 0, file.indexOf(10))) as { logBytes: number };
  const sha256 = createHash('sha256')
    .update((await readFile(path)).subarray(0, h.logBytes))
    .digest('hex');
  await resealed(path, { version: 2, logSha256: sha256, logBlockBytes: undefined, logBlocks: undefined, logLast: undefined });
  // Read-only: used, never saved.
  const reader = await open(path, { readOnly: true, indexBlockBytes: 1024 });
  assert.equal(reader.logIndex, { kind: 'loaded', events: 12, checked: 0 });
  await reader.close();
  assert.is(JSON.parse((await readFile(logIndexPath(path), 'utf8')).split('\n')[0]!).version, 2);
  // A writer saves it again in this version at once, with nothing appended (far fewer events than saveIndexEvery).
  const store = await open(path, { saveIndexEvery: 1000, indexBlockBytes: 1024 });
  assert.equal(store.logIndex, { kind: 'loaded', events: 12, checked: 0 });
  await store.close();
  const saved = JSON.parse((await readFile(logIndexPath(path), 'utf8')).split('\n')[0]!) as {
    version: number;
    logBlockBytes: number;
    events: number;
  };
  assert.equal([saved.version, saved.logBlockBytes, saved.events], [3, 1024, 12]);
  const again = await open(path, { readOnly: true });
  assert.equal(again.logIndex, { kind: 'loaded', events: 12, checked: 0 });
  await again.close();
  // A version 2 index whose hash does not match is not used.
  await resealed(path, {
    version: 2,
    logSha256: createHash('sha256').update('another log').digest('hex'),
    logBlockBytes: undefined,
    logBlocks: undefined,
    logLast: undefined,
  });
  const stale = await open(path, { readOnly: true });
  assert.is(stale.logIndex.kind, 'rebuilt');
  assert.match(stale.logIndex.kind === 'rebuilt' ? stale.logIndex.reason : '', 'are not those its index was made from');
  await stale.close();
});

test('an index header whose blocks disagree with its length is not used', async () => {
  const path = await blockLog(20);
  const file = await readFile(logIndexPath(path));
  const h = JSON.parse(file.toString('utf8', 0, file.indexOf(10))) as { logBlocks: string[] };
  await resealed(path, { logBlocks: h.logBlocks.slice(1) });
  const store = await open(path, { readOnly: true });
  assert.equal(store.logIndex.kind === 'rebuilt' ? store.logIndex.reason : store.logIndex.kind, 'log index: bad log prefix in its header');
  await store.close();
});

test.after(() => logs.removeAll());

test('an index saved when two ids that share a hash kept one entry is made again, and the second id is then refused', async () => {
  const [a, b] = collidingIds();
  const path = await tempLog();
  const store = await open(path, { saveIndexEvery: 1 });
  ok(await store.append([{ stream: 's', expected: 'any', events: [{ type: 'T', data: {}, at: AT, id: a }] }]));
  ok(await store.append([{ stream: 't', expected: 'any', events: [{ type: 'T', data: {}, at: AT, id: b }] }]));
  await store.close();
  // The index as an earlier version saved it: b's entry (line 2) left out of the table, the rest as it was.
  const saved = await loadLogIndex(path);
  assert.ok(!isLeft(saved) && saved.right !== undefined && saved.right.prefix.kind === 'blocks');
  if (isLeft(saved) || saved.right === undefined || saved.right.prefix.kind !== 'blocks') return;
  const { keys, lines } = saved.right.data.ids;
  const at = Array.from(lines).findIndex((l, i) => l === 2 && keys[i] === idHash(b));
  assert.ok(at >= 0);
  keys[at] = 0;
  lines[at] = 0;
  const { kind: _kind, ...prefix } = saved.right.prefix;
  assert.ok(!isLeft(await saveLogIndex(path, saved.right.data, prefix)));
  const reopened = await open(path);
  assert.is(reopened.logIndex.kind, 'rebuilt');
  if (reopened.logIndex.kind === 'rebuilt') assert.match(reopened.logIndex.reason, /its id table holds 1 ids for 2 events/);
  const again = await reopened.append([{ stream: 'u', expected: 'any', events: [{ type: 'T', data: {}, at: AT, id: b }] }]);
  assert.ok(isLeft(again) && again.left.kind === 'duplicateId');
  await reopened.close();
});

test.run();
