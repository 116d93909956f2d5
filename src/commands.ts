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

/**
 * Clear-MobileDevice -Identity <partnership> [-AccountOnly] -Confirm:$false: a
 * remote wipe, delivered at the phone's next contact. `wipeId` ties the command
 * to the administrator's request (the engine's bookkeeping; not sent).
 */
export interface ClearMobileDevice {
  readonly kind: 'clearMobileDevice';
  readonly identity: string;
  readonly deviceId: string;
  readonly mailbox: string;
  readonly accountOnly: boolean;
  readonly wipeId: string;
}

/** Remove-MobileDevice -Identity <partnership> -Confirm:$false: the partnership goes (stale clean-up). */
export interface RemoveMobileDevice {
  readonly kind: 'removeMobileDevice';
  readonly identity: string;
  readonly deviceId: string;
  readonly mailbox: string;
}

/** The commands that belong to one mailbox (its stream records their intents and outcomes). */
export type MailboxCommandOf = SetCasMailbox | ClearMobileDevice | RemoveMobileDevice;

export type ExchangeCommand =
  | SetCasMailbox
  | SetOrgSettings
  | NewDeviceAccessRule
  | SetDeviceAccessRule
  | RemoveDeviceAccessRule
  | ClearMobileDevice
  | RemoveMobileDevice;

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
    case 'clearMobileDevice':
      return 'Clear-MobileDevice';
    case 'removeMobileDevice':
      return 'Remove-MobileDevice';
  }
};
