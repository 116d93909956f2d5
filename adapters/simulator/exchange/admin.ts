// What happens to the organization outside the gateway: phones that sync for the
// first time or change, mailboxes created, and an admin's hand edits (drift).
import { isLeft } from 'fp-ts/lib/Either.js';
import type { CasMailbox, MobileDevice, OrgSettings } from '../../../src/facts.js';
import { ruleName } from '../../../src/commands.js';
import type { DeviceRecord, MailboxRecord } from '../generate.js';
import { IPHONE, type Platform } from '../catalog.js';
import { deviceDn, deviceIdentity, mailboxDn, mailboxIdentity, addressPart } from '../identities.js';
import type { Random } from '../random.js';
import { copyDevice, copyMailbox, idKey, lc, type Directory } from './directory.js';
import { refreshSticky, touch, touchMailbox } from './evaluation.js';
import { applyOrgSettings } from './cmdlets.js';
import type { DeviceChanges, NewMailbox, NewPartnership, RuleSpec } from './types.js';

export function addMailbox(dir: Directory, random: Random, m: NewMailbox): CasMailbox {
  const identity = mailboxIdentity(dir.domain, m.displayName);
  if (dir.hasIdentity(identity)) throw new Error(`mailbox ${identity} already exists`);
  const primary = m.primarySmtpAddress ?? `${m.displayName.split(/\s+/).map(addressPart).filter(Boolean).join('.')}@${dir.domain}`;
  const rec: MailboxRecord = {
    identity,
    distinguishedName: mailboxDn(dir.domain, m.displayName),
    guid: random.uuid(),
    displayName: m.displayName,
    primarySmtpAddress: primary,
    emailAddresses: [`SMTP:${primary}`, `SIP:${primary}`],
    userPrincipalName: m.userPrincipalName ?? primary,
    activeSyncEnabled: m.activeSyncEnabled ?? true,
    allowedDeviceIds: [],
    blockedDeviceIds: [],
  };
  dir.indexMailbox(rec);
  return copyMailbox(rec);
}

function freshDeviceId(dir: Directory, random: Random, p: Platform): string {
  let id = p.newId(random);
  while (dir.devices.has(lc(id))) id = p.newId(random);
  return id;
}

/** A new partnership (a phone that synced for the first time); FirstSyncTime defaults to the clock. */
export function addPartnership(dir: Directory, random: Random, clock: () => number, p: NewPartnership): MobileDevice {
  const m = dir.resolve(p.mailbox);
  if (!m) throw new Error(`no mailbox ${p.mailbox}`);
  const deviceId = p.deviceId ?? freshDeviceId(dir, random, IPHONE);
  if (dir.devices.has(lc(deviceId))) throw new Error(`a partnership with DeviceId ${deviceId} already exists`);
  const deviceType = p.deviceType ?? IPHONE.deviceType;
  const deviceModel = p.deviceModel ?? IPHONE.models[0]!;
  const deviceOS = p.deviceOS ?? IPHONE.os[IPHONE.os.length - 1]!;
  const rec: DeviceRecord = {
    identity: deviceIdentity(m.rec.identity, deviceType, deviceId),
    distinguishedName: deviceDn(m.rec.distinguishedName, deviceType, deviceId),
    guid: random.uuid(),
    deviceId,
    deviceType,
    deviceModel,
    deviceOS,
    deviceUserAgent: p.deviceUserAgent ?? IPHONE.userAgent(deviceModel, deviceOS),
    friendlyName: p.friendlyName ?? `${m.rec.displayName.split(' ')[0]}'s ${deviceType}`,
    firstSyncTime: p.firstSyncTime ?? new Date(clock()).toISOString(),
    userDisplayName: m.rec.displayName,
  };
  const d = dir.indexDevice(rec, m);
  d.lastSuccessMs = d.firstSyncMs;
  touch(dir, lc(deviceId), d);
  return copyDevice(rec);
}

/** Remove-MobileDevice: the partnership goes (and its sticky block); list entries stay, as in Exchange. */
export function removePartnership(dir: Directory, deviceId: string): boolean {
  const key = lc(deviceId);
  const d = dir.devices.get(key);
  if (!d) return false;
  dir.devices.delete(key);
  dir.devicesByIdentity.delete(idKey(d.rec.identity));
  d.mailbox.devices.delete(key);
  dir.sticky.delete(key);
  return true;
}

/** The device reports new characteristics (an OS update…). A Block-rule block stays. */
export function updatePartnership(dir: Directory, deviceId: string, changes: DeviceChanges): MobileDevice {
  const key = lc(deviceId);
  const d = dir.devices.get(key);
  if (!d) throw new Error(`no partnership ${deviceId}`);
  touch(dir, key, d);
  if (changes.deviceModel !== undefined) d.rec.deviceModel = changes.deviceModel;
  if (changes.deviceOS !== undefined) d.rec.deviceOS = changes.deviceOS;
  if (changes.deviceUserAgent !== undefined) d.rec.deviceUserAgent = changes.deviceUserAgent;
  if (changes.friendlyName !== undefined) d.rec.friendlyName = changes.friendlyName;
  touch(dir, key, d);
  return copyDevice(d.rec);
}

/** An admin edits a mailbox's lists by hand (drift): the given lists replace the current ones. */
export function setMailboxLists(
  dir: Directory,
  identity: string,
  lists: { readonly allowed?: readonly string[]; readonly blocked?: readonly string[] },
): void {
  const m = dir.resolve(identity);
  if (!m) throw new Error(`no mailbox ${identity}`);
  if (lists.allowed) m.rec.allowedDeviceIds = [...lists.allowed];
  if (lists.blocked) m.rec.blockedDeviceIds = [...lists.blocked];
  touchMailbox(dir, m);
}

export function setActiveSyncEnabled(dir: Directory, identity: string, enabled: boolean): void {
  const m = dir.resolve(identity);
  if (!m) throw new Error(`no mailbox ${identity}`);
  m.rec.activeSyncEnabled = enabled;
  touchMailbox(dir, m);
}

/** An admin changes org settings by hand (drift). Same validation as the cmdlet. */
export function setOrgSettings(dir: Directory, s: Partial<OrgSettings>): void {
  const r = applyOrgSettings(dir, s);
  if (isLeft(r)) throw new Error(r.left.message);
}

/** An admin replaces the device access rules by hand; names default to Exchange's. */
export function setRules(dir: Directory, rules: readonly RuleSpec[]): void {
  dir.rules = rules.map((r) => ({
    name: r.name ?? ruleName(r.characteristic, r.queryString),
    characteristic: r.characteristic,
    queryString: r.queryString,
    accessLevel: r.accessLevel,
  }));
  refreshSticky(dir);
}
