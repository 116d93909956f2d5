// Our event envelope on EventStoreDB. One of our events is one EventStoreDB
// event in the same stream (behind the store's optional stream prefix):
//   id    -> the event id (a UUID)
//   type  -> the event type
//   data  -> the JSON data (content type application/json)
//   at, meta (and, for a copied event, where it came from) -> the JSON metadata:
//         { "at": "<ISO-8601>", "meta": { … }, "id"?: "<id as given>", "copiedFrom"?: { "position": n, "revision": n } }
// `id` is kept in the metadata only when the given id is not in the lower-case
// form EventStoreDB returns, so that ids survive a round trip byte for byte.
//
// "This library's events" are the ones in a stream of this store (prefix) that
// carry this envelope; `$`-prefixed streams and event types are EventStoreDB's
// own (system events, projection links, stream metadata) and are never ours.
import type { StoredEvent } from '../../src/ports.js';
import type { PreparedEvent } from '../shared/log-codec.js';

export interface EventOrigin {
  /** Position in the source log. */
  readonly position: number;
  /** Revision in the source stream. */
  readonly revision: number;
}

/** What the client's appendToStream takes (a JSON event). */
export interface EsdbEventData {
  readonly id: string;
  readonly contentType: 'application/json';
  readonly type: string;
  readonly data: unknown;
  readonly metadata: Record<string, unknown>;
}

/** The part of a client RecordedEvent we read. */
export interface EsdbRecorded {
  readonly streamId: string;
  readonly id: string;
  readonly revision: bigint;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: unknown;
  readonly isJson: boolean;
  readonly created: Date;
  readonly position?: { readonly commit: bigint; readonly prepare: bigint } | undefined;
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const isPlainObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === 'object' && u !== null && !Array.isArray(u) && !(u instanceof Uint8Array);

export function encodeEvent(e: PreparedEvent, origin: EventOrigin | undefined): EsdbEventData {
  const metadata: Record<string, unknown> = { at: e.at, meta: e.meta };
  const id = e.id.toLowerCase();
  if (id !== e.id) metadata.id = e.id;
  if (origin !== undefined) metadata.copiedFrom = { position: origin.position, revision: origin.revision };
  return { id, contentType: 'application/json', type: e.type, data: e.data, metadata };
}

/** A stored event without its position (which depends on the whole log), or undefined when it is not one of ours. */
export type Decoded = Omit<StoredEvent, 'position'>;

export function decodeEvent(r: EsdbRecorded | undefined, prefix: string): Decoded | undefined {
  if (r === undefined || !r.isJson) return undefined;
  if (r.streamId.startsWith('$') || r.type.startsWith('$') || !r.streamId.startsWith(prefix)) return undefined;
  const m = r.metadata;
  if (!isPlainObject(m) || typeof m.at !== 'string' || !isPlainObject(m.meta)) return undefined;
  const id = typeof m.id === 'string' && m.id.toLowerCase() === r.id.toLowerCase() ? m.id : r.id;
  return {
    stream: r.streamId.slice(prefix.length),
    revision: Number(r.revision),
    id,
    type: r.type,
    at: m.at,
    data: r.data,
    meta: m.meta,
  };
}

/** The StoredEvent at `position`, keys in the log line's order. */
export const withPosition = (d: Decoded, position: number): StoredEvent => ({
  stream: d.stream,
  revision: d.revision,
  position,
  id: d.id,
  type: d.type,
  at: d.at,
  data: d.data,
  meta: d.meta,
});
