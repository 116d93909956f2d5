// PowerShell literals for scripts that a person reviews and runs.
// PowerShell treats ' and the typographic quotes U+2018, U+2019, U+201A and
// U+201B all as single quotes; each is escaped by doubling it. Characters a
// reviewer could not see, or that would rearrange or break the line they read
// (controls, line and paragraph separators, bidirectional overrides, zero-width
// and other format characters, lone surrogates), never appear as themselves: the
// value is written as a concatenation PowerShell evaluates to the same string,
// e.g. ('abc' + [char]0x001B + 'def').
import type { ExchangeCommand, ListChange } from '../../src/commands.js';

/**
 * The characters written as [char] codes: C0 and C1 controls and DEL, the soft hyphen,
 * the Arabic letter mark, the Mongolian vowel separator, zero-width characters and
 * marks (U+200B-U+200F), line and paragraph separators, bidirectional embeddings and
 * overrides (U+202A-U+202E) and isolates (U+2066-U+2069), the other invisible operators
 * (U+2060-U+206F), the byte-order mark, interlinear annotation characters, and lone surrogates.
 */
export const INVISIBLE =
  /[\u0000-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B-\u200F\u2028-\u202E\u2060-\u206F\uFEFF\uFFF9-\uFFFB]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const literal = (text: string) => `'${text.replace(/['\u2018\u2019\u201A\u201B]/g, (q) => q + q)}'`;
const charCode = (c: string) => `[char]0x${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * `value` as a PowerShell expression evaluating to exactly `value`: a single-quoted
 * literal, or, when it holds invisible characters, a parenthesized concatenation of
 * literals and [char] codes that starts with a literal (so that the + is a string's).
 */
export function psQuote(value: string): string {
  const found = [...value.matchAll(INVISIBLE)];
  if (found.length === 0) return literal(value);
  const parts: string[] = [];
  let last = 0;
  for (const m of found) {
    if (m.index > last || parts.length === 0) parts.push(literal(value.slice(last, m.index)));
    parts.push(charCode(m[0]));
    last = m.index + m[0].length;
  }
  if (last < value.length) parts.push(literal(value.slice(last)));
  return `(${parts.join(' + ')})`;
}

const list = (ids: readonly string[]) => ids.map(psQuote).join(',');

function hashtable(change: ListChange): string | undefined {
  const parts: string[] = [];
  if (change.add.length) parts.push(`Add=${list(change.add)}`);
  if (change.remove.length) parts.push(`Remove=${list(change.remove)}`);
  return parts.length ? `@{${parts.join('; ')}}` : undefined;
}

/** One command as reviewable PowerShell (every value a single-quoted literal, or one concatenated with [char] codes). */
export function commandToPowerShell(c: ExchangeCommand): string {
  switch (c.kind) {
    case 'setCasMailbox': {
      const a = hashtable(c.allowedDeviceIds);
      const b = hashtable(c.blockedDeviceIds);
      return [
        'Set-CasMailbox',
        '-Identity',
        psQuote(c.mailbox),
        ...(a ? ['-ActiveSyncAllowedDeviceIDs', a] : []),
        ...(b ? ['-ActiveSyncBlockedDeviceIDs', b] : []),
      ].join(' ');
    }
    case 'setOrgSettings': {
      const parts = ['Set-ActiveSyncOrganizationSettings'];
      if (c.defaultAccessLevel !== undefined) parts.push('-DefaultAccessLevel', psQuote(c.defaultAccessLevel));
      if (c.userMailInsert !== undefined) parts.push('-UserMailInsert', psQuote(c.userMailInsert));
      if (c.adminMailRecipients !== undefined)
        parts.push('-AdminMailRecipients', c.adminMailRecipients.length ? list(c.adminMailRecipients) : '$null');
      return parts.join(' ');
    }
    case 'newDeviceAccessRule':
      return `New-ActiveSyncDeviceAccessRule -Characteristic ${psQuote(c.characteristic)} -QueryString ${psQuote(c.queryString)} -AccessLevel ${psQuote(c.accessLevel)}`;
    case 'setDeviceAccessRule':
      return `Set-ActiveSyncDeviceAccessRule -Identity ${psQuote(c.name)} -AccessLevel ${psQuote(c.accessLevel)}`;
    case 'removeDeviceAccessRule':
      return `Remove-ActiveSyncDeviceAccessRule -Identity ${psQuote(c.name)} -Confirm:$false`;
    case 'clearMobileDevice':
      return `Clear-MobileDevice -Identity ${psQuote(c.identity)}${c.accountOnly ? ' -AccountOnly' : ''} -Confirm:$false`;
    case 'removeMobileDevice':
      return `Remove-MobileDevice -Identity ${psQuote(c.identity)} -Confirm:$false`;
  }
}
