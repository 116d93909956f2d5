// An in-process on-premises Exchange organization behind the ExchangeGateway port.
// Its allow/block/quarantine answer is exactly src/exchange-evaluation.ts, plus
// the one piece of state that function cannot know: sticky Block-rule blocks.
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type {
  CasMailbox, Characteristic, DeviceAccessRule, ExchangeAccessLevel, ExchangeServer, MobileDevice, OrgSettings,
  AccessLevel,
} from '../../src/facts.js';
import type { CasMailboxQuery, ExchangeError, ExchangeGateway, ExchangeSession, MobileDeviceQuery } from '../../src/ports.js';
import {
  cmdletOf, ruleName, type ExchangeCommand, type ListChange, type NewDeviceAccessRule, type RemoveDeviceAccessRule,
  type SetCasMailbox, type SetDeviceAccessRule, type SetOrgSettings,
} from '../../src/commands.js';
import { characteristicValue, evaluateExchange, type ExchangeReason } from '../../src/exchange-evaluation.js';
import type { DeviceRecord, MailboxRecord, Mutable } from './generate.js';
import { IPHONE, type Platform } from './catalog.js';
import { deviceDn, deviceIdentity, mailboxDn, mailboxIdentity, addressPart } from './identities.js';
import type { Random } from './random.js';

export const CMDLETS = [
  'Get-MobileDevice', 'Get-CasMailbox', 'Get-ActiveSyncOrganizationSettings', 'Get-ActiveSyncDeviceAccessRule',
  'Get-ExchangeServer', 'Set-CasMailbox', 'Set-ActiveSyncOrganizationSettings', 'New-ActiveSyncDeviceAccessRule',
  'Set-ActiveSyncDeviceAccessRule', 'Remove-ActiveSyncDeviceAccessRule',
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
}

interface MailboxEntry { rec: MailboxRecord; devices: Set<string> }
interface DeviceEntry { rec: DeviceRecord; mailbox: MailboxEntry; firstSyncMs: number }
interface Failure { remaining: number; error: ExchangeError; cmdlet?: Cmdlet; applied: boolean }

const LEVELS: ReadonlySet<string> = new Set(['Allow', 'Block', 'Quarantine']);
const CHARACTERISTICS: ReadonlySet<string> = new Set(['DeviceType', 'DeviceModel', 'DeviceOS', 'UserAgent', 'XMSWLHeader']);
const MAX_USER_MAIL_INSERT = 256;
const lc = (s: string) => s.toLowerCase();
const idKey = (identity: string) => lc(identity.replace(/\\/g, '/'));

const copyMailbox = (m: MailboxRecord): CasMailbox => ({
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
const copyDevice = (d: DeviceRecord): MobileDevice => ({ ...d });
const copyRule = (r: DeviceAccessRule): DeviceAccessRule => ({ ...r });
const copyOrg = (o: OrgSettings): OrgSettings => ({ ...o, adminMailRecipients: [...o.adminMailRecipients] });
const copyList = (l: ListChange): ListChange => ({ add: [...l.add], remove: [...l.remove] });

/** Commands are kept as data, detached from the caller's objects. */
export function copyCommand(c: ExchangeCommand): ExchangeCommand {
  switch (c.kind) {
    case 'setCasMailbox':
      return { ...c, allowedDeviceIds: copyList(c.allowedDeviceIds), blockedDeviceIds: copyList(c.blockedDeviceIds) };
    case 'setOrgSettings':
      return c.adminMailRecipients ? { ...c, adminMailRecipients: [...c.adminMailRecipients] } : { ...c };
    default:
      return { ...c };
  }
}

/** Exchange's @{Add=…;Remove=…}: Remove, then Add; case-insensitive; no duplicates. */
function applyListChange(list: readonly string[], change: ListChange): string[] {
  const removed = new Set(change.remove.map(lc));
  const out = list.filter((x) => !removed.has(lc(x)));
  const present = new Set(out.map(lc));
  for (const id of change.add) {
    if (!present.has(lc(id))) { out.push(id); present.add(lc(id)); }
  }
  return out;
}

export class SimulatedExchange implements ExchangeGateway {
  readonly counters: ExchangeCounters;
  /** Every command Exchange applied, in order, as data. */
  readonly commandLog: ExchangeCommand[] = [];
  readonly domain: string;

  private readonly byIdentity = new Map<string, MailboxEntry>();
  /** DN, GUID, SMTP, UPN -> mailbox; built on the first lookup that needs it (rare). */
  private aliases: Map<string, MailboxEntry> | undefined;
  private readonly mailboxList: MailboxEntry[] = [];
  private readonly devices = new Map<string, DeviceEntry>();
  private org: Mutable<OrgSettings>;
  private rules: DeviceAccessRule[];
  private readonly sticky = new Map<string, string>();
  private readonly failures: Failure[] = [];
  private readonly latency: (c: Cmdlet) => number;
  private readonly runspaces: number;
  private readonly clock: () => number;
  private readonly random: Random;
  private inFlightCalls = 0;
  private openSessions = 0;
  private readonly servers = new Map<string, { name: string; up: boolean }>();
  private current: string;
  private readonly quota?: { readonly requests: number; readonly perMs: number };
  private readonly quotaWindow: number[] = [];
  private readonly commandsPerShell: number;

  constructor(init: SimulatedExchangeInit) {
    this.domain = init.domain;
    this.runspaces = init.runspaces ?? 18;
    if (!Number.isInteger(this.runspaces) || this.runspaces < 1) throw new Error(`runspaces must be a positive integer, got ${init.runspaces}`);
    const l = init.latencyMs ?? 0;
    this.latency = typeof l === 'number' ? () => l : (c) => l[c] ?? 0;
    this.clock = init.clock;
    this.random = init.random;
    this.quota = init.quota;
    this.commandsPerShell = init.commandsPerShell ?? 1000;
    for (const n of ['cas01', 'cas02']) this.servers.set(`${n}.${init.domain}`, { name: n.toUpperCase(), up: true });
    this.current = `cas01.${init.domain}`;
    this.org = { ...init.orgSettings, adminMailRecipients: [...init.orgSettings.adminMailRecipients] };
    this.rules = init.rules.map(copyRule);
    this.counters = {
      commands: 0, reads: 0, maxConcurrent: 0, throttled: 0, failed: 0,
      sessionsOpened: 0, sessionsBroken: 0, maxOpenSessions: 0, quotaRefusals: 0,
      byCmdlet: Object.fromEntries(CMDLETS.map((c) => [c, 0])),
    };
    const entries = init.mailboxes.map((rec) => this.indexMailbox(rec));
    for (const { device, mailbox } of init.devices) {
      const m = entries[mailbox];
      if (!m) throw new Error(`device ${device.deviceId} refers to a missing mailbox`);
      this.indexDevice(device, m);
    }
    this.refreshSticky();
  }

  // ------------------------------------------------------------ gateway: reads
  getMobileDevices(query?: MobileDeviceQuery): Promise<Either<ExchangeError, MobileDevice[]>> {
    return this.call('Get-MobileDevice', false, () => {
      let after = -Infinity;
      if (query?.firstSyncAfter !== undefined) {
        after = Date.parse(query.firstSyncAfter);
        if (Number.isNaN(after)) return left({ kind: 'other', message: `Cannot bind parameter 'Filter': invalid date '${query.firstSyncAfter}'.` });
      }
      const out: MobileDevice[] = [];
      for (const d of this.devices.values()) if (d.firstSyncMs > after) out.push(copyDevice(d.rec));
      return right(out);
    });
  }

  getCasMailboxes(query?: CasMailboxQuery): Promise<Either<ExchangeError, CasMailbox[]>> {
    return this.call('Get-CasMailbox', false, () => {
      if (query?.identities) {
        const seen = new Set<MailboxEntry>();
        const out: CasMailbox[] = [];
        for (const id of query.identities) {
          const m = this.resolve(id);
          if (m && !seen.has(m)) { seen.add(m); out.push(copyMailbox(m.rec)); }
        }
        return right(out);
      }
      const out: CasMailbox[] = [];
      for (const m of this.mailboxList) if (m.devices.size > 0) out.push(copyMailbox(m.rec));
      return right(out);
    });
  }

  getOrgSettings(): Promise<Either<ExchangeError, OrgSettings>> {
    return this.call('Get-ActiveSyncOrganizationSettings', false, () => right(copyOrg(this.org)));
  }

  getDeviceAccessRules(): Promise<Either<ExchangeError, DeviceAccessRule[]>> {
    return this.call('Get-ActiveSyncDeviceAccessRule', false, () => right(this.rules.map(copyRule)));
  }

  getExchangeServers(): Promise<Either<ExchangeError, ExchangeServer[]>> {
    return this.call('Get-ExchangeServer', false, () => right([
      ...[...this.servers].map(([fqdn, sv]) => ({ name: sv.name, fqdn, isClientAccessServer: true, version: 'Version 15.2 (Build 1544.4)' })),
      { name: 'EDGE01', fqdn: `edge01.${this.domain}`, isClientAccessServer: false, version: 'Version 15.2 (Build 1544.4)' },
    ]));
  }

  currentServer(): string { return this.current; }

  /** Points new calls and sessions at another CAS; refused while that server is down. */
  switchServer(fqdn: string): Promise<Either<ExchangeError, void>> {
    const sv = this.servers.get(fqdn.toLowerCase());
    if (!sv) return Promise.resolve(left({ kind: 'connectionLost', message: `Connecting to remote server ${fqdn} failed: the server name cannot be resolved.` }));
    if (!sv.up) return Promise.resolve(left(this.downError(fqdn)));
    this.current = fqdn.toLowerCase();
    return Promise.resolve(right(undefined));
  }

  /** Test control: a CAS stops answering (every call and session on it fails) or answers again. */
  setServerUp(fqdn: string, up: boolean): void {
    const sv = this.servers.get(fqdn.toLowerCase());
    if (!sv) throw new Error(`no server ${fqdn}`);
    sv.up = up;
  }

  /** Opens a remote session on the current server; each counts against the concurrent-shell limit. */
  openSession(): Promise<Either<ExchangeError, ExchangeSession>> {
    const server = this.current;
    if (!this.servers.get(server)!.up) return Promise.resolve(left(this.downError(server)));
    if (this.openSessions + this.inFlightCalls >= this.runspaces) {
      this.counters.throttled++;
      return Promise.resolve(left(this.shellLimitError()));
    }
    this.openSessions++;
    this.counters.sessionsOpened++;
    if (this.openSessions > this.counters.maxOpenSessions) this.counters.maxOpenSessions = this.openSessions;
    let closed = false;
    let commands = 0;
    const session: ExchangeSession = {
      server,
      execute: (command) => {
        if (closed) return Promise.resolve(left({ kind: 'sessionBroken', message: 'The session has been closed.' }));
        if (!this.servers.get(server)!.up) return Promise.resolve(left(this.downError(server)));
        if (++commands > this.commandsPerShell) {
          this.counters.sessionsBroken++;
          return Promise.resolve(left({ kind: 'sessionBroken', message: `The state of the current PowerShell instance is not valid for this operation: the session is Broken after ${this.commandsPerShell} commands.` }));
        }
        return this.runCommand(command, true);
      },
      close: () => {
        if (!closed) { closed = true; this.openSessions--; }
        return Promise.resolve();
      },
    };
    return Promise.resolve(right(session));
  }

  get sessionsOpen(): number { return this.openSessions; }

  private downError(fqdn: string): ExchangeError {
    return { kind: 'connectionLost', message: `Connecting to remote server ${fqdn} failed with the following error message: WinRM cannot complete the operation. Verify that the specified computer name is valid.`, server: fqdn };
  }

  private shellLimitError(): ExchangeError {
    return {
      kind: 'throttled',
      waitMs: 1000,
      message: `The WS-Management service cannot process the request. This user is allowed a maximum number of ${this.runspaces} concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user.`,
    };
  }

  async close(): Promise<void> { /* nothing to release */ }

  // ------------------------------------------------------------ gateway: commands
  execute(command: ExchangeCommand): Promise<Either<ExchangeError, void>> {
    return this.runCommand(command, false);
  }

  private runCommand(command: ExchangeCommand, inSession: boolean): Promise<Either<ExchangeError, void>> {
    return this.call(cmdletOf(command) as Cmdlet, true, () => {
      const r = this.apply(command);
      if (!isLeft(r)) this.commandLog.push(copyCommand(command));
      return r;
    }, inSession);
  }

  private apply(c: ExchangeCommand): Either<ExchangeError, void> {
    switch (c.kind) {
      case 'setCasMailbox': return this.setCasMailbox(c);
      case 'setOrgSettings': return this.applyOrgSettings(c);
      case 'newDeviceAccessRule': return this.newRule(c);
      case 'setDeviceAccessRule': return this.setRule(c);
      case 'removeDeviceAccessRule': return this.removeRule(c);
      default: {
        const k = (c as { kind?: unknown }).kind;
        return left({ kind: 'other', message: `The term '${String(k)}' is not recognized as the name of a cmdlet.` });
      }
    }
  }

  private setCasMailbox(c: SetCasMailbox): Either<ExchangeError, void> {
    const m = this.resolve(c.mailbox);
    if (!m) return left(this.notFound(c.mailbox));
    for (const l of [c.allowedDeviceIds, c.blockedDeviceIds]) {
      for (const id of [...l.add, ...l.remove]) {
        if (typeof id !== 'string' || id.trim() === '') {
          return left({ kind: 'other', message: `Cannot validate argument on parameter 'ActiveSyncAllowedDeviceIDs'. The argument is null or empty.` });
        }
      }
    }
    m.rec.allowedDeviceIds = applyListChange(m.rec.allowedDeviceIds, c.allowedDeviceIds);
    m.rec.blockedDeviceIds = applyListChange(m.rec.blockedDeviceIds, c.blockedDeviceIds);
    this.touchMailbox(m);
    return right(undefined);
  }

  private applyOrgSettings(c: Omit<SetOrgSettings, 'kind'>): Either<ExchangeError, void> {
    if (c.defaultAccessLevel !== undefined && !LEVELS.has(c.defaultAccessLevel)) {
      return left({ kind: 'other', message: `Cannot bind parameter 'DefaultAccessLevel'. Invalid value '${c.defaultAccessLevel}'.` });
    }
    if (c.userMailInsert !== undefined && c.userMailInsert.length > MAX_USER_MAIL_INSERT) {
      return left({
        kind: 'other',
        message: `The length of the property is too long. The maximum length is ${MAX_USER_MAIL_INSERT} and the length of the value provided is ${c.userMailInsert.length}.`,
      });
    }
    if (c.defaultAccessLevel !== undefined) this.org.defaultAccessLevel = c.defaultAccessLevel;
    if (c.userMailInsert !== undefined) this.org.userMailInsert = c.userMailInsert;
    if (c.adminMailRecipients !== undefined) this.org.adminMailRecipients = [...c.adminMailRecipients];
    return right(undefined);
  }

  private newRule(c: NewDeviceAccessRule): Either<ExchangeError, void> {
    if (!CHARACTERISTICS.has(c.characteristic)) return left({ kind: 'other', message: `Cannot bind parameter 'Characteristic'. Invalid value '${c.characteristic}'.` });
    if (!LEVELS.has(c.accessLevel)) return left({ kind: 'other', message: `Cannot bind parameter 'AccessLevel'. Invalid value '${c.accessLevel}'.` });
    if (c.queryString.trim() === '') return left({ kind: 'other', message: `Cannot validate argument on parameter 'QueryString'. The argument is null or empty.` });
    const name = ruleName(c.characteristic, c.queryString);
    if (this.findRule(name) >= 0) return left({ kind: 'other', message: `The ActiveSyncDeviceAccessRule "${name}" already exists.` });
    this.rules.push({ name, characteristic: c.characteristic, queryString: c.queryString, accessLevel: c.accessLevel });
    this.refreshSticky();
    return right(undefined);
  }

  private setRule(c: SetDeviceAccessRule): Either<ExchangeError, void> {
    if (!LEVELS.has(c.accessLevel)) return left({ kind: 'other', message: `Cannot bind parameter 'AccessLevel'. Invalid value '${c.accessLevel}'.` });
    const i = this.findRule(c.name);
    if (i < 0) return left(this.notFound(c.name));
    this.rules[i] = { ...this.rules[i]!, accessLevel: c.accessLevel };
    this.refreshSticky();
    return right(undefined);
  }

  private removeRule(c: RemoveDeviceAccessRule): Either<ExchangeError, void> {
    const i = this.findRule(c.name);
    if (i < 0) return left(this.notFound(c.name));
    this.rules.splice(i, 1);
    this.refreshSticky();
    return right(undefined);
  }

  // ------------------------------------------------------------ Exchange's evaluation
  /** Exchange's own evaluation of every partnership: deviceId (lower-cased) -> access, reason, mailbox identity. */
  evaluateAll(): Map<string, Evaluation> {
    const out = new Map<string, Evaluation>();
    for (const [key, d] of this.devices) {
      const e = evaluateExchange(d.rec, d.mailbox.rec, this.org, this.rules, this.sticky.get(key));
      out.set(key, { access: e.access, reason: e.reason, mailbox: d.mailbox.rec.identity });
    }
    return out;
  }

  /** Exchange's evaluation of one partnership, or undefined when it does not exist. */
  evaluate(deviceId: string): (Evaluation & { readonly rule?: string }) | undefined {
    const d = this.devices.get(lc(deviceId));
    if (!d) return undefined;
    const e = evaluateExchange(d.rec, d.mailbox.rec, this.org, this.rules, this.sticky.get(lc(deviceId)));
    return { ...e, mailbox: d.mailbox.rec.identity };
  }

  // ------------------------------------------------------------ test controls
  state(): ExchangeState {
    return {
      mailboxes: this.mailboxList.map((m) => copyMailbox(m.rec)),
      devices: [...this.devices.values()].map((d) => copyDevice(d.rec)),
      orgSettings: copyOrg(this.org),
      rules: this.rules.map(copyRule),
      stickyBlocks: new Map(this.sticky),
    };
  }

  /** One mailbox by Identity, DN, GUID, primary SMTP address or UPN (a copy). */
  mailbox(identity: string): CasMailbox | undefined {
    const m = this.resolve(identity);
    return m ? copyMailbox(m.rec) : undefined;
  }

  device(deviceId: string): MobileDevice | undefined {
    const d = this.devices.get(lc(deviceId));
    return d ? copyDevice(d.rec) : undefined;
  }

  /** Calls in flight right now. */
  get inFlight(): number { return this.inFlightCalls; }

  addMailbox(m: NewMailbox): CasMailbox {
    const identity = mailboxIdentity(this.domain, m.displayName);
    if (this.byIdentity.has(idKey(identity))) throw new Error(`mailbox ${identity} already exists`);
    const primary = m.primarySmtpAddress ?? `${m.displayName.split(/\s+/).map(addressPart).filter(Boolean).join('.')}@${this.domain}`;
    const rec: MailboxRecord = {
      identity,
      distinguishedName: mailboxDn(this.domain, m.displayName),
      guid: this.random.uuid(),
      displayName: m.displayName,
      primarySmtpAddress: primary,
      emailAddresses: [`SMTP:${primary}`, `SIP:${primary}`],
      userPrincipalName: m.userPrincipalName ?? primary,
      activeSyncEnabled: m.activeSyncEnabled ?? true,
      allowedDeviceIds: [],
      blockedDeviceIds: [],
    };
    this.indexMailbox(rec);
    return copyMailbox(rec);
  }

  /** A new partnership (a phone that synced for the first time); FirstSyncTime defaults to the clock. */
  addPartnership(p: NewPartnership): MobileDevice {
    const m = this.resolve(p.mailbox);
    if (!m) throw new Error(`no mailbox ${p.mailbox}`);
    const deviceId = p.deviceId ?? this.freshDeviceId(IPHONE);
    if (this.devices.has(lc(deviceId))) throw new Error(`a partnership with DeviceId ${deviceId} already exists`);
    const deviceType = p.deviceType ?? IPHONE.deviceType;
    const deviceModel = p.deviceModel ?? IPHONE.models[0]!;
    const deviceOS = p.deviceOS ?? IPHONE.os[IPHONE.os.length - 1]!;
    const rec: DeviceRecord = {
      identity: deviceIdentity(m.rec.identity, deviceType, deviceId),
      distinguishedName: deviceDn(m.rec.distinguishedName, deviceType, deviceId),
      guid: this.random.uuid(),
      deviceId,
      deviceType,
      deviceModel,
      deviceOS,
      deviceUserAgent: p.deviceUserAgent ?? IPHONE.userAgent(deviceModel, deviceOS),
      friendlyName: p.friendlyName ?? `${m.rec.displayName.split(' ')[0]}'s ${deviceType}`,
      firstSyncTime: p.firstSyncTime ?? new Date(this.clock()).toISOString(),
      userDisplayName: m.rec.displayName,
    };
    const d = this.indexDevice(rec, m);
    this.touch(lc(deviceId), d);
    return copyDevice(rec);
  }

  /** Remove-MobileDevice: the partnership goes (and its sticky block); list entries stay, as in Exchange. */
  removePartnership(deviceId: string): boolean {
    const key = lc(deviceId);
    const d = this.devices.get(key);
    if (!d) return false;
    this.devices.delete(key);
    d.mailbox.devices.delete(key);
    this.sticky.delete(key);
    return true;
  }

  /** The device reports new characteristics (an OS update…). A Block-rule block stays. */
  updatePartnership(deviceId: string, changes: DeviceChanges): MobileDevice {
    const key = lc(deviceId);
    const d = this.devices.get(key);
    if (!d) throw new Error(`no partnership ${deviceId}`);
    this.touch(key, d);
    if (changes.deviceModel !== undefined) d.rec.deviceModel = changes.deviceModel;
    if (changes.deviceOS !== undefined) d.rec.deviceOS = changes.deviceOS;
    if (changes.deviceUserAgent !== undefined) d.rec.deviceUserAgent = changes.deviceUserAgent;
    if (changes.friendlyName !== undefined) d.rec.friendlyName = changes.friendlyName;
    this.touch(key, d);
    return copyDevice(d.rec);
  }

  /** An admin edits a mailbox's lists by hand (drift): the given lists replace the current ones. */
  setMailboxLists(identity: string, lists: { readonly allowed?: readonly string[]; readonly blocked?: readonly string[] }): void {
    const m = this.resolve(identity);
    if (!m) throw new Error(`no mailbox ${identity}`);
    if (lists.allowed) m.rec.allowedDeviceIds = [...lists.allowed];
    if (lists.blocked) m.rec.blockedDeviceIds = [...lists.blocked];
    this.touchMailbox(m);
  }

  setActiveSyncEnabled(identity: string, enabled: boolean): void {
    const m = this.resolve(identity);
    if (!m) throw new Error(`no mailbox ${identity}`);
    m.rec.activeSyncEnabled = enabled;
    this.touchMailbox(m);
  }

  /** An admin changes org settings by hand (drift). Same validation as the cmdlet. */
  setOrgSettings(s: Partial<OrgSettings>): void {
    const r = this.applyOrgSettings(s);
    if (isLeft(r)) throw new Error(r.left.message);
  }

  /** An admin replaces the device access rules by hand; names default to Exchange's. */
  setRules(rules: readonly RuleSpec[]): void {
    this.rules = rules.map((r) => ({
      name: r.name ?? ruleName(r.characteristic, r.queryString),
      characteristic: r.characteristic, queryString: r.queryString, accessLevel: r.accessLevel,
    }));
    this.refreshSticky();
  }

  /** The next `n` calls (of `options.cmdlet`, when given) fail with `error`. */
  failNext(n: number, error: ExchangeError, options: FailureOptions = {}): void {
    if (n > 0) this.failures.push({ remaining: n, error, cmdlet: options.cmdlet, applied: options.applied ?? false });
  }

  // ------------------------------------------------------------ internals
  /** Every call: runspace limit, counters, injected failures, latency. */
  private call<A>(cmdlet: Cmdlet, isCommand: boolean, run: () => Either<ExchangeError, A>, inSession = false): Promise<Either<ExchangeError, A>> {
    const c = this.counters;
    c.byCmdlet[cmdlet] = (c.byCmdlet[cmdlet] ?? 0) + 1;
    // A call outside a session opens a shell of its own for its duration.
    if (!inSession && this.openSessions + this.inFlightCalls >= this.runspaces) {
      c.throttled++;
      return Promise.resolve(left(this.shellLimitError()));
    }
    if (!inSession && !this.servers.get(this.current)!.up) return Promise.resolve(left(this.downError(this.current)));
    if (this.quota) {
      const now = this.clock();
      const w = this.quotaWindow;
      while (w.length > 0 && w[0]! <= now - this.quota.perMs) w.shift();
      if (w.length >= this.quota.requests) {
        c.quotaRefusals++;
        const waitMs = Math.max(1, w[0]! + this.quota.perMs - now);
        return Promise.resolve(left({
          kind: 'throttled', waitMs,
          message: `The user load quota of ${this.quota.requests} requests per ${this.quota.perMs / 1000} seconds has been exceeded. Send future requests at a slower rate or raise the quota for this user. The next request from this user will not be approved for at least ${waitMs} milliseconds.`,
        }));
      }
      w.push(now);
    }
    if (isCommand) c.commands++; else c.reads++;
    const failure = this.takeFailure(cmdlet);
    this.inFlightCalls++;
    if (this.inFlightCalls > c.maxConcurrent) c.maxConcurrent = this.inFlightCalls;
    const finish = (): Either<ExchangeError, A> => {
      try {
        let r: Either<ExchangeError, A>;
        if (failure) {
          if (failure.applied) run();
          r = left(failure.error);
        } else r = run();
        if (isLeft(r)) c.failed++;
        return r;
      } finally {
        this.inFlightCalls--;
      }
    };
    const ms = this.latency(cmdlet);
    if (ms <= 0) {
      // no timer at all: 100k commands must stay cheap
      try { return Promise.resolve(finish()); } catch (e) { return Promise.reject(e); }
    }
    return new Promise((resolve, reject) => {
      setTimeout(() => { try { resolve(finish()); } catch (e) { reject(e); } }, ms);
    });
  }

  private takeFailure(cmdlet: Cmdlet): Failure | undefined {
    for (let i = 0; i < this.failures.length; i++) {
      const f = this.failures[i]!;
      if (f.cmdlet !== undefined && f.cmdlet !== cmdlet) continue;
      if (--f.remaining <= 0) this.failures.splice(i, 1);
      return f;
    }
    return undefined;
  }

  private notFound(identity: string): ExchangeError {
    return { kind: 'notFound', message: `The operation couldn't be performed because object '${identity}' couldn't be found on 'dc01.${this.domain}'.` };
  }

  private indexMailbox(rec: MailboxRecord): MailboxEntry {
    const m: MailboxEntry = { rec, devices: new Set() };
    this.mailboxList.push(m);
    this.byIdentity.set(idKey(rec.identity), m);
    if (this.aliases) this.addAliases(m);
    return m;
  }

  private addAliases(m: MailboxEntry): void {
    const { rec } = m;
    for (const k of [lc(rec.distinguishedName), lc(rec.guid), lc(rec.primarySmtpAddress), lc(rec.userPrincipalName)]) {
      if (!this.aliases!.has(k)) this.aliases!.set(k, m);
    }
  }

  private indexDevice(rec: DeviceRecord, m: MailboxEntry): DeviceEntry {
    const key = lc(rec.deviceId);
    if (this.devices.has(key)) throw new Error(`duplicate DeviceId ${rec.deviceId}`);
    const d: DeviceEntry = { rec, mailbox: m, firstSyncMs: Date.parse(rec.firstSyncTime) };
    this.devices.set(key, d);
    m.devices.add(key);
    return d;
  }

  /** Like Exchange's -Identity: Identity (either slash), DN, GUID, primary SMTP address or UPN. */
  private freshDeviceId(p: Platform): string {
    let id = p.newId(this.random);
    while (this.devices.has(lc(id))) id = p.newId(this.random);
    return id;
  }

  private resolve(identity: string): MailboxEntry | undefined {
    const key = idKey(identity);
    const hit = this.byIdentity.get(key);
    if (hit) return hit;
    if (!this.aliases) {
      this.aliases = new Map();
      for (const m of this.mailboxList) this.addAliases(m);
    }
    return this.aliases.get(lc(identity));
  }

  private findRule(name: string): number {
    const n = lc(name);
    return this.rules.findIndex((r) => r.name !== undefined && lc(r.name) === n);
  }

  /** Records a Block-rule block: it then outlives a change of the device's characteristics. */
  private touch(key: string, d: DeviceEntry): void {
    const e = evaluateExchange(d.rec, d.mailbox.rec, this.org, this.rules, this.sticky.get(key));
    if (e.access === 'block' && e.reason === 'deviceRule' && e.rule !== undefined) this.sticky.set(key, e.rule);
  }

  private touchMailbox(m: MailboxEntry): void {
    for (const key of m.devices) this.touch(key, this.devices.get(key)!);
  }

  /** Rules changed: a block by a rule that is gone or no longer Block is lifted; other blocks stay; new Block-rule matches are recorded. */
  private refreshSticky(): void {
    const blockRules = new Set<string>();
    for (const r of this.rules) if (r.accessLevel === 'Block' && r.name !== undefined) blockRules.add(lc(r.name));
    for (const [key, rule] of this.sticky) if (!blockRules.has(lc(rule))) this.sticky.delete(key);
    if (blockRules.size === 0) return;
    // cheap pre-filter (length, then case-insensitive text) before the real evaluation
    const tests = this.rules.filter((r) => r.accessLevel === 'Block').map((r) => ({ c: r.characteristic, q: lc(r.queryString) }));
    for (const [key, d] of this.devices) {
      for (const t of tests) {
        const v = characteristicValue(d.rec, t.c);
        if (v !== undefined && v.length === t.q.length && lc(v) === t.q) { this.touch(key, d); break; }
      }
    }
  }
}
