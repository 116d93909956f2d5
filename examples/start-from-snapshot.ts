// A restart that folds only the log after the engine's snapshot: one engine
// syncs a simulated organization (the full sync writes a snapshot), a quick
// sync follows, then a second engine on a new connection starts from the
// snapshot and the events after it. On the embedded file log by default
// (`<log>.snapshot`), or on EventStoreDB (a stream of its own) when given a
// connection string.
//   node dist/examples/start-from-snapshot.js [devices] [esdb://host:2113?tls=false]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type EventStore, type SnapshotNote, type SnapshotStore } from '../src/index.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { openFileStore, fileSnapshotStore } from '../adapters/file-store/index.js';
import { eventStoreDbStore } from '../adapters/eventstoredb/index.js';

const devices = Number(process.argv[2] ?? 2000);
const esdb = process.argv[3];
const dir = mkdtempSync(join(tmpdir(), 'eas-snapshot-'));
const log = join(dir, 'eas-sync.ndjson');

/** The store and the snapshot store beside it (on EventStoreDB: from the same store, which it seeds). */
async function open(): Promise<{ store: EventStore; snapshots: SnapshotStore }> {
  if (esdb !== undefined) {
    const s = await eventStoreDbStore(esdb);
    if (s._tag === 'Left') throw new Error(`cannot connect: ${s.left.kind}`);
    return { store: s.right, snapshots: s.right.snapshots('contoso') };
  }
  // Read beside the log's open, as eas-sync does: the next load takes what was read.
  const snapshots = fileSnapshotStore(log);
  snapshots.prefetch();
  const s = await openFileStore(log);
  if (s._tag === 'Left') throw new Error(`cannot open the log: ${s.left.kind}`);
  return { store: s.right, snapshots };
}

const say = (n: SnapshotNote) => {
  if (n.kind === 'loaded')
    console.log(`snapshot loaded (${n.location}): covers the log to position ${n.position}, ${n.events} events folded after it`);
  else if (n.kind === 'rebuilt') console.log(`no snapshot used (${n.reason}): ${n.events} events folded from the whole log`);
  else if (n.kind === 'written') console.log(`snapshot written: position ${n.position}, ${n.chars} characters`);
  else console.log(`snapshot not written: ${n.reason}`);
};

try {
  const sim = simulateOrganization({ devices, seed: 1 });
  const engineOver = (o: { store: EventStore; snapshots: SnapshotStore }) =>
    createEngine({
      organization: sim.organization,
      exchange: sim.exchange,
      intune: sim.intune,
      store: o.store,
      policy: sim.policy,
      notifier: sim.notifier,
      parallelism: 4,
      snapshots: { store: o.snapshots, onNote: say },
    });
  const first = await open();
  const a = engineOver(first);
  console.log(`full sync: ${(await a.fullSync()).success ? 'succeeded' : 'failed'}`);
  // A change after the snapshot: the restart folds it on top.
  sim.exchange.addPartnership({ mailbox: [...sim.evaluateAll().values()][0]!.mailbox, deviceId: 'NewPhone1' });
  console.log(`quick sync: ${(await a.quickSync()).commands.issued} command(s)`);
  await first.store.close();

  // The restart: a new process would do the same.
  const second = await open();
  const b = engineOver(second);
  const r = await b.quickSync();
  const phone = b.devices().find((d) => d.deviceId === 'NewPhone1');
  console.log(
    `after the restart, quick sync: ${r.success ? 'succeeded' : 'failed'}, ${r.commands.issued} command(s); ${b.devices().length} devices known, NewPhone1: ${phone?.access ?? 'unknown'}`,
  );
  await second.store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
