// Commands the engine sends to Exchange. They are data: every identity and
// device id travels as a field, never as script text (adapters must keep it so).
import type { ExchangeAccessLevel, Characteristic } from './facts.js';

export interface ListChange {
  readonly add: readonly string[];
  readonly remove: readonly string[];
}

/** Set-CasMailbox -Identity … -ActiveSyncAllowedDeviceIDs @{Add;Remove} -ActiveSyncBlockedDeviceIDs @{Add;Remove} */
export interface SetCasMailbox {
  readonly kind: 'setCasMailbox';
  readonly mailbox: string;
  readonly allowedDeviceIds: ListChange;
  readonly blockedDeviceIds: ListChange;
}

/** Set-ActiveSyncOrganizationSettings with only the fields that must change. */
export interface SetOrgSettings {
  readonly kind: 'setOrgSettings';
  readonly defaultAccessLevel?: ExchangeAccessLevel;
  readonly userMailInsert?: string;
  readonly adminMailRecipients?: readonly string[];
}

export interface NewDeviceAccessRule {
  readonly kind: 'newDeviceAccessRule';
  readonly characteristic: Characteristic;
  readonly queryString: string;
  readonly accessLevel: ExchangeAccessLevel;
}

/** Set-ActiveSyncDeviceAccessRule -Identity <name> -AccessLevel … */
export interface SetDeviceAccessRule {
  readonly kind: 'setDeviceAccessRule';
  readonly name: string;
  readonly accessLevel: ExchangeAccessLevel;
}

export interface RemoveDeviceAccessRule {
  readonly kind: 'removeDeviceAccessRule';
  readonly name: string;
}

export type ExchangeCommand = SetCasMailbox | SetOrgSettings | NewDeviceAccessRule | SetDeviceAccessRule | RemoveDeviceAccessRule;

/** Exchange's own rule name: `<QueryString> (<Characteristic>)`. */
export const ruleName = (characteristic: Characteristic, queryString: string): string => `${queryString} (${characteristic})`;

/** The PowerShell cmdlet a command runs as (for logs, plans and metrics). */
export const cmdletOf = (c: ExchangeCommand): string => {
  switch (c.kind) {
    case 'setCasMailbox':
      return 'Set-CasMailbox';
    case 'setOrgSettings':
      return 'Set-ActiveSyncOrganizationSettings';
    case 'newDeviceAccessRule':
      return 'New-ActiveSyncDeviceAccessRule';
    case 'setDeviceAccessRule':
      return 'Set-ActiveSyncDeviceAccessRule';
    case 'removeDeviceAccessRule':
      return 'Remove-ActiveSyncDeviceAccessRule';
  }
};
