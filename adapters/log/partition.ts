// Which part of a log a line belongs to, when a log is folded on several threads
// (parts.ts): each thread reads the whole file but parses only the lines of its
// own streams, since what costs is JSON.parse and the fold, not reading bytes.
// A line goes to a part by a hash of its stream name's bytes, taken before
// parsing from the `{"stream":"eas-mailbox-…"` that opens every line the stores
// write; every other line (org streams, lines written some other way, damaged
// lines) goes to part 0. After parsing, the reader checks that every stream a
// part sees (once, at the stream's first event) is one of its own by the name it
// parsed; if not (a name escaped in JSON, a duplicated key: hand-edited lines),
// the partition does not hold and the log is folded on one thread instead.
import type { LineFilter } from '../shared/log-reader.js';

const MAILBOX_LINE = Buffer.from('{"stream":"eas-mailbox-');
const NAME_FROM = '{"stream":"'.length;

/**
 * A hash of a stream name's bytes [from, to): FNV-1a over its last 24 bytes
 * (where names differ; enough to spread them), mixed (FNV's low bits alone are
 * poor). -1 if a byte could not stand unescaped in a JSON string.
 */
function hashName(bytes: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = Math.max(from, to - 24); i < to; i++) {
    const b = bytes[i]!;
    if (b === 0x22 || b === 0x5c || b < 0x20) return -1;
    h = Math.imul(h ^ b, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The part of the line in buf[s, e), from its bytes. */
function partOfLine(buf: Buffer, s: number, e: number, count: number): number {
  if (e - s <= MAILBOX_LINE.length) return 0;
  for (let i = 0; i < MAILBOX_LINE.length; i++) if (buf[s + i] !== MAILBOX_LINE[i]) return 0;
  const q = buf.indexOf(0x22, s + NAME_FROM);
  if (q < 0 || q >= e) return 0;
  const h = hashName(buf, s + NAME_FROM, q);
  return h < 0 ? 0 : h % count;
}

/** The part of a stream, from its name (the same as `partOfLine` for a line that writes the name plainly). */
function partOfStream(name: string, count: number): number {
  if (!name.startsWith('eas-mailbox-')) return 0;
  const bytes = Buffer.from(name, 'utf8');
  const h = hashName(bytes, 0, bytes.length);
  return h < 0 ? 0 : h % count;
}

/** The lines of part `index` of `count`, as a reader's filter. */
export function partFilter(index: number, count: number): LineFilter {
  return {
    keeps: (buf, s, e) => partOfLine(buf, s, e, count) === index,
    owns: (stream) => partOfStream(stream, count) === index,
  };
}
