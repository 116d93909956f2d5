// The one reader of log lines (adapters/file-store/reader.ts): its collecting
// mode (scanLog, behind opening a store and readLog) and its streaming mode
// (streamLog, behind every fold of a log file).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredEvent } from '../src/ports.js';
import { scanLog, streamLog, StreamOutsideFilter, type LineFilter } from '../adapters/shared/log-reader.js';
import { IdSet } from '../adapters/shared/log-ids.js';

const test = suite('file-store reader');
const dir = mkdtempSync(join(tmpdir(), 'eas-reader-'));

const line = (stream: string, revision: number, position: number, id: string) =>
  JSON.stringify({ stream, revision, position, id, type: 'Noted', at: '2026-11-26T08:00:00.000Z', data: null, meta: {} });

async function withFile<A>(name: string, text: string, f: (fh: Awaited<ReturnType<typeof open>>) => Promise<A>): Promise<A> {
  const path = join(dir, name);
  writeFileSync(path, text);
  const fh = await open(path, 'r');
  try {
    return await f(fh);
  } finally {
    await fh.close();
  }
}

const DUP =
  [line('eas-org-a', 0, 0, 'x'), line('eas-org-a', 1, 1, 'y'), line('eas-org-a', 2, 2, 'x'), line('eas-org-a', 3, 3, 'z')].join('\n') +
  '\n';

test('collecting mode leaves a repeated id out of the events and names both lines', async () => {
  const r = await withFile('dup.ndjson', DUP, (fh) => scanLog(fh, false));
  assert.equal(
    r.kept.map((e) => e.id),
    ['x', 'y', 'z'],
  );
  assert.equal(r.errors, [{ line: 3, message: 'line 3: event id "x" repeats the id of line 1' }]);
  assert.is(r.events, 3);
  assert.is(r.lines, 4);
});

test('collecting mode stopping at the first error gives that error alone, no lines and no valid bytes', async () => {
  const r = await withFile('dup-stop.ndjson', DUP, (fh) => scanLog(fh, true));
  assert.equal(
    r.errors.map((e) => e.line),
    [3],
  );
  assert.is(r.lines, 0);
  assert.is(r.validBytes, 0);
});

test('streaming mode hands a repeated id over and leaves the pair of lines as a suspect to confirm', async () => {
  const seen: StoredEvent[] = [];
  const r = await withFile('dup-stream.ndjson', DUP, (fh) => streamLog(fh, (e) => seen.push(e)));
  assert.equal(
    seen.map((e) => e.id),
    ['x', 'y', 'x', 'z'],
  );
  assert.equal(r.errors, []);
  assert.equal(r.suspects, [{ line: 3, first: 1 }]);
});

test("a read in many chunks finds every repeated id, across chunks and the id table's resizing", async () => {
  // 40,000 lines in chunks of 64 KiB: the id table is made larger after the first chunk.
  const ids = Array.from({ length: 40_000 }, (_, i) => `id-${i}`);
  ids[25_000] = 'id-3';
  ids[39_999] = 'id-24999';
  const text = ids.map((id, i) => line('eas-org-a', i, i, id)).join('\n') + '\n';
  const r = await withFile('many-chunks.ndjson', text, (fh) => streamLog(fh, () => undefined, { chunkBytes: 64 * 1024 }));
  assert.is(r.events, 40_000);
  assert.equal(r.suspects, [
    { line: 25_001, first: 4 },
    { line: 40_000, first: 25_000 },
  ]);
  assert.ok(r.ids.data().keys.length >= 2 * 40_000, 'room for every id at half load');
});

test('after its first chunk a read makes the id table as large as the whole file needs, once', async () => {
  // Lines of one length: the first chunk's rate is the file's. 40,000 ids at half load take 131,072 slots.
  const text = Array.from({ length: 40_000 }, (_, i) => line('eas-org-a', i, i, `id-${String(i).padStart(5, '0')}`)).join('\n') + '\n';
  const ids = new IdSet();
  const sizes = new Set<number>();
  const r = await withFile('reserve.ndjson', text, (fh) =>
    streamLog(fh, () => undefined, {
      chunkBytes: 64 * 1024,
      resume: { offset: 0, lines: 0, streams: [], ids },
      onProgress: () => sizes.add(ids.data().keys.length),
    }),
  );
  assert.is(r.events, 40_000);
  assert.equal([...sizes], [131_072]);
});

test('a filtered read counts every line but parses only the lines its filter keeps', async () => {
  const text = [line('eas-org-a', 0, 0, 'a'), 'not json', line('eas-org-b', 0, 2, 'b'), line('eas-org-a', 1, 3, 'c')].join('\n') + '\n';
  const onlyA: LineFilter = { keeps: (buf, s) => buf.toString('utf8', s, s + 20).includes('eas-org-a'), owns: (s) => s === 'eas-org-a' };
  const seen: string[] = [];
  const r = await withFile('filtered.ndjson', text, (fh) => streamLog(fh, (e) => seen.push(e.id), { filter: onlyA }));
  assert.equal(seen, ['a', 'c']);
  assert.is(r.lines, 4);
  assert.equal(r.errors, [], 'the line it does not keep is not parsed, so not reported');
});

test('a filtered read that meets a stream its filter does not own stops: the filter does not hold', async () => {
  const text = [line('eas-org-a', 0, 0, 'a'), line('eas-org-b', 0, 1, 'b')].join('\n') + '\n';
  const keepsAll: LineFilter = { keeps: () => true, owns: (s) => s === 'eas-org-a' };
  let thrown: unknown;
  await withFile('not-owned.ndjson', text, (fh) => streamLog(fh, () => undefined, { filter: keepsAll })).catch((e) => {
    thrown = e;
  });
  assert.instance(thrown, StreamOutsideFilter);
});

test('a limited read stops at the limit: what follows is not read', async () => {
  const first = line('eas-org-a', 0, 0, 'a') + '\n';
  const text = first + line('eas-org-a', 1, 1, 'b') + '\n';
  const r = await withFile('limited.ndjson', text, (fh) => streamLog(fh, () => undefined, { limit: Buffer.byteLength(first) }));
  assert.is(r.lines, 1);
  assert.is(r.events, 1);
  assert.is(r.bytes, Buffer.byteLength(first));
});

test('both modes cut only an unterminated fragment shaped like our line as a torn tail', async () => {
  const whole = line('eas-org-a', 0, 0, 'a') + '\n';
  for (const [tail, torn] of [
    ['{"stream":"eas-org-a","revi', true],
    ['hello', false],
  ] as const) {
    const text = whole + tail;
    const c = await withFile('torn-c.ndjson', text, (fh) => scanLog(fh, false));
    const s = await withFile('torn-s.ndjson', text, (fh) => streamLog(fh, () => undefined));
    for (const r of [c, s]) {
      assert.is(r.lines, 2);
      if (torn) {
        assert.equal(r.tornTail, { line: 2, bytes: tail.length });
        assert.equal(r.errors, []);
      } else {
        assert.is(r.tornTail, undefined);
        assert.equal(r.errors, [{ line: 2, message: 'line 2: not valid JSON (Unexpected token \'h\', "hello" is not valid JSON)' }]);
      }
    }
    assert.is(c.validBytes, torn ? Buffer.byteLength(whole) : Buffer.byteLength(text));
  }
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
