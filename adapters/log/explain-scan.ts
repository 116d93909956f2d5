// The byte-level scan behind `explainFile`: finds the lines whose
// `"deviceId":"…"` is the device (ASCII case-insensitively) and the
// PolicyChanged lines, then the lines of the device's mailbox stream(s) by their
// `{"stream":…,` prefix; only those lines are parsed. Whenever the scan cannot
// vouch for what it found (an id it cannot compare byte-wise, a line that does
// not parse, a stream whose revisions are not 0..n without a gap) it says so
// (`fallback`), and the caller reads every line instead.
import { open, type FileHandle } from 'node:fs/promises';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { StoredEvent } from '../../src/ports.js';
import { envelopeError, toStoredEvent } from '../shared/log-codec.js';
import { ioText } from '../shared/log-reader.js';

const DEVICE_FIELD = Buffer.from('"deviceId":"');
const POLICY_NEEDLE = Buffer.from('","type":"PolicyChanged","at":"');
// Small enough that a chunk is still in the processor's cache when it is searched right after the
// read copied it there: a 300 MB log's scan took ~620 ms in reads of 32 MiB and ~170 ms in reads of 4 MiB.
const CHUNK = 4 * 1024 * 1024;

interface Chunk {
  readonly buf: Buffer;
  /** Bytes of complete lines at the start of buf (up to, without, the last newline). */
  readonly length: number;
  /** File offset of buf[0]. */
  readonly offset: number;
}

/**
 * The file's complete lines, chunk by chunk (what follows the last newline is
 * never a line: a torn tail). The next chunk is read while the caller searches
 * the current one, into the other of two buffers used in turn: a chunk is valid
 * until the next one is asked for. Each pass reads the file again (from the page
 * cache, a copy at memory speed): reading it once into one buffer of its size
 * and searching that was ~4× slower (docs/architecture.md, "Reading a log").
 */
async function* chunks(fh: FileHandle, size: number, chunkBytes: number): AsyncGenerator<Chunk> {
  const buffers = [Buffer.allocUnsafe(chunkBytes), Buffer.allocUnsafe(chunkBytes)];
  let turn = 0;
  // Reads into the next buffer, after the previous chunk's unfinished line (copied to its front).
  const readFrom = async (offset: number, carry: Buffer | undefined) => {
    let buf = buffers[turn]!;
    turn ^= 1;
    // A line longer than half a buffer: a larger one for this read (it takes this buffer's turn from now on).
    if (carry !== undefined && carry.length * 2 > buf.length) buf = buffers[turn ^ 1] = Buffer.allocUnsafe(carry.length * 2);
    const start = carry ? carry.copy(buf, 0) : 0;
    const { bytesRead } = await fh.read(buf, start, Math.min(buf.length - start, size - offset), offset);
    return { buf, start, bytesRead, fileOffset: offset - start };
  };
  let offset = 0;
  let next = size > 0 ? readFrom(0, undefined) : undefined;
  while (next) {
    const { buf, start, bytesRead, fileOffset } = await next;
    if (bytesRead === 0) return;
    offset += bytesRead;
    const end = start + bytesRead;
    const lastNl = buf.lastIndexOf(10, end - 1);
    // Without a newline the whole buffer is the unfinished line; it is read on into a larger one.
    const carry = lastNl < 0 ? buf.subarray(0, end) : end > lastNl + 1 ? buf.subarray(lastNl + 1, end) : undefined;
    next = offset < size ? readFrom(offset, carry) : undefined;
    if (lastNl >= 0) yield { buf, length: lastNl, offset: fileOffset };
  }
}

/** The text of the line around byte `pos` of a chunk, and the line's file offset. */
function lineAt(c: Chunk, pos: number): { text: string; offset: number } {
  const start = c.buf.lastIndexOf(10, pos) + 1;
  let end = c.buf.indexOf(10, pos);
  if (end < 0 || end > c.length) end = c.length;
  return { text: c.buf.toString('utf8', start, end), offset: c.offset + start };
}

/** Every line of the chunk that contains `needle` (at a line start only, with `atLineStart`). */
function linesWith(c: Chunk, needle: Buffer, into: Map<number, string>, atLineStart = false): void {
  for (let p = c.buf.indexOf(needle, 0); p >= 0 && p < c.length; p = c.buf.indexOf(needle, p + needle.length)) {
    if (atLineStart && p > 0 && c.buf[p - 1] !== 10) continue;
    const l = lineAt(c, p);
    into.set(l.offset, l.text);
  }
}

/** An id the scan can compare byte-wise: printable ASCII, nothing JSON escapes. */
const scannable = (id: string) => /^[\x20-\x7e]+$/.test(id) && !/["\\]/.test(id);

function matchesAt(buf: Buffer, v: number, lowered: Uint8Array, limit: number): boolean {
  const n = lowered.length;
  if (v + n >= limit || buf[v + n] !== 0x22) return false;
  for (let i = 0; i < n; i++) {
    let b = buf[v + i]!;
    if (b >= 0x41 && b <= 0x5a) b |= 0x20;
    if (b !== lowered[i]) return false;
  }
  return true;
}

export type Scan =
  | { readonly kind: 'found'; readonly events: StoredEvent[]; readonly parsed: number }
  | { readonly kind: 'unknown'; readonly known: string[] }
  | { readonly kind: 'fallback'; readonly why: string };

const parseLine = (text: string): StoredEvent | undefined => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return envelopeError(value) === undefined ? toStoredEvent(value as Record<string, unknown>) : undefined;
};

/**
 * Finds the device's lines. Its id is searched as typed, then in lower and upper
 * case, as the whole `"deviceId":"<id>"` field (long needles are what
 * Buffer.indexOf skips through fastest); only when none of those spellings
 * occurs does the scan compare every `"deviceId"` field case-insensitively.
 */
export async function scanFor(
  path: string,
  deviceId: string,
  /** Read size (default 4 MiB; tests use small ones). @internal */
  chunkBytes = CHUNK,
): Promise<Either<{ kind: 'io'; message: string }, Scan>> {
  if (!scannable(deviceId)) return right({ kind: 'fallback', why: 'the id has characters the scan does not compare' });
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    return left({ kind: 'io', message: `log ${path}: cannot open: ${ioText(err)}` });
  }
  try {
    const size = (await fh.stat()).size;
    const again = (): AsyncGenerator<Chunk> => chunks(fh, size, chunkBytes);
    const spellings = [...new Set([deviceId, deviceId.toLowerCase(), deviceId.toUpperCase()])].map((x) =>
      Buffer.from(`"deviceId":${JSON.stringify(x)}`),
    );
    const deviceLines = new Map<number, string>();
    const policyLines = new Map<number, string>();
    let lastLines: string[] = [];
    // Pass 1, while reading: the id as typed, the policy changes, the last lines.
    for await (const c of chunks(fh, size, chunkBytes)) {
      linesWith(c, spellings[0]!, deviceLines);
      linesWith(c, POLICY_NEEDLE, policyLines);
      const tailStart = c.buf.lastIndexOf(10, Math.max(0, c.length - 1));
      const prevStart = tailStart > 0 ? c.buf.lastIndexOf(10, tailStart - 1) : -1;
      lastLines = [
        c.buf.toString('utf8', prevStart + 1, Math.max(prevStart + 1, tailStart)),
        c.buf.toString('utf8', tailStart + 1, c.length),
      ].filter((x) => x !== '');
    }
    for (const spelling of spellings.slice(1)) {
      if (deviceLines.size > 0) break;
      for await (const c of again()) linesWith(c, spelling, deviceLines);
    }
    if (deviceLines.size === 0) {
      // Any letter case: every "deviceId" field, compared byte by byte.
      const lowered = Buffer.from(deviceId.toLowerCase(), 'latin1');
      for await (const c of again()) {
        for (let p = c.buf.indexOf(DEVICE_FIELD, 0); p >= 0 && p < c.length; p = c.buf.indexOf(DEVICE_FIELD, p + 1)) {
          if (!matchesAt(c.buf, p + DEVICE_FIELD.length, lowered, c.length + 1)) continue;
          const l = lineAt(c, p);
          deviceLines.set(l.offset, l.text);
        }
      }
    }
    let lastEvent: StoredEvent | undefined;
    for (const text of lastLines.reverse()) {
      lastEvent = parseLine(text);
      if (lastEvent) break;
    }
    if (!lastEvent && size > 0 && lastLines.length > 0) return right({ kind: 'fallback', why: 'the last lines do not parse' });

    const streams = new Set<string>();
    // Parsed lines by byte offset.
    const events = new Map<number, StoredEvent>();
    for (const [offset, text] of [...deviceLines, ...policyLines]) {
      const e = parseLine(text);
      if (!e) return right({ kind: 'fallback', why: `the line at byte ${offset} does not parse` });
      events.set(offset, e);
      if (deviceLines.has(offset) && e.stream.startsWith('eas-mailbox-')) streams.add(e.stream);
    }
    if (streams.size === 0) {
      // Unknown: every DeviceId the log names, for the closest ones.
      const known = new Map<string, string>();
      for await (const c of again()) {
        for (let p = c.buf.indexOf(DEVICE_FIELD, 0); p >= 0 && p < c.length; p = c.buf.indexOf(DEVICE_FIELD, p + 1)) {
          const v = p + DEVICE_FIELD.length;
          let q = c.buf.indexOf(0x22, v);
          while (q > 0 && c.buf[q - 1] === 0x5c) q = c.buf.indexOf(0x22, q + 1);
          if (q < 0 || q > c.length) continue;
          const raw = c.buf.toString('utf8', v, q);
          let id: string;
          try {
            id = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
          } catch {
            continue;
          }
          if (!known.has(id.toLowerCase())) known.set(id.toLowerCase(), id);
        }
      }
      return right({ kind: 'unknown', known: [...known.values()] });
    }

    // Pass 2: every line of the device's mailbox stream(s), by their prefix.
    const needles = [...streams].map((st) => Buffer.from(`{"stream":${JSON.stringify(st)},`));
    const streamLines = new Map<number, string>();
    for await (const c of again()) for (const needle of needles) linesWith(c, needle, streamLines, true);
    let parsed = events.size;
    for (const [offset, text] of streamLines) {
      if (events.has(offset)) continue;
      const e = parseLine(text);
      parsed++;
      if (!e) return right({ kind: 'fallback', why: `the line at byte ${offset} does not parse` });
      events.set(offset, e);
    }
    // In file order, positions must rise (a line moved or repeated is for the full
    // read to report) and every stream must be whole: revisions 0..n.
    const sorted = [...events].sort((a, b) => a[0] - b[0]).map(([, e]) => e);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]!.position <= sorted[i - 1]!.position) return right({ kind: 'fallback', why: 'positions out of order' });
    }
    const next = new Map<string, number>();
    for (const e of sorted) {
      if (!streams.has(e.stream)) continue;
      const want = next.get(e.stream) ?? 0;
      if (e.revision !== want) return right({ kind: 'fallback', why: `stream ${e.stream} is not whole in the scan` });
      next.set(e.stream, want + 1);
    }
    if (lastEvent && !sorted.some((e) => e.position === lastEvent.position)) sorted.push(lastEvent);
    return right({ kind: 'found', events: sorted, parsed });
  } catch (err) {
    return left({ kind: 'io', message: `log ${path}: cannot read: ${ioText(err)}` });
  } finally {
    await fh.close().catch(() => undefined);
  }
}
