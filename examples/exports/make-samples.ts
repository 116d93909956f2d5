// Writes the sample exports of examples/exports/ (see README.md there): a small
// contoso organization whose devices cover every branch of the decision.
// Re-run after changing it: `npx tsc -p . && node dist/examples/exports/make-samples.js`.
// The PowerShell files go through the project's own 5.1 writer, so they look
// like what `ConvertTo-Json` + `Out-File` produce on an Exchange server.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { toPs51Json, toUtf16LeWithBom, toUtf8WithBom } from '../../adapters/exports/ps-json.js';

const at = (iso: string) => new Date(iso);
const SERVER = 'EX01.contoso.com';
const RUNSPACE = '5f1d7e62-8c3b-4a09-b6e4-2d9c0a7f13b8';

interface User {
  readonly cn: string; // escaped as in a DN
  readonly name: string; // as in a canonical name
  readonly displayName: string;
  readonly sam: string;
  readonly primary: string;
  readonly proxies: readonly string[];
  readonly upn: string;
  readonly guid: string;
  readonly allowed: readonly string[] | null;
  readonly blocked: readonly string[] | null;
}

const user = (u: User) => u;
export const USERS = {
  kim: user({
    cn: 'Kim Akers',
    name: 'Kim Akers',
    displayName: 'Kim Akers',
    sam: 'kakers',
    primary: 'kim@contoso.com',
    proxies: ['SMTP:kim@contoso.com', 'smtp:k.akers@contoso.com', 'SIP:kim@contoso.com'],
    upn: 'kim@contoso.com',
    guid: '0b6e2f4a-31c8-4d2e-9a57-6c1e8f3b2d90',
    allowed: ['ApplC39GQ9UJDTDM'],
    blocked: [],
  }),
  pilar: user({
    cn: 'Pilar Ackerman',
    name: 'Pilar Ackerman',
    displayName: 'Pilar Ackerman',
    sam: 'packerman',
    primary: 'pilar@contoso.com',
    proxies: ['SMTP:pilar@contoso.com', 'X500:/o=ContosoOrg/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=pilar'],
    upn: 'pilar@contoso.com',
    guid: '7d13a9c5-04be-4f6a-8b21-93e5c7d0a4f6',
    allowed: [],
    blocked: ['SEC12A4F7C9E0B3D'],
  }),
  sean: user({
    cn: "Sean O'Brien",
    name: "Sean O'Brien",
    displayName: "Sean O'Brien",
    sam: 'sobrien',
    primary: 'sean.obrien@contoso.com',
    proxies: ['SMTP:sean.obrien@contoso.com', "smtp:sean.o'brien@contoso.com"],
    upn: 'sean.obrien@contoso.com',
    guid: 'c4f8b2e7-9a16-4d3c-a0e5-1b7f6d2c8e34',
    allowed: [],
    blocked: [],
  }),
  dan: user({
    cn: 'Dan Jump',
    name: 'Dan Jump',
    displayName: 'Dan Jump',
    sam: 'djump',
    primary: 'dan.jump@fabrikam.com',
    proxies: ['SMTP:dan.jump@fabrikam.com', 'smtp:djump@contoso.com', 'SIP:dan.jump@fabrikam.com'],
    upn: 'djump@contoso.com',
    guid: '2a9e6c1d-58f3-47b0-9c4e-e0d3b6a1f725',
    allowed: [],
    blocked: [],
  }),
  ben: user({
    cn: 'Ben Andrews',
    name: 'Ben Andrews',
    displayName: 'Ben Andrews',
    sam: 'bandrews',
    primary: 'ben@contoso.com',
    proxies: ['SMTP:ben@contoso.com'],
    upn: 'ben@contoso.com',
    guid: 'e7b0d4f2-6c39-4a85-b1d6-4f2a9c8e0b53',
    allowed: [],
    blocked: [],
  }),
  molly: user({
    cn: 'Molly Dempsey',
    name: 'Molly Dempsey',
    displayName: 'Molly Dempsey',
    sam: 'mdempsey',
    primary: 'molly@contoso.com',
    proxies: ['SMTP:molly@contoso.com', 'smtp:m.dempsey@contoso.com'],
    upn: 'molly@contoso.com',
    guid: '9f5c3a8e-1d72-4b6f-8e03-7a4d2b9c6f18',
    allowed: [],
    blocked: [],
  }),
  chris: user({
    cn: 'Preston\\, Chris',
    name: 'Preston, Chris',
    displayName: 'Chris Preston',
    sam: 'cpreston',
    primary: 'chris.preston@contoso.com',
    proxies: ['SMTP:chris.preston@contoso.com'],
    upn: 'chris.preston@contoso.com',
    guid: '4e2d8b6a-f091-4c57-a3b8-5d0e7f1a9c62',
    allowed: ['ApplZ9X8C7V6B5N4'],
    blocked: [],
  }),
  lidia: user({
    cn: 'Lidia Holloway',
    name: 'Lidia Holloway',
    displayName: 'Lidia Holloway',
    sam: 'lholloway',
    primary: 'lidia@contoso.com',
    proxies: ['SMTP:lidia@contoso.com'],
    upn: 'lidia@contoso.com',
    guid: 'b8a1f6d3-2e94-4c0b-9f7a-c3e5d8b2a046',
    allowed: [],
    blocked: null,
  }),
} as const;

const mailboxDn = (u: User) => `CN=${u.cn},OU=Users,DC=contoso,DC=com`;
const mailboxId = (u: User) => `contoso.com/Users/${u.name}`;

interface Device {
  readonly user: User;
  readonly type: string;
  readonly id: string;
  readonly model: string | null;
  readonly os: string;
  readonly ua: string;
  readonly friendly: string;
  readonly firstSync: string;
  readonly state: 'Allowed' | 'Blocked' | 'Quarantined' | 'DeviceDiscovery';
  readonly reason: 'Global' | 'Individual';
  readonly guid: string;
}

const U = USERS;
export const DEVICES: readonly Device[] = [
  {
    user: U.kim,
    type: 'iPhone',
    id: 'ApplC39GQ9UJDTDM',
    model: 'iPhone14C5',
    os: 'iOS 17.4.1 21E236',
    ua: 'Apple-iPhone14C5/2104.236',
    friendly: 'Kim’s iPhone',
    firstSync: '2023-11-14T22:13:20Z',
    state: 'Allowed',
    reason: 'Individual',
    guid: 'd1c5e8a2-7b34-4f90-8a6e-0c2b9d4f7e11',
  },
  {
    user: U.kim,
    type: 'iPad',
    id: 'ApplDMPXK1Q2Q1GC',
    model: 'iPad13C6',
    os: 'iOS 17.4.1 21E236',
    ua: 'Apple-iPad13C6/2104.236',
    friendly: 'Kim’s iPad',
    firstSync: '2024-03-02T08:41:05Z',
    state: 'Allowed',
    reason: 'Global',
    guid: '5a9f3c7e-2d18-4b6a-9e04-b7d1c8f2a3e5',
  },
  {
    user: U.pilar,
    type: 'SAMSUNGSMG991B',
    id: 'SEC12A4F7C9E0B3D',
    model: 'SM-G991B',
    os: 'Android 13.0.0',
    ua: 'SAMSUNG-SM-G991B/101.130001',
    friendly: 'Galaxy S21 5G',
    firstSync: '2022-06-09T13:05:44Z',
    state: 'Blocked',
    reason: 'Individual',
    guid: '8e4b1d6f-3a27-4c95-b0e8-f6a2d9c1b740',
  },
  {
    user: U.pilar,
    type: 'iPhone',
    id: 'ApplQ1W2E3R4T5Y6',
    model: 'iPhone12C1',
    os: 'iOS 16.7.5 20H307',
    ua: 'Apple-iPhone12C1/2008.307',
    friendly: 'iPhone',
    firstSync: '2024-09-17T06:30:00Z',
    state: 'Allowed',
    reason: 'Global',
    guid: '3c7a0e5d-9f42-4b18-a6d3-e1b8f0c7d295',
  },
  {
    user: U.sean,
    type: 'Android',
    id: 'androidc1597534862',
    model: 'Pixel 7',
    os: 'Android 14',
    ua: 'Android-Mail/2024.01.14.598476410.Release',
    friendly: 'Pixel 7',
    firstSync: '2024-01-10T17:22:31Z',
    state: 'Allowed',
    reason: 'Global',
    guid: 'f0d6b9a3-4e81-4c2f-9b57-2a8e6c3d1f04',
  },
  {
    user: U.dan,
    type: 'iPhone',
    id: 'ApplF17XK2M3N4P5',
    model: 'iPhone15C2',
    os: 'iOS 17.3 21D50',
    ua: 'Apple-iPhone15C2/2102.50',
    friendly: 'Dan’s iPhone 14 Pro',
    firstSync: '2024-02-20T09:15:12Z',
    state: 'Allowed',
    reason: 'Global',
    guid: '6b2e8d4f-0a95-4c31-8f7b-d4c1a9e6b382',
  },
  {
    user: U.ben,
    type: 'Android',
    id: 'androidc8819233407',
    model: 'Pixel 6a',
    os: 'Android 14',
    ua: 'Android-Mail/2023.12.03.588723991.Release',
    friendly: 'Pixel 6a',
    firstSync: '2024-04-05T11:48:09Z',
    state: 'Allowed',
    reason: 'Global',
    guid: 'a4f1c7e9-5b38-4d02-9e6a-1c8b3f5d7a26',
  },
  {
    user: U.ben,
    type: 'BlackBerry',
    id: 'BB2A61F0C7',
    model: 'BlackBerry Passport',
    os: 'BlackBerry 10.3.3.3216',
    ua: 'RIM-BlackBerry/10.3.3.3216',
    friendly: 'Passport',
    firstSync: '2019-08-23T15:02:47Z',
    state: 'Allowed',
    reason: 'Global',
    guid: '1e9d5b3a-7c64-4f28-b2a0-8d6f4e1c9b57',
  },
  {
    user: U.molly,
    type: 'iPhone',
    id: 'ApplK8LM9N0P1Q2R',
    model: 'iPhone14C2',
    os: 'iOS 17.2.1 21C66',
    ua: 'Apple-iPhone14C2/2101.66',
    friendly: 'Molly’s iPhone',
    firstSync: '2023-12-28T19:40:18Z',
    state: 'Allowed',
    reason: 'Global',
    guid: 'c9b3e7a1-2f56-4d84-a0c9-5e7b1d3f8a62',
  },
  {
    user: U.molly,
    type: 'WindowsMail',
    id: '5A0B8C74D3E1F26A9B7C0D1E2F3A4B5C',
    model: null,
    os: 'Windows 10.0.19045',
    ua: 'MSFT-WIN-3/10.0.19045',
    friendly: '',
    firstSync: '2025-01-07T07:55:31Z',
    state: 'DeviceDiscovery',
    reason: 'Global',
    guid: '0f7a4c2e-8d93-4b15-9e6d-b3a0c5f8e147',
  },
  {
    user: U.chris,
    type: 'iPhone',
    id: 'ApplZ9X8C7V6B5N4',
    model: 'iPhone16C2',
    os: 'iOS 17.5 21F79',
    ua: 'Apple-iPhone16C2/2105.79',
    friendly: 'Chris’s iPhone 15 Pro Max',
    firstSync: '2024-05-21T10:03:26Z',
    state: 'Allowed',
    reason: 'Individual',
    guid: '7c5e1a9d-3b48-4f60-8d2c-e9a4b6f0c318',
  },
  {
    user: U.lidia,
    type: 'Android',
    id: 'androidc5501773190',
    model: 'SM-A546B',
    os: 'Android 14',
    ua: 'Android-Mail/2024.03.03.612009284.Release',
    friendly: 'Galaxy A54',
    firstSync: '2024-03-18T14:27:53Z',
    state: 'Allowed',
    reason: 'Global',
    guid: 'e3a8d6b0-4f17-4c9e-a5b2-7d0c9e3f6a81',
  },
];

const deviceName = (d: Device) => `${d.type}§${d.id}`;
export const deviceIdentity = (d: Device) => `${mailboxId(d.user)}/ExchangeActiveSyncDevices/${deviceName(d)}`;
const deviceDn = (d: Device) => `CN=${deviceName(d)},CN=ExchangeActiveSyncDevices,${mailboxDn(d.user)}`;

/** A Get-MobileDevice object as an Exchange 2016 remote session hands it to ConvertTo-Json. */
function mobileDeviceRecord(d: Device, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const first = at(d.firstSync);
  const changed = new Date(first.getTime() + 3_600_000);
  return {
    RunspaceId: RUNSPACE,
    FriendlyName: d.friendly,
    DeviceId: d.id,
    DeviceImei: null,
    DeviceMobileOperator: d.type === 'WindowsMail' ? null : 'Contoso Mobile',
    DeviceOS: d.os,
    DeviceOSLanguage: 'en-us',
    DeviceTelephoneNumber: null,
    DeviceType: d.type,
    DeviceUserAgent: d.ua,
    DeviceModel: d.model,
    FirstSyncTime: first,
    UserDisplayName: mailboxId(d.user),
    DeviceAccessState: d.state,
    DeviceAccessStateReason: d.reason,
    DeviceAccessControlRule: null,
    ClientVersion: d.type === 'WindowsMail' ? '16.1' : '14.1',
    ClientType: 'EAS',
    IsManaged: false,
    IsCompliant: false,
    IsDisabled: false,
    AdminDisplayName: '',
    ExchangeVersion: '0.10 (14.0.100.0)',
    Name: deviceName(d),
    DistinguishedName: deviceDn(d),
    Identity: deviceIdentity(d),
    Guid: d.guid,
    ObjectCategory: 'contoso.com/Configuration/Schema/ms-Exch-Active-Sync-Device',
    ObjectClass: ['top', 'msExchActiveSyncDevice'],
    WhenChanged: changed,
    WhenCreated: first,
    WhenChangedUTC: changed,
    WhenCreatedUTC: first,
    OrganizationId: '',
    Id: deviceIdentity(d),
    OriginatingServer: 'DC01.contoso.com',
    IsValid: true,
    ObjectState: 'Unchanged',
    PSComputerName: SERVER,
    PSShowComputerName: false,
    ...overrides,
  };
}

/** A Get-CasMailbox object, with UserPrincipalName added by Select-Object as the contract suggests. */
function casMailboxRecord(u: User): Record<string, unknown> {
  const created = at('2019-03-11T09:00:00Z');
  const changed = at('2025-02-03T16:20:00Z');
  return {
    RunspaceId: RUNSPACE,
    EmailAddresses: u.proxies,
    LegacyExchangeDN: `/o=ContosoOrg/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=${u.sam}`,
    LinkedMasterAccount: '',
    PrimarySmtpAddress: u.primary,
    SamAccountName: u.sam,
    ServerLegacyDN: '/o=ContosoOrg/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/cn=EX01',
    ServerName: 'ex01',
    DisplayName: u.displayName,
    ActiveSyncAllowedDeviceIDs: u.allowed,
    ActiveSyncBlockedDeviceIDs: u.blocked,
    ActiveSyncMailboxPolicy: 'Default',
    ActiveSyncMailboxPolicyIsDefaulted: true,
    ActiveSyncDebugLogging: false,
    ActiveSyncEnabled: true,
    HasActiveSyncDevicePartnership: true,
    OwaMailboxPolicy: 'Default',
    OWAEnabled: true,
    OWAforDevicesEnabled: true,
    ECPEnabled: true,
    PopEnabled: false,
    ImapEnabled: false,
    MAPIEnabled: true,
    MapiHttpEnabled: null,
    EwsEnabled: null,
    ActiveSyncSuppressReadReceipt: false,
    Name: u.name,
    DistinguishedName: mailboxDn(u),
    Identity: mailboxId(u),
    Guid: u.guid,
    ObjectCategory: 'contoso.com/Configuration/Schema/Person',
    ObjectClass: ['top', 'person', 'organizationalPerson', 'user'],
    WhenChanged: changed,
    WhenCreated: created,
    WhenChangedUTC: changed,
    WhenCreatedUTC: created,
    OrganizationId: '',
    Id: mailboxId(u),
    OriginatingServer: 'DC01.contoso.com',
    IsValid: true,
    ObjectState: 'Unchanged',
    PSComputerName: SERVER,
    PSShowComputerName: false,
    UserPrincipalName: u.upn,
  };
}

export const GROUP_MOBILE = '8c5b1f7e-2d4a-4e61-9f3b-6a2c1d0e9b47'; // "EAS - Mobile mail"
export const GROUP_EXEMPT = 'e1a90c3d-7b25-4f8e-a6d4-0f9b2c7e5a13'; // "EAS - Exempt executives"

const NO_GRACE = '9999-12-31T23:59:59Z';
interface Managed {
  readonly id: string;
  readonly user: User | undefined;
  readonly email?: string;
  readonly eas: string;
  readonly state: string;
  readonly agent: string;
  readonly grace: string;
  readonly lastSync: string;
  readonly name: string;
  readonly model: string;
  readonly os: string;
  readonly osVersion: string;
  readonly maker: string;
}
export const MANAGED: readonly Managed[] = [
  {
    id: '3f2c8e1a-6b7d-4c90-8e15-2a9d7f4b6c01',
    user: U.kim,
    eas: 'ApplC39GQ9UJDTDM',
    state: 'compliant',
    agent: 'mdm',
    grace: NO_GRACE,
    lastSync: '2025-06-02T07:12:44Z',
    name: 'Kim’s iPhone',
    model: 'iPhone 13',
    os: 'iOS',
    osVersion: '17.4.1',
    maker: 'Apple',
  },
  {
    id: '91d4b7e2-0c38-4a6f-b5e9-7f2a1c8d3e60',
    user: U.kim,
    eas: 'ApplDMPXK1Q2Q1GC',
    state: 'inGracePeriod',
    agent: 'mdm',
    grace: '2030-06-30T00:00:00Z',
    lastSync: '2025-06-01T21:03:10Z',
    name: 'Kim’s iPad',
    model: 'iPad Pro (12.9-inch) (5th generation)',
    os: 'iPadOS',
    osVersion: '17.4.1',
    maker: 'Apple',
  },
  {
    id: 'c7a2e9f4-5b16-4d83-a0c7-3e9b6d1f2a48',
    user: U.pilar,
    eas: 'SEC12A4F7C9E0B3D',
    state: 'noncompliant',
    agent: 'mdm',
    grace: NO_GRACE,
    lastSync: '2025-06-02T06:44:19Z',
    name: 'Galaxy S21 5G',
    model: 'SM-G991B',
    os: 'Android',
    osVersion: '13',
    maker: 'samsung',
  },
  {
    id: '5e8b3d1c-9a47-4f2e-8c60-b1d7a4e9f352',
    user: U.sean,
    eas: 'androidc1597534862',
    state: 'inGracePeriod',
    agent: 'mdm',
    grace: '2024-02-01T00:00:00Z',
    lastSync: '2025-05-30T18:27:02Z',
    name: 'Pixel 7',
    model: 'Pixel 7',
    os: 'Android',
    osVersion: '14',
    maker: 'Google',
  },
  // Kim's previous iPhone, handed on to Pilar without a wipe: its enrollment is Kim's, not Pilar's.
  {
    id: 'a0f6c3e8-2d91-4b57-9e4a-6c8d1b3f7e25',
    user: U.kim,
    eas: 'ApplQ1W2E3R4T5Y6',
    state: 'compliant',
    agent: 'mdm',
    grace: NO_GRACE,
    lastSync: '2024-09-15T12:00:31Z',
    name: 'Kim’s old iPhone',
    model: 'iPhone 11',
    os: 'iOS',
    osVersion: '16.7.5',
    maker: 'Apple',
  },
  // Enrolled as djump@contoso.com, whose mailbox's primary address is at fabrikam.com.
  {
    id: 'd2b9f5a7-6e03-4c18-b4d9-8a1e7c5f0b63',
    user: U.dan,
    email: 'djump@contoso.com',
    eas: 'ApplF17XK2M3N4P5',
    state: 'compliant',
    agent: 'mdm',
    grace: NO_GRACE,
    lastSync: '2025-06-02T05:58:37Z',
    name: 'Dan’s iPhone 14 Pro',
    model: 'iPhone 14 Pro',
    os: 'iOS',
    osVersion: '17.3',
    maker: 'Apple',
  },
  // Exchange's own record of an unenrolled device (managementAgent eas): not an enrollment.
  {
    id: 'f8c1a6d3-4b72-4e95-a3f0-2d6b9e8c1a74',
    user: U.molly,
    eas: 'ApplK8LM9N0P1Q2R',
    state: 'compliant',
    agent: 'eas',
    grace: NO_GRACE,
    lastSync: '2025-06-01T09:31:56Z',
    name: 'Molly’s iPhone',
    model: 'iPhone 13 mini',
    os: 'iOS',
    osVersion: '17.2.1',
    maker: 'Apple',
  },
  // A Windows laptop: no EAS id (""), never checked in (0001-01-01).
  {
    id: '6a3e0d9b-7f25-4c41-8b6e-e4c2a7f1d908',
    user: U.lidia,
    eas: '',
    state: 'compliant',
    agent: 'mdm',
    grace: NO_GRACE,
    lastSync: '0001-01-01T00:00:00Z',
    name: 'LIDIA-LT01',
    model: 'Surface Laptop 5',
    os: 'Windows',
    osVersion: '10.0.22631.3593',
    maker: 'Microsoft Corporation',
  },
];

function managedDeviceJson(m: Managed): Record<string, unknown> {
  const apple = m.maker === 'Apple';
  return {
    id: m.id,
    userId: m.user?.guid ?? null,
    deviceName: m.name,
    managedDeviceOwnerType: 'company',
    enrolledDateTime: m.agent === 'eas' ? '0001-01-01T00:00:00Z' : '2023-10-02T08:00:00Z',
    lastSyncDateTime: m.lastSync,
    operatingSystem: m.os,
    complianceState: m.state,
    jailBroken: m.os === 'Windows' ? 'Unknown' : 'False',
    managementAgent: m.agent,
    osVersion: m.osVersion,
    easActivated: m.eas !== '',
    easDeviceId: m.eas,
    easActivationDateTime: m.eas !== '' ? '2023-10-02T08:05:00Z' : '0001-01-01T00:00:00Z',
    azureADRegistered: true,
    deviceEnrollmentType:
      m.agent === 'eas' ? 'unknown' : apple ? 'userEnrollment' : m.os === 'Windows' ? 'windowsAzureADJoin' : 'userEnrollment',
    emailAddress: m.email ?? m.user?.primary ?? '',
    azureADDeviceId: m.agent === 'eas' ? '00000000-0000-0000-0000-000000000000' : m.id.split('').reverse().join(''),
    deviceRegistrationState: m.agent === 'eas' ? 'notRegistered' : 'registered',
    isSupervised: false,
    exchangeLastSuccessfulSyncDateTime: '0001-01-01T00:00:00Z',
    exchangeAccessState: 'none',
    exchangeAccessStateReason: 'none',
    isEncrypted: m.os !== 'Windows',
    userPrincipalName: m.user?.upn ?? '',
    model: m.model,
    manufacturer: m.maker,
    complianceGracePeriodExpirationDateTime: m.grace,
    serialNumber: '',
    userDisplayName: m.user?.displayName ?? '',
    managedDeviceName: `${m.user?.sam ?? 'device'}_${m.os}_${m.lastSync.slice(0, 10).replace(/-/g, '/')}`,
    deviceActionResults: [],
  };
}

export const SKIPTOKEN_URL =
  'https://graph.microsoft.com/v1.0/deviceManagement/managedDevices?$top=5&$skiptoken=LastDeviceName%3d%27Kim%e2%80%99s+old+iPhone%27%2cLastDeviceId%3d%27a0f6c3e8-2d91-4b57-9e4a-6c8d1b3f7e25%27';
const CONTEXT = 'https://graph.microsoft.com/v1.0/$metadata#deviceManagement/managedDevices';

export const POLICY = {
  enabled: true,
  includedGroups: [GROUP_MOBILE],
  excludedGroups: [GROUP_EXEMPT],
  defaultAccessLevel: 'quarantine',
  platformExceptions: [{ type: 'family', name: 'BlackBerry', access: 'allow' }],
  notification: {
    enabled: true,
    subject: 'Your device cannot sync Contoso mail yet',
    bodyHtml:
      '<p>Hello {userDisplayName},</p><p>Your {deviceType} ({deviceModel}) cannot sync mail: {reason}.</p>' +
      '<p>Enroll it in Intune and make it compliant: <a href="{enrollUrl}">{enrollUrl}</a></p>',
    enrollUrl: 'https://portal.manage.microsoft.com/',
  },
};

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v, null, 2) + '\n');

/** Every sample file, path relative to examples/exports/ → bytes. */
export function sampleFiles(): Record<string, Uint8Array> {
  // Out-File ends the text with a line end of its own.
  const mobile = toPs51Json(DEVICES.map((d) => mobileDeviceRecord(d))) + '\r\n';
  const cas = toPs51Json(Object.values(USERS).map(casMailboxRecord)) + '\r\n';
  const managed = MANAGED.map(managedDeviceJson);
  const pages = [
    { '@odata.context': CONTEXT, '@odata.count': managed.length, value: managed.slice(0, 5), '@odata.nextLink': SKIPTOKEN_URL },
    { '@odata.context': CONTEXT, value: managed.slice(5) },
  ];
  const groups = {
    [GROUP_MOBILE]: [
      'kim@contoso.com',
      'pilar@contoso.com',
      'Sean.OBrien@contoso.com',
      'djump@contoso.com',
      'ben@contoso.com',
      'molly@contoso.com',
      'chris.preston@contoso.com',
    ],
    [GROUP_EXEMPT]: ['Chris.Preston@contoso.com'],
  };
  // A partnership whose DeviceId is null (a half-created record): the whole file must be refused.
  const malformed = toPs51Json([mobileDeviceRecord(DEVICES[0]!), mobileDeviceRecord(DEVICES[4]!, { DeviceId: null })]) + '\r\n';
  return {
    'get-mobiledevice.json': toUtf16LeWithBom(mobile),
    'get-casmailbox.json': toUtf8WithBom(cas),
    'managed-devices.json': json(pages),
    'groups.json': json(groups),
    'policy.json': json(POLICY),
    'malformed/get-mobiledevice.json': toUtf16LeWithBom(malformed),
  };
}

function main(): void {
  const dir =
    process.argv[2] !== undefined
      ? new URL(`file://${process.argv[2].replace(/\/?$/, '/')}`)
      : new URL('../../../examples/exports/', import.meta.url);
  for (const [name, bytes] of Object.entries(sampleFiles())) {
    const target = new URL(name, dir);
    mkdirSync(new URL('.', target), { recursive: true });
    writeFileSync(target, bytes);
    console.log(`wrote ${fileURLToPath(target)} (${bytes.length} bytes)`);
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main();
