import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { isLeft, isRight, type Either } from 'fp-ts/lib/Either.js';
import { openFileStore, readLog, type FileStore } from '../adapters/file-store/index.js';
import type { NewEvent, StoredEvent, StoreError } from '../src/ports.js';
import { storeConformance } from './store-conformance.js';
import { collidingIds } from './support/colliding-ids.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KEYS = ['stream', 'revision', 'position', 'id', 'type', 'at', 'data', 'meta'];
const AT = '2024-05-01T10:00:00.000Z';

function ok<A>(e: Either<StoreError, A>, what = 'operation'): A {
  if (isLeft(e))
    throw new assert.Assertion({ message: `${what} failed: ${JSON.stringify(e.left)}`, operator: 'ok', expects: 'Right', actual: e.left });
  return e.right;
}
function err<A>(e: Either<StoreError, A>, what = 'operation'): StoreError {
  if (isRight(e)) throw new assert.Assertion({ message: `${what} should have failed`, operator: 'err', expects: 'Left', actual: e.right });
  return e.left;
}

const messageOf = (e: StoreError): string => ('message' in e ? e.message : JSON.stringify(e));

const ev = (type: string, data: unknown = { n: 1 }, extra: Partial<NewEvent> = {}): NewEvent => ({ type, data, at: AT, ...extra });

/** A contract line written by hand. */
const line = (stream: string, revision: unknown, position: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    stream,
    revision,
    position,
    id: `00000000-0000-4000-8000-${String(position).padStart(12, '0')}`,
    type: 'T',
    at: AT,
    data: { p: position },
    meta: {},
    ...extra,
  });

const tempDirs: string[] = [];
async function tempLog(name = 'log.ndjson'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'eas-file-store-'));
  tempDirs.push(dir);
  return join(dir, name);
}

async function openOk(path: string, options?: { readOnly?: boolean }): Promise<FileStore> {
  return ok(await openFileStore(path, options), `open ${path}`);
}

/** A log of `n` events, written through the store and closed. */
async function writeLog(path: string, n: number): Promise<void> {
  const store = await openOk(path);
  for (let i = 0; i < n; i++) ok(await store.append([{ stream: `s${i % 2}`, expected: 'any', events: [ev('E', { i })] }]));
  await store.close();
}

/** A PID that certainly belonged to a process which has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid;
}

// ------------------------------------------------------------------ conformance
let conformanceDir = '';
let made = 0;
storeConformance(
  'file store',
  async () => {
    conformanceDir ||= await mkdtemp(join(tmpdir(), 'eas-file-conformance-'));
    made += 1;
    // A nested path: opening creates the missing directory.
    return openOk(join(conformanceDir, `case-${made}`, 'log.ndjson'));
  },
  async () => {
    if (conformanceDir) await rm(conformanceDir, { recursive: true, force: true });
  },
);

// ------------------------------------------------------------------ file specifics
test.after(async () => {
  await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true })));
});

test('writes each event as one line of exactly the contract object, keys in contract order', async () => {
  const path = await tempLog();
  const store = await openOk(path);
  const given = '5b1e3b9a-2d4f-4c55-9b3e-0f4d2a1b7c6d';
  ok(
    await store.append([
      {
        stream: 'device-1',
        expected: 'noStream',
        events: [ev('DeviceSeen', { text: 'two\nlines "quoted"' }, { id: given, meta: { by: 'test' } }), ev('DeviceAllowed', null)],
      },
      { stream: 'device-2', expected: 'noStream', events: [ev('DeviceSeen', [1, 'ü'])] },
    ]),
  );
  await store.close();
  const text = await readFile(path, 'utf8');
  assert.ok(text.endsWith('\n'), 'the file ends with a newline');
  const lines = text.slice(0, -1).split('\n');
  assert.is(lines.length, 3);
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  lines.forEach((l, i) => {
    assert.equal(Object.keys(parsed[i]!), KEYS);
    assert.is(l, JSON.stringify(parsed[i]), 'compact JSON, nothing else on the line');
  });
  assert.equal(parsed[0], {
    stream: 'device-1',
    revision: 0,
    position: 0,
    id: given,
    type: 'DeviceSeen',
    at: AT,
    data: { text: 'two\nlines "quoted"' },
    meta: { by: 'test' },
  });
  assert.equal(
    { ...parsed[1], id: 'x' },
    { stream: 'device-1', revision: 1, position: 1, id: 'x', type: 'DeviceAllowed', at: AT, data: null, meta: {} },
  );
  assert.equal(
    { ...parsed[2], id: 'x' },
    { stream: 'device-2', revision: 0, position: 2, id: 'x', type: 'DeviceSeen', at: AT, data: [1, 'ü'], meta: {} },
  );
  assert.match(parsed[1]!.id as string, UUID);
  assert.match(parsed[2]!.id as string, UUID);
});

test('restores revisions and positions when a log is reopened, and continues them', async () => {
  const path = await tempLog();
  const first = await openOk(path);
  ok(
    await first.append([
      { stream: 'a', expected: 'noStream', events: [ev('A0'), ev('A1')] },
      { stream: 'b', expected: 'noStream', events: [ev('B0')] },
    ]),
  );
  const before = ok(await first.readAll());
  await first.close();

  const second = await openOk(path);
  assert.is(second.tornTail, undefined);
  assert.equal(ok(await second.readAll()), before);
  assert.equal(err(await second.append([{ stream: 'a', expected: 'noStream', events: [ev('X')] }])), {
    kind: 'conflict',
    stream: 'a',
    expected: 'noStream',
    actual: 1,
  });
  assert.equal(ok(await second.append([{ stream: 'a', expected: 1, events: [ev('A2')] }])), [{ stream: 'a', revision: 2, position: 3 }]);
  await second.close();

  const scan = ok(await readLog(path));
  assert.equal(scan.errors, []);
  assert.equal(
    scan.events.map((e) => [e.stream, e.revision, e.position]),
    [
      ['a', 0, 0],
      ['a', 1, 1],
      ['b', 0, 2],
      ['a', 2, 3],
    ],
  );
});

test('cuts a torn last line when opened for writing, reports it, and appends cleanly after', async () => {
  const path = await tempLog();
  await writeLog(path, 3);
  const whole = await readFile(path);
  const half = line('s1', 1, 3).slice(0, 25);
  await appendFile(path, half);

  const store = await openOk(path);
  assert.equal(store.tornTail, { line: 4, bytes: Buffer.byteLength(half) });
  assert.ok((await readFile(path)).equals(whole), 'the torn bytes are gone, the rest untouched');
  assert.is(ok(await store.readAll()).length, 3);
  assert.equal(ok(await store.append([{ stream: 's1', expected: 0, events: [ev('After')] }])), [
    { stream: 's1', revision: 1, position: 3 },
  ]);
  await store.close();

  const scan = ok(await readLog(path));
  assert.equal(scan.errors, []);
  assert.is(scan.tornTail, undefined);
  assert.is(scan.lines, 4);
  assert.equal(
    scan.events.map((e) => e.type),
    ['E', 'E', 'E', 'After'],
  );
});

test('refuses a newline-terminated last line that is not JSON as corruption and leaves the file byte-identical', async () => {
  const path = await tempLog();
  await writeLog(path, 2);
  await appendFile(path, '{"stream":"s0","revi\n');
  const before = await readFile(path);
  const e = err(await openFileStore(path));
  assert.equal([e.kind, e.kind === 'corrupt' ? e.line : 0], ['corrupt', 3]);
  assert.ok((await readFile(path)).equals(before), 'nothing cut');
});

test('refuses a last event with one corrupted byte (newline intact) instead of cutting it as torn', async () => {
  const path = await tempLog();
  await writeLog(path, 4);
  const bytes = await readFile(path);
  // Flip a byte inside the last line's JSON (its closing brace), keep the newline.
  bytes[bytes.length - 2] = 0x7b;
  await writeFile(path, bytes);
  const e = err(await openFileStore(path));
  assert.equal([e.kind, e.kind === 'corrupt' ? e.line : 0], ['corrupt', 4]);
  assert.ok((await readFile(path)).equals(bytes), 'the damaged log is left byte-identical');
  const scan = ok(await readLog(path));
  assert.is(scan.tornTail, undefined);
  assert.equal(
    scan.errors.map((x) => x.line),
    [4],
  );
});

test('never opens for writing a small JSON file or a binary file that begins with a brace', async () => {
  const samples: Array<[string, Buffer]> = [
    ['settings.json', Buffer.from('{"a":1}')],
    ['settings-nl.json', Buffer.from('{"a":1}\n')],
    ['blob.bin', Buffer.from([0x7b, 0x00, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0xff, 0xfe, 0x00, 0x00])],
    ['brace-text.txt', Buffer.from('{ this is not a log')],
    ['nul-then-text.bin', Buffer.from('\u0000\u0000hello')],
  ];
  for (const [name, bytes] of samples) {
    const path = await tempLog(name);
    await writeFile(path, bytes);
    const e = err(await openFileStore(path), name);
    assert.is(e.kind, 'corrupt', name);
    assert.ok((await readFile(path)).equals(bytes), `${name} untouched`);
  }
});

test('cuts a complete event that lost only its newline: its append never returned', async () => {
  const path = await tempLog();
  await writeLog(path, 2);
  const size = (await stat(path)).size;
  await appendFile(path, line('s0', 1, 2));
  const store = await openOk(path);
  assert.is(store.tornTail?.line, 3);
  assert.is((await stat(path)).size, size);
  assert.is(ok(await store.readAll()).length, 2);
  await store.close();
});

test('read-only open of a torn log reports the tail, skips it and leaves the file byte-identical', async () => {
  const path = await tempLog();
  await writeLog(path, 3);
  const torn = '{"stream":"s1","revision":1,"posi';
  await appendFile(path, torn);
  const bytes = await readFile(path);

  const store = await openOk(path, { readOnly: true });
  assert.equal(store.tornTail, { line: 4, bytes: torn.length });
  assert.is(ok(await store.readAll()).length, 3);
  const e = err(await store.append([{ stream: 's0', expected: 'any', events: [ev('X')] }]));
  assert.is(e.kind, 'io');
  assert.ok(!existsSync(`${path}.lock`), 'a reader takes no lock');
  await store.close();
  assert.ok((await readFile(path)).equals(bytes), 'file unchanged');
});

test('read-only open of a missing log is an io error and creates nothing', async () => {
  const path = await tempLog();
  const e = err(await openFileStore(path, { readOnly: true }));
  assert.is(e.kind, 'io');
  assert.ok(messageOf(e).includes(path));
  assert.ok(!existsSync(path));
});

test('refuses a log with a corrupt middle line, naming its line, and leaves the file byte-identical', async () => {
  const path = await tempLog();
  await writeFile(path, [line('a', 0, 0), 'this is {not json', line('a', 1, 2), ''].join('\n'));
  const bytes = await readFile(path);
  const e = err(await openFileStore(path));
  assert.is(e.kind, 'corrupt');
  if (e.kind !== 'corrupt') return;
  assert.is(e.line, 2);
  assert.is(e.file, path);
  assert.match(messageOf(e), /line 2: not valid JSON \(/);
  assert.ok((await readFile(path)).equals(bytes), 'file unchanged');
  assert.ok(!existsSync(`${path}.lock`), 'the lock is released');
  const ro = err(await openFileStore(path, { readOnly: true }));
  assert.equal([ro.kind, ro.kind === 'corrupt' ? ro.line : 0], ['corrupt', 2]);
});

test('names the ill-typed field of an invalid envelope', async () => {
  const cases: [string, RegExp][] = [
    [line('a', 'x', 1), /line 2: field "revision": expected a non-negative integer, got "x"/],
    [line('a', 1, -1), /line 2: field "position": expected a non-negative integer, got -1/],
    [line('a', 1, 1, { stream: 7 }), /line 2: field "stream": expected a string, got 7/],
    [line('a', 1, 1, { meta: [] }), /line 2: field "meta": expected an object, got \[\]/],
    [JSON.stringify({ stream: 'a', revision: 1, position: 1, id: 'i', type: 'T', at: AT, meta: {} }), /line 2: field "data": missing/],
    ['[1,2]', /line 2: expected a JSON object, got \[1,2\]/],
  ];
  for (const [bad, message] of cases) {
    const path = await tempLog();
    await writeFile(path, [line('a', 0, 0), bad, line('a', 2, 2), ''].join('\n'));
    const e = err(await openFileStore(path));
    assert.is(e.kind, 'corrupt');
    assert.match(messageOf(e), message);
  }
});

test('reports a revision or position that does not continue the sequence', async () => {
  const path = await tempLog();
  await writeFile(
    path,
    [line('s', 0, 0), line('s', 1, 1), line('s', 2, 2), line('s', 3, 3), line('s', 5, 4), line('s', 6, 5), ''].join('\n'),
  );
  const e = err(await openFileStore(path));
  assert.equal([e.kind, e.kind === 'corrupt' ? e.line : 0], ['corrupt', 5]);
  assert.match(messageOf(e), /line 5: revision 5 of stream "s" follows 3/);

  const path2 = await tempLog();
  await writeFile(path2, [line('s', 0, 0), line('t', 0, 2), line('s', 1, 2), ''].join('\n'));
  assert.match(messageOf(err(await openFileStore(path2))), /line 2: position 2 does not continue the log \(expected 1\)/);

  const path3 = await tempLog();
  await writeFile(path3, [line('s', 0, 0), line('t', 1, 1), line('s', 1, 2), ''].join('\n'));
  assert.match(messageOf(err(await openFileStore(path3))), /line 2: revision 1 of stream "t" follows nothing/);
});

test('refuses a file that is not a log rather than cutting its last line as torn', async () => {
  for (const text of ['{"organization":"contoso","store":"./eas-sync.ndjson"}', 'hello world\n', 'no newline at all']) {
    const path = await tempLog('not-a-log.txt');
    await writeFile(path, text);
    const e = err(await openFileStore(path));
    assert.equal([e.kind, e.kind === 'corrupt' ? e.line : 0], ['corrupt', 1], text);
    assert.is(await readFile(path, 'utf8'), text);
  }
});

test('treats a zero-filled tail (blocks allocated but never written before a crash) as torn', async () => {
  const path = await tempLog();
  await writeLog(path, 2);
  const size = (await stat(path)).size;
  await appendFile(path, Buffer.alloc(300));
  const store = await openOk(path);
  assert.equal(store.tornTail, { line: 3, bytes: 300 });
  assert.is((await stat(path)).size, size);
  await store.close();
});

test('readLog reports every invalid line with its number and still returns the valid events', async () => {
  const path = await tempLog();
  await writeFile(path, [line('a', 0, 0), 'garbage', line('a', 1, 2), line('b', 'x', 3), line('b', 0, 4), '{"stre'].join('\n'));
  const bytes = await readFile(path);
  const scan = ok(await readLog(path));
  assert.equal(
    scan.errors.map((e) => e.line),
    [2, 4],
  );
  assert.match(scan.errors[0]!.message, /^line 2: not valid JSON/);
  assert.match(scan.errors[1]!.message, /^line 4: field "revision"/);
  assert.equal(
    scan.events.map((e) => [e.stream, e.revision, e.position]),
    [
      ['a', 0, 0],
      ['a', 1, 2],
      ['b', 0, 4],
    ],
  );
  assert.equal(scan.tornTail, { line: 6, bytes: 6 });
  assert.is(scan.lines, 6);
  assert.ok((await readFile(path)).equals(bytes), 'readLog never writes');
});

test('readLog reports a revision gap once, not on every later event of the stream', async () => {
  const path = await tempLog();
  await writeFile(path, [line('s', 0, 0), '%%%', line('s', 2, 2), line('s', 3, 3), ''].join('\n'));
  const scan = ok(await readLog(path));
  assert.equal(
    scan.errors.map((e) => e.line),
    [2, 3],
  );
  assert.match(scan.errors[1]!.message, /revision 2 of stream "s" follows 0/);
  assert.equal(
    scan.events.map((e) => e.revision),
    [0, 3],
  );
});

test('readLog of an empty file is empty; of a missing file an io error naming the path', async () => {
  const path = await tempLog();
  await writeFile(path, '');
  assert.equal(ok(await readLog(path)), { events: [], errors: [], lines: 0 });
  const missing = `${path}.missing`;
  const e = err(await readLog(missing));
  assert.is(e.kind, 'io');
  assert.ok(messageOf(e).includes(missing), messageOf(e));
});

test('readLog reads lines longer than its read buffer', async () => {
  const path = await tempLog();
  const store = await openOk(path);
  const big = 'x'.repeat(9 * 1024 * 1024) + '😀';
  ok(await store.append([{ stream: 'a', expected: 'any', events: [ev('Small'), ev('Big', { big }), ev('Small')] }]));
  await store.close();
  const scan = ok(await readLog(path));
  assert.equal(scan.errors, []);
  assert.is(scan.events.length, 3);
  assert.is((scan.events[1]!.data as { big: string }).big, big);
});

test('refuses a second writer while the first is open, allows readers, and allows a writer after close', async () => {
  const path = await tempLog();
  const first = await openOk(path);
  ok(await first.append([{ stream: 'a', expected: 'any', events: [ev('A0')] }]));
  assert.is(await readFile(`${path}.lock`, 'utf8'), `${process.pid}\n`);
  const e = err(await openFileStore(path));
  assert.is(e.kind, 'io');
  assert.match(messageOf(e), new RegExp(`locked by process ${process.pid}`));
  const reader = await openOk(path, { readOnly: true });
  assert.is(ok(await reader.readAll()).length, 1);
  await reader.close();
  await first.close();
  assert.ok(!existsSync(`${path}.lock`), 'close removes the lock');
  const second = await openOk(path);
  assert.is(ok(await second.readAll()).length, 1);
  await second.close();
});

test('refuses a second writer reaching the same log through a symlink', async () => {
  const path = await tempLog();
  const link = join(dirname(path), 'link.ndjson');
  await writeLog(path, 1);
  await symlink(path, link);
  const first = await openOk(path);
  const e = err(await openFileStore(link));
  assert.match(messageOf(e), /is locked by process/);
  await first.close();
  const viaLink = await openOk(link);
  assert.is(ok(await viaLink.readAll()).length, 1);
  assert.ok(existsSync(`${path}.lock`), 'the lock sits next to the real file');
  await viaLink.close();
});

test('takes over a stale lock left by a process that has died', async () => {
  const path = await tempLog();
  await writeLog(path, 1);
  const pid = deadPid();
  await writeFile(`${path}.lock`, `${pid}\n`);
  const store = await openOk(path);
  assert.is(await readFile(`${path}.lock`, 'utf8'), `${process.pid}\n`);
  assert.is(ok(await store.readAll()).length, 1);
  await store.close();
  assert.ok(!existsSync(`${path}.lock`));
});

test('takes over a lock naming this pid that this process does not hold (a restarted container)', async () => {
  const path = await tempLog();
  await writeFile(`${path}.lock`, `${process.pid}\n`);
  const store = await openOk(path);
  assert.ok(existsSync(`${path}.lock`));
  await store.close();
  assert.ok(!existsSync(`${path}.lock`));
});

test('takes over an empty lock file (its writer died before writing its pid)', async () => {
  const path = await tempLog();
  await writeFile(`${path}.lock`, '');
  const store = await openOk(path);
  assert.is(await readFile(`${path}.lock`, 'utf8'), `${process.pid}\n`);
  await store.close();
});

test('throws on an event that cannot be written as JSON, leaving the log usable', async () => {
  const path = await tempLog();
  const store = await openOk(path);
  let thrown: unknown;
  try {
    await store.append([{ stream: 'a', expected: 'any', events: [ev('Bad', { n: 1n })] }]);
  } catch (e) {
    thrown = e;
  }
  assert.instance(thrown, TypeError);
  assert.equal(ok(await store.append([{ stream: 'a', expected: 'noStream', events: [ev('Good')] }])), [
    { stream: 'a', revision: 0, position: 0 },
  ]);
  await store.close();
  assert.is((await readFile(path, 'utf8')).split('\n').length, 2);
});

test('a log with a repeated event id is corrupt, named at the repeating line, and left byte-identical', async () => {
  const path = await tempLog();
  const same = { id: '11111111-2222-4333-8444-555555555555' };
  await writeFile(path, [line('a', 0, 0, same), line('b', 0, 1), line('a', 1, 2, same), ''].join('\n'));
  const bytes = await readFile(path);
  const e = err(await openFileStore(path));
  assert.equal([e.kind, e.kind === 'corrupt' ? e.line : 0], ['corrupt', 3]);
  assert.match(messageOf(e), /line 3: event id "11111111-2222-4333-8444-555555555555" repeats the id of line 1/);
  assert.ok((await readFile(path)).equals(bytes));
  const scan = ok(await readLog(path));
  assert.equal(
    scan.errors.map((x) => x.line),
    [3],
  );
});

test('an append carrying an id the log already holds (or twice in one batch) is refused and writes nothing', async () => {
  const path = await tempLog();
  const store = await openOk(path);
  const id = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
  ok(await store.append([{ stream: 'a', expected: 'any', events: [ev('First', 1, { id })] }]));
  await store.close();
  const reopened = await openOk(path);
  const size = (await stat(path)).size;
  const e = err(await reopened.append([{ stream: 'b', expected: 'any', events: [ev('Again', 2, { id })] }]));
  assert.is(e.kind, 'duplicateId');
  assert.match(messageOf(e), /already in the log \(position 0\)/);
  const other = 'ffffffff-bbbb-4ccc-8ddd-eeeeeeeeeeee';
  const twice = err(
    await reopened.append([
      { stream: 'c', expected: 'any', events: [ev('X', 1, { id: other })] },
      { stream: 'd', expected: 'any', events: [ev('Y', 1, { id: other })] },
    ]),
  );
  assert.is(twice.kind, 'duplicateId');
  assert.is((await stat(path)).size, size, 'nothing written');
  ok(await reopened.append([{ stream: 'c', expected: 'any', events: [ev('Z', 1, { id: other })] }]));
  await reopened.close();
});

test('an id the store made is indexed like a given one: appending it again is refused, in the same store and after a reopen', async () => {
  const path = await tempLog();
  const store = await openOk(path);
  ok(await store.append([{ stream: 'a', expected: 'any', events: [ev('First'), ev('Second')] }]));
  const [made] = ok(await store.readAll());
  assert.match(made!.id, UUID);
  const again = err(await store.append([{ stream: 'b', expected: 'any', events: [ev('Copy', 1, { id: made!.id })] }]));
  assert.is(again.kind, 'duplicateId');
  assert.match(messageOf(again), /already in the log \(position 0\)/);
  await store.close();
  const reopened = await openOk(path);
  const second = ok(await reopened.readAll())[1]!;
  const after = err(await reopened.append([{ stream: 'b', expected: 'any', events: [ev('Copy', 1, { id: second.id })] }]));
  assert.is(after.kind, 'duplicateId');
  assert.match(messageOf(after), /position 1/);
  await reopened.close();
});

test('two ids that share a hash are both held: each is refused when appended again, in the store and after reopens with and without a saved index', async () => {
  const path = await tempLog();
  const [a, b] = collidingIds();
  const store = ok(await openFileStore(path, { saveIndexEvery: 1 }));
  ok(await store.append([{ stream: 'a', expected: 'any', events: [ev('A', 1, { id: a })] }]));
  ok(await store.append([{ stream: 'b', expected: 'any', events: [ev('B', 1, { id: b })] }]));
  const refusedBoth = async (s: FileStore, when: string) => {
    for (const [id, position] of [
      [a, 0],
      [b, 1],
    ] as const) {
      const e = err(await s.append([{ stream: 'c', expected: 'any', events: [ev('Again', 1, { id })] }]));
      assert.is(e.kind, 'duplicateId', `${id} ${when}`);
      assert.match(messageOf(e), new RegExp(`already in the log \\(position ${position}\\)`), when);
    }
  };
  await refusedBoth(store, 'in the store');
  await store.close();
  assert.ok(existsSync(`${path}.index`), 'an index was saved');
  const withIndex = await openOk(path);
  await refusedBoth(withIndex, 'reopened from its saved index');
  await withIndex.close();
  await rm(`${path}.index`);
  const scanned = await openOk(path);
  await refusedBoth(scanned, 'reopened by a scan');
  await scanned.close();
  assert.equal(
    ok(await readLog(path)).events.map((e) => e.id),
    [a, b],
  );
});

test('a log where an id repeats one that shares its hash with another is corrupt at the repeating line, named against the right line', async () => {
  const path = await tempLog();
  const [a, b] = collidingIds();
  await writeFile(path, [line('a', 0, 0, { id: a }), line('b', 0, 1, { id: b }), line('c', 0, 2, { id: b }), ''].join('\n'));
  const e = err(await openFileStore(path));
  assert.equal([e.kind, e.kind === 'corrupt' ? e.line : 0], ['corrupt', 3]);
  assert.match(messageOf(e), new RegExp(`line 3: event id "${b}" repeats the id of line 2`));
  assert.equal(
    ok(await readLog(path)).errors.map((x) => x.line),
    [3],
  );
});

// ------------------------------------------------------------------ crash property
const payload = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('a\nb', '"quoted"', 'back\\slash', '\u2028\u2029', '{"not":"nested"}\n', '😀 日本', '\r\n'),
);
const batches = fc.array(
  fc.array(fc.record({ stream: fc.constantFrom('a', 'b', 'c', 'ü "d"\n'), data: fc.array(payload, { maxLength: 4 }) }), {
    minLength: 1,
    maxLength: 3,
  }),
  { minLength: 1, maxLength: 6 },
);

test('after a cut at any byte, reopening keeps every complete line, drops the partial one, and appends cleanly', async () => {
  await fc.assert(
    fc.asyncProperty(batches, fc.nat(), async (plan, cutSeed) => {
      const path = await tempLog();
      const store = await openOk(path);
      for (const batch of plan) {
        ok(await store.append(batch.map((r) => ({ stream: r.stream, expected: 'any' as const, events: r.data.map((d) => ev('P', d)) }))));
      }
      const written: StoredEvent[] = ok(await store.readAll());
      await store.close();

      const bytes = await readFile(path);
      const cut = cutSeed % (bytes.length + 1);
      // Byte offsets where each complete line ends (after its newline).
      const ends: number[] = [];
      for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) ends.push(i + 1);
      assert.is(ends.length, written.length);
      const kept = ends.filter((end) => end <= cut).length;
      const goodBytes = kept === 0 ? 0 : ends[kept - 1]!;
      await truncate(path, cut);

      const reopened = await openOk(path);
      assert.equal(ok(await reopened.readAll()), written.slice(0, kept));
      assert.is(reopened.tornTail !== undefined, cut > goodBytes, 'torn tail reported exactly when the cut is inside a line');
      assert.is((await stat(path)).size, goodBytes);
      const res = ok(await reopened.append([{ stream: 'z', expected: 'any', events: [ev('After', 'ok')] }]));
      assert.is(res[0]!.position, kept);
      await reopened.close();

      const scan = ok(await readLog(path));
      assert.equal(scan.errors, []);
      assert.is(scan.tornTail, undefined);
      assert.equal(scan.events.slice(0, kept), written.slice(0, kept));
      assert.is(scan.events.length, kept + 1);
    }),
    { numRuns: 60 },
  );
});

test('a file that ends without a newline is cut only when the fragment has the shape of an interrupted append', async () => {
  const prefix = line('s0', 0, 0) + '\n';
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ maxLength: 40 }).map((b) => b.filter((x) => x !== 10)),
      async (raw) => {
        const fragment = Buffer.from(raw);
        if (fragment.length === 0) return;
        const path = await tempLog();
        const bytes = Buffer.concat([Buffer.from(prefix), fragment]);
        await writeFile(path, bytes);
        const opened = await openFileStore(path);
        if (isRight(opened)) {
          // Cut: then it must have been zero bytes or the start of one of our lines.
          let end = fragment.length;
          while (end > 0 && fragment[end - 1] === 0) end--;
          const printable = fragment.subarray(0, end);
          assert.ok(
            printable.length === 0 || '{"stream":'.startsWith(printable.toString('latin1').slice(0, 10)),
            `cut ${JSON.stringify(fragment.toString('latin1'))}`,
          );
          assert.is((await stat(path)).size, Buffer.byteLength(prefix));
          await opened.right.close();
        } else {
          assert.is(opened.left.kind, 'corrupt');
          assert.ok((await readFile(path)).equals(bytes), 'refused and untouched');
        }
      },
    ),
    { numRuns: 300 },
  );
  // A multi-byte character cut at the end is only a torn append where one can stand (found by this property: `{` then 0xC2).
  for (const [tail, cut] of [
    [[0x7b, 0xc2], false],
    [[...Buffer.from('{"stream":'), 0xc3], false],
    [[...Buffer.from('{"stream":"Gr'), 0xc3], true],
  ] as const) {
    const path = await tempLog();
    await writeFile(path, Buffer.concat([Buffer.from(prefix), Buffer.from(tail)]));
    const opened = await openFileStore(path);
    assert.is(isRight(opened), cut, JSON.stringify(tail));
    if (isRight(opened)) await opened.right.close();
  }
  // And every prefix of a real line is cut.
  const next = line('s0', 1, 1);
  for (let n = 1; n <= next.length; n++) {
    const path = await tempLog();
    await writeFile(path, prefix + next.slice(0, n));
    const store = await openOk(path);
    assert.is(store.tornTail?.bytes, n);
    await store.close();
  }
});

test.run();
