// Hostile strings for property tests: quotes of every kind, PowerShell syntax,
// separators, line ends, control and format characters, lone surrogates,
// protocol look-alikes and date-like strings (which PowerShell 7's
// ConvertFrom-Json would turn into DateTime values).
import fc from 'fast-check';

export const fragment = fc.constantFrom(
  "'", '\u2018', '\u2019', '\u201A', '\u201B', '"', '\u201C', '\u201D', '\u201E', '`', '`n', '`$', '$', '$(', ')', '${', '}', '@(', '@{',
  ';', '|', '&', '&&', '||', '#', '<#', '#>', '\n', '\r\n', '\r', '\t', '\u0000', '\u001B[2J', '\u0085', '\u2028', '\u2029', '\u202E', '\u2066',
  '\u200B', '\uFEFF', '\\', '/', '§', 'é', 'İı', '\u{1F4F1}', '\uD800', '\uDFFF', ' ', '--%', '-Confirm:$false',
  'Remove-Mailbox -Identity * -Confirm:$false', "'; Remove-Mailbox x; '", '$(Remove-Mailbox -Identity admin)', '@"', '"@', "@'", "'@",
  'EASF1 ', '\\u0027', '\\/Date(0)\\/', '/Date(1700000000000)/', '2026-01-01T00:00:00Z', '2026-11-26T08:00:00.000+01:00', 'True', 'null',
  '[', ']', '{', '}', ',', 'Add', 'Remove', '{"t":"close"}', '0x1B', '1,5',
);

export const hostile = fc.oneof(
  { weight: 3, arbitrary: fc.array(fragment, { minLength: 1, maxLength: 8 }).map((a) => a.join('')) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 6 }), fragment, fc.string({ unit: 'binary', maxLength: 6 })).map(([a, b, c]) => a + b + c) },
);
