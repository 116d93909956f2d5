// The organization's data: mailboxes, partnerships, org settings, rules and
// sticky blocks, indexed the way Exchange's -Identity finds them.
import type { CasMailbox, DeviceAccessRule, MobileDevice, OrgSettings } from '../../../src/facts.js';
import type { ExchangeError } from '../../../src/ports.js';
import type { DeviceRecord, MailboxRecord, Mutable } from '../generate.js';

export interface MailboxEntry {
  rec: MailboxRecord;
  devices: Set<string>;
}
export interface DeviceEntry {
  rec: DeviceRecord;
  mailbox: MailboxEntry;
  firstSyncMs: number;
  /** LastSuccessSync (Get-MobileDeviceStatistics); undefined: never synced successfully. */
  lastSuccessMs?: number;
  /** The phone no longer contacts Exchange (a pending wipe is never picked up). */
  offline?: boolean;
  /** The latest remote wipe Exchange holds for the partnership. */
  wipe?: { requestMs: number; accountOnly: boolean; sentMs?: number; ackMs?: number };
}

export const lc = (s: string) => s.toLowerCase();
export const idKey = (identity: string) => lc(identity.replace(/\\/g, '/'));

export const copyMailbox = (m: MailboxRecord): CasMailbox => ({
  identity: m.identity,
  distinguishedName: m.distinguishedName,
  guid: m.guid,
  displayName: m.displayName,
  primarySmtpAddress: m.primarySmtpAddress,
  emailAddresses: [...m.emailAddresses],
  userPrincipalName: m.userPrincipalName,
  activeSyncEnabled: m.activeSyncEnabled,
  allowedDeviceIds: [...m.allowedDeviceIds],
  blockedDeviceIds: [...m.blockedDeviceIds],
});
export const copyDevice = (d: DeviceRecord): MobileDevice => ({ ...d });
export const copyRule = (r: DeviceAccessRule): DeviceAccessRule => ({ ...r });
export const copyOrg = (o: OrgSettings): OrgSettings => ({ ...o, adminMailRecipients: [...o.adminMailRecipients] });

export class Directory {
  readonly byIdentity = new Map<string, MailboxEntry>();
  /** DN, GUID, SMTP, UPN -> mailbox; built on the first lookup that needs it (rare). */
  private aliases: Map<string, MailboxEntry> | undefined;
  readonly mailboxList: MailboxEntry[] = [];
  /** deviceId (lower-cased) -> partnership. */
  readonly devices = new Map<string, DeviceEntry>();
  /** A partnership's Identity (either slash, lower-cased) -> partnership (Get-MobileDeviceStatistics, Clear-, Remove-MobileDevice). */
  readonly devicesByIdentity = new Map<string, DeviceEntry>();
  readonly org: Mutable<OrgSettings>;
  rules: DeviceAccessRule[];
  /** deviceId (lower-cased) -> the Block rule that keeps it blocked. */
  readonly sticky = new Map<string, string>();
  /** Clear-MobileDevice -AccountOnly exists (Exchange 2016 and later). */
  supportsAccountOnly = true;

  constructor(
    readonly domain: string,
    orgSettings: Mutable<OrgSettings>,
    rules: readonly DeviceAccessRule[],
  ) {
    this.org = { ...orgSettings, adminMailRecipients: [...orgSettings.adminMailRecipients] };
    this.rules = rules.map(copyRule);
  }

  hasIdentity(identity: string): boolean {
    return this.byIdentity.has(idKey(identity));
  }

  indexMailbox(rec: MailboxRecord): MailboxEntry {
    const m: MailboxEntry = { rec, devices: new Set() };
    this.mailboxList.push(m);
    this.byIdentity.set(idKey(rec.identity), m);
    if (this.aliases) this.addAliases(m);
    return m;
  }

  indexDevice(rec: DeviceRecord, m: MailboxEntry): DeviceEntry {
    const key = lc(rec.deviceId);
    if (this.devices.has(key)) throw new Error(`duplicate DeviceId ${rec.deviceId}`);
    const d: DeviceEntry = { rec, mailbox: m, firstSyncMs: Date.parse(rec.firstSyncTime) };
    this.devices.set(key, d);
    this.devicesByIdentity.set(idKey(rec.identity), d);
    m.devices.add(key);
    return d;
  }

  /** Like Exchange's -Identity: Identity (either slash), DN, GUID, primary SMTP address or UPN. */
  resolve(identity: string): MailboxEntry | undefined {
    const key = idKey(identity);
    const hit = this.byIdentity.get(key);
    if (hit) return hit;
    if (!this.aliases) {
      this.aliases = new Map();
      for (const m of this.mailboxList) this.addAliases(m);
    }
    return this.aliases.get(lc(identity));
  }

  findRule(name: string): number {
    const n = lc(name);
    return this.rules.findIndex((r) => r.name !== undefined && lc(r.name) === n);
  }

  notFound(identity: string): ExchangeError {
    return {
      kind: 'notFound',
      message: `The operation couldn't be performed because object '${identity}' couldn't be found on 'dc01.${this.domain}'.`,
    };
  }

  private addAliases(m: MailboxEntry): void {
    const { rec } = m;
    for (const k of [lc(rec.distinguishedName), lc(rec.guid), lc(rec.primarySmtpAddress), lc(rec.userPrincipalName)]) {
      if (!this.aliases!.has(k)) this.aliases!.set(k, m);
    }
  }
}
