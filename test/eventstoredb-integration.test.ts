// Opt-in: the store conformance suite and a subscription against a real
// EventStoreDB or KurrentDB node, when EVENTSTORE_CONNECTION_STRING names one
// (see adapters/eventstoredb/README.md for starting one). Every store works
// under a fresh stream prefix, so the node need not be empty and is left with
// only uniquely named streams. Without the variable the file says it is
// skipped and checks only that.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { isLeft } from 'fp-ts/lib/Either.js';
import { eventStoreDbStore, parseConnection, type EventStoreDbStore } from '../adapters/eventstoredb/index.js';
import type { StoredEvent } from '../src/ports.js';
import { storeConformance } from './store-conformance.js';

const VAR = 'EVENTSTORE_CONNECTION_STRING';
const connectionString = process.env[VAR]?.trim() ?? '';

async function open(prefix: string): Promise<EventStoreDbStore> {
  const r = await eventStoreDbStore(connectionString, { streamPrefix: prefix });
  if (isLeft(r)) throw new Error(`cannot open ${VAR}: ${JSON.stringify(r.left)}`);
  return r.right;
}

if (connectionString === '') {
  process.stdout.write(
    `eventstoredb integration: skipped (${VAR} is not set; see adapters/eventstoredb/README.md to run it against a real node)\n`,
  );
  const test = suite('eventstoredb integration (skipped)');
  test(`${VAR} is unset, so no real node is contacted`, () => {
    assert.is(process.env[VAR]?.trim() ?? '', '');
    assert.is(connectionString, '');
  });
  test.run();
} else {
  const parsed = parseConnection(connectionString);
  if (isLeft(parsed)) throw new Error(parsed.left);
  process.stdout.write(`eventstoredb integration: against ${parsed.right.redacted} (TLS ${parsed.right.tls ? 'on' : 'off'})\n`);
  const run = randomUUID().slice(0, 8);
  storeConformance(`eventstoredb integration: conformance on ${parsed.right.redacted}`, () =>
    open(`it-${run}-${randomUUID().slice(0, 8)}-`),
  );

  const test = suite('eventstoredb integration: real-node semantics');
  test('a catch-up subscription goes live and resumes after its checkpoint (exclusive start on a real node)', async () => {
    const store = await open(`it-${run}-sub-`);
    await store.append([
      { stream: 's', expected: 'noStream', events: [0, 1, 2].map((i) => ({ type: 'E', data: { i }, at: new Date().toISOString() })) },
    ]);
    const seen: StoredEvent[] = [];
    const sub = store.subscribe({
      onEvent: (e) => {
        seen.push(e);
      },
    });
    await sub.live;
    assert.equal(
      seen.map((e) => e.position),
      [0, 1, 2],
    );
    await store.append([{ stream: 's', expected: 2, events: [{ type: 'E', data: { i: 3 }, at: new Date().toISOString() }] }]);
    while (seen.length < 4) await new Promise((r) => setTimeout(r, 10));
    await sub.close();
    const cp = sub.checkpoint()!;
    await store.append([{ stream: 's', expected: 3, events: [{ type: 'E', data: { i: 4 }, at: new Date().toISOString() }] }]);
    const after: number[] = [];
    const sub2 = store.subscribe({
      from: cp,
      onEvent: (e) => {
        after.push(e.position);
      },
    });
    await sub2.live;
    await sub2.close();
    assert.equal(after, [4]);
    await store.close();
  });

  test('two connections number the log the same way', async () => {
    const prefix = `it-${run}-two-`;
    const a = await open(prefix);
    const b = await open(prefix);
    await a.append([{ stream: 'x', expected: 'noStream', events: [{ type: 'X', data: 1, at: new Date().toISOString() }] }]);
    const r = await b.append([{ stream: 'y', expected: 'noStream', events: [{ type: 'Y', data: 2, at: new Date().toISOString() }] }]);
    assert.equal(r, { _tag: 'Right', right: [{ stream: 'y', revision: 0, position: 1 }] });
    const all = await a.readAll();
    assert.equal(isLeft(all) ? all.left : all.right.map((e) => [e.stream, e.position]), [
      ['x', 0],
      ['y', 1],
    ]);
    await a.close();
    await b.close();
  });
  test.run();
}
