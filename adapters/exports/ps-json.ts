// A writer of Windows PowerShell 5.1 `ConvertTo-Json` text, for fixtures and
// sample exports that look exactly like what admins hand us: .NET's
// JavaScriptSerializer escapes, re-indented by 5.1's prettifier (two spaces
// after the colon; nested content at the opening bracket's column + 4; an
// empty array or object as the bracket, an empty line, the closing bracket;
// CRLF line ends). Like ConvertTo-Json, the result has no final line end
// (Out-File adds one); whether one result is written as a lone object is the
// caller's choice, as it is PowerShell's pipeline's.

const CRLF = '\r\n';

/** JavaScriptSerializer's string escapes: `'` `<` `>` `&` and controls as `\u00xx`, the rest as is. */
export function psJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const c = s.charCodeAt(i);
    switch (ch) {
      case '"':
        out += '\\"';
        break;
      case '\\':
        out += '\\\\';
        break;
      case '\b':
        out += '\\b';
        break;
      case '\f':
        out += '\\f';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      case "'":
      case '<':
      case '>':
      case '&':
        out += '\\u' + c.toString(16).padStart(4, '0');
        break;
      default:
        out += c < 0x20 ? '\\u' + c.toString(16).padStart(4, '0') : ch;
    }
  }
  return out + '"';
}

function scalar(v: unknown): string | undefined {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return psJsonString(v);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'null' : `"\\/Date(${v.getTime()})\\/"`;
  return undefined;
}

/** `value` written starting at column `col` (its first character's column). */
function write(v: unknown, col: number): string {
  const s = scalar(v);
  if (s !== undefined) return s;
  const pad = ' '.repeat(col);
  const inner = ' '.repeat(col + 4);
  if (Array.isArray(v)) {
    const items = v.map((x) => inner + write(x, col + 4));
    return '[' + CRLF + items.join(',' + CRLF) + CRLF + pad + ']';
  }
  // A PowerShell object has every property, so undefined is written as null.
  const entries = Object.entries(v as Record<string, unknown>).map(([k, x]) => {
    const head = psJsonString(k) + ':  ';
    return inner + head + write(x, col + 4 + head.length);
  });
  return '{' + CRLF + entries.join(',' + CRLF) + CRLF + pad + '}';
}

/** `$value | ConvertTo-Json -Depth 100` as Windows PowerShell 5.1 writes it; Date objects as `"\/Date(ms)\/"`. */
export function toPs51Json(value: unknown): string {
  return write(value, 0);
}

/** What `Out-File` writes in 5.1 by default: UTF-16LE with a byte-order mark. */
export function toUtf16LeWithBom(text: string): Uint8Array {
  const out = new Uint8Array(2 + text.length * 2);
  out[0] = 0xff;
  out[1] = 0xfe;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[2 + 2 * i] = c & 0xff;
    out[3 + 2 * i] = c >> 8;
  }
  return out;
}

/** What `Out-File -Encoding utf8` writes in 5.1: UTF-8 with a byte-order mark. */
export function toUtf8WithBom(text: string): Uint8Array {
  const body = new TextEncoder().encode(text);
  const out = new Uint8Array(3 + body.length);
  out.set([0xef, 0xbb, 0xbf]);
  out.set(body, 3);
  return out;
}
