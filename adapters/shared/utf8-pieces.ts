// A large text (a snapshot: ~285 MB at 200,000 devices) as UTF-8 a piece at a time,
// so that it is never held a second time as one buffer. The pieces join to exactly
// Buffer.from(text, 'utf8') of the texts joined: no cut falls between the two halves
// of a surrogate pair, within one string or between two of them.

export const UTF8_PIECE_CHARS = 4 * 1024 * 1024;

const isHigh = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;

/** The UTF-8 of `texts` (joined) in pieces of at most `pieceChars` characters (2 or more). */
export function* utf8Pieces(texts: string | readonly string[], pieceChars: number = UTF8_PIECE_CHARS): Generator<Buffer> {
  const size = Math.max(2, pieceChars);
  if (typeof texts === 'string') return yield* piecesOf(texts, size);
  // A high surrogate that ends one string goes with the next: the pair may be split between them.
  let carry = '';
  for (const t of texts) {
    const whole = carry + t;
    carry = isHigh(whole.charCodeAt(whole.length - 1)) ? whole.slice(-1) : '';
    yield* piecesOf(carry === '' ? whole : whole.slice(0, -1), size);
  }
  if (carry !== '') yield Buffer.from(carry, 'utf8');
}

function* piecesOf(text: string, size: number): Generator<Buffer> {
  for (let a = 0; a < text.length;) {
    let b = Math.min(text.length, a + size);
    if (b < text.length && b - 1 > a && isHigh(text.charCodeAt(b - 1))) b--;
    yield Buffer.from(text.slice(a, b), 'utf8');
    a = b;
  }
}
