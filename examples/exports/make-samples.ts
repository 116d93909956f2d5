// Writes the sample exports of examples/exports/ (see README.md there): a small
// contoso organization whose devices cover every branch of the decision.
// Re-run after changing it: `npx tsc -p . && node dist/examples/exports/make-samples.js`.
// The PowerShell files go through the project's own 5.1 writer, so they look
// like what `ConvertTo-Json` + `Out-File` produce on an Exchange server.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { toPs51Json, toUtf16LeWithBom, toUtf8WithBom } from '../../adapters/exports/ps-json.js';
import { GROUP_EXEMPT, GROUP_MOBILE, MANAGED, type Managed } from './sample-intune.js';
import { DEVICES, USERS, deviceDn, deviceIdentity, deviceName, mailboxDn, mailboxId, type Device, type User } from './sample-org.js';

export { DEVICES, GROUP_EXEMPT, GROUP_MOBILE, MANAGED, USERS, deviceIdentity };

const at = (iso: string) => new Date(iso);
const SERVER = 'EX01.contoso.com';
const RUNSPACE = '5f1d7e62-8c3b-4a09-b6e4-2d9c0a7f13b8';

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
