// src/append.ts: the sync's group committer, and what it holds back while mailboxes are decided.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { groupCommitter, type Appender, type Batch } from '../src/append.js';
import { event, type DomainEvent } from '../src/events.js';

/** An appender that records each append as [stream, event types][] and can be made to fail. */
function recordingAppender() {
  const appends: Array<Array<[string, string[]]>> = [];
  let fail: Error | undefined;
  let appended = 0;
  const appender: Appender = {
    async append(batch: Batch) {
      await new Promise((r) => setImmediate(r));
      if (fail) throw fail;
      appends.push([...batch].map(([s, es]) => [s, es.map((e) => (e.data as { commandId: string }).commandId)]));
      let n = 0;
      for (const es of batch.values()) n += es.length;
      appended += n;
      return n;
    },
    get appended() {
      return appended;
    },
    lastPosition: undefined,
  };
  return { appender, appends, failWith: (e: Error) => (fail = e) };
}

const outcome = (commandId: string): DomainEvent => event('CommandSucceeded', { commandId });
const batchOf = (stream: string, ...ids: string[]): Batch => new Map([[stream, ids.map(outcome)]]);
const settle = () => new Promise((r) => setTimeout(r, 5));
/** The message a promise is rejected with (fails when it resolves). */
async function rejection(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a rejection');
}

test('deferred events wait for the next commit while the committer holds, and go out in its one append', async () => {
  const { appender, appends } = recordingAppender();
  const c = groupCommitter(appender, () => '2026-12-06T00:00:00Z');
  c.hold();
  c.defer('m-a', [outcome('a1')]);
  c.defer('m-b', [outcome('b1')]);
  c.defer('m-a', [outcome('a2')]);
  await settle();
  assert.equal(appends, [], 'nothing written while holding');
  const n = await c.commit(batchOf('m-a', 'a3'));
  assert.is(n, 1, "the commit counts its own batch's events");
  // The waiting events first (they happened first), the batch's after them in the same stream.
  assert.equal(appends, [
    [
      ['m-a', ['a1', 'a2', 'a3']],
      ['m-b', ['b1']],
    ],
  ]);
  assert.is(await c.drain(), 3, 'the deferred events count as the committer written ones');
});

test('an added event is written at once, with the deferred events waiting', async () => {
  const { appender, appends } = recordingAppender();
  const c = groupCommitter(appender, () => '2026-12-06T00:00:00Z');
  c.hold();
  c.defer('m-a', [outcome('a1')]);
  c.add('m-n', [outcome('n1')]);
  await settle();
  assert.equal(appends, [
    [
      ['m-a', ['a1']],
      ['m-n', ['n1']],
    ],
  ]);
});

test('a holding committer writes anyway once 256 events wait', async () => {
  const { appender, appends } = recordingAppender();
  const c = groupCommitter(appender, () => '2026-12-06T00:00:00Z');
  c.hold();
  for (let i = 0; i < 255; i++) c.defer('m-a', [outcome(`a${i}`)]);
  await settle();
  assert.is(appends.length, 0);
  c.defer('m-a', [outcome('a255')]);
  await settle();
  assert.is(appends.length, 1);
  assert.is(appends[0]![0]![1].length, 256);
});

test('release writes what waits, and deferred events then go as they come', async () => {
  const { appender, appends } = recordingAppender();
  const c = groupCommitter(appender, () => '2026-12-06T00:00:00Z');
  c.hold();
  c.defer('m-a', [outcome('a1')]);
  await settle();
  assert.equal(appends, []);
  c.release();
  await settle();
  assert.equal(appends, [[['m-a', ['a1']]]]);
  c.defer('m-a', [outcome('a2')]);
  await settle();
  assert.equal(appends, [[['m-a', ['a1']]], [['m-a', ['a2']]]], 'no longer held: written without a commit');
  assert.is(await c.drain(), 2);
});

test('a commit whose append fails throws, and the committer writes nothing more (drain throws the failure)', async () => {
  const { appender, appends, failWith } = recordingAppender();
  const c = groupCommitter(appender, () => '2026-12-06T00:00:00Z');
  c.hold();
  c.defer('m-a', [outcome('a1')]);
  failWith(new Error('ENOSPC'));
  assert.is(await rejection(c.commit(batchOf('m-b', 'b1'))), 'ENOSPC');
  assert.ok(c.failed);
  assert.is(await rejection(c.commit(batchOf('m-c', 'c1'))), 'ENOSPC', 'a later commit throws the earlier failure');
  c.add('m-d', [outcome('d1')]);
  assert.is(await rejection(c.drain()), 'ENOSPC');
  assert.equal(appends, []);
});

test.run();
