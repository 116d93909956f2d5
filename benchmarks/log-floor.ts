// The floor of issue 15's first goal: what writing a sync's log costs without
// the engine, in the same appends (engine-cost.ts prints it beside the engine's figure).
import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { AppendRequest, NewEvent } from '../src/ports.js';
import { openFileStore } from '../adapters/file-store/index.js';
import { encodeLines, prepareRequests, type PlacedEvent } from '../adapters/shared/log-codec.js';
import { settle } from './settle.js';

const micros = (c: NodeJS.CpuUsage) => c.user + c.system;

/**
 * The sync's appends, read back from its log one at a time: each run of lines with one
 * instant is taken for one append (the engine stamps an append's events with one instant),
 * its events grouped by stream as the engine's batches are, without ids (the store makes
 * them), sharing one meta object as the engine's do. Parsed only when asked for, so that
 * the whole log is never held at once.
 */
function* appendsOf(log: string): Generator<AppendRequest[]> {
  const revisions = new Map<string, number>();
  let meta: Record<string, unknown> | undefined;
  let metaJson = '';
  let batch = new Map<string, { stream: string; expected: number | 'noStream'; events: NewEvent[] }>();
  let at: string | undefined;
  for (const line of linesOf(log)) {
    const e = JSON.parse(line) as {
      stream: string;
      revision: number;
      type: string;
      at: string;
      data: unknown;
      meta: Record<string, unknown>;
    };
    if (at !== undefined && e.at !== at) {
      yield [...batch.values()];
      batch = new Map();
    }
    at = e.at;
    const mj = JSON.stringify(e.meta);
    if (mj !== metaJson) [meta, metaJson] = [e.meta, mj];
    let r = batch.get(e.stream);
    if (!r) {
      const before = revisions.get(e.stream);
      r = { stream: e.stream, expected: before === undefined ? 'noStream' : before, events: [] };
      batch.set(e.stream, r);
    }
    r.events.push({ type: e.type, data: e.data, at: e.at, meta: meta! });
    revisions.set(e.stream, e.revision);
  }
  if (batch.size > 0) yield [...batch.values()];
}

/** The lines of a file, read in 8 MiB chunks (a large log is never held whole). */
function* linesOf(path: string): Generator<string> {
  const fd = openSync(path, 'r');
  try {
    let buf = Buffer.allocUnsafe(8 * 1024 * 1024);
    let carry = 0;
    for (;;) {
      if (carry === buf.length) buf = Buffer.concat([buf, Buffer.allocUnsafe(buf.length)]);
      const n = readSync(fd, buf, carry, buf.length - carry, null);
      if (n === 0) break;
      const end = carry + n;
      let s = 0;
      for (let nl = buf.indexOf(10, s); nl >= 0 && nl < end; s = nl + 1, nl = buf.indexOf(10, s)) yield buf.toString('utf8', s, nl);
      buf.copy(buf, 0, s, end);
      carry = end - s;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * What writing the sync's log costs without the engine, in the same appends: the codec
 * alone (serialize, encode, write, fdatasync: the floor issue 15 names), and through a
 * fresh file store (the codec plus its index, hash and checks). CPU µs of the writing
 * only: reading each append back from the log is left out of the count.
 */
export async function logFloors(dir: string, log: string) {
  // Settled like the syncs: the engine's garbage is not charged to the floor either.
  await settle();
  const fh = await open(join(dir, 'floor.ndjson'), 'w');
  const scratch = { buffer: Buffer.alloc(0) };
  const revisions = new Map<string, number>();
  let position = 0;
  let codec = 0;
  let codecSystem = 0;
  let appends = 0;
  try {
    for (const requests of appendsOf(log)) {
      const c0 = process.cpuUsage();
      const placed: PlacedEvent[] = [];
      for (const r of prepareRequests(requests, { copies: false })) {
        const streamJson = JSON.stringify(r.stream);
        let revision = revisions.get(r.stream) ?? -1;
        for (const event of r.events) placed.push({ streamJson, revision: ++revision, position: position++, event });
        revisions.set(r.stream, revision);
      }
      const bytes = encodeLines(placed, scratch);
      await fh.write(bytes, 0, bytes.length);
      await fh.datasync();
      const c = process.cpuUsage(c0);
      codec += micros(c);
      codecSystem += c.system;
      appends++;
    }
  } finally {
    await fh.close();
  }
  await settle();
  const opened = await openFileStore(join(dir, 'floor-store.ndjson'));
  if (isLeft(opened)) throw new Error(JSON.stringify(opened.left));
  let store = 0;
  for (const requests of appendsOf(log)) {
    const c0 = process.cpuUsage();
    const r = await opened.right.append(requests);
    store += micros(process.cpuUsage(c0));
    if (isLeft(r)) throw new Error(`floor append: ${JSON.stringify(r.left)}`);
  }
  await opened.right.close();
  return { codec, codecSystem, store, appends };
}
