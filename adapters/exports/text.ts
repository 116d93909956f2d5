// Bytes of an export file → text → JSON. Windows PowerShell 5.1's Out-File
// writes UTF-16LE with a BOM, `-Encoding utf8` UTF-8 with a BOM, pwsh 7 UTF-8.
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { InputError } from '../shared/input-errors.js';

const utf8Fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf16le = new TextDecoder('utf-16le', { ignoreBOM: true });
const cp1252 = new TextDecoder('windows-1252');

/** Swaps byte pairs so that UTF-16BE can go through the (always present) UTF-16LE decoder. */
function swap16(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length - (bytes.length % 2));
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    out[i] = bytes[i + 1]!;
    out[i + 1] = bytes[i]!;
  }
  return out;
}

/**
 * Decodes an export by its byte-order mark (UTF-16LE, UTF-16BE, UTF-8), else as
 * UTF-8; the BOM is not part of the result. Two fallbacks for BOM-less files:
 * a NUL second byte means UTF-16LE (JSON text never holds a raw NUL), and bytes
 * that are not UTF-8 are read as Windows-1252 (`Out-File -Encoding Default`),
 * so that a `§` in identities survives rather than becoming U+FFFD.
 */
export function decodeText(bytes: Uint8Array): string {
  const b0 = bytes[0],
    b1 = bytes[1];
  if (b0 === 0xff && b1 === 0xfe) return utf16le.decode(bytes.subarray(2));
  if (b0 === 0xfe && b1 === 0xff) return utf16le.decode(swap16(bytes.subarray(2)));
  if (b0 === 0xef && b1 === 0xbb && bytes[2] === 0xbf) return decodeUtf8(bytes.subarray(3));
  if (bytes.length >= 2 && b1 === 0 && b0 !== 0) return utf16le.decode(bytes);
  return decodeUtf8(bytes);
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8Fatal.decode(bytes);
  } catch {
    return cp1252.decode(bytes);
  }
}

/**
 * Parses export text. Empty or whitespace-only text is what PowerShell writes
 * for no results, so it is `[]`. A syntax error carries its line and column.
 */
export function parseJsonText(text: string, file: string): Either<InputError, unknown> {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') return right([]);
  const deep = tooDeep(body);
  if (deep !== undefined) {
    const { line, column } = lineColumn(body, deep);
    return left({
      file,
      line,
      column,
      message: `JSON nested deeper than ${MAX_JSON_DEPTH} levels (no export, policy, group list or config needs more)`,
    });
  }
  try {
    return right(JSON.parse(body) as unknown);
  } catch (e) {
    const found = locateSyntaxError(body);
    if (found === undefined) return left({ file, message: e instanceof Error ? e.message : String(e) });
    const { line, column } = lineColumn(body, found.at);
    return left({ file, line, column, message: found.message });
  }
}

/** Deeper nesting is refused before parsing: every later step (decoding, error messages) may recurse. */
export const MAX_JSON_DEPTH = 64;

/** The offset of the bracket that opens level MAX_JSON_DEPTH + 1, outside strings; undefined when none does. */
export function tooDeep(text: string): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_JSON_DEPTH) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return undefined;
}

/** 1-based line and column of a character offset (CRLF counts as one line end). */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1,
    start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

class SyntaxStop {
  constructor(
    readonly at: number,
    readonly message: string,
  ) {}
}

/**
 * Finds the first JSON syntax error and its offset. V8's own messages carry no
 * position for some errors in Node 20, so we scan for it ourselves.
 */
export function locateSyntaxError(text: string): { at: number; message: string } | undefined {
  const n = text.length;
  let i = 0;
  const fail = (message: string, at = i): never => {
    throw new SyntaxStop(at, message);
  };
  const unexpected = (): never => (i >= n ? fail('Unexpected end of input') : fail(`Unexpected token ${JSON.stringify(text[i])}`));
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  const str = () => {
    const start = i;
    i++; // opening quote
    for (;;) {
      if (i >= n) fail('Unterminated string', start);
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          i += 2;
          continue;
        }
        if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          i += 6;
          continue;
        }
        fail('Bad escape in string');
      }
      if (c < 0x20) fail('Bad control character in string');
      i++;
    }
  };
  const num = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const value = (): void => {
    ws();
    if (i >= n) unexpected();
    const c = text[i]!;
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"')
          fail(i >= n ? 'Unexpected end of input' : `Expected a property name in double quotes, got ${JSON.stringify(text[i])}`);
        str();
        ws();
        if (text[i] !== ':') fail(i >= n ? 'Unexpected end of input' : "Expected ':' after property name");
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail(i >= n ? 'Unexpected end of input' : "Expected ',' or '}' after property value");
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail(i >= n ? 'Unexpected end of input' : "Expected ',' or ']' after array element");
      }
    }
    if (c === '"') return str();
    if (c === '-' || (c >= '0' && c <= '9')) {
      num.lastIndex = i;
      const m = num.exec(text);
      if (m === null) fail('Bad number');
      i += m![0].length;
      return;
    }
    for (const lit of ['true', 'false', 'null']) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return;
      }
    }
    unexpected();
  };
  try {
    value();
    ws();
    if (i < n) fail('Unexpected text after the JSON value');
    return undefined;
  } catch (e) {
    if (e instanceof SyntaxStop) return { at: e.at, message: e.message };
    return undefined; // e.g. nesting too deep for the stack: the caller uses V8's message
  }
}
