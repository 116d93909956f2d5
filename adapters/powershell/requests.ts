// A port call as a request {op, args} for the constant script: the cmdlet (from
// the allowlist) and its parameters as data; nothing here writes PowerShell text.
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { ExchangeError } from '../../src/ports.js';
import type { ExchangeCommand, ListChange } from '../../src/commands.js';
import type { Request } from './pool.js';
import { toWire, type PsValue } from './protocol.js';

export type Args = Record<string, PsValue>;

export const request = (op: string, args: Args = {}): Request => ({ op, args: toWire(args) as Request['args'] });

const listChange = (c: ListChange): PsValue | undefined => {
  const h: Record<string, PsValue> = {};
  if (c.add.length > 0) h['Add'] = [...c.add];
  if (c.remove.length > 0) h['Remove'] = [...c.remove];
  return Object.keys(h).length > 0 ? h : undefined;
};

/**
 * The request for one command: the cmdlet (from the allowlist) and its parameters
 * as data. Exported for the property tests; the gateway uses nothing else.
 */
export function commandRequest(c: ExchangeCommand): Either<ExchangeError, { op: string; args: Args }> {
  switch (c.kind) {
    case 'setCasMailbox': {
      const args: Args = { Identity: c.mailbox };
      const a = listChange(c.allowedDeviceIds);
      const b = listChange(c.blockedDeviceIds);
      if (a !== undefined) args['ActiveSyncAllowedDeviceIDs'] = a;
      if (b !== undefined) args['ActiveSyncBlockedDeviceIDs'] = b;
      return right({ op: 'Set-CasMailbox', args });
    }
    case 'setOrgSettings': {
      const args: Args = {};
      if (c.defaultAccessLevel !== undefined) args['DefaultAccessLevel'] = c.defaultAccessLevel;
      if (c.userMailInsert !== undefined) args['UserMailInsert'] = c.userMailInsert;
      if (c.adminMailRecipients !== undefined)
        args['AdminMailRecipients'] = c.adminMailRecipients.length > 0 ? [...c.adminMailRecipients] : null;
      return right({ op: 'Set-ActiveSyncOrganizationSettings', args });
    }
    case 'newDeviceAccessRule':
      return right({
        op: 'New-ActiveSyncDeviceAccessRule',
        args: { Characteristic: c.characteristic, QueryString: c.queryString, AccessLevel: c.accessLevel },
      });
    case 'setDeviceAccessRule':
      return right({ op: 'Set-ActiveSyncDeviceAccessRule', args: { Identity: c.name, AccessLevel: c.accessLevel } });
    case 'removeDeviceAccessRule':
      return right({ op: 'Remove-ActiveSyncDeviceAccessRule', args: { Identity: c.name } });
    case 'clearMobileDevice': {
      // A switch is passed as $true by splatting; absent when not asked (2013 and earlier do not know it).
      const args: Args = { Identity: c.identity };
      if (c.accountOnly) args['AccountOnly'] = true;
      return right({ op: 'Clear-MobileDevice', args });
    }
    case 'removeMobileDevice':
      return right({ op: 'Remove-MobileDevice', args: { Identity: c.identity } });
    default: {
      const k = (c as { kind?: unknown }).kind;
      return left({ kind: 'other', message: `unknown command kind ${JSON.stringify(k)}` });
    }
  }
}

// Exchange 2010 has the ActiveSync names only; the 2013+ names are preferred where both exist.
const LEGACY: Readonly<Record<string, string>> = {
  'Clear-MobileDevice': 'Clear-ActiveSyncDevice',
  'Remove-MobileDevice': 'Remove-ActiveSyncDevice',
  'Get-MobileDeviceStatistics': 'Get-ActiveSyncDeviceStatistics',
};

/**
 * The cmdlet to run for `op` on a session whose hello listed `cmdlets`: the
 * 2010 name when only that one was imported. Left when the command needs what
 * 2010 lacks (-AccountOnly).
 */
export function opForSession(op: string, args: Args, cmdlets: readonly string[]): Either<ExchangeError, string> {
  const legacy = LEGACY[op];
  if (legacy === undefined || cmdlets.some((c) => c.toLowerCase() === op.toLowerCase())) return right(op);
  if (!cmdlets.some((c) => c.toLowerCase() === legacy.toLowerCase())) return right(op);
  if (args['AccountOnly'] !== undefined)
    return left({
      kind: 'other',
      message: `${legacy} (Exchange 2010) has no -AccountOnly: an account-only wipe needs Exchange 2016 or later`,
    });
  return right(legacy);
}
