// The log line format (docs/log-format.md), shared by every store as a peer: the
// file store writes and reads these lines, the memory store holds exactly what a
// reopened log would give back, EventStoreDB stores the same checked events.
import { newEventId } from './event-ids.js';
import { jsonCopy, NOT_PLAIN } from './json-copy.js';
import type { AppendRequest, ExpectedRevision, NewEvent, StoredEvent } from '../../src/ports.js';

/** A new event already checked and serialized, waiting for its revision and position. */
export interface PreparedEvent {
  readonly id: string;
  /**
   * The store made the id (a random UUID, 122 random bits): unique by construction, so an append
   * does not look it up in the log or the batch (planAppend). A caller's id is always looked up.
   */
  readonly ownId: boolean;
  readonly type: string;
  readonly at: string;
  readonly data: unknown;
  readonly meta: Readonly<Record<string, unknown>>;
  /** The id as JSON; undefined for the store's own (a UUID, written as it is between quotes). */
  readonly idJson: string | undefined;
  /** The type and the instant as JSON (one string for each type, one for a run of events with one instant). */
  readonly typeJson: string;
  readonly atJson: string;
  /** The data as JSON (written as it is: copying a large text into a longer string costs more than writing it). */
  readonly dataJson: string;
  /** The meta as JSON. */
  readonly metaJson: string;
}

export interface PreparedRequest {
  readonly stream: string;
  readonly expected: ExpectedRevision;
  readonly events: readonly PreparedEvent[];
}

const NO_META: Readonly<Record<string, unknown>> = Object.freeze({});

// Event types are few: each one's JSON made once (bounded, as a store may be handed any type).
const typeJson = new Map<string, string>();
const TYPE_JSON_LIMIT = 1024;
function jsonOfType(type: string): string {
  let j = typeJson.get(type);
  if (j === undefined) {
    j = JSON.stringify(type);
    if (typeJson.size < TYPE_JSON_LIMIT) typeJson.set(type, j);
  }
  return j;
}

const isPlainObject = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

/**
 * Checks and serializes every event before the append is queued. A malformed
 * event (non-string type, data JSON cannot encode) is a programmer error: it
 * throws a TypeError rather than ever reaching the log.
 */
export function prepareRequests(requests: readonly AppendRequest[], options: { readonly copies?: boolean } = {}): PreparedRequest[] {
  const copies = options.copies !== false;
  if (!Array.isArray(requests)) throw new TypeError('append: requests must be an array');
  // The events of one append usually share their meta object and instant: each encoded once.
  let lastMeta: unknown;
  let lastMetaJson = '';
  let lastAt: string | undefined;
  let lastAtJson = '';
  return requests.map((r, ri) => {
    const where = (ei: number) => `append request ${ri} (stream ${JSON.stringify(r?.stream)}), event ${ei}`;
    if (typeof r?.stream !== 'string') throw new TypeError(`append request ${ri}: stream must be a string`);
    if (!Array.isArray(r.events)) throw new TypeError(`append request ${ri}: events must be an array`);
    const events = (r.events as readonly NewEvent[]).map((e, ei): PreparedEvent => {
      if (typeof e?.type !== 'string') throw new TypeError(`${where(ei)}: type must be a string`);
      if (typeof e.at !== 'string') throw new TypeError(`${where(ei)}: at must be a string`);
      if (e.id !== undefined && typeof e.id !== 'string') throw new TypeError(`${where(ei)}: id must be a string`);
      if (e.meta !== undefined && !isPlainObject(e.meta)) throw new TypeError(`${where(ei)}: meta must be an object`);
      let dataJson: string;
      let metaJson: string;
      try {
        // JSON has no `undefined`: an absent payload is stored as null.
        dataJson = JSON.stringify(e.data) ?? 'null';
        if (e.meta !== undefined && e.meta === lastMeta) metaJson = lastMetaJson;
        else {
          metaJson = JSON.stringify(e.meta ?? {});
          lastMeta = e.meta;
          lastMetaJson = metaJson;
        }
      } catch (err) {
        throw new TypeError(`${where(ei)}: cannot be encoded as JSON (${(err as Error).message})`);
      }
      // A toJSON could turn meta into a non-object; the line would then not decode.
      if (metaJson === undefined || metaJson[0] !== '{') throw new TypeError(`${where(ei)}: meta must encode to a JSON object`);
      // A UUID of our own needs no escaping; a caller's id is encoded.
      const ownId = e.id === undefined;
      const id = e.id ?? newEventId();
      const idJson = ownId ? undefined : JSON.stringify(id);
      if (e.at !== lastAt) {
        lastAt = e.at;
        lastAtJson = JSON.stringify(e.at);
      }
      const typeJson = jsonOfType(e.type);
      // Copies equal to the parsed line: what is held in memory equals what a reader of the file gets.
      // A store that holds nothing (the file store) asks for none: data and meta are then left empty.
      if (!copies)
        return { id, ownId, type: e.type, at: e.at, data: null, meta: NO_META, idJson, typeJson, atJson: lastAtJson, dataJson, metaJson };
      const data = jsonCopy(e.data);
      const meta = e.meta === undefined ? {} : jsonCopy(e.meta);
      return {
        id,
        ownId,
        type: e.type,
        at: e.at,
        data: data === NOT_PLAIN || e.data === undefined ? JSON.parse(dataJson) : data,
        meta: (meta === NOT_PLAIN ? JSON.parse(metaJson) : meta) as Record<string, unknown>,
        idJson,
        typeJson,
        atJson: lastAtJson,
        dataJson,
        metaJson,
      };
    });
    return { stream: r.stream, expected: r.expected, events };
  });
}

const SCRATCH_LIMIT = 16 * 1024 * 1024;
const NO_BYTES = Buffer.alloc(0);

/**
 * A reusable buffer for encodeLines, let go once appends stop. A sync appends every few milliseconds and
 * keeps reusing it; `idleMs` after the last use it is dropped: otherwise a store held its largest append's
 * buffer, up to 16 MiB, for ever. (A weakly held one would also go at every full collection during a
 * sync, and each new one is fresh memory to fault in.)
 */
export class IdleScratch {
  private held: Buffer = NO_BYTES;
  private readonly timer: NodeJS.Timeout;
  constructor(idleMs = 2000) {
    this.timer = setTimeout(() => {
      this.held = NO_BYTES;
    }, idleMs);
    // A store left open does not keep the process alive for it.
    this.timer.unref();
  }
  get buffer(): Buffer {
    // Every use starts the idle time again (a timer that has fired is armed again).
    this.timer.refresh();
    return this.held;
  }
  set buffer(b: Buffer) {
    this.held = b;
  }
  /** Drops the buffer now and stops the timer (the store is closed). */
  release(): void {
    clearTimeout(this.timer);
    this.held = NO_BYTES;
  }
}

/** An event placed in the log: its stream (as JSON), revision, position, and its prepared text. */
export interface PlacedEvent {
  readonly streamJson: string;
  readonly revision: number;
  readonly position: number;
  readonly event: PreparedEvent;
}

// The constant parts of a line, as bytes (ASCII).
const ascii = (t: string): Uint8Array => Uint8Array.from(t, (c) => c.charCodeAt(0));
const K_STREAM = ascii('{"stream":');
const K_REVISION = ascii(',"revision":');
const K_POSITION = ascii(',"position":');
const K_ID = ascii(',"id":');
const K_TYPE = ascii(',"type":');
const K_AT = ascii(',"at":');
const K_DATA = ascii(',"data":');
const K_META = ascii(',"meta":');
const K_END = ascii('}\n');

function put(bytes: Buffer, at: number, k: Uint8Array): number {
  for (let i = 0; i < k.length; i++) bytes[at + i] = k[i]!;
  return at + k.length;
}

/** A non-negative safe integer's digits, as JSON.stringify writes it. */
function putIndex(bytes: Buffer, at: number, n: number): number {
  let len = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) len++;
  for (let i = at + len - 1, x = n; i >= at; i--) {
    const q = Math.floor(x / 10);
    bytes[i] = 48 + (x - q * 10);
    x = q;
  }
  return at + len;
}

/** The string last written of one part, and where its bytes are in this batch's buffer. */
class LastText {
  text: string | undefined = undefined;
  start = 0;
  end = 0;
}

/**
 * Writes `text` as UTF-8; when it is the string `last` wrote (the same string object: a stream's
 * events, a batch's instant, meta and type share theirs), copies its bytes instead.
 */
function putText(bytes: Buffer, at: number, text: string, last: LastText): number {
  if (text === last.text) {
    const n = last.end - last.start;
    if (n > 64) bytes.copy(bytes, at, last.start, last.end);
    else for (let i = 0; i < n; i++) bytes[at + i] = bytes[last.start + i]!;
    return at + n;
  }
  const end = at + bytes.write(text, at, 'utf8');
  last.text = text;
  last.start = at;
  last.end = end;
  return end;
}

/** A UUID of the store's own between quotes (ASCII: one byte a character). */
function putOwnId(bytes: Buffer, at: number, id: string): number {
  bytes[at] = 34;
  for (let i = 0; i < id.length; i++) bytes[at + 1 + i] = id.charCodeAt(i);
  bytes[at + 1 + id.length] = 34;
  return at + id.length + 2;
}

/**
 * The lines of `placed` as UTF-8, each ending in a newline, in one buffer: the bytes of
 * JSON.stringify of each event in the key order of docs/log-format.md. Written part by part
 * into the buffer, with no string made per line: a line's parts joined into strings first cost
 * more in garbage than in writing (an event's data JSON is never copied into a longer string).
 */
export function encodeLines(placed: readonly PlacedEvent[], scratch?: { buffer: Buffer }): Buffer {
  // A UTF-16 unit is at most 3 bytes of UTF-8: room enough, the rest cut off. 96: the constant
  // parts (62 bytes) and two indexes of up to 16 digits.
  let room = 0;
  for (let i = 0; i < placed.length; i++) {
    const p = placed[i]!;
    const e = p.event;
    const texts = p.streamJson.length + (e.idJson?.length ?? e.id.length) + e.typeJson.length + e.atJson.length;
    room += 96 + 3 * (texts + e.dataJson.length + e.metaJson.length);
  }
  // A writer that appends one batch at a time reuses one buffer (fresh large buffers each append made the GC work harder).
  // Only up to 16 MiB: a rare huge batch gets its own buffer rather than one kept for ever.
  const reuse = scratch !== undefined && room <= SCRATCH_LIMIT;
  if (reuse && scratch.buffer.length < room)
    scratch.buffer = Buffer.allocUnsafe(Math.min(SCRATCH_LIMIT, Math.max(room, scratch.buffer.length * 2)));
  const bytes = reuse ? scratch.buffer : Buffer.allocUnsafe(room);
  const stream = new LastText();
  const type = new LastText();
  const instant = new LastText();
  const meta = new LastText();
  let at = 0;
  for (let i = 0; i < placed.length; i++) {
    const p = placed[i]!;
    const e = p.event;
    at = put(bytes, at, K_STREAM);
    at = putText(bytes, at, p.streamJson, stream);
    at = put(bytes, at, K_REVISION);
    at = putIndex(bytes, at, p.revision);
    at = put(bytes, at, K_POSITION);
    at = putIndex(bytes, at, p.position);
    at = put(bytes, at, K_ID);
    at = e.idJson === undefined ? putOwnId(bytes, at, e.id) : at + bytes.write(e.idJson, at, 'utf8');
    at = put(bytes, at, K_TYPE);
    at = putText(bytes, at, e.typeJson, type);
    at = put(bytes, at, K_AT);
    at = putText(bytes, at, e.atJson, instant);
    at = put(bytes, at, K_DATA);
    at += bytes.write(e.dataJson, at, 'utf8');
    at = put(bytes, at, K_META);
    at = putText(bytes, at, e.metaJson, meta);
    at = put(bytes, at, K_END);
  }
  return bytes.subarray(0, at);
}

const isIndex = (u: unknown): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= 0;

/** A short rendering of a bad value for error messages. */
export function describe(u: unknown): string {
  if (u === undefined) return 'nothing';
  let s: string;
  try {
    s = JSON.stringify(u) ?? String(u);
  } catch {
    s = String(u);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * Checks a parsed line's envelope with plain typeof checks (this runs once per
 * line of logs with a million lines). Returns the message naming the bad field,
 * or undefined when the value is a well-formed StoredEvent.
 */
export function envelopeError(u: unknown): string | undefined {
  if (!isPlainObject(u)) return `expected a JSON object, got ${describe(u)}`;
  if (typeof u.stream !== 'string') return fieldError('stream', 'a string', u.stream);
  if (!isIndex(u.revision)) return fieldError('revision', 'a non-negative integer', u.revision);
  if (!isIndex(u.position)) return fieldError('position', 'a non-negative integer', u.position);
  if (typeof u.id !== 'string') return fieldError('id', 'a string', u.id);
  if (typeof u.type !== 'string') return fieldError('type', 'a string', u.type);
  if (typeof u.at !== 'string') return fieldError('at', 'a string', u.at);
  if (!('data' in u)) return 'field "data": missing';
  if (!isPlainObject(u.meta)) return fieldError('meta', 'an object', u.meta);
  return undefined;
}

function fieldError(field: string, expected: string, got: unknown): string {
  return got === undefined ? `field "${field}": missing` : `field "${field}": expected ${expected}, got ${describe(got)}`;
}

/** The StoredEvent of a line that passed envelopeError, with only the fields of docs/log-format.md. */
export function toStoredEvent(u: Record<string, unknown>): StoredEvent {
  return {
    stream: u.stream as string,
    revision: u.revision as number,
    position: u.position as number,
    id: u.id as string,
    type: u.type as string,
    at: u.at as string,
    data: u.data,
    meta: u.meta as Record<string, unknown>,
  };
}
