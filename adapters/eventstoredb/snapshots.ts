// The engine's snapshot in EventStoreDB: a stream of its own per organization,
// `<prefix>eas-snapshot-<organization>`
// (docs/log-format.md). A snapshot is its text, gzip-compressed and cut into
// chunks small enough for the server's append limit, written one append at a
// time, then an end event that names them and their SHA-256. A save that stops
// half-way leaves chunks without an end: a load never takes them. Every event
// is binary (not JSON), so the log never takes one for one of its own events.
//
// The end also records where, in $all, the event the snapshot covers is. A load
// hands that to the store's index as its seed (positions.ts), so a start reads
// $all only after the snapshot instead of from the start. After a save, the
// stream's truncate-before is moved to the new snapshot: EventStoreDB stops
// returning older chunks at once and removes them at its next scavenge.
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { createGzip, gunzip } from 'node:zlib';
import { once } from 'node:events';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { ANY, END, BACKWARDS, FORWARDS, binaryEvent, type AppendResult, type EventStoreDBClient } from '@eventstore/db-client';
import type { SnapshotCovers, SnapshotError, SnapshotStore, StoreError } from '../../src/ports.js';
import { isStreamNotFound } from './errors.js';
import { drainEvents, type IndexSeed, type Positions, type Pos } from './positions.js';
import { utf8Pieces } from '../shared/utf8-pieces.js';

/** The snapshot stream of an organization (several may share one node and prefix). */
export const snapshotStream = (organization: string): string => `eas-snapshot-${organization}`;
const CHUNK_TYPE = 'eas-access-sync.snapshot-chunk';
const END_TYPE = 'eas-access-sync.snapshot-end';
const END_FORMAT = 'eas-access-sync/esdb-snapshot';
/** EventStoreDB refuses appends over 1 MiB by default; a chunk stays well below. */
export const CHUNK_BYTES = 512 * 1024;

const gunzipAsync = promisify(gunzip);

/** What the end event's metadata holds. */
interface SnapshotEnd {
  readonly format: typeof END_FORMAT;
  /** Revision of the first chunk, and how many follow it. */
  readonly first: number;
  readonly chunks: number;
  /** Compressed bytes, and their SHA-256 (hex). */
  readonly bytes: number;
  readonly sha256: string;
  /** The log event the snapshot covers, and its $all position and that of the event before it. */
  readonly position: number;
  readonly id: string;
  readonly at: { readonly commit: string; readonly prepare: string };
  readonly before?: { readonly commit: string; readonly prepare: string };
}

export interface EsdbSnapshotContext {
  readonly client: EventStoreDBClient;
  readonly prefix: string;
  readonly positions: Positions;
  /** The connection, credentials removed: for messages. */
  readonly redacted: string;
  failure(err: unknown, what: string): StoreError;
}

const isRec = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);
const posText = (p: Pos) => ({ commit: String(p.c), prepare: String(p.p) });
const DECIMAL = /^(0|[1-9][0-9]{0,19})$/;

function parseEnd(u: unknown): SnapshotEnd | undefined {
  if (!isRec(u) || u.format !== END_FORMAT) return undefined;
  const nat = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  const pos = (v: unknown) =>
    isRec(v) && typeof v.commit === 'string' && DECIMAL.test(v.commit) && typeof v.prepare === 'string' && DECIMAL.test(v.prepare);
  if (!nat(u.first) || !nat(u.chunks) || !nat(u.bytes) || !nat(u.position)) return undefined;
  if (typeof u.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(u.sha256) || typeof u.id !== 'string' || !pos(u.at)) return undefined;
  if (u.before !== undefined && !pos(u.before)) return undefined;
  return u as unknown as SnapshotEnd;
}

const messageOf = (e: StoreError) => ('message' in e ? e.message : e.kind);
const toPos = (t: { commit: string; prepare: string }): Pos => ({ c: Number(t.commit), p: Number(t.prepare) });

/** The snapshot store of `organization` in one EventStoreDB store (its stream prefix, its index). */
export function esdbSnapshotStore(ctx: EsdbSnapshotContext, organization: string): SnapshotStore {
  const name = ctx.prefix + snapshotStream(organization);
  const location = `EventStoreDB ${ctx.redacted} stream ${JSON.stringify(name)}`;
  const io = (message: string): SnapshotError => ({ kind: 'io', message: `${location}: ${message}` });
  const corrupt = (message: string): SnapshotError => ({ kind: 'corrupt', message: `${location}: ${message}` });
  const raced = () => io('another writer appended to the snapshot stream during the save');

  async function load(): Promise<Either<SnapshotError, string | undefined>> {
    let end: SnapshotEnd | undefined;
    let endRevision = -1;
    const chunks: Buffer[] = [];
    try {
      // The latest end event: read backwards from the stream's end until one.
      await drainEvents(ctx.client.readStream(name, { fromRevision: END, direction: BACKWARDS, resolveLinkTos: false }), (ev) => {
        if (ev.type !== END_TYPE) return true;
        end = parseEnd(ev.metadata);
        endRevision = Number(ev.revision);
        return false;
      });
      if (end === undefined)
        return endRevision >= 0 ? left(corrupt(`its end event (revision ${endRevision}) is malformed`)) : right(undefined);
      const e = end;
      if (e.first + e.chunks !== endRevision)
        return left(corrupt(`its end event (revision ${endRevision}) names chunks ${e.first}…${e.first + e.chunks - 1}`));
      if (e.chunks > 0) {
        await drainEvents(
          ctx.client.readStream(name, {
            fromRevision: BigInt(e.first),
            direction: FORWARDS,
            maxCount: e.chunks,
            resolveLinkTos: false,
          }),
          (ev) => {
            if (ev.type === CHUNK_TYPE && ev.data instanceof Uint8Array)
              chunks.push(Buffer.from(ev.data.buffer, ev.data.byteOffset, ev.data.byteLength));
            return true;
          },
        );
      }
    } catch (err) {
      if (isStreamNotFound(err)) return right(undefined);
      return left(io(messageOf(ctx.failure(err, 'cannot read the snapshot'))));
    }
    const e = end;
    if (chunks.length !== e.chunks) return left(corrupt(`${chunks.length} of its ${e.chunks} chunks are there (truncated or scavenged?)`));
    const packed = Buffer.concat(chunks);
    if (packed.length !== e.bytes || createHash('sha256').update(packed).digest('hex') !== e.sha256)
      return left(corrupt(`its chunks do not match the SHA-256 its end event records`));
    let text: string;
    try {
      text = (await gunzipAsync(packed)).toString('utf8');
    } catch (err) {
      return left(corrupt(`cannot uncompress it: ${err instanceof Error ? err.message : String(err)}`));
    }
    // Where the covered event is in $all: the index may start there (checked against the log when read).
    if (e.before !== undefined) {
      const seed: IndexSeed = { position: e.position, id: e.id, at: toPos(e.at), before: toPos(e.before) };
      ctx.positions.seed(seed);
    }
    return right(text);
  }

  // The text compressed a few MB of it at a time (utf8-pieces.ts): a snapshot is never one buffer of its own.
  async function save(text: string | readonly string[], covers: SnapshotCovers): Promise<Either<SnapshotError, void>> {
    const at = ctx.positions.index.at(covers.position);
    if (at === undefined) return left(io(`the log position ${covers.position} it covers is not in the store's index`));
    const before = covers.position > 0 ? ctx.positions.index.at(covers.position - 1) : undefined;
    let packed: Buffer;
    try {
      packed = await gzipPieces(utf8Pieces(text));
    } catch (err) {
      return left(io(`cannot compress the snapshot: ${err instanceof Error ? err.message : String(err)}`));
    }
    const sha256 = createHash('sha256').update(packed).digest('hex');
    try {
      let expected: bigint | typeof ANY = ANY;
      let first = -1;
      let chunks = 0;
      for (let off = 0; off < packed.length || chunks === 0; off += CHUNK_BYTES) {
        const data = packed.subarray(off, off + CHUNK_BYTES);
        const r: AppendResult = await ctx.client.appendToStream(
          name,
          binaryEvent({ type: CHUNK_TYPE, data, metadata: { chunk: chunks } }),
          {
            expectedRevision: expected,
          },
        );
        if (!r.success) return left(raced());
        const revision = Number(r.nextExpectedRevision);
        if (first < 0) first = revision;
        expected = r.nextExpectedRevision;
        chunks++;
      }
      const end: SnapshotEnd = {
        format: END_FORMAT,
        first,
        chunks,
        bytes: packed.length,
        sha256,
        position: covers.position,
        id: covers.id,
        at: posText(at),
        ...(before !== undefined ? { before: posText(before) } : {}),
      };
      const r = await ctx.client.appendToStream(name, binaryEvent({ type: END_TYPE, data: new Uint8Array(0), metadata: end }), {
        expectedRevision: expected,
      });
      if (!r.success) return left(raced());
      // Older snapshots are no longer read: let the server drop them. The snapshot
      // is saved whether or not this works; the next save moves the mark again.
      await ctx.client.setStreamMetadata(name, { truncateBefore: first }).catch(() => undefined);
    } catch (err) {
      if ((err as { type?: unknown }).type === 'wrong-expected-version') return left(raced());
      return left(io(messageOf(ctx.failure(err, 'cannot write the snapshot'))));
    }
    return right(undefined);
  }

  return { location, load, save, savePieces: save };
}

/** The gzip (level 3) of `pieces` joined, written to the compressor one after the other. */
async function gzipPieces(pieces: Iterable<Buffer>): Promise<Buffer> {
  const z = createGzip({ level: 3 });
  const out: Buffer[] = [];
  z.on('data', (b: Buffer) => out.push(b));
  const ended = once(z, 'end');
  // Awaited below; an error rejects it and any drain wait alike, and is thrown from whichever is awaited.
  ended.catch(() => undefined);
  for (const p of pieces) if (!z.write(p)) await once(z, 'drain');
  z.end();
  await ended;
  return Buffer.concat(out);
}
