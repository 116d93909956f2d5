// io-ts helpers shared by every edge: strict objects (unknown keys rejected, not
// stripped) and error paths such as `platformExceptions[1].type`.
import * as t from 'io-ts';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';

export interface Issue {
  readonly path: string;
  readonly message: string;
}

/** An object type whose unknown keys are an error reported at their path. */
export function strict<R extends t.Props, O extends t.Props>(
  required: R,
  optional: O,
  name: string,
): t.Type<t.TypeOf<t.TypeC<R>> & Partial<t.TypeOf<t.TypeC<O>>>, unknown, unknown> {
  const base = t.intersection([t.type(required), t.partial(optional)]);
  const known = new Set([...Object.keys(required), ...Object.keys(optional)]);
  type A = t.TypeOf<t.TypeC<R>> & Partial<t.TypeOf<t.TypeC<O>>>;
  return new t.Type<A, unknown, unknown>(
    name,
    (u): u is A => base.is(u),
    (u, c) => {
      if (typeof u === 'object' && u !== null && !Array.isArray(u)) {
        for (const k of Object.keys(u)) {
          if (!known.has(k)) {
            return t.failure(
              (u as Record<string, unknown>)[k],
              [...c, { key: k, type: t.never, actual: (u as Record<string, unknown>)[k] }],
              `unknown key "${k}"`,
            );
          }
        }
      }
      return base.validate(u, t.appendContext(c, '', base));
    },
    (a) => a,
  );
}

/** A string with at most `max` characters. */
export const maxString = (max: number) =>
  new t.Type<string, string, unknown>(
    `string(≤${max})`,
    (u): u is string => typeof u === 'string' && u.length <= max,
    (u, c) =>
      typeof u !== 'string'
        ? t.failure(u, c, 'expected a string')
        : u.length > max
          ? t.failure(u, c, `longer than ${max} characters (${u.length})`)
          : t.success(u),
    t.identity,
  );

/** An integer in [min, max]. */
export const intBetween = (min: number, max: number) =>
  new t.Type<number, number, unknown>(
    `integer(${min}..${max})`,
    (u): u is number => typeof u === 'number' && Number.isInteger(u) && u >= min && u <= max,
    (u, c) =>
      typeof u !== 'number' || !Number.isInteger(u)
        ? t.failure(u, c, 'expected a whole number')
        : u < min || u > max
          ? t.failure(u, c, `must be between ${min} and ${max} (${u})`)
          : t.success(u),
    t.identity,
  );

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|z|[+-](\d{2}):?(\d{2}))$/;
const daysIn = (y: number, m: number): number =>
  m === 2 ? (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31;

/**
 * An ISO-8601 instant: date, time and a zone (`Z` or `±hh:mm`), every field in
 * range (no 30 February, no hour 24). A value without a zone is refused rather
 * than read in the machine's zone. Right(milliseconds since the epoch).
 */
export function parseInstant(s: string): Either<string, number> {
  const m = INSTANT.exec(s);
  if (m === null) return left('expected an ISO-8601 date-time with a time zone, e.g. 2026-11-26T08:00:00Z');
  const [y, mo, d, h, mi, sec] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (mo < 1 || mo > 12) return left(`month ${m[2]} does not exist`);
  if (d < 1 || d > daysIn(y, mo)) return left(`day ${m[3]} does not exist in ${m[1]}-${m[2]}`);
  if (h > 23 || mi > 59 || sec > 59) return left(`time ${m[4]}:${m[5]}${m[6] !== undefined ? `:${m[6]}` : ''} does not exist`);
  if (m[9] !== undefined && (Number(m[9]) > 23 || Number(m[10]) > 59)) return left(`zone offset ${m[8]} does not exist`);
  const ms = Date.parse(s.replace(/z$/, 'Z'));
  return Number.isNaN(ms) ? left('not a valid date-time') : right(ms);
}

/** An ISO-8601 instant with a time zone (see parseInstant), normalized to `toISOString()` form. */
export const IsoInstant = new t.Type<string, string, unknown>(
  'IsoInstant',
  (u): u is string => typeof u === 'string' && !isLeft(parseInstant(u)),
  (u, c) => {
    if (typeof u !== 'string') return t.failure(u, c, 'expected an ISO-8601 date-time string');
    const ms = parseInstant(u);
    return isLeft(ms) ? t.failure(u, c, ms.left) : t.success(new Date(ms.right).toISOString());
  },
  t.identity,
);

function pathOf(context: t.Context): string {
  let path = '';
  for (let i = 1; i < context.length; i++) {
    const entry = context[i]!;
    const parent = context[i - 1]!.type as t.Mixed & { _tag?: string };
    if (entry.key === '') continue;
    // intersections and unions repeat the same key with index names: skip those
    if (parent._tag === 'IntersectionType' || parent._tag === 'UnionType') continue;
    path +=
      /^\d+$/.test(entry.key) && (parent._tag === 'ArrayType' || parent._tag === 'ReadonlyArrayType')
        ? `[${entry.key}]`
        : path === ''
          ? entry.key
          : `.${entry.key}`;
  }
  return path === '' ? '(root)' : path;
}

function describe(v: t.ValidationError): string {
  if (v.message) return v.message;
  const last = v.context[v.context.length - 1];
  let shown: string | undefined;
  try {
    shown = v.value === undefined ? 'missing' : JSON.stringify(v.value);
  } catch {
    // Too deep (or cyclic) to show: a message must never fail to be written.
    shown = Array.isArray(v.value) ? 'an array' : typeof v.value === 'object' ? 'an object' : typeof v.value;
  }
  return `expected ${last?.type.name ?? 'a valid value'}, got ${shown && shown.length > 60 ? shown.slice(0, 57) + '...' : shown}`;
}

/** io-ts errors as unique `{ path, message }` issues, most specific first. */
export function issuesOf(errors: t.Errors): Issue[] {
  const seen = new Set<string>();
  const out: Issue[] = [];
  for (const e of errors) {
    const issue = { path: pathOf(e.context), message: describe(e) };
    const key = issue.path + '\u0000' + issue.message;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(issue);
    }
  }
  return out;
}

export function decodeWith<A>(codec: t.Decoder<unknown, A>, u: unknown): Either<Issue[], A> {
  const r = codec.decode(u);
  return isLeft(r) ? left(issuesOf(r.left)) : right(r.right);
}

export const formatIssues = (issues: readonly Issue[]): string => issues.map((i) => `${i.path}: ${i.message}`).join('; ');

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/**
 * A duration: ISO-8601 (`PT8H`, `P2D`, `P1DT12H`, `PT90M`; weeks `P1W`) or a
 * short form (`30m`, `8h`, `2d`, `1w`). Months and years are refused: their
 * length depends on the calendar.
 */
export function parseDuration(text: string): number | undefined {
  const short = /^(\d{1,6})([mhdw])$/i.exec(text.trim());
  if (short) {
    const ms = Number(short[1]) * UNIT_MS[short[2]!.toLowerCase()]!;
    return ms > 0 ? ms : undefined;
  }
  const iso = /^P(?:(\d{1,6})W)?(?:(\d{1,6})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,6})M)?(?:(\d{1,6})S)?)?$/i.exec(text.trim());
  if (!iso || text.trim().toUpperCase() === 'P' || /T$/i.test(text.trim())) return undefined;
  const [, w, d, h, m, s] = iso.map((x) => (x === undefined ? 0 : Number(x)));
  const ms = w! * UNIT_MS.w! + d! * UNIT_MS.d! + h! * UNIT_MS.h! + m! * UNIT_MS.m! + s! * 1000;
  return ms > 0 ? ms : undefined;
}
