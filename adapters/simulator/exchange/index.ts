// An in-process on-premises Exchange organization behind the ExchangeGateway port:
// the organization's data (directory.ts), what each cmdlet does to it
// (cmdlets.ts), where calls run and their limits (sessions.ts), injected faults
// (faults.ts), Exchange's own evaluation (evaluation.ts) and the admin's and
// phones' changes outside the gateway (admin.ts).
import { isLeft, right, type Either } from 'fp-ts/lib/Either.js';
import type {
  CasMailbox,
  DeviceAccessRule,
  ExchangeServer,
  MobileDevice,
  MobileDeviceStatistics,
  OrgSettings,
} from '../../../src/facts.js';
import type {
  CasMailboxQuery,
  ExchangeError,
  ExchangeGateway,
  ExchangeSession,
  MobileDeviceQuery,
  MobileDeviceStatisticsQuery,
} from '../../../src/ports.js';
import { cmdletOf, type ExchangeCommand } from '../../../src/commands.js';
import type { Random } from '../random.js';
import * as admin from './admin.js';
import * as cmdlets from './cmdlets.js';
import * as statistics from './statistics.js';
import { copyCommand } from './cmdlets.js';
import { copyDevice, copyMailbox, copyOrg, copyRule, Directory, lc } from './directory.js';
import { evaluate, evaluateAll, refreshSticky } from './evaluation.js';
import { Faults } from './faults.js';
import { Shells } from './sessions.js';
import type {
  Cmdlet,
  DeviceChanges,
  Evaluation,
  ExchangeCounters,
  ExchangeState,
  FailureOptions,
  NewMailbox,
  NewPartnership,
  RuleSpec,
  SimulatedExchangeInit,
} from './types.js';

export { CMDLETS } from './types.js';
export type {
  Cmdlet,
  DeviceChanges,
  Evaluation,
  ExchangeCounters,
  ExchangeState,
  FailureOptions,
  NewMailbox,
  NewPartnership,
  RuleSpec,
  SimulatedExchangeInit,
} from './types.js';
export { copyCommand } from './cmdlets.js';

export class SimulatedExchange implements ExchangeGateway {
  readonly counters: ExchangeCounters;
  /** Every command Exchange applied, in order, as data. */
  readonly commandLog: ExchangeCommand[] = [];
  readonly domain: string;

  private readonly dir: Directory;
  private readonly faults = new Faults();
  private readonly shells: Shells;
  private readonly clock: () => number;
  private readonly random: Random;
  private readonly wipeAckDelayMs: number;

  constructor(init: SimulatedExchangeInit) {
    this.domain = init.domain;
    this.shells = new Shells(init, this.faults);
    this.counters = this.shells.counters;
    this.clock = init.clock;
    this.random = init.random;
    this.dir = new Directory(init.domain, init.orgSettings, init.rules);
    const entries = init.mailboxes.map((rec) => this.dir.indexMailbox(rec));
    for (const { device, mailbox } of init.devices) {
      const m = entries[mailbox];
      if (!m) throw new Error(`device ${device.deviceId} refers to a missing mailbox`);
      this.dir.indexDevice(device, m);
    }
    refreshSticky(this.dir);
    this.wipeAckDelayMs = init.wipeAckDelayMs ?? 15 * 60_000;
    this.dir.supportsAccountOnly = init.accountOnlyWipe ?? true;
    seedActivity(this.dir, init.clock(), init.idleShare ?? 0.03);
  }

  // ------------------------------------------------------------ gateway: reads
  getMobileDevices(query?: MobileDeviceQuery): Promise<Either<ExchangeError, MobileDevice[]>> {
    return this.shells.call('Get-MobileDevice', false, () => cmdlets.getMobileDevices(this.dir, query));
  }

  getCasMailboxes(query?: CasMailboxQuery): Promise<Either<ExchangeError, CasMailbox[]>> {
    return this.shells.call('Get-CasMailbox', false, () => cmdlets.getCasMailboxes(this.dir, query));
  }

  getOrgSettings(): Promise<Either<ExchangeError, OrgSettings>> {
    return this.shells.call('Get-ActiveSyncOrganizationSettings', false, () => cmdlets.getOrgSettings(this.dir));
  }

  getDeviceAccessRules(): Promise<Either<ExchangeError, DeviceAccessRule[]>> {
    return this.shells.call('Get-ActiveSyncDeviceAccessRule', false, () => cmdlets.getDeviceAccessRules(this.dir));
  }

  getExchangeServers(): Promise<Either<ExchangeError, ExchangeServer[]>> {
    return this.shells.call('Get-ExchangeServer', false, () => right(this.shells.exchangeServers()));
  }

  getMobileDeviceStatistics(query: MobileDeviceStatisticsQuery): Promise<Either<ExchangeError, MobileDeviceStatistics[]>> {
    return this.shells.call('Get-MobileDeviceStatistics', false, () =>
      statistics.getMobileDeviceStatistics(this.dir, query, this.clock(), this.wipeAckDelayMs),
    );
  }

  // ------------------------------------------------------------ gateway: servers and sessions
  currentServer(): string {
    return this.shells.currentServer();
  }

  /** Points new calls and sessions at another CAS; refused while that server is down. */
  switchServer(fqdn: string): Promise<Either<ExchangeError, void>> {
    return this.shells.switchServer(fqdn);
  }

  /** Test control: a CAS stops answering (every call and session on it fails) or answers again. */
  setServerUp(fqdn: string, up: boolean): void {
    this.shells.setServerUp(fqdn, up);
  }

  /** Opens a remote session on the current server; each counts against the concurrent-shell limit. */
  openSession(): Promise<Either<ExchangeError, ExchangeSession>> {
    return this.shells.openSession((command) => this.runCommand(command, true));
  }

  get sessionsOpen(): number {
    return this.shells.sessionsOpen;
  }

  async close(): Promise<void> {
    /* nothing to release */
  }

  // ------------------------------------------------------------ gateway: commands
  execute(command: ExchangeCommand): Promise<Either<ExchangeError, void>> {
    return this.runCommand(command, false);
  }

  private runCommand(command: ExchangeCommand, inSession: boolean): Promise<Either<ExchangeError, void>> {
    return this.shells.call(
      cmdletOf(command) as Cmdlet,
      true,
      () => {
        const r = cmdlets.apply(this.dir, command, this.clock());
        if (!isLeft(r)) this.commandLog.push(copyCommand(command));
        return r;
      },
      inSession,
    );
  }

  // ------------------------------------------------------------ Exchange's evaluation
  /** Exchange's own evaluation of every partnership: deviceId (lower-cased) -> access, reason, mailbox identity. */
  evaluateAll(): Map<string, Evaluation> {
    return evaluateAll(this.dir);
  }

  /** Exchange's evaluation of one partnership, or undefined when it does not exist. */
  evaluate(deviceId: string): (Evaluation & { readonly rule?: string }) | undefined {
    return evaluate(this.dir, deviceId);
  }

  // ------------------------------------------------------------ test controls
  state(): ExchangeState {
    const d = this.dir;
    return {
      mailboxes: d.mailboxList.map((m) => copyMailbox(m.rec)),
      devices: [...d.devices.values()].map((x) => copyDevice(x.rec)),
      orgSettings: copyOrg(d.org),
      rules: d.rules.map(copyRule),
      stickyBlocks: new Map(d.sticky),
    };
  }

  /** One mailbox by Identity, DN, GUID, primary SMTP address or UPN (a copy). */
  mailbox(identity: string): CasMailbox | undefined {
    const m = this.dir.resolve(identity);
    return m ? copyMailbox(m.rec) : undefined;
  }

  device(deviceId: string): MobileDevice | undefined {
    const d = this.dir.devices.get(lc(deviceId));
    return d ? copyDevice(d.rec) : undefined;
  }

  /** Calls in flight right now. */
  get inFlight(): number {
    return this.shells.inFlight;
  }

  addMailbox(m: NewMailbox): CasMailbox {
    return admin.addMailbox(this.dir, this.random, m);
  }

  /** A new partnership (a phone that synced for the first time); FirstSyncTime defaults to the clock. */
  addPartnership(p: NewPartnership): MobileDevice {
    return admin.addPartnership(this.dir, this.random, this.clock, p);
  }

  /** Remove-MobileDevice: the partnership goes (and its sticky block); list entries stay, as in Exchange. */
  removePartnership(deviceId: string): boolean {
    return admin.removePartnership(this.dir, deviceId);
  }

  /** The phone synced successfully now (LastSuccessSync), and picks up a pending wipe as it would. */
  deviceSynced(deviceId: string, atMs: number = this.clock()): void {
    const d = this.dir.devices.get(lc(deviceId));
    if (!d) throw new Error(`no partnership ${deviceId}`);
    d.lastSuccessMs = atMs;
    d.offline = false;
  }

  /** The phone stops (or resumes) contacting Exchange: a wipe waits for it. */
  setDeviceOffline(deviceId: string, offline: boolean): void {
    const d = this.dir.devices.get(lc(deviceId));
    if (!d) throw new Error(`no partnership ${deviceId}`);
    d.offline = offline;
  }

  /** Sets LastSuccessSync (undefined: never synced) — an idle phone for clean-up tests. */
  setLastSuccessSync(deviceId: string, atMs: number | undefined): void {
    const d = this.dir.devices.get(lc(deviceId));
    if (!d) throw new Error(`no partnership ${deviceId}`);
    if (atMs === undefined) delete d.lastSuccessMs;
    else d.lastSuccessMs = atMs;
  }

  /** Get-MobileDeviceStatistics of one partnership as Exchange holds it now (test control; no call counted). */
  statistics(deviceId: string): MobileDeviceStatistics | undefined {
    const d = this.dir.devices.get(lc(deviceId));
    if (!d) return undefined;
    const r = statistics.getMobileDeviceStatistics(this.dir, { identity: d.rec.identity }, this.clock(), this.wipeAckDelayMs);
    return isLeft(r) ? undefined : r.right[0];
  }

  /** The device reports new characteristics (an OS update…). A Block-rule block stays. */
  updatePartnership(deviceId: string, changes: DeviceChanges): MobileDevice {
    return admin.updatePartnership(this.dir, deviceId, changes);
  }

  /** An admin edits a mailbox's lists by hand (drift): the given lists replace the current ones. */
  setMailboxLists(identity: string, lists: { readonly allowed?: readonly string[]; readonly blocked?: readonly string[] }): void {
    admin.setMailboxLists(this.dir, identity, lists);
  }

  setActiveSyncEnabled(identity: string, enabled: boolean): void {
    admin.setActiveSyncEnabled(this.dir, identity, enabled);
  }

  /** An admin changes org settings by hand (drift). Same validation as the cmdlet. */
  setOrgSettings(s: Partial<OrgSettings>): void {
    admin.setOrgSettings(this.dir, s);
  }

  /** An admin replaces the device access rules by hand; names default to Exchange's. */
  setRules(rules: readonly RuleSpec[]): void {
    admin.setRules(this.dir, rules);
  }

  /** The next `n` calls (of `options.cmdlet`, when given) fail with `error`. */
  failNext(n: number, error: ExchangeError, options: FailureOptions = {}): void {
    this.faults.failNext(n, error, options);
  }
}

// A stable hash of a DeviceId: the activity of generated partnerships is a
// function of the id, so the generator's random sequence (and every org built
// from a seed) stays as it was.
function idHash(id: string): number {
  let h = 2166136261;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** LastSuccessSync of the generated partnerships: most synced within the last day, `idleShare` of them 60–420 days ago. */
function seedActivity(dir: Directory, now: number, idleShare: number): void {
  for (const d of dir.devices.values()) {
    const h = idHash(d.rec.deviceId);
    const idle = (h % 10_000) / 10_000 < idleShare;
    const ago = idle ? (60 + (h % 361)) * 86_400_000 : (h % 86_400) * 1000;
    d.lastSuccessMs = Math.max(d.firstSyncMs, now - ago);
  }
}
