// The shapes of a generated organization: its records, the categories of the
// mix and the options.
import type { DeviceAccessRule, ManagedDevice, MobileDevice, OrgSettings } from '../../src/facts.js';
import type { Random } from './random.js';

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The simulator's own mailbox record (a CasMailbox with mutable lists). */
export interface MailboxRecord {
  identity: string;
  distinguishedName: string;
  guid: string;
  displayName: string;
  primarySmtpAddress: string;
  emailAddresses: string[];
  userPrincipalName: string;
  activeSyncEnabled: boolean;
  allowedDeviceIds: string[];
  blockedDeviceIds: string[];
}

export type DeviceRecord = Mutable<MobileDevice> & { firstSyncTime: string };

/** What the generator made each partnership (for diagnostics; tests recount from the data). */
export type Category =
  | 'compliant'
  | 'noncompliant'
  | 'graceActive'
  | 'graceExpired'
  | 'otherState'
  | 'notEnrolled'
  | 'notEnrolledEasRecord'
  | 'exceptionFamily'
  | 'exceptionModel'
  | 'mappingConflict';

/** Shares of partnerships; `compliant` takes the rest (~57.5%). */
export interface MixSummary {
  readonly partnerships: Readonly<Record<Category, number>>;
  readonly users: number;
  readonly excluded: number;
  readonly excludedAlsoIncluded: number;
  readonly untargeted: number;
  readonly activeSyncDisabled: number;
  readonly upnDiffers: number;
  readonly preexistingEntries: number;
  readonly managedDevices: number;
  readonly laptops: number;
}

export interface GeneratedOrganization {
  readonly domain: string;
  readonly mailboxes: MailboxRecord[];
  /** Partnerships with the index of their mailbox in `mailboxes`. */
  readonly devices: { device: DeviceRecord; mailbox: number }[];
  readonly managedDevices: Mutable<ManagedDevice>[];
  readonly groups: {
    readonly allUsers: { id: string; members: string[] };
    readonly excluded: { id: string; members: string[] };
    readonly pilot: { id: string; members: string[] };
  };
  readonly orgSettings: Mutable<OrgSettings>;
  readonly rules: DeviceAccessRule[];
  /** The category of each partnership, parallel to `devices`. */
  readonly categoryOf: Category[];
  readonly mix: MixSummary;
  readonly random: Random;
}

export interface GenerateOptions {
  readonly devices: number;
  readonly seed: number;
  readonly organization: string;
  readonly now: number;
}
