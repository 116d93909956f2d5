// What a crash can leave at the end of a log, and nothing else (docs/log-format.md,
// "Torn tail"). An append writes whole lines, each ending in a newline, then
// fsyncs; a crash during it can leave a prefix of the batch's bytes, and on some
// file systems a run of zero bytes where blocks were allocated but never written.
// So a torn tail is only ever the *unterminated* final fragment of the file,
// shaped like the start of one of our lines. A newline-terminated line is a whole
// write: if it is invalid, that is corruption, never cut.

// Every line the writer produces starts with these fields, in this order.
const HEAD: readonly Token[] = [
  { lit: '{"stream":' },
  { str: true },
  { lit: ',"revision":' },
  { int: true },
  { lit: ',"position":' },
  { int: true },
  { lit: ',"id":' },
  { str: true },
  { lit: ',"type":' },
];
type Token = { readonly lit: string } | { readonly str: true } | { readonly int: true };

/**
 * Whether `bytes`, the file's last bytes after its last newline (no newline in
 * them), could be what an interrupted append of ours left behind: zero bytes
 * only, or a prefix of a line of ours (valid UTF-8 up to a cut multi-byte
 * sequence, no control characters, the fixed head of fields in order),
 * possibly followed by zero bytes.
 */
export function isTornFragment(bytes: Uint8Array): boolean {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  if (end === 0) return true;
  for (let i = 0; i < end; i++) if (bytes[i]! < 0x20) return false;
  let text: string;
  try {
    // `stream: true` keeps a multi-byte sequence cut at the end instead of failing on it.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, end), { stream: true });
  } catch {
    return false;
  }
  // A cut multi-byte sequence alone is not the start of a line.
  if (text.length === 0) return false;
  const ends = headPrefixEnd(text);
  if (ends === undefined) return false;
  // A multi-byte sequence cut at the end can only be part of a character where one may stand: in a string, or past the head.
  const cut = new TextEncoder().encode(text).length < end;
  return !cut || ends === 'open';
}

/**
 * Whether `text` is a prefix of HEAD's shape, or HEAD's shape followed by
 * anything: undefined if not; 'open' when it ends where any character may come
 * next (inside a string, or past the head), 'closed' otherwise.
 */
function headPrefixEnd(text: string): 'open' | 'closed' | undefined {
  let i = 0;
  for (const tok of HEAD) {
    if (i === text.length) return 'closed';
    if ('lit' in tok) {
      const n = Math.min(tok.lit.length, text.length - i);
      if (text.slice(i, i + n) !== tok.lit.slice(0, n)) return undefined;
      i += n;
    } else if ('int' in tok) {
      const start = i;
      while (i < text.length && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
      if (i === text.length) return 'closed';
      if (i === start) return undefined;
    } else {
      if (text[i] !== '"') return undefined;
      i++;
      for (;;) {
        if (i >= text.length) return 'open';
        const c = text[i];
        if (c === '\\') i += 2;
        else if (c === '"') {
          i++;
          break;
        } else i++;
      }
    }
  }
  return 'open';
}
