// The EventStoreDB adapter against the in-process gRPC server (test/support/esdb-server.ts):
// the shared store conformance suite (BatchAppend, and classic Append on a shared node
// with stream prefixes and interleaved system events), then what is specific to
// EventStoreDB: conflict mapping, batches that are atomic per stream only, the
// envelope on the wire, catch-up subscriptions with checkpoints, connection strings
// (TLS by default), errors without secrets, and clean shutdown.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { isLeft, isRight, type Either } from 'fp-ts/lib/Either.js';
import { EventStoreDBClient, jsonEvent, WrongExpectedVersionError } from '@eventstore/db-client';
import {
  eventStoreDbStore,
  parseConnection,
  redactConnectionString,
  type EventStoreDbStore,
  type Checkpoint,
  type EventStoreDbOptions,
} from '../adapters/eventstoredb/index.js';
import type { EventStore, NewEvent, StoredEvent, StoreError } from '../src/ports.js';
import { storeConformance } from './store-conformance.js';
import { startEsdbServer, type EsdbServer } from './support/esdb-server.js';

function ok<A>(e: Either<StoreError, A>, what = 'operation'): A {
  if (isLeft(e)) throw new Error(`${what} failed: ${JSON.stringify(e.left)}`);
  return e.right;
}
function err<A>(e: Either<StoreError, A>): StoreError {
  if (isRight(e)) throw new Error(`expected a failure, got ${JSON.stringify(e.right)}`);
  return e.left;
}
const ev = (type: string, data: unknown = { n: 1 }, extra: Partial<NewEvent> = {}): NewEvent => ({
  type,
  data,
  at: '2024-05-01T10:00:00.000Z',
  ...extra,
});
const shape = (events: readonly StoredEvent[]) => events.map((e) => [e.stream, e.revision, e.position, e.type]);
const open = async (srv: EsdbServer, options?: EventStoreDbOptions): Promise<EventStoreDbStore> =>
  ok(await eventStoreDbStore(srv.connectionString, options), 'open');
async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  try {
    await p;
  } catch (e) {
    assert.instance(e, TypeError);
    assert.match((e as Error).message, re);
    return;
  }
  assert.unreachable(`should have been refused (${String(re)})`);
}
/** Waits (without a time limit of its own: the test runner has one) until `cond` holds. */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

// ---------------------------------------------------------------- conformance
// A fresh node per store, BatchAppend (EventStoreDB 21.10+).
storeConformance('eventstoredb store: conformance (BatchAppend, a node per store)', async (): Promise<EventStore> => {
  const srv = await startEsdbServer();
  const store = await open(srv);
  return {
    append: (r) => store.append(r),
    readStream: (s, o) => store.readStream(s, o),
    readAll: (o) => store.readAll(o),
    close: async () => {
      await store.close();
      await srv.stop();
    },
  };
});

// One node shared by every store (each under its own stream prefix), classic
// Append only (EventStoreDB 20.x), with a system event written between tests.
const shared = await startEsdbServer({ batchAppend: false });
storeConformance(
  'eventstoredb store: conformance (classic Append, shared node, stream prefixes)',
  async () => {
    shared.appendSystemEvent();
    return open(shared, { streamPrefix: `t${randomUUID().slice(0, 8)}-` });
  },
  () => shared.stop(),
);

// ---------------------------------------------------------------- specifics
const test = suite('eventstoredb store: EventStoreDB specifics');
let srv: EsdbServer;
test.before(async () => {
  srv = await startEsdbServer();
});
test.after(async () => {
  await srv.stop();
});

test('the in-process server answers as EventStoreDB does: the client raises WrongExpectedVersionError with actualVersion no_stream', async () => {
  for (const mode of [{}, { batchAppend: false }, { serverFeatures: false }]) {
    const node = await startEsdbServer(mode);
    const client = EventStoreDBClient.connectionString(node.connectionString);
    try {
      await client.appendToStream('ghost', jsonEvent({ type: 'X', data: {} }), { expectedRevision: 3n });
      assert.unreachable('the append should fail');
    } catch (e) {
      assert.instance(e, WrongExpectedVersionError);
      assert.is((e as WrongExpectedVersionError).actualVersion, 'no_stream');
      assert.is((e as WrongExpectedVersionError).expectedVersion, 3n);
      assert.is((e as WrongExpectedVersionError).streamName, 'ghost');
    }
    await client.dispose();
    const store = await open(node);
    assert.equal(err(await store.append([{ stream: 'ghost', expected: 3, events: [ev('X')] }])), {
      kind: 'conflict',
      stream: 'ghost',
      expected: 3,
      actual: 'noStream',
    });
    ok(await store.append([{ stream: 'a', expected: 'noStream', events: [ev('A0'), ev('A1')] }]));
    assert.equal(err(await store.append([{ stream: 'a', expected: 'noStream', events: [ev('X')] }])), {
      kind: 'conflict',
      stream: 'a',
      expected: 'noStream',
      actual: 1,
    });
    await store.close();
    await node.stop();
    const classic = 'batchAppend' in mode || 'serverFeatures' in mode;
    assert.is((node.calls.BatchAppend ?? 0) > 0, !classic, JSON.stringify(node.calls));
    assert.is((node.calls.Append ?? 0) > 0, classic, JSON.stringify(node.calls));
  }
});

test('a conflict found while checking a batch writes nothing; one raced in mid-batch leaves the earlier streams written and names the stream', async () => {
  const store = await open(srv, { streamPrefix: 'race-' });
  ok(await store.append([{ stream: 'b', expected: 'noStream', events: [ev('B0')] }]));
  // Found on checking: nothing written.
  assert.equal(
    err(
      await store.append([
        { stream: 'a', expected: 'noStream', events: [ev('A0')] },
        { stream: 'b', expected: 'noStream', events: [ev('B1')] },
      ]),
    ),
    { kind: 'conflict', stream: 'b', expected: 'noStream', actual: 0 },
  );
  assert.equal(ok(await store.readStream('a')), []);
  // Another writer slips in between the check and the write of stream c.
  srv.beforeNextWrite('race-c', () => srv.appendRaw('race-c', 'Other', {}, { at: '2024-05-01T10:00:00.000Z', meta: {} }));
  assert.equal(
    err(
      await store.append([
        { stream: 'a', expected: 'noStream', events: [ev('A0')] },
        { stream: 'c', expected: 'noStream', events: [ev('C0')] },
      ]),
    ),
    { kind: 'conflict', stream: 'c', expected: 'noStream', actual: 0 },
  );
  assert.equal(shape(ok(await store.readAll())), [
    ['b', 0, 0, 'B0'],
    ['a', 0, 1, 'A0'],
    ['c', 0, 2, 'Other'],
  ]);
  await store.close();
});

test("positions count only this store's events: system events, other prefixes and foreign events are not in its log", async () => {
  const node = await startEsdbServer();
  const store = await open(node, { streamPrefix: 'mine-' });
  const other = await open(node, { streamPrefix: 'theirs-' });
  ok(await store.append([{ stream: 'a', expected: 'any', events: [ev('A0')] }]));
  node.appendSystemEvent();
  ok(await other.append([{ stream: 'a', expected: 'any', events: [ev('X0'), ev('X1')] }]));
  node.appendRaw('mine-foreign', 'NotOurs', { hello: 1 }); // no envelope: another application's event
  node.appendSystemEvent('$metadata', '$$mine-a');
  const r = ok(
    await store.append([
      { stream: 'b', expected: 'noStream', events: [ev('B0')] },
      { stream: 'a', expected: 0, events: [ev('A1')] },
    ]),
  );
  assert.equal(r, [
    { stream: 'b', revision: 0, position: 1 },
    { stream: 'a', revision: 1, position: 2 },
  ]);
  assert.equal(shape(ok(await store.readAll())), [
    ['a', 0, 0, 'A0'],
    ['b', 0, 1, 'B0'],
    ['a', 1, 2, 'A1'],
  ]);
  assert.equal(shape(ok(await store.readAll({ from: 1 }))), [
    ['b', 0, 1, 'B0'],
    ['a', 1, 2, 'A1'],
  ]);
  assert.equal(shape(ok(await other.readAll())), [
    ['a', 0, 0, 'X0'],
    ['a', 1, 1, 'X1'],
  ]);
  assert.equal(ok(await store.readStream('foreign')), []);
  const each: StoredEvent[] = [];
  assert.is(
    ok(
      await store.forEachEvent(
        (e) => {
          each.push(e);
        },
        { from: 1 },
      ),
    ),
    2,
  );
  assert.equal(each, ok(await store.readAll({ from: 1 })), 'forEachEvent hands over what readAll returns');
  // A second connection, with an index of its own, numbers the log the same way.
  const again = await open(node, { streamPrefix: 'mine-' });
  assert.equal(shape(ok(await again.readStream('a'))), [
    ['a', 0, 0, 'A0'],
    ['a', 1, 2, 'A1'],
  ]);
  assert.is(ok(await again.isEmpty()), false);
  const empty = await open(node, { streamPrefix: 'nobody-' });
  assert.is(ok(await empty.isEmpty()), true);
  for (const s of [store, other, again, empty]) await s.close();
  await node.stop();
});

test('the envelope on the wire: event id, type, JSON data, metadata { at, meta, id?, copiedFrom? }', async () => {
  const store = await open(srv, { streamPrefix: 'wire-' });
  const upper = 'ABCDEF01-2345-4678-9ABC-DEF012345678';
  ok(
    await store.append([
      {
        stream: 's',
        expected: 'noStream',
        events: [
          { type: 'Decided', data: { level: 'allow' }, at: '2024-05-01T10:00:00.000Z', meta: { schema: 1 }, id: upper },
          { type: 'Copied', data: [1], at: '2024-05-01T10:00:01.000Z', origin: { position: 41, revision: 7 } } as NewEvent,
        ],
      },
    ]),
  );
  const onWire = srv.events().filter((e) => e.stream === 'wire-s');
  assert.is(onWire.length, 2);
  assert.is(onWire[0]!.id, upper.toLowerCase());
  assert.is(onWire[0]!.type, 'Decided');
  assert.is(onWire[0]!.contentType, 'application/json');
  assert.equal(JSON.parse(Buffer.from(onWire[0]!.data).toString()), { level: 'allow' });
  assert.equal(JSON.parse(Buffer.from(onWire[0]!.metadata).toString()), { at: '2024-05-01T10:00:00.000Z', meta: { schema: 1 }, id: upper });
  assert.equal(JSON.parse(Buffer.from(onWire[1]!.metadata).toString()), {
    at: '2024-05-01T10:00:01.000Z',
    meta: {},
    copiedFrom: { position: 41, revision: 7 },
  });
  const back = ok(await store.readStream('s'));
  assert.is(back[0]!.id, upper, 'an id comes back exactly as it was given');
  assert.equal(back[1]!.meta, {}, 'the origin is not part of meta');
  await rejects(store.append([{ stream: 's', expected: 'any', events: [ev('X', 1, { id: 'not-a-uuid' })] }]), /not a UUID/);
  const bare = await open(srv);
  await rejects(bare.append([{ stream: '$system', expected: 'any', events: [ev('X')] }]), /EventStoreDB's own/);
  await rejects(bare.append([{ stream: 'x', expected: 'any', events: [ev('$x')] }]), /not allowed/);
  await rejects(bare.append([{ stream: 'x', expected: -1, events: [ev('X')] }]), /expected must be/);
  await bare.close();
  await store.close();
});

test('a catch-up subscription delivers the past, goes live, checkpoints, and resumes from its checkpoint', async () => {
  const store = await open(srv, { streamPrefix: 'sub-' });
  for (let i = 0; i < 5; i++) ok(await store.append([{ stream: `s${i % 2}`, expected: 'any', events: [ev('Past', { i })] }]));
  srv.appendSystemEvent();
  const seen: StoredEvent[] = [];
  const checkpoints: Checkpoint[] = [];
  let liveAfter = -1;
  const sub = store.subscribe({
    onEvent: (e) => {
      seen.push(e);
    },
    onCheckpoint: (c) => {
      checkpoints.push(c);
    },
    checkpointEvery: 3,
    onLive: () => {
      liveAfter = seen.length;
    },
  });
  await sub.live;
  assert.is(liveAfter, 5, 'live only once everything written before is handled');
  assert.equal(
    seen.map((e) => e.position),
    [0, 1, 2, 3, 4],
  );
  assert.equal(
    seen.map((e) => (e.data as { i: number }).i),
    [0, 1, 2, 3, 4],
  );
  // Live events, with system events and another store's events around them.
  const other = await open(srv, { streamPrefix: 'elsewhere-' });
  ok(await other.append([{ stream: 'x', expected: 'any', events: [ev('Elsewhere')] }]));
  ok(await store.append([{ stream: 's0', expected: 'any', events: [ev('Live', { i: 5 }), ev('Live', { i: 6 })] }]));
  srv.appendSystemEvent();
  ok(await store.append([{ stream: 's9', expected: 'noStream', events: [ev('Live', { i: 7 })] }]));
  await until(() => seen.length === 8);
  assert.equal(
    seen.map((e) => [e.position, e.type]),
    [
      [0, 'Past'],
      [1, 'Past'],
      [2, 'Past'],
      [3, 'Past'],
      [4, 'Past'],
      [5, 'Live'],
      [6, 'Live'],
      [7, 'Live'],
    ],
  );
  assert.equal(seen, ok(await store.readAll()), 'the subscription sees the log readAll sees');
  await sub.close();
  const last = checkpoints[checkpoints.length - 1]!;
  assert.is(last.position, 7, 'closing reports the final checkpoint');
  assert.equal(sub.checkpoint(), last);
  assert.ok(
    checkpoints.some((c) => c.position === 2),
    'a checkpoint every 3 events',
  );
  assert.equal(JSON.parse(JSON.stringify(last)), last, 'checkpoints are plain JSON');
  await until(() => srv.subscriptions() === 0);

  // Resume: only what came after the checkpoint, numbered on from it.
  ok(await store.append([{ stream: 's1', expected: 'any', events: [ev('After', { i: 8 }), ev('After', { i: 9 })] }]));
  const resumed: StoredEvent[] = [];
  const sub2 = store.subscribe({
    from: last,
    onEvent: (e) => {
      resumed.push(e);
    },
  });
  await sub2.live;
  assert.equal(
    resumed.map((e) => [e.position, (e.data as { i: number }).i]),
    [
      [8, 8],
      [9, 9],
    ],
  );
  await sub2.close();
  await other.close();
  await store.close();
});

test('a handler that throws ends the subscription with an error; the failed event is delivered again on resume', async () => {
  const store = await open(srv, { streamPrefix: 'fail-' });
  ok(await store.append([{ stream: 's', expected: 'noStream', events: [ev('E0'), ev('E1'), ev('E2')] }]));
  const errors: StoreError[] = [];
  const seen: string[] = [];
  const sub = store.subscribe({
    onEvent: (e) => {
      if (e.type === 'E1') throw new Error('projection bug');
      seen.push(e.type);
    },
    onError: (e) => {
      errors.push(e);
    },
  });
  await sub.ended;
  assert.equal(seen, ['E0']);
  assert.equal(errors, [{ kind: 'io', message: 'subscription handler failed: projection bug' }]);
  const cp = sub.checkpoint()!;
  assert.is(cp.position, 0);
  const again: string[] = [];
  const sub2 = store.subscribe({
    from: cp,
    onEvent: (e) => {
      again.push(`${e.position}:${e.type}`);
    },
  });
  await sub2.live;
  assert.equal(again, ['1:E1', '2:E2']);
  await store.close(); // closes sub2 too
  await until(() => srv.subscriptions() === 0);
});

test('connection strings: TLS by default, ?tls=false allowed, kurrentdb:// accepted, credentials never echoed', () => {
  const tls = parseConnection('esdb://localhost:2113');
  assert.ok(isRight(tls) && tls.right.tls === true && tls.right.hosts[0] === 'localhost:2113');
  const plain = parseConnection('esdb://localhost?tls=false');
  assert.ok(isRight(plain) && plain.right.tls === false && plain.right.hosts[0] === 'localhost:2113');
  const kdb = parseConnection('kurrentdb+discover://admin:changeit@node1:2113,node2:2113?tls=true');
  assert.ok(isRight(kdb));
  if (isRight(kdb)) {
    assert.is(kdb.right.discover, true);
    assert.is(kdb.right.hasCredentials, true);
    assert.is(kdb.right.clientString, 'esdb+discover://admin:changeit@node1:2113,node2:2113?tls=true');
    assert.is(kdb.right.redacted, 'kurrentdb+discover://node1:2113,node2:2113?tls=true');
  }
  assert.is(redactConnectionString('esdb://admin:p%40ss@h:1?tls=false'), 'esdb://h:1?tls=false');
  for (const bad of [
    'esdb://admin:hunter22@host:notaport',
    'esdb://admin:hunter22@host?tls=maybe',
    'esdb://admin:hunter22@host?tsl=false',
    'http://admin:hunter22@host',
  ]) {
    const r = parseConnection(bad);
    assert.ok(isLeft(r), bad);
    if (isLeft(r)) assert.not.match(r.left, /hunter22/, r.left);
  }
});

test('TLS is really on by default: a plaintext node answers with an io error that says how to turn it off', async () => {
  const r = await eventStoreDbStore(`esdb://admin:t0p-secret@127.0.0.1:${srv.port}`);
  const e = err(r);
  assert.is(e.kind, 'io');
  if (e.kind === 'io') {
    assert.match(e.message, /tls=false/);
    assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${srv.port}`));
    assert.not.match(e.message, /t0p-secret|admin:/);
  }
});

test('a refused connection is an io error naming the node, without the credentials', async () => {
  const gone = await startEsdbServer();
  await gone.stop(); // nothing listens on this port any more
  const r = await eventStoreDbStore(`esdb://ops:pa55-w0rd-xyz@127.0.0.1:${gone.port}?tls=false`);
  const e = err(r);
  assert.is(e.kind, 'io');
  if (e.kind === 'io') {
    assert.match(e.message, new RegExp(`EventStoreDB esdb://127\\.0\\.0\\.1:${gone.port}\\?tls=false: cannot connect: node unavailable`));
    assert.not.match(e.message, /pa55-w0rd-xyz|ops:/);
  }
  // Without the check on open, the first call reports it the same way.
  const lazy = ok(await eventStoreDbStore(`esdb://ops:pa55-w0rd-xyz@127.0.0.1:${gone.port}?tls=false`, { verify: false }));
  const a = err(await lazy.append([{ stream: 'a', expected: 'any', events: [ev('A')] }]));
  assert.is(a.kind, 'io');
  if (a.kind === 'io') assert.not.match(a.message, /pa55-w0rd-xyz/);
  assert.is(err(await lazy.readAll()).kind, 'io');
  await lazy.close();
});

test('clean shutdown: appends in flight finish, subscriptions end, every later call is Left closed', async () => {
  const store = await open(srv, { streamPrefix: 'shutdown-' });
  const sub = store.subscribe({ onEvent: () => undefined });
  await sub.live;
  assert.is(srv.subscriptions(), 1);
  const inFlight = store.append([{ stream: 'a', expected: 'noStream', events: [ev('A0')] }]);
  await store.close();
  assert.ok(isRight(await inFlight), 'the append started before close completed');
  await sub.ended;
  await until(() => srv.subscriptions() === 0);
  assert.is(err(await store.append([{ stream: 'a', expected: 'any', events: [ev('A1')] }])).kind, 'closed');
  assert.is(err(await store.isEmpty()).kind, 'closed');
  assert.throws(() => store.subscribe({ onEvent: () => undefined }), /closed/);
  await store.close();
  const check = await open(srv, { streamPrefix: 'shutdown-' });
  assert.is(ok(await check.readStream('a')).length, 1);
  await check.close();
});

test.run();
