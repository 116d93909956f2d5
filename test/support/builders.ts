// Small builders for core tests: realistic records with overridable fields.
import type { CasMailbox, ManagedDevice, MobileDevice } from '../../src/facts.js';
import { withDefaults, type Policy, type PolicyDocument } from '../../src/policy.js';

export const AT = Date.parse('2026-11-26T08:00:00Z');

export function mailbox(name: string, over: Partial<CasMailbox> = {}): CasMailbox {
  const local = name.toLowerCase().replace(/[^a-z]+/g, '.');
  return {
    identity: `contoso.com/Users/${name}`,
    distinguishedName: `CN=${name},OU=Users,DC=contoso,DC=com`,
    displayName: name,
    primarySmtpAddress: `${local}@contoso.com`,
    emailAddresses: [`SMTP:${local}@contoso.com`],
    userPrincipalName: `${local}@contoso.com`,
    activeSyncEnabled: true,
    allowedDeviceIds: [],
    blockedDeviceIds: [],
    ...over,
  };
}

export function device(mb: CasMailbox, deviceId: string, over: Partial<MobileDevice> = {}): MobileDevice {
  const type = over.deviceType ?? 'iPhone';
  return {
    identity: `${mb.identity}/ExchangeActiveSyncDevices/${type}§${deviceId}`,
    distinguishedName: `CN=${type}§${deviceId},CN=ExchangeActiveSyncDevices,${mb.distinguishedName}`,
    deviceId,
    deviceType: type,
    deviceModel: 'iPhone15C2',
    deviceOS: 'iOS 17.1 21B74',
    deviceUserAgent: 'Apple-iPhone15C2/2101.74',
    ...over,
  };
}

export function managed(easDeviceId: string, user: string, over: Partial<ManagedDevice> = {}): ManagedDevice {
  return {
    id: `md-${easDeviceId}`,
    easDeviceId,
    userPrincipalName: user,
    emailAddress: user,
    complianceState: 'compliant',
    managementAgent: 'mdm',
    lastSyncDateTime: '2026-11-26T07:00:00Z',
    ...over,
  };
}

export function policy(over: Partial<PolicyDocument> = {}): Policy {
  return withDefaults({
    enabled: true,
    includedGroups: ['g-all'],
    excludedGroups: ['g-excluded'],
    defaultAccessLevel: 'quarantine',
    platformExceptions: [],
    ...over,
  });
}
