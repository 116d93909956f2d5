// The framing between the gateway and its PowerShell child (and the test stand-in).
//
// To the child (stdin): one JSON object per line, ASCII only.
//   {"t":"connect","nonce":N,"connectionUri":W,"authentication":W,"username"?:W,"password"?:W,
//    "allowRedirection"?:bool,"skipCertificateCheck"?:bool,"module"?:W}   first line, exactly once
//   ("module": the path of a PowerShell module standing in for Exchange, imported before connecting)
//   {"t":"call","id":n,"op":"Set-CasMailbox","args":{"Identity":W,...}}
//   {"t":"close"}
// W is a wire string: base64 of the value's UTF-16LE code units. It keeps every
// value exact (lone surrogates included) and stops PowerShell 7's ConvertFrom-Json
// from turning date-like strings into DateTime objects.
//
// From the child (stdout): frames on their own line, "EASF1 <nonce> <length> <json>",
// where <length> is the JSON text's length and the JSON is ASCII only. The nonce is
// random per session and travels only on stdin, so nothing the remote session prints
// can forge a frame; every other line is noise, logged and ignored.
//   {"t":"hello","ok":true,"psVersion":"7.4.6","cmdlets":[...],"warnings":[...]}
//   {"t":"hello","ok":false,"error":E}
//   {"t":"chunk","id":n,"records":[...]}           zero or more per call (lone objects tolerated)
//   {"t":"end","id":n,"ok":true,"open":b,"count":c,"warnings":[...]} | {"t":"end","id":n,"ok":false,"open":b,"error":E}
//                                                   "open": the remote session is still usable (if false, bye and exit follow)
//   {"t":"bye"}                                     the remote session was removed
// E = {"category","reason","fullyQualifiedErrorId","message"} from the ErrorRecord.

export const FRAME_PREFIX = 'EASF1 ';

/** A value a request can carry to a cmdlet parameter. */
export type PsValue = string | boolean | null | readonly PsValue[] | { readonly [key: string]: PsValue };
/** Its encoding on the wire (strings become base64 of UTF-16LE). */
export type WireValue = string | boolean | null | readonly WireValue[] | { readonly [key: string]: WireValue };

export const toWireString = (s: string): string => Buffer.from(s, 'utf16le').toString('base64');

/** Exact inverse of toWireString (code unit by code unit; no replacement of lone surrogates). */
export function fromWireString(b64: string): string {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) throw new Error('not base64');
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length % 2 !== 0) throw new Error('a wire string must hold whole UTF-16 code units');
  let out = '';
  const step = 8192;
  for (let i = 0; i < bytes.length; i += step * 2) {
    const units: number[] = [];
    for (let j = i; j < Math.min(bytes.length, i + step * 2); j += 2) units.push(bytes[j]! | (bytes[j + 1]! << 8));
    out += String.fromCharCode(...units);
  }
  return out;
}

export function toWire(v: PsValue): WireValue {
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'string') return toWireString(v);
  if (Array.isArray(v)) return v.map(toWire);
  const out: Record<string, WireValue> = {};
  for (const [k, x] of Object.entries(v as Record<string, PsValue>)) out[k] = toWire(x);
  return out;
}

export function fromWire(w: unknown): PsValue {
  if (w === null || typeof w === 'boolean') return w;
  if (typeof w === 'string') return fromWireString(w);
  if (Array.isArray(w)) return w.map(fromWire);
  if (typeof w === 'object') {
    const out: Record<string, PsValue> = {};
    for (const [k, x] of Object.entries(w as Record<string, unknown>)) out[k] = fromWire(x);
    return out;
  }
  throw new Error(`unsupported wire value ${typeof w}`);
}

/** JSON text with every non-ASCII character escaped (what crosses the pipe is ASCII only). */
export const asciiJson = (value: unknown): string =>
  JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));

export interface ConnectFrame {
  readonly t: 'connect';
  readonly nonce: string;
  readonly connectionUri: string;
  readonly authentication: string;
  readonly username?: string;
  readonly password?: string;
  readonly allowRedirection?: boolean;
  readonly skipCertificateCheck?: boolean;
  readonly module?: string;
}

export interface CallFrame {
  readonly t: 'call';
  readonly id: number;
  readonly op: string;
  readonly args: Readonly<Record<string, WireValue>>;
}

export interface PsErrorInfo {
  readonly category: string;
  readonly reason: string;
  readonly fullyQualifiedErrorId: string;
  readonly message: string;
}

export type OutFrame =
  | {
      readonly t: 'hello';
      readonly ok: true;
      readonly psVersion: string;
      readonly cmdlets: readonly string[];
      readonly warnings: readonly string[];
    }
  | { readonly t: 'hello'; readonly ok: false; readonly error: PsErrorInfo }
  | { readonly t: 'chunk'; readonly id: number; readonly records: unknown }
  | {
      readonly t: 'end';
      readonly id: number;
      readonly ok: true;
      readonly open: boolean;
      readonly count: number;
      readonly warnings: readonly string[];
    }
  | { readonly t: 'end'; readonly id: number; readonly ok: false; readonly open: boolean; readonly error: PsErrorInfo }
  | { readonly t: 'bye' };

/** One output line as the script writes it (for the stand-in); `json` must be ASCII. */
export const formatFrame = (nonce: string, json: string): string => `\n${FRAME_PREFIX}${nonce} ${json.length} ${json}\n`;

export type ParsedLine =
  { readonly kind: 'frame'; readonly frame: OutFrame } | { readonly kind: 'noise' } | { readonly kind: 'corrupt'; readonly reason: string };

const str = (u: unknown): u is string => typeof u === 'string';
const strArray = (u: unknown): u is string[] => Array.isArray(u) && u.every(str);

function errorInfo(u: unknown): PsErrorInfo | undefined {
  if (typeof u !== 'object' || u === null) return undefined;
  const o = u as Record<string, unknown>;
  if (!str(o['message'])) return undefined;
  return {
    category: str(o['category']) ? o['category'] : '',
    reason: str(o['reason']) ? o['reason'] : '',
    fullyQualifiedErrorId: str(o['fullyQualifiedErrorId']) ? o['fullyQualifiedErrorId'] : '',
    message: o['message'],
  };
}

/** Validates a parsed frame's shape. */
export function toOutFrame(u: unknown): OutFrame | string {
  if (typeof u !== 'object' || u === null || Array.isArray(u)) return 'a frame must be a JSON object';
  const o = u as Record<string, unknown>;
  const isId = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  switch (o['t']) {
    case 'hello':
      if (o['ok'] === true) {
        if (!strArray(o['cmdlets'])) return 'hello.cmdlets must be a list of names';
        return {
          t: 'hello',
          ok: true,
          psVersion: str(o['psVersion']) ? o['psVersion'] : '',
          cmdlets: o['cmdlets'],
          warnings: strArray(o['warnings']) ? o['warnings'] : [],
        };
      }
      if (o['ok'] === false) {
        const e = errorInfo(o['error']);
        return e ? { t: 'hello', ok: false, error: e } : 'hello.error is malformed';
      }
      return 'hello.ok must be true or false';
    case 'chunk':
      if (!isId(o['id'])) return 'chunk.id must be a request id';
      return { t: 'chunk', id: o['id'], records: o['records'] ?? null };
    case 'end':
      if (!isId(o['id'])) return 'end.id must be a request id';
      if (o['ok'] === true) {
        return {
          t: 'end',
          id: o['id'],
          ok: true,
          open: o['open'] !== false,
          count: typeof o['count'] === 'number' ? o['count'] : 0,
          warnings: strArray(o['warnings']) ? o['warnings'] : typeof o['warnings'] === 'string' ? [o['warnings']] : [],
        };
      }
      if (o['ok'] === false) {
        const e = errorInfo(o['error']);
        return e ? { t: 'end', id: o['id'], ok: false, open: o['open'] !== false, error: e } : 'end.error is malformed';
      }
      return 'end.ok must be true or false';
    case 'bye':
      return { t: 'bye' };
    default:
      return `unknown frame type ${JSON.stringify(o['t'])}`;
  }
}

/** Classifies one stdout line (without its line end). */
export function parseLine(line: string, nonce: string): ParsedLine {
  const head = FRAME_PREFIX + nonce + ' ';
  if (!line.startsWith(head)) return { kind: 'noise' };
  const rest = line.slice(head.length);
  const sp = rest.indexOf(' ');
  const lengthText = sp < 0 ? rest : rest.slice(0, sp);
  if (!/^\d{1,10}$/.test(lengthText)) return { kind: 'corrupt', reason: 'frame without a length' };
  const json = sp < 0 ? '' : rest.slice(sp + 1);
  if (json.length !== Number(lengthText)) {
    return { kind: 'corrupt', reason: `frame length ${lengthText} but ${json.length} characters arrived` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    return { kind: 'corrupt', reason: `frame is not JSON (${(e as Error).message})` };
  }
  const frame = toOutFrame(parsed);
  return typeof frame === 'string' ? { kind: 'corrupt', reason: frame } : { kind: 'frame', frame };
}
