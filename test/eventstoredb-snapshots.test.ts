// The engine's snapshot on EventStoreDB (adapters/eventstoredb/snapshots.ts and
// the seeded index of positions.ts), against the in-process gRPC server: a start
// from the snapshot reads $all only after it and gives the state of the whole
// log; the store's numbering stays that of a store that read the whole log; a
// seed that does not match the log, a torn save and a corrupt snapshot are
// never taken; old snapshots are truncated away.
import { suite } from 'uvu';
import fc from 'fast-check';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { isLeft, isRight, type Either } from 'fp-ts/lib/Either.js';
import { BACKWARDS, END, FORWARDS, START, binaryEvent, EventStoreDBClient } from '@eventstore/db-client';
import { createEngine } from '../src/engine.js';
import { createAppender } from '../src/append.js';
import { createStateLoader, type SnapshotNote } from '../src/start.js';
import { emptyOrgState, loadOrgState, type OrgState } from '../src/state.js';
import type { ExpectedRevision, SnapshotStore, StoredEvent } from '../src/ports.js';
import { simulateOrganization, type Simulation } from '../adapters/simulator/index.js';
import { eventStoreDbStore, type EventStoreDbStore } from '../adapters/eventstoredb/index.js';
import { snapshotStream, CHUNK_BYTES } from '../adapters/eventstoredb/snapshots.js';
import { startEsdbServer, type EsdbServer } from './support/esdb-server.js';
import { stateJson } from './snapshot-log.js';
import { snapshotText } from '../src/snapshot.js';

const test = suite('eventstoredb snapshots');
const ORG = 'contoso';
let now = Date.parse('2026-11-26T08:00:00Z');
let node: EsdbServer;
let sim: Simulation;
let client: EventStoreDBClient;
const opened: EventStoreDbStore[] = [];
/** Position the last snapshot written covers. */
let covered = -1;

function ok<A>(e: Either<unknown, A>, what: string): A {
  if (isLeft(e)) throw new Error(`${what} failed: ${JSON.stringify(e.left)}`);
  return e.right;
}
async function connect(): Promise<EventStoreDbStore> {
  const s = ok(await eventStoreDbStore(node.connectionString), 'open');
  opened.push(s);
  return s;
}
const shape = (events: readonly StoredEvent[]) => events.map((e) => [e.stream, e.revision, e.position, e.id]);

function engineOver(store: EventStoreDbStore, notes: SnapshotNote[]) {
  return createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store,
    policy: sim.policy,
    notifier: sim.notifier,
    parallelism: 4,
    clock: { now: () => now },
    snapshots: { store: store.snapshots(ORG), onNote: (n) => notes.push(n) },
  });
}

/** The engine's start path over a new connection; the note it gave, and how many $all records it read. */
async function start(snapshots?: (s: EventStoreDbStore) => SnapshotStore) {
  const store = await connect();
  const notes: SnapshotNote[] = [];
  const appender = createAppender(store, () => emptyOrgState(ORG), { schema: 1 });
  const read = node.allEventsRead();
  const state = await createStateLoader(ORG, store, appender, {
    store: (snapshots ?? ((s) => s.snapshots(ORG)))(store),
    onNote: (n) => notes.push(n),
  }).load();
  return { store, state, note: notes[0]!, read: node.allEventsRead() - read };
}

/** The state of the whole log, read by a store that has never seen a snapshot. */
async function whole(): Promise<{ state: OrgState; events: StoredEvent[] }> {
  const events = ok(await (await connect()).readAll(), 'readAll');
  return { state: ok(loadOrgState(ORG, events), 'fold'), events };
}

test.before(async () => {
  node = await startEsdbServer();
  client = EventStoreDBClient.connectionString(node.connectionString);
  sim = simulateOrganization({ devices: 120, seed: 5, clock: () => now });
  const notes: SnapshotNote[] = [];
  const engine = engineOver(await connect(), notes);
  assert.ok((await engine.fullSync()).success);
  node.appendSystemEvent();
  sim.intune.setCompliance(sim.intune.devices().find((m) => m.complianceState === 'compliant')!.id, 'noncompliant');
  now += 900_000;
  await engine.quickSync();
  now += 900_000;
  assert.ok((await engine.fullSync()).success);
  // After the last snapshot: events the next start folds on top of it, and records of another kind.
  node.appendSystemEvent();
  sim.exchange.addPartnership({ mailbox: [...sim.evaluateAll().values()][0]!.mailbox, deviceId: 'LateDevice1' });
  now += 900_000;
  await engine.quickSync();
  const kinds = notes.map((n) => n.kind);
  assert.equal(kinds, ['rebuilt', 'written', 'written'], JSON.stringify(notes));
  const last = notes[2]!;
  if (last.kind === 'written') covered = last.position;
});

test.after(async () => {
  for (const s of opened) await s.close();
  await client.dispose();
  await node.stop();
});

test('a start from the snapshot stream reads $all only from the event it covers and gives the state of the whole log', async () => {
  const w = await whole();
  const r = await start();
  assert.is(r.note.kind, 'loaded', JSON.stringify(r.note));
  assert.equal(stateJson(r.state), stateJson(w.state));
  // Exactly the records from the event before the covered one on (where the read resumes): none of the log before it.
  const id = w.events[covered - 1]!.id;
  const records = node.events();
  const at = records.findIndex((e) => e.id === id);
  assert.ok(at > 0);
  assert.is(r.read, records.length - at);
  assert.ok(covered < w.events.length - 1, 'the log goes on after the snapshot');
});

test('a store started from the snapshot numbers and appends as one that read the whole log', async () => {
  const r = await start();
  assert.is(r.note.kind, 'loaded');
  // The engine goes on from it: quick and full syncs append to streams last written before the snapshot.
  const notes: SnapshotNote[] = [];
  const engine = engineOver(r.store, notes);
  sim.intune.setCompliance(sim.intune.devices().find((m) => m.complianceState === 'compliant')!.id, 'noncompliant');
  now += 900_000;
  const q = await engine.quickSync();
  assert.ok(q.success, JSON.stringify(q.errors));
  now += 900_000;
  const f = await engine.fullSync();
  assert.ok(f.success, JSON.stringify(f.errors));
  assert.is(notes[0]?.kind, 'loaded');
  const w = await whole();
  // The whole log through the seeded store; a stream's events before the snapshot through another one.
  assert.equal(shape(ok(await r.store.readAll(), 'readAll')), shape(w.events));
  const mailbox = w.events.find((e) => e.position < covered && e.stream.startsWith('eas-mailbox-'))!.stream;
  const seeded = (await start()).store;
  const fresh = await connect();
  assert.equal(shape(ok(await seeded.readStream(mailbox), 'readStream')), shape(ok(await fresh.readStream(mailbox), 'readStream')));
});

/** Writes a snapshot to the stream by hand: `text` gzipped in one chunk, and an end like `end` for it, with `changes` over it. */
async function writeByHand(text: string, end: Record<string, unknown>, changes: Record<string, unknown>): Promise<void> {
  const packed = gzipSync(Buffer.from(text, 'utf8'));
  const chunk = await client.appendToStream(
    snapshotStream(ORG),
    binaryEvent({ type: 'eas-access-sync.snapshot-chunk', data: packed, metadata: { chunk: 0 } }),
  );
  const first = Number(chunk.nextExpectedRevision);
  await client.appendToStream(
    snapshotStream(ORG),
    binaryEvent({
      type: 'eas-access-sync.snapshot-end',
      data: new Uint8Array(0),
      metadata: {
        ...end,
        first,
        chunks: 1,
        bytes: packed.length,
        sha256: createHash('sha256').update(packed).digest('hex'),
        ...changes,
      },
    }),
  );
}

async function latestText(): Promise<string> {
  return ok(await (await connect()).snapshots(ORG).load(), 'load')!;
}

async function latestEnd(): Promise<Record<string, unknown>> {
  // Read to its end: a call left half-read is never released.
  let end: Record<string, unknown> | undefined;
  for await (const r of client.readStream(snapshotStream(ORG), { fromRevision: END, direction: BACKWARDS })) {
    if (r.event!.type === 'eas-access-sync.snapshot-end') end ??= r.event!.metadata as Record<string, unknown>;
  }
  if (end === undefined) throw new Error('no snapshot');
  return end;
}

test('a seed whose $all position does not match the log is dropped: the store numbers the log from its start', async () => {
  const text = await latestText();
  const end = await latestEnd();
  const before = node.events().length;
  // Right event and id, wrong $all positions (those of a system record).
  const sys = node.events().find((e) => e.stream.startsWith('$'))!;
  await writeByHand(text, end, { at: { commit: String(sys.commit), prepare: String(sys.prepare) }, before: { commit: '0', prepare: '0' } });
  const w = await whole();
  const r = await start();
  assert.is(r.note.kind, 'loaded', JSON.stringify(r.note));
  assert.equal(stateJson(r.state), stateJson(w.state));
  assert.ok(r.read >= before, `read the log from its start (${r.read} of ${before} records)`);
  assert.equal(shape(ok(await r.store.readAll(), 'readAll')), shape(w.events));
});

test('a seed at the $all position of another event of the log is dropped too (its id tells)', async () => {
  const text = await latestText();
  const end = await latestEnd();
  const all = (await whole()).events;
  const record = (position: number) => {
    const e = node.events().find((x) => x.id === all[position]!.id)!;
    return { commit: String(e.commit), prepare: String(e.prepare) };
  };
  await writeByHand(text, end, { at: record(covered - 5), before: record(covered - 6) });
  const w = await whole();
  const r = await start();
  // The snapshot's own text still names the real event: the store's numbering from the start agrees with it.
  assert.is(r.note.kind, 'loaded', JSON.stringify(r.note));
  assert.equal(stateJson(r.state), stateJson(w.state));
  assert.equal(shape(ok(await r.store.readAll(), 'readAll')), shape(w.events));
});

test('a save that stopped before its end event leaves the previous snapshot to load', async () => {
  const text = await latestText();
  await client.appendToStream(
    snapshotStream(ORG),
    binaryEvent({ type: 'eas-access-sync.snapshot-chunk', data: randomBytes(64), metadata: { chunk: 0 } }),
  );
  assert.is(await latestText(), text);
  const r = await start();
  assert.is(r.note.kind, 'loaded');
});

test('chunks that do not match the SHA-256 of their end event are corrupt: the engine folds the whole log and says why', async () => {
  const text = await latestText();
  const end = await latestEnd();
  await writeByHand(text, end, { sha256: '0'.repeat(64) });
  const w = await whole();
  const r = await start();
  assert.is(r.note.kind, 'rebuilt');
  if (r.note.kind === 'rebuilt') assert.match(r.note.reason, /SHA-256/, r.note.reason);
  assert.equal(stateJson(r.state), stateJson(w.state));
});

test('a snapshot larger than a chunk is written in chunks, read back whole, and older ones are truncated away', async () => {
  const store = await connect();
  ok(await store.readAll(), 'index');
  // Random text hardly compresses: more than two chunks.
  const text = randomBytes(Math.round(CHUNK_BYTES * 2.4)).toString('base64');
  const chunks = Math.ceil(gzipSync(text, { level: 3 }).length / CHUNK_BYTES);
  assert.ok(chunks > 2);
  ok(await store.snapshots(ORG).save(text, { position: 0, id: ok(await store.readAll({ from: 0 }), 'read')[0]!.id }), 'save');
  assert.is(await latestText(), text);
  const types: string[] = [];
  let first = -1;
  for await (const r of client.readStream(snapshotStream(ORG), { fromRevision: START, direction: FORWARDS })) {
    if (first < 0) first = Number(r.event!.revision);
    types.push(r.event!.type);
  }
  assert.ok(first > 0, 'older snapshots are no longer read');
  assert.equal(types, [...Array<string>(chunks).fill('eas-access-sync.snapshot-chunk'), 'eas-access-sync.snapshot-end']);
});

test('a snapshot saved in pieces loads as the text they join, a surrogate pair split between two of them', async () => {
  const store = await connect();
  ok(await store.readAll(), 'index');
  const pieces = ['{"name":"Zoë ', '\ud83d', '\ude00 ', randomBytes(CHUNK_BYTES).toString('base64'), '"}'];
  const snapshots = store.snapshots(ORG);
  assert.ok(snapshots.savePieces, 'the store writes pieces');
  ok(await snapshots.savePieces(pieces, { position: 0, id: ok(await store.readAll({ from: 0 }), 'read')[0]!.id }), 'save');
  assert.is(await latestText(), pieces.join(''));
});

test('a save whose position is not in the index is refused; nothing is written', async () => {
  const store = await connect();
  const before = node.events().length;
  const r = await store.snapshots(ORG).save('{}', { position: 10_000_000, id: 'x' });
  assert.ok(isLeft(r));
  if (isLeft(r)) assert.match(r.left.message, /10000000/);
  assert.is(node.events().length, before);
  assert.ok(isRight(await store.snapshots(ORG).load()));
});

// A seeded store (started from a snapshot at any position) answers as a store
// that read the whole log: reads from anywhere, streams, and append batches
// (their positions, and conflicts with the streams' real heads), in any order.
const STREAMS = ['s0', 's1', 's2', 's3', 's4', 's5'];
type Query = { q: 'readAll'; from: number } | { q: 'readStream'; stream: number } | { q: 'append'; streams: number[]; stale: boolean };
const query: fc.Arbitrary<Query> = fc.oneof(
  fc.record({ q: fc.constant('readAll' as const), from: fc.nat(60) }),
  fc.record({ q: fc.constant('readStream' as const), stream: fc.nat(STREAMS.length - 1) }),
  fc.record({
    q: fc.constant('append' as const),
    streams: fc.uniqueArray(fc.nat(STREAMS.length - 1), { minLength: 1, maxLength: 4 }),
    stale: fc.boolean(),
  }),
);
let run = 0;
test('property: a store seeded anywhere in the log answers reads and appends as one that read the whole log', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.tuple(
          fc.array(fc.tuple(fc.nat(STREAMS.length - 1), fc.integer({ min: 1, max: 3 })), { minLength: 1, maxLength: 4 }),
          fc.boolean(),
        ),
        {
          minLength: 2,
          maxLength: 12,
        },
      ),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.array(query, { minLength: 1, maxLength: 6 }),
      async (batches, where, queries) => {
        const prefix = `p${run++}-`;
        const mine: EventStoreDbStore[] = [];
        const use = async () => {
          const st = ok(await eventStoreDbStore(node.connectionString, { streamPrefix: prefix }), 'open');
          mine.push(st);
          return st;
        };
        const writer = await use();
        let n = 0;
        const ev = () => ({ type: 'E', data: { n: n++ }, at: '2026-11-26T09:00:00.000Z' });
        for (const [requests, system] of batches) {
          const seen = new Set<number>();
          const distinct = requests.filter(([s]) => !seen.has(s) && seen.add(s));
          ok(
            await writer.append(
              distinct.map(([s, k]) => ({ stream: STREAMS[s]!, expected: 'any' as const, events: Array.from({ length: k }, ev) })),
            ),
            'build',
          );
          if (system) node.appendSystemEvent();
        }
        const all = ok(await writer.readAll(), 'readAll');
        const position = 1 + Math.floor(where * (all.length - 1));
        if (position >= all.length) return;
        ok(await writer.snapshots(ORG).save('{}', { position, id: all[position]!.id }), 'save');
        const seeded = await use();
        assert.is(ok(await seeded.snapshots(ORG).load(), 'load'), '{}');
        // Another connection, which numbers the log from its start (and keeps up with what is appended).
        const whole = await use();
        for (const x of queries) {
          if (x.q === 'readAll') {
            assert.equal(
              shape(ok(await seeded.readAll({ from: x.from }), 'a')),
              shape(ok(await whole.readAll({ from: x.from }), 'b')),
              `readAll from ${x.from}`,
            );
          } else if (x.q === 'readStream') {
            const s = STREAMS[x.stream]!;
            assert.equal(shape(ok(await seeded.readStream(s), 'a')), shape(ok(await whole.readStream(s), 'b')), `readStream ${s}`);
          } else {
            const events = ok(await whole.readAll(), 'heads');
            const head = (s: string) => events.filter((e) => e.stream === s).pop()?.revision;
            const requests = x.streams.map((i, j) => {
              const h = head(STREAMS[i]!);
              const expected: ExpectedRevision =
                x.stale && j === x.streams.length - 1 ? (h === undefined ? 0 : h === 0 ? 'noStream' : h - 1) : (h ?? 'noStream');
              return { stream: STREAMS[i]!, expected: expected, events: [ev()] };
            });
            const r = await seeded.append(requests);
            if (x.stale) {
              const last = requests[requests.length - 1]!;
              assert.equal(isLeft(r) ? r.left : r.right, {
                kind: 'conflict',
                stream: last.stream,
                expected: last.expected,
                actual: head(last.stream) ?? 'noStream',
              });
            } else {
              const after = ok(await whole.readAll(), 'after');
              assert.equal(
                ok(r, 'append').map((a) => [a.stream, a.revision, a.position]),
                requests.map((q) => {
                  const e = after.filter((y) => y.stream === q.stream).pop()!;
                  return [q.stream, e.revision, e.position];
                }),
              );
            }
          }
        }
        for (const s of mine) await s.close();
      },
    ),
    { numRuns: 15 },
  );
});

// Last: it appends events no fold knows.
test('a store started from the snapshot checks a batch against the heads of streams last written before it', async () => {
  // A snapshot of the whole log (the tests before left others in the stream).
  const w = await whole();
  const writer = await connect();
  ok(await writer.readAll(), 'index');
  const end = w.events.length - 1;
  const covers = { position: end, id: w.events[end]!.id };
  ok(await writer.snapshots(ORG).save(snapshotText(w.state, covers), covers), 'save');
  const heads = new Map<string, number>();
  for (const e of w.events) heads.set(e.stream, e.revision);
  const old = [...heads.keys()].filter((s) => s !== w.events[end]!.stream).slice(0, 3);
  assert.is(old.length, 3);
  const note = { type: 'TestNote', data: { n: 1 }, at: '2026-11-26T09:00:00.000Z' };
  // A stale expected revision is a conflict naming the stream's real head; nothing is written.
  const started = await start();
  assert.is(started.note.kind, 'loaded', JSON.stringify(started.note));
  const a = started.store;
  const before = node.events().length;
  const stale = await a.append(
    old.map((stream, i) => ({ stream, expected: i === 1 ? heads.get(stream)! - 1 : heads.get(stream)!, events: [note] })),
  );
  assert.ok(isLeft(stale));
  if (isLeft(stale))
    assert.equal(stale.left, { kind: 'conflict', stream: old[1], expected: heads.get(old[1]!)! - 1, actual: heads.get(old[1]!) });
  assert.is(node.events().length, before);
  // The right ones are written, at the positions a store that read the whole log gives.
  const written = ok(await a.append(old.map((stream) => ({ stream, expected: heads.get(stream)!, events: [note] }))), 'append');
  const all = ok(await (await connect()).readAll(), 'readAll');
  assert.equal(
    written.map((x) => [x.stream, x.revision, x.position]),
    old.map((stream) => {
      const e = all.filter((x) => x.stream === stream).pop()!;
      return [stream, e.revision, e.position];
    }),
  );
});

test('the log before the seed is read while appends go on, and joined to what they wrote', async () => {
  const all = ok(await (await connect()).readAll(), 'readAll');
  const heads = new Map<string, number>();
  for (const e of all) heads.set(e.stream, e.revision);
  const [a, b, c] = [...heads.keys()].filter((x) => x.startsWith('eas-mailbox-'));
  const seeded = await connect();
  assert.ok(isRight(await seeded.snapshots(ORG).load()));
  const note = { type: 'TestNote', data: { n: 2 }, at: '2026-11-26T10:00:00.000Z' };
  // An old stream's read needs the log before the seed; two appends (one batch of two streams, one single) run beside it.
  const [read, batch, single] = await Promise.all([
    seeded.readStream(a!),
    seeded.append([
      { stream: b!, expected: heads.get(b!)!, events: [note] },
      { stream: c!, expected: heads.get(c!)!, events: [note] },
    ]),
    seeded.append([{ stream: a!, expected: heads.get(a!)!, events: [note, note] }]),
  ]);
  const fresh = await connect();
  const after = ok(await fresh.readAll(), 'readAll');
  const last = (stream: string) => after.filter((e) => e.stream === stream).pop()!;
  assert.equal(
    ok(batch, 'batch').map((r) => [r.stream, r.revision, r.position]),
    [b!, c!].map((x) => [x, last(x).revision, last(x).position]),
  );
  assert.equal(ok(single, 'single')[0]!.position, last(a!).position);
  // The read saw the stream as it was, or with the two new events: either way numbered as the whole log is.
  const got = shape(ok(read, 'read'));
  const whole = shape(after.filter((e) => e.stream === a));
  assert.equal(got, whole.slice(0, got.length));
  assert.ok(got.length === whole.length || got.length === whole.length - 2);
  assert.equal(shape(ok(await seeded.readAll(), 'readAll')), shape(after));
  assert.equal(shape(ok(await seeded.readStream(b!), 'readStream')), shape(ok(await fresh.readStream(b!), 'readStream')));
});

test.run();
