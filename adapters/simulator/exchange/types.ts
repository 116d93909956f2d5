// The simulated Exchange's public shapes: its cmdlets, counters, snapshots and the
// inputs of its admin operations.
import type {
  AccessLevel,
  CasMailbox,
  Characteristic,
  DeviceAccessRule,
  ExchangeAccessLevel,
  MobileDevice,
  OrgSettings,
} from '../../../src/facts.js';
import type { ExchangeReason } from '../../../src/exchange-evaluation.js';
import type { DeviceRecord, MailboxRecord, Mutable } from '../generate.js';
import type { Random } from '../random.js';

export const CMDLETS = [
  'Get-MobileDevice',
  'Get-CasMailbox',
  'Get-ActiveSyncOrganizationSettings',
  'Get-ActiveSyncDeviceAccessRule',
  'Get-ExchangeServer',
  'Set-CasMailbox',
  'Set-ActiveSyncOrganizationSettings',
  'New-ActiveSyncDeviceAccessRule',
  'Set-ActiveSyncDeviceAccessRule',
  'Remove-ActiveSyncDeviceAccessRule',
  'Get-MobileDeviceStatistics',
  'Clear-MobileDevice',
  'Remove-MobileDevice',
] as const;
export type Cmdlet = (typeof CMDLETS)[number];

export interface ExchangeCounters {
  /** `execute` calls that ran (not refused by the runspace limit), successful or not. */
  commands: number;
  /** Every call, including the ones refused by the runspace limit. */
  byCmdlet: Record<string, number>;
  /** Read calls that ran. */
  reads: number;
  /** Most calls in flight at once. */
  maxConcurrent: number;
  /** Calls refused by the runspace limit. */
  throttled: number;
  /** Calls that ran and returned an error (injected or Exchange's own refusal). */
  failed: number;
  /** Sessions opened, broken (used past the per-shell command limit), and most open at once. */
  sessionsOpened: number;
  sessionsBroken: number;
  maxOpenSessions: number;
  /** Calls refused by the user load quota. */
  quotaRefusals: number;
}

export interface FailureOptions {
  /** Only calls of this cmdlet consume the failure (default: any call). */
  readonly cmdlet?: Cmdlet;
  /** The command is applied and then the error is reported (a lost response). */
  readonly applied?: boolean;
}

export type Evaluation = { readonly access: AccessLevel; readonly reason: ExchangeReason; readonly mailbox: string };

/** A read-only snapshot of the organization (copies). */
export interface ExchangeState {
  readonly mailboxes: readonly CasMailbox[];
  readonly devices: readonly MobileDevice[];
  readonly orgSettings: OrgSettings;
  readonly rules: readonly DeviceAccessRule[];
  /** deviceId (lower-cased) -> the Block rule that keeps it blocked. */
  readonly stickyBlocks: ReadonlyMap<string, string>;
}

export interface NewPartnership {
  /** Identity, DN, GUID, primary SMTP address or UPN of the mailbox. */
  readonly mailbox: string;
  readonly deviceId?: string;
  readonly deviceType?: string;
  readonly deviceModel?: string;
  readonly deviceOS?: string;
  readonly deviceUserAgent?: string;
  readonly friendlyName?: string;
  readonly firstSyncTime?: string;
}

export interface NewMailbox {
  readonly displayName: string;
  readonly primarySmtpAddress?: string;
  readonly userPrincipalName?: string;
  readonly activeSyncEnabled?: boolean;
}

export type DeviceChanges = Partial<Pick<MobileDevice, 'deviceModel' | 'deviceOS' | 'deviceUserAgent' | 'friendlyName'>>;

export interface RuleSpec {
  readonly characteristic: Characteristic;
  readonly queryString: string;
  readonly accessLevel: ExchangeAccessLevel;
  readonly name?: string;
}

export interface SimulatedExchangeInit {
  readonly domain: string;
  readonly mailboxes: readonly MailboxRecord[];
  readonly devices: readonly { device: DeviceRecord; mailbox: number }[];
  readonly orgSettings: Mutable<OrgSettings>;
  readonly rules: readonly DeviceAccessRule[];
  readonly latencyMs?: number | Partial<Record<Cmdlet, number>>;
  readonly runspaces?: number;
  /** Exchange's user load quota (PowerShellMaxCmdlets per PowerShellMaxCmdletsTimePeriod); none by default. */
  readonly quota?: { readonly requests: number; readonly perMs: number };
  /** A shell breaks after this many commands (the engine must recycle before). Default 1,000. */
  readonly commandsPerShell?: number;
  readonly clock: () => number;
  readonly random: Random;
  /** How long after Clear-MobileDevice the phone acknowledges the wipe (its next contact). Default 15 minutes. */
  readonly wipeAckDelayMs?: number;
  /** Share of partnerships whose phone stopped syncing 60–420 days ago (stale). Default 0.03. */
  readonly idleShare?: number;
  /** Exchange 2013 and earlier: Clear-MobileDevice has no -AccountOnly. */
  readonly accountOnlyWipe?: boolean;
}
