// The engine's start with a snapshot beside a file log (src/start.ts,
// adapters/file-store/snapshot.ts): used only when valid and matching the log,
// otherwise rebuilt from the log with a reason; written atomically.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../src/engine.js';
import { createAppender, EngineFailure } from '../src/append.js';
import { createStateLoader, type SnapshotNote } from '../src/start.js';
import { emptyOrgState, loadOrgState, type OrgState } from '../src/state.js';
import { SNAPSHOT_SCHEMA, snapshotText } from '../src/snapshot.js';
import type { Notification, Notifier, SnapshotStore } from '../src/ports.js';
import { openFileStore, type FileStore } from '../adapters/file-store/index.js';
import { fileSnapshotStore } from '../adapters/file-store/snapshot.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { stateJson } from './snapshot-log.js';

const test = suite('snapshot-start');
const dir = mkdtempSync(join(tmpdir(), 'eas-snapshot-'));
const LOG = join(dir, 'log.ndjson');
const SECRET = 'Pa55-w0rd-never-in-a-snapshot';
// A file snapshot store keeps no position of its own: any log event will do.
const COVERS = { position: 0, id: '00000000-0000-4000-8000-000000000000' };
let now = Date.parse('2026-11-26T08:00:00Z');
let written: Buffer;
let snapshotPosition = -1;

async function open(path = LOG): Promise<FileStore> {
  const s = await openFileStore(path);
  if (isLeft(s)) throw new Error(s.left.kind);
  return s.right;
}

test.before(async () => {
  const sim = simulateOrganization({ devices: 40, seed: 3, clock: () => now });
  const store = await open();
  const notes: SnapshotNote[] = [];
  // Credentials sit in the gateways' configuration, as in the real adapters: none may reach the snapshot.
  const engine = createEngine({
    organization: sim.organization,
    exchange: Object.assign(Object.create(sim.exchange) as typeof sim.exchange, { password: SECRET }),
    intune: sim.intune,
    store,
    policy: sim.policy,
    notifier: { send: (n: Notification) => sim.notifier.send(n), password: SECRET } as Notifier,
    clock: { now: () => now },
    snapshots: { store: fileSnapshotStore(LOG), onNote: (n) => notes.push(n) },
  });
  await engine.fullSync();
  const md = sim.intune.devices().find((m) => m.complianceState === 'compliant')!;
  sim.intune.setCompliance(md.id, 'noncompliant');
  now += 900_000;
  await engine.quickSync();
  now += 900_000;
  await engine.fullSync();
  // After the snapshot: events the next start folds on top of it.
  sim.exchange.addPartnership({ mailbox: [...sim.evaluateAll().values()][0]!.mailbox, deviceId: 'LateDevice1' });
  now += 900_000;
  await engine.quickSync();
  await store.close();
  const kinds = notes.map((n) => n.kind);
  // The first load had no snapshot; each full sync wrote one; the quick syncs did not (100,000 events not reached).
  assert.equal(kinds, ['rebuilt', 'written', 'written']);
  const last = notes[2]!;
  if (last.kind === 'written') snapshotPosition = last.position;
  written = readFileSync(`${LOG}.snapshot`);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

/** The start path the engine uses, over a fresh copy of the log, with `snapshot` as the snapshot store. */
async function start(snapshots: SnapshotStore): Promise<{ state: OrgState; whole: OrgState; note: SnapshotNote }> {
  const store = await open();
  try {
    const notes: SnapshotNote[] = [];
    // load() never appends: the appender only tells it how many events were appended since.
    const appender = createAppender(store, () => emptyOrgState('contoso'), { schema: 1 });
    const state = await createStateLoader('contoso', store, appender, { store: snapshots, onNote: (n) => notes.push(n) }).load();
    const all = await store.readAll();
    if (isLeft(all)) throw new Error('read');
    const whole = loadOrgState('contoso', all.right);
    if (isLeft(whole)) throw new Error(whole.left.message);
    assert.is(notes.length, 1);
    return { state, whole: whole.right, note: notes[0]! };
  } finally {
    await store.close();
  }
}

/** A snapshot store over the file at `path` holding `bytes` (a copy of the real one, altered). */
function snapshotFile(name: string, bytes: Buffer | string): SnapshotStore {
  const logLike = join(dir, name);
  writeFileSync(`${logLike}.snapshot`, bytes);
  return fileSnapshotStore(logLike);
}

test('a start from the snapshot folds only the events after it and gives the state of the whole log', async () => {
  const r = await start(fileSnapshotStore(LOG));
  assert.is(r.note.kind, 'loaded');
  if (r.note.kind !== 'loaded') return;
  assert.is(r.note.position, snapshotPosition);
  // The last quick sync's events: at least SyncStarted, the new partnership and SyncCompleted.
  assert.ok(r.note.events >= 3 && r.note.events < 40, `folded ${r.note.events}`);
  assert.equal(stateJson(r.state), stateJson(r.whole));
});

test('without a snapshot the state is folded from the log, and the note says there was none', async () => {
  const r = await start(fileSnapshotStore(join(dir, 'nothing-here')));
  assert.equal(r.note.kind === 'rebuilt' && r.note.reason, 'none yet');
  assert.equal(stateJson(r.state), stateJson(r.whole));
});

const header = (b: Buffer) => b.subarray(0, b.indexOf(10) + 1);
const body = (b: Buffer) => b.subarray(b.indexOf(10) + 1).toString('utf8');
/** A well-formed snapshot file (right header and checksum) around `text`. */
async function sealed(name: string, text: string): Promise<SnapshotStore> {
  const s = fileSnapshotStore(join(dir, name));
  assert.ok(isRight(await s.save(text, COVERS)));
  return s;
}

test('a prefetched snapshot is what the next load gives, once; a save in between drops it', async () => {
  const logLike = join(dir, 'prefetched');
  const s = fileSnapshotStore(logLike);
  const other = fileSnapshotStore(logLike);
  assert.ok(isRight(await s.save('{"a":1}', COVERS)));
  s.prefetch();
  await new Promise((r) => setTimeout(r, 20));
  // Replaced after the prefetch read it: the next load still gives what was read, the one after reads again.
  assert.ok(isRight(await other.save('{"b":2}', COVERS)));
  assert.equal(await s.load(), { _tag: 'Right', right: '{"a":1}' });
  assert.equal(await s.load(), { _tag: 'Right', right: '{"b":2}' });
  // This store's own save after a prefetch: the load reads the new file.
  s.prefetch();
  assert.ok(isRight(await s.save('{"c":3}', COVERS)));
  assert.equal(await s.load(), { _tag: 'Right', right: '{"c":3}' });
});

test('damaged, foreign, older or mismatching snapshots are ignored with the reason, and the state is still the log’s', async () => {
  const flipped = Buffer.from(written);
  const i = header(written).length + 100;
  flipped[i] = flipped[i] === 0x41 ? 0x42 : 0x41;
  const cases: Array<[string, SnapshotStore, RegExp]> = [
    ['truncated', snapshotFile('truncated', written.subarray(0, written.length - 50)), /truncated/],
    ['one byte changed', snapshotFile('flipped', flipped), /checksum/],
    ['no header', snapshotFile('headless', body(written)), /header|not JSON/],
    ['empty file', snapshotFile('empty', ''), /no header line/],
    ['foreign JSON', await sealed('foreign', '{"format":"something else"}'), /not a snapshot of this engine/],
    [
      'another organization',
      await sealed('fabrikam', snapshotText(emptyOrgState('fabrikam'), { position: 0, id: 'x' })),
      /organization "fabrikam"/,
    ],
    [
      'older schema',
      await sealed('older', body(written).replace(`"schema":${SNAPSHOT_SCHEMA}`, `"schema":${SNAPSHOT_SCHEMA - 1}`)),
      new RegExp(`schema ${SNAPSHOT_SCHEMA - 1}`),
    ],
    [
      'another event at its position',
      await sealed('mismatch', body(written).replace(/"id":"[^"]*"/, '"id":"00000000-0000-4000-8000-000000000000"')),
      /does not hold event "00000000-0000-4000-8000-000000000000" at position/,
    ],
    [
      'past the end of the log',
      await sealed('beyond', body(written).replace(/"position":\d+/, '"position":99999999')),
      /at position 99999999/,
    ],
  ];
  for (const [name, snapshots, why] of cases) {
    const r = await start(snapshots);
    assert.is(r.note.kind, 'rebuilt', name);
    if (r.note.kind === 'rebuilt') assert.match(r.note.reason, why, name);
    assert.equal(stateJson(r.state), stateJson(r.whole), name);
  }
});

test('a log longer than one fold batch, streamed by the store, folds to the state of the whole log', async () => {
  const path = join(dir, 'streamed.ndjson');
  const sim = simulateOrganization({ devices: 1200, seed: 5, clock: () => now });
  const store = await open(path);
  const engine = createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store,
    policy: sim.policy,
    clock: { now: () => now },
  });
  assert.ok((await engine.fullSync()).success);
  await store.close();
  const again = await open(path);
  let streamed = 0;
  // Counts what the loader takes through forEachEvent: it must not read the whole log as one array.
  const counting = Object.assign(Object.create(again) as FileStore, {
    forEachEvent: (f: Parameters<NonNullable<FileStore['forEachEvent']>>[0]) => again.forEachEvent!((e) => (streamed++, f(e))),
    readAll: async () => {
      throw new Error('readAll used');
    },
  });
  const appender = createAppender(counting, () => emptyOrgState(sim.organization), { schema: 1 });
  const state = await createStateLoader(sim.organization, counting, appender).load();
  const all = await again.readAll();
  await again.close();
  if (isLeft(all)) throw new Error('read');
  assert.ok(all.right.length > 4096, `${all.right.length} events: more than one batch`);
  assert.is(streamed, all.right.length);
  const whole = loadOrgState(sim.organization, all.right);
  if (isLeft(whole)) throw new Error(whole.left.message);
  assert.equal(stateJson(state), stateJson(whole.right));
});

test('an event that does not decode stops a streamed start, naming its position', async () => {
  const path = join(dir, 'bad-event.ndjson');
  copyFileSync(LOG, path);
  const store = await open(path);
  const all = await store.readAll();
  if (isLeft(all)) throw new Error('read');
  const at = all.right.length;
  const r = await store.append([
    {
      stream: 'eas-mailbox-contoso-bad',
      expected: 'any',
      events: [{ type: 'AccessDecided', data: { deviceId: 7 }, at: '2026-11-26T09:00:00Z' }],
    },
  ]);
  assert.ok(isRight(r));
  const appender = createAppender(store, () => emptyOrgState('contoso'), { schema: 1 });
  try {
    await createStateLoader('contoso', store, appender).load();
    assert.unreachable('the start must fail');
  } catch (err) {
    assert.instance(err, EngineFailure);
    assert.is((err as EngineFailure).error.kind, 'invalidLog');
    assert.match((err as Error).message, new RegExp(`event at position ${at} \\(eas-mailbox-contoso-bad #0, AccessDecided\\)`));
  } finally {
    await store.close();
  }
});

test('a crash while writing a snapshot leaves the previous one whole, or none', async () => {
  for (const step of ['tmpWritten', 'tmpSynced'] as const) {
    const logLike = join(dir, `crash-${step}`);
    const crashing = fileSnapshotStore(logLike, {
      onStep: (s) => {
        if (s === step) throw new Error('crash');
      },
    });
    assert.ok(isLeft(await crashing.save('{"first":true}', COVERS)));
    assert.equal(await fileSnapshotStore(logLike).load(), { _tag: 'Right', right: undefined }, `${step}: none before, none after`);
    assert.ok(isRight(await fileSnapshotStore(logLike).save('{"old":true}', COVERS)));
    assert.ok(isLeft(await crashing.save('{"new":true}', COVERS)));
    assert.equal(await fileSnapshotStore(logLike).load(), { _tag: 'Right', right: '{"old":true}' }, `${step}: the old one stays`);
    // The next save replaces the leftover temporary file.
    assert.ok(isRight(await fileSnapshotStore(logLike).save('{"newer":true}', COVERS)));
    assert.equal(await fileSnapshotStore(logLike).load(), { _tag: 'Right', right: '{"newer":true}' });
  }
});

test('the file snapshot store gives back the text it saved, ASCII or not (older snapshots hold raw UTF-8)', async () => {
  for (const [name, text] of [
    ['ascii', '{"name":"Zo\\u00eb"}'],
    ['utf8', '{"name":"Zoë 山田 🙂"}'],
  ] as const) {
    const store = fileSnapshotStore(join(dir, `text-${name}`));
    assert.ok(isRight(await store.save(text, COVERS)));
    assert.equal(await store.load(), { _tag: 'Right', right: text }, name);
  }
});

test('a snapshot larger than one read is given back whole, and a changed byte in its last read is refused', async () => {
  // Over two 8 MiB reads: the checksum runs while the next piece is read.
  const text = `{"pad":"${'x'.repeat(17 * 1024 * 1024)}","end":"Zo\\u00eb"}`;
  const path = join(dir, 'text-large');
  const store = fileSnapshotStore(path);
  assert.ok(isRight(await store.save(text, COVERS)));
  const loaded = await store.load();
  assert.ok(isRight(loaded) && loaded.right === text);
  const file = readFileSync(`${path}.snapshot`);
  file[file.length - 3] = file[file.length - 3]! ^ 0x01;
  writeFileSync(`${path}.snapshot`, file);
  const damaged = await store.load();
  assert.ok(isLeft(damaged) && damaged.left.kind === 'corrupt' && damaged.left.message.includes('does not match the header checksum'));
});

test('the snapshot holds no secret of the gateways and only its owner may read it', () => {
  assert.not.ok(written.includes(SECRET));
  assert.ok(written.includes('"format":"eas-access-sync/snapshot"'));
  assert.is(statSync(`${LOG}.snapshot`).mode & 0o777, 0o600);
});

test('an engine restarted from its snapshot keeps syncing on the same log (revisions restored) and writes a new one', async () => {
  const copy = join(dir, 'restart.ndjson');
  copyFileSync(LOG, copy);
  copyFileSync(`${LOG}.snapshot`, `${copy}.snapshot`);
  const sim = simulateOrganization({ devices: 40, seed: 3, clock: () => now });
  const store = await open(copy);
  const notes: SnapshotNote[] = [];
  const engine = createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store,
    policy: sim.policy,
    clock: { now: () => now },
    snapshots: { store: fileSnapshotStore(copy), everyEvents: 1, onNote: (n) => notes.push(n) },
  });
  now += 900_000;
  const report = await engine.quickSync();
  assert.ok(report.success, JSON.stringify(report.errors));
  assert.equal(
    notes.map((n) => n.kind),
    ['loaded', 'written'],
  );
  const all = await store.readAll();
  await store.close();
  if (isLeft(all)) throw new Error('read');
  const whole = loadOrgState('contoso', all.right);
  assert.ok(isRight(whole));
  const fromLog = [...whole.right.mailboxes.values()].flatMap((m) => Object.values(m.devices).filter((d) => d.decision)).length;
  assert.is(engine.devices().length, fromLog);
  assert.ok(existsSync(`${copy}.snapshot`));
});

test.run();
