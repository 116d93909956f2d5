// `eas-sync copy FROM TO` between the embedded log and EventStoreDB (the
// in-process server), in both directions. Until the command is registered in
// main.ts, `copy` is called in-process; exit codes follow main.ts's mapping
// (UsageError/InputFailure -> 2, WorkFailure -> 1).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import { copy } from '../adapters/cli/copy.js';
import { openStore, readAllFromSpec } from '../adapters/cli/store.js';
import { foldEventStoreDb } from '../adapters/log/index.js';
import { InputFailure, UsageError, WorkFailure } from '../adapters/cli/io.js';
import { openFileStore } from '../adapters/file-store/index.js';
import { eventStoreDbStore } from '../adapters/eventstoredb/index.js';
import { createEngine } from '../src/engine.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { startEsdbServer, type EsdbServer } from './support/esdb-server.js';

const test = suite('eas-sync copy');
const dir = mkdtempSync(join(tmpdir(), 'eas-copy-'));
const SOURCE = join(dir, 'source.ndjson');
const NOW = Date.parse('2026-11-26T08:00:00Z');
const servers: EsdbServer[] = [];

async function run(args: string[]): Promise<{ code: number; stdout: string; message: string }> {
  const write = process.stdout.write;
  let stdout = '';
  process.stdout.write = (chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  };
  try {
    const code = await copy(args);
    return { code, stdout, message: '' };
  } catch (err) {
    if (err instanceof UsageError || err instanceof InputFailure) return { code: 2, stdout, message: err.message };
    if (err instanceof WorkFailure) return { code: 1, stdout, message: err.message };
    throw err;
  } finally {
    process.stdout.write = write;
  }
}

async function node(): Promise<EsdbServer> {
  const s = await startEsdbServer();
  servers.push(s);
  return s;
}

test.before(async () => {
  // A real log: one full sync of a simulated organization, then a second one.
  const opened = await openFileStore(SOURCE);
  if (isLeft(opened)) throw new Error(JSON.stringify(opened.left));
  const sim = simulateOrganization({ devices: 400, seed: 3, clock: () => NOW });
  const engine = createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store: opened.right,
    policy: sim.policy,
    notifier: sim.notifier,
    parallelism: 4,
  });
  const r = await engine.fullSync();
  if (!r.success) throw new Error(JSON.stringify(r.errors));
  await engine.fullSync();
  await opened.right.close();
});

test.after(async () => {
  for (const s of servers) await s.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('file -> EventStoreDB -> file gives back the same log, byte for byte', async () => {
  const srv = await node();
  const there = await run([SOURCE, srv.connectionString, '--json']);
  assert.is(there.code, 0, there.message);
  const out = JSON.parse(there.stdout) as { events: number; streams: number; to: string };
  const lines = readFileSync(SOURCE, 'utf8').trimEnd().split('\n');
  assert.is(out.events, lines.length);
  assert.ok(out.streams > 10);
  assert.is(out.to, srv.connectionString);
  // On the node: the same ids, types and revisions, the original position in the metadata.
  const onNode = srv.events().filter((e) => !e.stream.startsWith('$'));
  assert.is(onNode.length, lines.length);
  onNode.forEach((e, i) => {
    const line = JSON.parse(lines[i]!) as { stream: string; revision: number; position: number; id: string; type: string };
    assert.equal([e.stream, e.revision, e.id, e.type], [line.stream, line.revision, line.id, line.type]);
    assert.equal(JSON.parse(Buffer.from(e.metadata).toString()).copiedFrom, { position: line.position, revision: line.revision });
  });

  const BACK = join(dir, 'back.ndjson');
  const back = await run([srv.connectionString, BACK, '--json']);
  assert.is(back.code, 0, back.message);
  assert.is((JSON.parse(back.stdout) as { events: number }).events, lines.length);
  assert.ok(readFileSync(BACK).equals(readFileSync(SOURCE)), 'the round trip is byte-identical');
});

test('EventStoreDB -> EventStoreDB keeps positions and revisions; ids given in upper case survive', async () => {
  const a = await node();
  const b = await node();
  const src = join(dir, 'upper.ndjson');
  const id = 'ABCDEF01-2345-4678-9ABC-DEF012345678';
  writeFileSync(
    src,
    [
      { stream: 's1', revision: 0, position: 0, id, type: 'T', at: '2024-01-01T00:00:00.000Z', data: { x: 'é "q"\n' }, meta: { m: [1] } },
      {
        stream: 's2',
        revision: 0,
        position: 1,
        id: '0b8c5f0e-6a53-4b7c-9a43-6a0e9d6a1c11',
        type: 'U',
        at: '2024-01-01T00:00:01.000Z',
        data: null,
        meta: {},
      },
      {
        stream: 's1',
        revision: 1,
        position: 2,
        id: '0b8c5f0e-6a53-4b7c-9a43-6a0e9d6a1c12',
        type: 'T',
        at: '2024-01-01T00:00:02.000Z',
        data: 'text',
        meta: {},
      },
    ]
      .map((l) => JSON.stringify(l))
      .join('\n') + '\n',
  );
  assert.is((await run([src, a.connectionString])).code, 0);
  const r = await run([a.connectionString, b.connectionString]);
  assert.is(r.code, 0, r.message);
  assert.match(r.stdout, /Copied 3 events in 2 streams/);
  const out = join(dir, 'upper-back.ndjson');
  assert.is((await run([b.connectionString, out])).code, 0);
  assert.ok(readFileSync(out).equals(readFileSync(src)));
});

test('a target that is not empty is refused with exit 2 and left as it was', async () => {
  const target = join(dir, 'nonempty.ndjson');
  writeFileSync(target, readFileSync(SOURCE, 'utf8').split('\n')[0] + '\n');
  const before = readFileSync(target);
  const r = await run([SOURCE, target, '--json']);
  assert.is(r.code, 2);
  assert.match(r.message, /is not empty/);
  assert.is(r.stdout, '');
  assert.ok(readFileSync(target).equals(before));

  const srv = await node();
  const store = await eventStoreDbStore(srv.connectionString);
  if (isLeft(store)) throw new Error('open');
  await store.right.append([{ stream: 'x', expected: 'any', events: [{ type: 'X', data: 1, at: '2024-01-01T00:00:00Z' }] }]);
  await store.right.close();
  const count = srv.events().length;
  const e = await run([SOURCE, srv.connectionString]);
  assert.is(e.code, 2);
  assert.match(e.message, /already holds events/);
  assert.is(srv.events().length, count);

  // An empty file is an empty log: fine.
  const empty = join(dir, 'empty.ndjson');
  writeFileSync(empty, '');
  assert.is((await run([SOURCE, empty])).code, 0);
  assert.ok(readFileSync(empty).equals(readFileSync(SOURCE)));
});

test('a corrupt source line is exit 2 naming the line; a torn tail is left out and reported', async () => {
  const lines = readFileSync(SOURCE, 'utf8').trimEnd().split('\n');
  const corrupt = join(dir, 'corrupt.ndjson');
  writeFileSync(corrupt, [...lines.slice(0, 5), lines[5]!.replace('"revision":', '"revision":x'), ...lines.slice(6)].join('\n') + '\n');
  const srv = await node();
  const r = await run([corrupt, srv.connectionString]);
  assert.is(r.code, 2);
  assert.match(r.message, /line 6/);
  assert.is(srv.events().filter((e) => !e.stream.startsWith('$')).length, 0, 'nothing copied');

  const torn = join(dir, 'torn.ndjson');
  writeFileSync(torn, lines.slice(0, 20).join('\n') + '\n');
  appendFileSync(torn, lines[20]!.slice(0, 30));
  const t = await run([torn, srv.connectionString, '--json']);
  assert.is(t.code, 0, t.message);
  const out = JSON.parse(t.stdout) as { events: number; tornTail: { line: number } | null };
  assert.is(out.events, 20);
  assert.is(out.tornTail?.line, 21);
});

test('what EventStoreDB cannot hold is refused before writing, naming the line and field', async () => {
  const src = join(dir, 'badid.ndjson');
  writeFileSync(
    src,
    JSON.stringify({ stream: 's', revision: 0, position: 0, id: 'evt-1', type: 'T', at: '2024-01-01T00:00:00.000Z', data: {}, meta: {} }) +
      '\n',
  );
  const srv = await node();
  const r = await run([src, srv.connectionString]);
  assert.is(r.code, 2);
  assert.match(r.message, /line 1: field "id": "evt-1" is not a UUID/);
  // The file store takes it as it is.
  assert.is((await run([src, join(dir, 'badid-copy.ndjson')])).code, 0);
});

test('a writer racing the copy on the target is a conflict: exit 1', async () => {
  const srv = await node();
  const first = JSON.parse(readFileSync(SOURCE, 'utf8').split('\n')[0]!) as { stream: string };
  srv.beforeNextWrite(first.stream, () => srv.appendRaw(first.stream, 'Intruder', {}, { at: '2024-01-01T00:00:00Z', meta: {} }));
  const r = await run([SOURCE, srv.connectionString]);
  assert.is(r.code, 1);
  assert.match(r.message, new RegExp(`conflict on ${first.stream}: expected revision noStream, found 0`));
});

test('store specs: a file and a node holding the same log read alike (readAllFromSpec, foldEventStoreDb, openStore)', async () => {
  const srv = await node();
  assert.is((await run([SOURCE, srv.connectionString])).code, 0);
  const fromFile = await readAllFromSpec(SOURCE);
  const fromNode = await readAllFromSpec(srv.connectionString);
  if (isLeft(fromFile) || isLeft(fromNode)) throw new Error('read failed');
  assert.equal(fromNode.right.events, fromFile.right.events);
  assert.equal(fromNode.right.errors, []);
  let folded = 0;
  let lastPosition = -1;
  const f = await foldEventStoreDb(srv.connectionString, (e) => {
    folded++;
    lastPosition = e.position;
  });
  assert.ok(!isLeft(f) && f.right.events === fromFile.right.events.length);
  assert.is(folded, fromFile.right.events.length);
  assert.is(lastPosition, folded - 1);
  const store = await openStore(srv.connectionString);
  const r = await store.readStream(fromFile.right.events[0]!.stream);
  assert.ok(!isLeft(r) && r.right.length > 0);
  await store.close();
  let usage: unknown;
  try {
    await readAllFromSpec('esdb://u:pw-secret-1@h?tls=nope');
  } catch (e) {
    usage = e;
  }
  assert.instance(usage, UsageError);
  assert.not.match((usage as Error).message, /pw-secret-1/);
});

test('usage: two stores needed, distinct, and connection strings checked without echoing secrets', async () => {
  assert.is((await run([SOURCE])).code, 2);
  assert.is((await run([SOURCE, SOURCE])).code, 2);
  const bad = await run([SOURCE, 'esdb://admin:sup3rs3cret@host:notaport']);
  assert.is(bad.code, 2);
  assert.not.match(bad.message, /sup3rs3cret/);
  const missing = await run([join(dir, 'nope.ndjson'), join(dir, 'out.ndjson')]);
  assert.is(missing.code, 2);
  assert.match(missing.message, /nope\.ndjson/);
  const help = await run(['--help']);
  assert.is(help.code, 0);
  assert.match(help.stdout, /Usage: eas-sync copy FROM TO/);
  const gone = await startEsdbServer();
  await gone.stop();
  const down = await run([SOURCE, `esdb://admin:sup3rs3cret@127.0.0.1:${gone.port}?tls=false`]);
  assert.is(down.code, 1);
  assert.match(down.message, /unavailable/);
  assert.not.match(down.message, /sup3rs3cret/);
  assert.not.ok(existsSync(join(dir, 'out.ndjson')));
});

test.run();
