// Benchmark: the EventStoreDB adapter (against the in-process gRPC server of
// test/support/esdb-server.ts, run in a child process so that it has a core of
// its own) beside the embedded file store, in one run:
//   - appends/s single: one event per append, sequential, each with the stream's expected revision
//   - appends/s batched: BATCH events per append (one stream per append)
//   - reads/s: open + readAll of everything (cold: the file store scans the file on
//     open, the adapter builds its $all index during the read), then readAll again (warm:
//     the file store answers from memory, the adapter reads $all again)
// Prints one JSON object per line, then the file/esdb ratios. Compare within one run.
//   node dist/benchmarks/stores.js [--single 2000] [--batches 40] [--batch 500]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import type { EventStore, NewEvent, StoreError } from '../src/ports.js';
import { openFileStore } from '../adapters/file-store/index.js';
import { eventStoreDbStore } from '../adapters/eventstoredb/index.js';
import { startServerChild } from './esdb-serve.js';
import { benchArgs } from './args.js';

const USAGE = 'node dist/benchmarks/stores.js [--single 2000] [--batches 40] [--batch 500]';

const { values } = benchArgs(USAGE, {
  options: {
    single: { type: 'string', default: '2000' },
    batches: { type: 'string', default: '40' },
    batch: { type: 'string', default: '500' },
  },
});

function ok<A>(e: Either<StoreError, A>, what: string): A {
  if (isLeft(e)) throw new Error(`${what}: ${JSON.stringify(e.left)}`);
  return e.right;
}

// A payload the size of a real AccessDecided event.
const payload = (i: number) => ({
  deviceId: `ApplC39XK${String(i).padStart(6, '0')}`,
  access: 'allow',
  reason: 'compliant',
  governed: true,
  facts: { enrolled: true, compliant: true, managementState: 'managed', os: 'iOS', osVersion: '17.4.1', model: 'iPhone15,2' },
  policyRevision: 3,
  syncId: 'full-000042',
});
const event = (i: number): NewEvent => ({
  type: 'AccessDecided',
  data: payload(i),
  at: new Date(1_700_000_000_000 + i).toISOString(),
  meta: { schema: 1, connectorId: 'bench' },
});

interface Measure {
  op: string;
  count: number;
  ms: number;
  perSec: number;
  unit: string;
}

async function measure(op: string, unit: string, count: number, fn: () => Promise<void>): Promise<Measure> {
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  return { op, count, ms: Math.round(ms), perSec: Math.round(count / (ms / 1000)), unit };
}

async function bench(name: string, open: () => Promise<EventStore>, single: number, batches: number, batch: number): Promise<Measure[]> {
  const out: Measure[] = [];
  const store = await open();
  const heads = new Map<string, number>();
  out.push(
    await measure('append single', 'appends', single, async () => {
      for (let i = 0; i < single; i++) {
        const stream = `eas-mailbox-bench-${i % 50}`;
        const r = ok(await store.append([{ stream, expected: heads.get(stream) ?? 'noStream', events: [event(i)] }]), `${name} append`);
        heads.set(stream, r[0]!.revision);
      }
    }),
  );
  const batched = await measure(`append batched (${batch} events each)`, 'appends', batches, async () => {
    for (let k = 0; k < batches; k++) {
      ok(
        await store.append([
          { stream: `eas-mailbox-batch-${k}`, expected: 'noStream', events: Array.from({ length: batch }, (_, i) => event(k * batch + i)) },
        ]),
        `${name} batch`,
      );
    }
  });
  out.push(batched, {
    ...batched,
    op: `append batched (${batch} events each), events`,
    count: batches * batch,
    perSec: Math.round((batches * batch) / (batched.ms / 1000)),
    unit: 'events',
  });
  await store.close();
  const total = single + batches * batch;
  let reader: EventStore | undefined;
  out.push(
    await measure('readAll cold (open + readAll)', 'events', total, async () => {
      reader = await open();
      const n = ok(await reader.readAll(), `${name} readAll`).length;
      if (n !== total) throw new Error(`${name}: read ${n} events, wrote ${total}`);
    }),
  );
  out.push(
    await measure('readAll warm (same store again)', 'events', total, async () => {
      ok(await reader!.readAll(), `${name} readAll`);
    }),
  );
  await reader!.close();
  return out;
}

async function main(): Promise<void> {
  const single = Number(values.single);
  const batches = Number(values.batches);
  const batch = Number(values.batch);
  const common = { bench: 'stores', node: process.version };
  const results: Record<string, Measure[]> = {};

  const { connectionString, child } = await startServerChild();
  try {
    results.eventstoredb = await bench(
      'eventstoredb',
      async () => ok(await eventStoreDbStore(connectionString), 'open esdb'),
      single,
      batches,
      batch,
    );
  } finally {
    child.stdin!.end();
    await new Promise((r) => child.once('exit', r));
  }
  for (const m of results.eventstoredb) {
    process.stdout.write(
      `${JSON.stringify({ ...common, store: 'eventstoredb (in-process gRPC server, child process, loopback, tls=false)', ...m })}\n`,
    );
  }

  const dir = mkdtempSync(join(tmpdir(), 'eas-bench-stores-'));
  try {
    const log = join(dir, 'bench.ndjson');
    results.file = await bench('file', async () => ok(await openFileStore(log), 'open file'), single, batches, batch);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const m of results.file) process.stdout.write(`${JSON.stringify({ ...common, store: 'file (NDJSON, fsync per append)', ...m })}\n`);

  results.file.forEach((f, i) => {
    const e = results.eventstoredb![i]!;
    process.stdout.write(
      `${JSON.stringify({ ...common, ratio: 'file / eventstoredb', op: f.op, x: +(f.perSec / e.perSec).toFixed(2) })}\n`,
    );
  });
}

await main();
