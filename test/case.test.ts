// Case-insensitive comparison without the lower-cased copy (src/case.ts): the
// same answer as toLowerCase for any text, ASCII or not.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { isLowerCaseOf } from '../src/case.js';

// Texts with the characters whose lower case differs in length or form (İ → i̇, Σ, ẞ, Å, Þ, ×, ÿ) among ASCII letters.
const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({
    unit: fc.constantFrom('a', 'B', 'z', 'Z', '@', '.', '-', 'İ', 'Σ', 'ẞ', 'Å', 'é', 'I', 'ı', '\u0130', 'Þ', '×', 'ÿ', 'µ', 'ß'),
    maxLength: 10,
  }),
  fc.string({ unit: 'binary', maxLength: 8 }),
);
// The lower-cased text, sometimes with one character changed or cut: the near misses.
const candidate = (s: string) =>
  fc.oneof(
    fc.constant(s.toLowerCase()),
    fc.constant(s.toLowerCase().slice(1)),
    fc.nat({ max: Math.max(0, s.length) }).map((i) => {
      const l = s.toLowerCase();
      return l.slice(0, i) + 'x' + l.slice(i + 1);
    }),
    text,
  );

test('answers as s.toLowerCase() === lower does, for any text and any candidate (property)', () => {
  fc.assert(
    fc.property(
      text.chain((s) => fc.tuple(fc.constant(s), candidate(s))),
      ([s, lower]) => {
        assert.is(isLowerCaseOf(s, lower), s.toLowerCase() === lower, `${JSON.stringify(s)} / ${JSON.stringify(lower)}`);
      },
    ),
    { numRuns: 3000 },
  );
});

test('from a position on, answers as s.slice(from).toLowerCase() === lower does (property)', () => {
  fc.assert(
    fc.property(
      text
        .chain((s) => fc.tuple(fc.constant(s), fc.nat({ max: s.length })))
        .chain(([s, from]) => fc.tuple(fc.constant(s), fc.constant(from), candidate(s.slice(from)))),
      ([s, from, lower]) => {
        assert.is(
          isLowerCaseOf(s, lower, from),
          s.slice(from).toLowerCase() === lower,
          `${JSON.stringify(s)} from ${from} / ${JSON.stringify(lower)}`,
        );
      },
    ),
    { numRuns: 3000 },
  );
  assert.ok(isLowerCaseOf('smtp:KIM@Contoso.com', 'kim@contoso.com', 5));
  assert.not.ok(isLowerCaseOf('smtp:KIM@Contoso.com', 'p:kim@contoso.com', 5));
});

test('a text whose lower case is longer than itself still matches it', () => {
  assert.is('İ'.toLowerCase().length, 2);
  assert.ok(isLowerCaseOf('İSTANBUL@contoso.com', 'İSTANBUL@contoso.com'.toLowerCase()));
  assert.not.ok(isLowerCaseOf('ISTANBUL@contoso.com', 'İSTANBUL@contoso.com'.toLowerCase()));
});

test('ASCII texts match their lower case and nothing else of their length', () => {
  assert.ok(isLowerCaseOf('BBC8D29FAC8B92C6', 'bbc8d29fac8b92c6'));
  assert.ok(isLowerCaseOf('José.Nguyen@Contoso.com', 'josé.nguyen@contoso.com'));
  assert.not.ok(isLowerCaseOf('BBC8D29FAC8B92C6', 'bbc8d29fac8b92c7'));
  assert.not.ok(isLowerCaseOf('abc', 'ABC'), 'the candidate is lower-cased already');
});

test('every Latin-1 character lower-cases as toLowerCase does, alone and in a text', () => {
  for (let c = 0; c <= 0xff; c++) {
    const ch = String.fromCharCode(c);
    assert.ok(isLowerCaseOf(ch, ch.toLowerCase()), `U+${c.toString(16)}`);
    assert.ok(isLowerCaseOf(`Ab${ch}Z`, `Ab${ch}Z`.toLowerCase()), `U+${c.toString(16)} in a text`);
    if (ch.toLowerCase() !== ch.toUpperCase()) assert.is(isLowerCaseOf(ch, ch.toUpperCase()), ch.toUpperCase() === ch.toLowerCase());
  }
});

test.run();
