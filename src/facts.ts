// What the engine observes: the Exchange and Intune records it decides from.
// These are decoded, normalized shapes; adapters turn cmdlet output and Graph
// JSON into them (see adapters/*/decode.ts). Dates are ISO-8601 UTC strings.

export type AccessLevel = 'allow' | 'block' | 'quarantine';
export type ExchangeAccessLevel = 'Allow' | 'Block' | 'Quarantine';
export type Characteristic = 'DeviceType' | 'DeviceModel' | 'DeviceOS' | 'UserAgent' | 'XMSWLHeader';

/** One EAS device partnership (Get-MobileDevice / Get-ActiveSyncDevice). */
export interface MobileDevice {
  /** e.g. `contoso.com/Users/Kim Akers/ExchangeActiveSyncDevices/iPhone§ApplC39GQ9UJDTDM` */
  readonly identity: string;
  readonly distinguishedName?: string;
  readonly guid?: string;
  readonly deviceId: string;
  readonly deviceType: string;
  readonly deviceModel: string;
  readonly deviceOS?: string;
  readonly deviceUserAgent?: string;
  readonly friendlyName?: string;
  readonly firstSyncTime?: string;
  readonly userDisplayName?: string;
}

/**
 * Get-MobileDeviceStatistics for one partnership: when it last synced and the
 * state of its remote wipe (Exchange stamps the request, the time it was sent
 * to the phone, and the phone's acknowledgement).
 */
export interface MobileDeviceStatistics {
  readonly identity: string;
  readonly deviceId: string;
  readonly lastSuccessSync?: string;
  /** Exchange's Status / DeviceWipeStatus text, e.g. DeviceOk, DeviceWipePending, DeviceWipeSucceeded. */
  readonly status?: string;
  readonly deviceWipeRequestTime?: string;
  readonly deviceWipeSentTime?: string;
  readonly deviceWipeAckTime?: string;
}

/** One CAS mailbox (Get-CasMailbox): the consistency boundary of enforcement. */
export interface CasMailbox {
  /** What Set-CasMailbox -Identity takes, e.g. `contoso.com/Users/Kim Akers`. */
  readonly identity: string;
  readonly distinguishedName?: string;
  readonly guid?: string;
  readonly displayName?: string;
  readonly primarySmtpAddress: string;
  /** Raw proxy addresses (`SMTP:`, `smtp:`, `SIP:`, `X500:` …). */
  readonly emailAddresses: readonly string[];
  readonly userPrincipalName?: string;
  readonly activeSyncEnabled: boolean;
  readonly allowedDeviceIds: readonly string[];
  readonly blockedDeviceIds: readonly string[];
}

export interface OrgSettings {
  readonly defaultAccessLevel: ExchangeAccessLevel;
  readonly userMailInsert?: string;
  readonly adminMailRecipients: readonly string[];
}

export interface DeviceAccessRule {
  /** Exchange names rules `<QueryString> (<Characteristic>)`. */
  readonly name?: string;
  readonly characteristic: Characteristic;
  readonly queryString: string;
  readonly accessLevel: ExchangeAccessLevel;
}

export interface ExchangeServer {
  readonly name: string;
  readonly fqdn: string;
  readonly isClientAccessServer: boolean;
  readonly version?: string;
}

export type ComplianceState = 'unknown' | 'compliant' | 'noncompliant' | 'conflict' | 'error' | 'inGracePeriod' | 'configManager';

/** One Intune managed device (Graph managedDevice, the fields the engine uses). */
export interface ManagedDevice {
  readonly id: string;
  readonly easDeviceId?: string;
  readonly userPrincipalName?: string;
  readonly emailAddress?: string;
  readonly complianceState: ComplianceState;
  readonly managementAgent: string;
  readonly lastSyncDateTime?: string;
  readonly complianceGracePeriodExpirationDateTime?: string;
  // Reported, and left out of what the engine keeps (ManagedCache): nothing it decides or shows reads them.
  readonly deviceName?: string;
  readonly model?: string;
  readonly operatingSystem?: string;
}

/** Group id -> user principal names (transitive members). */
export type GroupMembership = ReadonlyMap<string, ReadonlySet<string>>;
