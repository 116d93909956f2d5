// The shared codec helpers: instants read strictly, never in the machine's zone.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { IsoInstant, decodeWith, parseDuration, parseInstant, strict } from '../src/codec.js';

test('reads every instant that toISOString writes back to the same millisecond', () => {
  fc.assert(
    fc.property(fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2999-12-31T23:59:59Z'), noInvalidDate: true }), (d) => {
      const r = parseInstant(d.toISOString());
      assert.ok(isRight(r));
      assert.is(r.right, d.getTime());
    }),
    { numRuns: 2000 },
  );
});

test('reads offsets as offsets: one instant in three spellings', () => {
  const ms = [parseInstant('2026-11-26T08:00:00Z'), parseInstant('2026-11-26T09:00:00+01:00'), parseInstant('2026-11-26T03:00-0500')].map(
    (r) => (isRight(r) ? r.right : NaN),
  );
  assert.equal(ms, [ms[0], ms[0], ms[0]]);
  assert.ok(Number.isFinite(ms[0]));
});

test('refuses impossible dates instead of rolling them into the next month', () => {
  for (const s of [
    '2026-02-30T00:00:00Z',
    '2026-02-29T00:00:00Z',
    '2026-04-31T12:00Z',
    '2026-13-01T00:00:00Z',
    '2026-00-10T00:00:00Z',
    '2026-01-01T24:00:00Z',
    '2026-01-01T23:60:00Z',
    '2026-01-01T23:59:60Z',
    '2026-01-01T00:00:00+25:00',
  ]) {
    assert.ok(isLeft(parseInstant(s)), s);
  }
  assert.ok(isRight(parseInstant('2028-02-29T00:00:00Z')), 'a leap day exists in 2028');
  assert.ok(isLeft(parseInstant('2100-02-29T00:00:00Z')), 'but not in 2100');
  const e = parseInstant('2026-02-30T00:00:00Z');
  assert.ok(isLeft(e) && /day 30 does not exist in 2026-02/.test(e.left));
});

test("refuses a date-time without a zone rather than reading it in the machine's zone", () => {
  for (const s of ['2026-11-26T08:00:00', '2026-11-26', '2026-11-26 08:00:00Z', 'soon', '']) assert.ok(isLeft(parseInstant(s)), s);
});

test('IsoInstant decodes to the normalized form and names the problem', () => {
  const ok = IsoInstant.decode('2026-11-26T09:00:00+01:00');
  assert.ok(isRight(ok) && ok.right === '2026-11-26T08:00:00.000Z');
  assert.ok(isLeft(IsoInstant.decode('2026-02-30T00:00:00Z')));
});

test('an error about a value too deep to print is still a message, not a RangeError', () => {
  let deep: unknown = 1;
  for (let i = 0; i < 20000; i++) deep = [deep];
  const r = decodeWith(strict({ name: t.string }, {}, 'thing'), { name: deep });
  assert.ok(isLeft(r));
  assert.match(r.left[0]!.message, /expected string, got an array/);
});

test('a duration is ISO-8601 or a short form; months, years, zero and words are refused', () => {
  const H = 3_600_000;
  assert.is(parseDuration('8h'), 8 * H);
  assert.is(parseDuration('30m'), 30 * 60_000);
  assert.is(parseDuration('2d'), 48 * H);
  assert.is(parseDuration('1w'), 168 * H);
  assert.is(parseDuration('PT8H'), 8 * H);
  assert.is(parseDuration('P1DT12H'), 36 * H);
  assert.is(parseDuration('PT90M'), 90 * 60_000);
  assert.is(parseDuration('P1W'), 168 * H);
  for (const bad of ['', 'P', 'PT', 'P1M', 'P1Y', '0h', 'PT0H', '8 hours', '-1h', '1.5h', 'P1DT', 'h8'])
    assert.is(parseDuration(bad), undefined, bad);
});

test.run();
