// replay(events) and the streamed file fold behind `eas-sync replay`.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine } from '../src/engine.js';
import type { StoredEvent } from '../src/ports.js';
import { replay, createReplay } from '../projections/replay.js';
import { foldLogFile, replayFile } from '../adapters/log/index.js';
import { simulateOrganization, type Simulation } from '../adapters/simulator/index.js';
import { openFileStore, readLog } from '../adapters/file-store/index.js';
import { collidingIds } from './support/colliding-ids.js';

const test = suite('replay');
const T0 = Date.parse('2026-11-26T08:00:00Z');
const dir = mkdtempSync(join(tmpdir(), 'eas-replay-'));
const LOG = join(dir, 'log.ndjson');

let sim: Simulation;
let engine: Engine;
let events: StoredEvent[];
let bytes: Buffer;

test.before(async () => {
  let now = T0;
  sim = simulateOrganization({ devices: 250, seed: 4, clock: () => now });
  const opened = await openFileStore(LOG);
  if (isLeft(opened)) throw new Error(opened.left.kind);
  engine = createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store: opened.right,
    policy: sim.policy,
    notifier: sim.notifier,
    clock: { now: () => now },
  });
  await engine.fullSync();
  now += 3_600_000;
  // Lists edited by hand in Exchange: drift found and corrected by the next sync.
  const [id, ev] = [...sim.evaluateAll().entries()].find(([, e]) => e.access === 'allow')!;
  sim.exchange.setMailboxLists(ev.mailbox, { allowed: [], blocked: [id] });
  await engine.fullSync();
  await opened.right.close();
  const read = await readLog(LOG);
  if (isLeft(read)) throw new Error('read');
  events = read.right.events;
  bytes = readFileSync(LOG);
});

test("replay of an engine log gives the engine's own access counts, status and last successful syncs", () => {
  const r = replay(events);
  const counts = { allow: 0, block: 0, quarantine: 0 };
  for (const d of engine.devices()) counts[d.access]++;
  assert.equal(r.access, counts);
  assert.is(r.devices, 250);
  assert.is(r.events, events.length);
  assert.is(r.connector.status, 'connected');
  assert.is(r.connector.organization, sim.organization);
  assert.is(r.lastSuccessfulSync?.full, new Date(T0 + 3_600_000).toISOString());
  assert.is(r.pendingIntents, 0);
  assert.is(r.policyRevision, 1);
  assert.is(r.policy?.defaultAccessLevel, 'quarantine');
  const drift = events.filter((e) => e.type === 'OrgDriftDetected' || e.type === 'ListsDriftDetected').length;
  assert.ok(events.some((e) => e.type === 'ListsDriftDetected'));
  assert.is(r.drift, drift);
  assert.equal(r.invalid, []);
  const byId = new Map(engine.devices().map((d) => [d.deviceId, d]));
  assert.is(r.deviceStates.length, 250);
  for (const d of r.deviceStates) {
    assert.is(d.access, byId.get(d.deviceId)!.access);
    assert.is(d.reason, byId.get(d.deviceId)!.reason);
    assert.is(d.mailbox, byId.get(d.deviceId)!.mailbox);
  }
});

test('an intent without its outcome is a pending intent', () => {
  const i = events.findIndex((e) => e.type === 'CommandIntended' && e.stream.startsWith('eas-mailbox-'));
  const prefix = events.slice(0, i + 1);
  const intended = prefix.filter((e) => e.type === 'CommandIntended').length;
  const done = prefix.filter((e) => e.type === 'CommandSucceeded' || e.type === 'CommandFailed').length;
  assert.ok(intended - done >= 1);
  assert.is(replay(prefix).pendingIntents, intended - done);
  assert.is(replay(events).pendingIntents, 0);
});

test('an event whose data does not decode is reported with its position, the rest is folded', () => {
  const bad = events.map((e, i) => (i === 20 ? { ...e, data: { ...(e.data as object), syncId: 7 } } : e));
  const target = events[20]!;
  assert.ok(typeof (target.data as { syncId?: unknown }).syncId === 'string', 'the 21st event carries a syncId');
  const r = replay(bad);
  assert.is(r.invalid.length, 1);
  assert.is(r.invalid[0]!.position, 20);
  assert.match(r.invalid[0]!.message, /syncId/);
});

test('createReplay one event at a time gives what replay gives; progress rises to the total', () => {
  const f = createReplay();
  for (const e of events) f.push(e);
  const { state: _a, ...one } = f.result();
  const seen: number[] = [];
  const { state: _b, ...all } = replay(events, {
    onProgress: (d, t) => {
      assert.is(t, events.length);
      seen.push(d);
    },
  });
  assert.equal(one, all);
  assert.ok(seen.length >= 1 && seen.every((x, i) => i === 0 || x >= seen[i - 1]!));
  assert.is(seen[seen.length - 1], events.length);
});

test('replayFile streams the log to the same result as replay over readLog', async () => {
  const progress: number[] = [];
  const r = await replayFile(LOG, {
    onProgress: (d, t) => {
      assert.is(t, bytes.length);
      progress.push(d);
    },
  });
  assert.ok(isRight(r));
  if (!isRight(r)) return;
  const { state: _s, ...viaRead } = replay(events);
  const { state: _t, ...viaStream } = r.right.replay as ReturnType<typeof replay>;
  assert.equal(viaStream, viaRead);
  assert.equal(r.right.errors, []);
  assert.is(r.right.fold.lines, events.length);
  assert.is(progress[progress.length - 1], bytes.length);
});

/** Damage a log the ways files get damaged: cut, overwritten, reordered, padded. */
function damage(src: Buffer, kind: number, a: number, b: number, text: string): Buffer {
  const s = src.toString('utf8');
  const lines = s.split('\n');
  const n = lines.length - 1;
  switch (kind) {
    case 0:
      return src.subarray(0, a % src.length);
    case 1: {
      const l = [...lines];
      l[a % n] = text;
      return Buffer.from(l.join('\n'));
    }
    case 2: {
      const l = [...lines];
      const i = a % n;
      const j = b % n;
      [l[i], l[j]] = [l[j]!, l[i]!];
      return Buffer.from(l.join('\n'));
    }
    case 3: {
      const l = [...lines];
      l.splice(a % n, 0, l[b % n]!);
      return Buffer.from(l.join('\n'));
    }
    case 4:
      return Buffer.concat([src, Buffer.alloc(1 + (a % 40))]);
    case 5:
      return Buffer.concat([Buffer.from('\ufeff'), src]);
    case 6: {
      const i = src.indexOf(10, a % src.length);
      if (i < 0) return src;
      return Buffer.concat([src.subarray(0, i), src.subarray(i + 1)]);
    }
    default:
      return Buffer.concat([src.subarray(0, a % src.length), Buffer.from(text), src.subarray(a % src.length)]);
  }
}

test('foldLogFile checks every line exactly as readLog does, on damaged logs and across chunk boundaries', async () => {
  const small = bytes.subarray(0, bytes.indexOf(10, 60_000) + 1);
  const file = join(dir, 'damaged.ndjson');
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 7 }),
      fc.nat(),
      fc.nat(),
      fc.oneof(fc.string(), fc.constant('{"stream":"eas-org-contoso"'), fc.constant('[]'), fc.constant('{}')),
      fc.constantFrom(257, 4096, 1 << 20),
      async (kind, a, b, text, chunkBytes) => {
        writeFileSync(file, damage(small, kind, a, b, text));
        const expected = await readLog(file);
        const seen: StoredEvent[] = [];
        const got = await foldLogFile(file, (e) => seen.push(e), { chunkBytes });
        if (isLeft(expected) || isLeft(got)) return isLeft(expected) && isLeft(got);
        assert.equal(seen, expected.right.events);
        assert.equal(got.right.errors, expected.right.errors);
        assert.equal(got.right.tornTail, expected.right.tornTail);
        assert.is(got.right.lines, expected.right.lines);
        return true;
      },
    ),
    { numRuns: 120 },
  );
});

/** A replayFile result without what differs by design between one thread and several. */
const comparable = (r: Awaited<ReturnType<typeof replayFile>>) => {
  if (isLeft(r)) return r;
  const { state: _s, ...replayed } = r.right.replay as ReturnType<typeof replay>;
  return { replay: replayed, fold: r.right.fold, errors: r.right.errors };
};

test('replayFile on several threads gives what it gives on one, on damaged logs and across chunk boundaries', async () => {
  const small = bytes.subarray(0, bytes.indexOf(10, 60_000) + 1);
  const file = join(dir, 'damaged-parts.ndjson');
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 7 }),
      fc.nat(),
      fc.nat(),
      fc.oneof(fc.string(), fc.constant('{"stream":"eas-org-contoso"'), fc.constant('{"stream":"eas-mailbox-'), fc.constant('[]')),
      fc.constantFrom(257, 4096, 1 << 20),
      fc.constantFrom(2, 3),
      async (kind, a, b, text, chunkBytes, threads) => {
        writeFileSync(file, damage(small, kind, a, b, text));
        const one = await replayFile(file, { chunkBytes, threads: 1 });
        const parts = await replayFile(file, { chunkBytes, threads });
        assert.equal(comparable(parts), comparable(one));
        return true;
      },
    ),
    { numRuns: 60 },
  );
});

/** `lines` with some lines' ids replaced, written to `file` and replayed: one error, line `line`'s, naming `first`; the file store agrees. */
async function oneRepeat(file: string, lines: string[], ids: ReadonlyMap<number, string>, threads: number, line: number, first: number) {
  const idOf = (l: string) => (JSON.parse(l) as { id: string }).id;
  const copy = lines.map((l, i) => {
    const id = ids.get(i);
    return id === undefined ? l : l.replace(idOf(l), id);
  });
  writeFileSync(file, copy.join('\n'));
  const r = await replayFile(file, { threads, chunkBytes: 1 << 16 });
  assert.ok(isRight(r));
  if (!isRight(r)) return;
  assert.equal(
    r.right.errors.map((e) => e.line),
    [line + 1],
  );
  assert.match(r.right.errors[0]!.message, new RegExp(`repeats the id of line ${first + 1}$`));
  const store = await readLog(file);
  assert.ok(isRight(store) && store.right.errors.length === 1 && store.right.errors[0]!.line === line + 1, 'the file store agrees');
}

test('a repeated event id is an error naming both lines, on one thread and on several, as for the file store', async () => {
  const lines = bytes.toString('utf8').split('\n');
  const file = join(dir, 'dup-ids.ndjson');
  await fc.assert(
    fc.asyncProperty(fc.nat(), fc.nat(), fc.constantFrom(1, 2, 3), async (x, y, threads) => {
      const n = lines.length - 1;
      const [a, b] = [x % n, y % n].sort((p, q) => p - q) as [number, number];
      if (a === b) return;
      await oneRepeat(file, lines, new Map([[b, (JSON.parse(lines[a]!) as { id: string }).id]]), threads, b, a);
    }),
    { numRuns: 25 },
  );
});

test('ids that share a hash are no repeat; a repeat of either is named against its own line, on one thread and on several', async () => {
  const colliding = collidingIds();
  const lines = bytes.toString('utf8').split('\n');
  const file = join(dir, 'colliding-ids.ndjson');
  // Each run replays the log twice (a repeat of either id) on 1 to 3 threads, a worker each past one.
  await fc.assert(
    fc.asyncProperty(fc.uniqueArray(fc.nat(), { minLength: 3, maxLength: 3 }), fc.constantFrom(1, 2, 3), async (picks, threads) => {
      const n = lines.length - 1;
      const [a, b, c] = picks.map((p) => p % n).sort((p, q) => p - q) as [number, number, number];
      if (a === b || b === c) return;
      for (const which of [0, 1] as const) {
        const ids = new Map([
          [a, colliding[0]],
          [b, colliding[1]],
          [c, colliding[which]],
        ]);
        await oneRepeat(file, lines, ids, threads, c, which === 0 ? a : b);
      }
    }),
    { numRuns: 6 },
  );
});

test('replayFile folds a whole log on two threads to the same result as on one', async () => {
  const one = await replayFile(LOG, { threads: 1 });
  const two = await replayFile(LOG, { threads: 2 });
  assert.ok(isRight(one) && isRight(two));
  if (!isRight(one) || !isRight(two)) return;
  assert.is(one.right.threads, 1);
  assert.is(two.right.threads, 2);
  assert.equal(comparable(two), comparable(one));
  assert.ok(one.right.replay.deviceStates.length > 100);
});

test('a stream name escaped in JSON: the parts do not hold, the log is folded on one thread with the same result', async () => {
  // Every line of one mailbox stream spelled with an escape: routed by its bytes to part 0, whatever its name's part.
  const lines = bytes.toString('utf8').split('\n');
  const streams = [...new Set(events.map((e) => e.stream).filter((s) => s.startsWith('eas-mailbox-')))];
  const file = join(dir, 'escaped.ndjson');
  const seen = new Set<number>();
  for (const stream of streams.slice(0, 8)) {
    const plain = `{"stream":${JSON.stringify(stream)},`;
    const escaped = `{"stream":"\\u0065${JSON.stringify(stream).slice(2)},`;
    writeFileSync(file, lines.map((l) => (l.startsWith(plain) ? escaped + l.slice(plain.length) : l)).join('\n'));
    const one = await replayFile(file, { threads: 1 });
    const two = await replayFile(file, { threads: 2 });
    assert.ok(isRight(one) && isRight(two));
    assert.equal(comparable(two), comparable(one));
    if (isRight(one)) assert.equal(one.right.errors, []);
    if (isRight(two)) seen.add(two.right.threads);
  }
  // Streams whose name is part 1's (the parts fell back) and part 0's (they held).
  assert.equal([...seen].sort(), [1, 2]);
});

test('a missing file is an io error naming it', async () => {
  const r = await foldLogFile(join(dir, 'nope.ndjson'), () => undefined);
  assert.ok(isLeft(r) && r.left.kind === 'io');
  if (isLeft(r) && r.left.kind === 'io') assert.match(r.left.message, /nope\.ndjson/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
