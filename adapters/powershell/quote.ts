// PowerShell single-quoted literals for scripts that a person reviews and runs.
// PowerShell treats ' and the typographic quotes U+2018, U+2019, U+201A and
// U+201B all as single quotes; each is escaped by doubling it.
import type { ExchangeCommand, ListChange } from '../../src/commands.js';

export const psQuote = (value: string): string => `'${value.replace(/['\u2018\u2019\u201A\u201B]/g, (q) => q + q)}'`;

const list = (ids: readonly string[]) => ids.map(psQuote).join(',');

function hashtable(change: ListChange): string | undefined {
  const parts: string[] = [];
  if (change.add.length) parts.push(`Add=${list(change.add)}`);
  if (change.remove.length) parts.push(`Remove=${list(change.remove)}`);
  return parts.length ? `@{${parts.join('; ')}}` : undefined;
}

/** One command as reviewable PowerShell (every value a single-quoted literal). */
export function commandToPowerShell(c: ExchangeCommand): string {
  switch (c.kind) {
    case 'setCasMailbox': {
      const a = hashtable(c.allowedDeviceIds);
      const b = hashtable(c.blockedDeviceIds);
      return ['Set-CasMailbox', '-Identity', psQuote(c.mailbox),
        ...(a ? ['-ActiveSyncAllowedDeviceIDs', a] : []), ...(b ? ['-ActiveSyncBlockedDeviceIDs', b] : [])].join(' ');
    }
    case 'setOrgSettings': {
      const parts = ['Set-ActiveSyncOrganizationSettings'];
      if (c.defaultAccessLevel !== undefined) parts.push('-DefaultAccessLevel', psQuote(c.defaultAccessLevel));
      if (c.userMailInsert !== undefined) parts.push('-UserMailInsert', psQuote(c.userMailInsert));
      if (c.adminMailRecipients !== undefined) parts.push('-AdminMailRecipients', c.adminMailRecipients.length ? list(c.adminMailRecipients) : '$null');
      return parts.join(' ');
    }
    case 'newDeviceAccessRule':
      return `New-ActiveSyncDeviceAccessRule -Characteristic ${psQuote(c.characteristic)} -QueryString ${psQuote(c.queryString)} -AccessLevel ${psQuote(c.accessLevel)}`;
    case 'setDeviceAccessRule':
      return `Set-ActiveSyncDeviceAccessRule -Identity ${psQuote(c.name)} -AccessLevel ${psQuote(c.accessLevel)}`;
    case 'removeDeviceAccessRule':
      return `Remove-ActiveSyncDeviceAccessRule -Identity ${psQuote(c.name)} -Confirm:$false`;
  }
}
