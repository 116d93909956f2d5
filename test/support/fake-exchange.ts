// The Exchange side of the PowerShell stand-in: Exchange's cmdlets over a
// SimulatedExchange, answering with Exchange-shaped records and PowerShell-shaped
// error records (category, FullyQualifiedErrorId, message), remote sessions counted
// like Exchange counts them (opened, removed, abandoned when a process dies without
// Remove-PSSession), plus scripted faults. Runs in the test process (behind a Unix
// socket that every fake-pwsh child connects to, so all sessions share one
// organization) or inside a standalone fake-pwsh.
import * as net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { SimulatedExchange } from '../../adapters/simulator/index.js';
import type { ExchangeError } from '../../src/ports.js';
import type { ExchangeCommand, ListChange } from '../../src/commands.js';
import type { PsErrorInfo, PsValue } from '../../adapters/powershell/protocol.js';

export type PsRecord = Record<string, unknown>;
export type CmdletResult =
  { readonly ok: true; readonly records: PsRecord[]; readonly warnings?: string[] } | { readonly ok: false; readonly error: PsErrorInfo };

export type FaultKind =
  /** never answer this request */
  | 'hang'
  /** the process exits mid-command, without answering */
  | 'die'
  /** the first chunk is written, then the process exits */
  | 'dieAfterChunk'
  /** a frame with a wrong length */
  | 'corrupt'
  /** noise (warnings, banners, ANSI, foreign frames) around the answer */
  | 'noise'
  /** the answer comes after `delayMs` */
  | 'delay'
  /** the remote session breaks: error, then Remove-PSSession and exit, as the script does */
  | 'brokenSession';

export interface Fault {
  readonly kind: FaultKind;
  readonly delayMs?: number;
}
export interface FaultSpec extends Fault {
  /** Only requests of this cmdlet (default any). */
  readonly op?: string;
  /** How many requests it applies to (default 1). */
  readonly times?: number;
}

export interface ConnectRequest {
  readonly server: string;
  readonly authentication: string;
  readonly username?: string;
  readonly password?: string;
  readonly script: string;
  readonly argv: readonly string[];
  readonly pid: number;
  /** Whether any environment variable of the child holds the password. */
  readonly envHasPassword: boolean;
}

export type ConnectResult =
  | { readonly ok: true; readonly cmdlets: string[]; readonly psVersion: string; readonly warnings: string[] }
  | { readonly ok: false; readonly error: PsErrorInfo };

export interface FakeExchangeOptions {
  /** The Client Access servers that exist (default cas01 and cas02 of the simulated domain, as the simulator lists them). */
  readonly servers?: readonly string[];
  /** Servers that stopped answering: connecting fails, and so does every call on a session there. */
  readonly down?: readonly string[];
  /** When set, connecting needs exactly this credential (else: Access is denied). */
  readonly expectUsername?: string;
  readonly expectPassword?: string;
  /** A hostile server: its access-denied message quotes the credential it got. */
  readonly echoSecrets?: boolean;
  /** 2010 has no Get-MobileDevice. Default 2019. */
  readonly version?: 2010 | 2019;
  /** RBAC without Get-User. */
  readonly noGetUser?: boolean;
  /** PowerShellMaxConcurrency: connecting beyond it fails with "maximum number of N concurrent shells". */
  readonly maxShells?: number;
  /** Further cmdlets RBAC grants (e.g. the wipe cmdlets, which the script must still never import). */
  readonly extraCmdlets?: readonly string[];
}

const CMDLETS_2019 = [
  'Get-MobileDevice',
  'Get-ActiveSyncDevice',
  'Get-CasMailbox',
  'Get-User',
  'Get-ActiveSyncOrganizationSettings',
  'Get-ActiveSyncDeviceAccessRule',
  'Get-ExchangeServer',
  'Set-CasMailbox',
  'Set-ActiveSyncOrganizationSettings',
  'New-ActiveSyncDeviceAccessRule',
  'Set-ActiveSyncDeviceAccessRule',
  'Remove-ActiveSyncDeviceAccessRule',
  'Set-ADServerSettings',
];

const TASK: Record<string, string> = {
  'Set-CasMailbox': 'SetCASMailbox',
  'Get-CasMailbox': 'GetCASMailbox',
  'Get-User': 'GetUser',
  'Set-ActiveSyncDeviceAccessRule': 'SetActiveSyncDeviceAccessRule',
  'Remove-ActiveSyncDeviceAccessRule': 'RemoveActiveSyncDeviceAccessRule',
  'New-ActiveSyncDeviceAccessRule': 'NewActiveSyncDeviceAccessRule',
};

const notRecognized = (op: string): PsErrorInfo => ({
  category: 'ObjectNotFound',
  reason: 'CommandNotFoundException',
  fullyQualifiedErrorId: 'CommandNotFoundException',
  message: `The term '${op}' is not recognized as the name of a cmdlet, function, script file, or operable program.`,
});

/** What Exchange's remote session reports for the simulator's errors. */
export function psErrorOf(e: ExchangeError, op: string, server: string): PsErrorInfo {
  const task = `Microsoft.Exchange.Management.Tasks.${TASK[op] ?? op.replace('-', '')}`;
  const stamp = `[Server=${server.split('.')[0]!.toUpperCase()},RequestId=6f1c2f1e-3b1d-4b1e-9d0f-2f6b9c1d0e11,TimeStamp=11/26/2026 8:00:00 AM]`;
  switch (e.kind) {
    case 'notFound':
      return {
        category: 'NotSpecified',
        reason: 'ManagementObjectNotFoundException',
        fullyQualifiedErrorId: `${stamp} [FailureCategory=Cmdlet-ManagementObjectNotFoundException] 8A9E2C1B,${task}`,
        message: e.message,
      };
    case 'throttled':
      if (/concurrent shells/.test(e.message)) {
        return {
          category: 'OpenError',
          reason: 'PSRemotingTransportException',
          fullyQualifiedErrorId: '-2144108060,PSSessionOpenFailed',
          message: `Connecting to remote server ${server} failed with the following error message : ${e.message} For more information, see the about_Remote_Troubleshooting Help topic.`,
        };
      }
      return {
        category: 'OperationStopped',
        reason: 'PSRemotingTransportException',
        fullyQualifiedErrorId: 'JobFailure',
        message: `Processing data from remote server ${server} failed with the following error message: ${e.message} For more information, see the about_Remote_Troubleshooting Help topic.`,
      };
    case 'connectionLost':
      return {
        category: 'OperationStopped',
        reason: 'PSRemotingTransportException',
        fullyQualifiedErrorId: 'JobFailure',
        message: `Processing data from remote server ${server} failed with the following error message: The WinRM client cannot complete the operation within the time specified. Check if the machine name is valid and is reachable over the network and firewall exception for Windows Remote Management service is enabled. For more information, see the about_Remote_Troubleshooting Help topic.`,
      };
    case 'accessDenied':
      return {
        category: 'NotSpecified',
        reason: 'ADOperationException',
        fullyQualifiedErrorId: `${stamp} [FailureCategory=Cmdlet-ADOperationException] 9C8BC2D3,${task}`,
        message: `Active Directory operation failed on dc01.contoso.com. This error is not retriable. Additional information: Insufficient access rights to perform the operation. (${e.message})`,
      };
    default:
      return {
        category: 'NotSpecified',
        reason: 'TaskException',
        fullyQualifiedErrorId: `${stamp} [FailureCategory=Cmdlet-TaskException] 2F3D4E5A,${task}`,
        message: e.message,
      };
  }
}

const str = (v: PsValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const strings = (v: PsValue | undefined): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const FIRST_SYNC_FILTER = /^FirstSyncTime -gt '(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})'$/;

export class FakeExchange {
  /** Every request that reached "Exchange", with its parameters as the cmdlet got them. */
  readonly calls: { session: number; op: string; splat: Record<string, PsValue> }[] = [];
  /** Every connection attempt (the credential is not kept, only whether it matched). */
  readonly connects: (Omit<ConnectRequest, 'password'> & { session: number; ok: boolean })[] = [];
  /** Things the script must never do (a cmdlet without -ResultSize Unlimited, an overwrite of a device list…). */
  readonly violations: string[] = [];
  readonly sessions = { opened: 0, removed: 0, abandoned: 0, open: 0, maxOpen: 0 };
  readonly down: Set<string>;
  readonly servers: Set<string>;
  private readonly faults: { spec: FaultSpec; left: number }[] = [];
  private readonly live = new Map<number, string>();
  private nextSession = 0;

  constructor(
    readonly exchange: SimulatedExchange,
    readonly options: FakeExchangeOptions = {},
  ) {
    this.down = new Set((options.down ?? []).map((s) => s.toLowerCase()));
    this.servers = new Set((options.servers ?? [`cas01.${exchange.domain}`, `cas02.${exchange.domain}`]).map((s) => s.toLowerCase()));
  }

  /** The next `times` requests (of `op`) misbehave. */
  fault(spec: FaultSpec): void {
    this.faults.push({ spec, left: spec.times ?? 1 });
  }

  connect(req: ConnectRequest): { session: number; result: ConnectResult } {
    const session = ++this.nextSession;
    const o = this.options;
    const server = req.server;
    const { password: _omit, ...kept } = req;
    const fail = (error: PsErrorInfo) => {
      this.connects.push({ ...kept, session, ok: false });
      return { session, result: { ok: false as const, error } };
    };
    if (!this.servers.has(server.toLowerCase())) {
      return fail({
        category: 'OpenError',
        reason: 'PSRemotingTransportException',
        fullyQualifiedErrorId: 'CannotConnect,PSSessionOpenFailed',
        message: `Connecting to remote server ${server} failed with the following error message : The WinRM client cannot process the request because the server name cannot be resolved. For more information, see the about_Remote_Troubleshooting Help topic.`,
      });
    }
    if (this.down.has(server.toLowerCase())) {
      return fail({
        category: 'OpenError',
        reason: 'PSRemotingTransportException',
        fullyQualifiedErrorId: 'CannotConnect,PSSessionOpenFailed',
        message: `Connecting to remote server ${server} failed with the following error message : WinRM cannot complete the operation. Verify that the specified computer name is valid, that the computer is accessible over the network, and that a firewall exception for the WinRM service is enabled and allows access from this computer. For more information, see the about_Remote_Troubleshooting Help topic.`,
      });
    }
    if (
      (o.expectUsername !== undefined && req.username !== o.expectUsername) ||
      (o.expectPassword !== undefined && req.password !== o.expectPassword)
    ) {
      const echo = o.echoSecrets ? ` (user ${req.username ?? '-'}, password ${req.password ?? '-'})` : '';
      return fail({
        category: 'OpenError',
        reason: 'PSRemotingTransportException',
        fullyQualifiedErrorId: 'AccessDenied,PSSessionOpenFailed',
        message: `Connecting to remote server ${server} failed with the following error message : Access is denied.${echo} For more information, see the about_Remote_Troubleshooting Help topic.`,
      });
    }
    if (o.maxShells !== undefined && this.sessions.open >= o.maxShells) {
      return fail(
        psErrorOf(
          {
            kind: 'throttled',
            waitMs: 0,
            message: `The WS-Management service cannot process the request. This user is allowed a maximum number of ${o.maxShells} concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user.`,
          },
          'New-PSSession',
          server,
        ),
      );
    }
    this.connects.push({ ...kept, session, ok: true });
    this.live.set(session, server);
    this.sessions.opened++;
    this.sessions.open++;
    this.sessions.maxOpen = Math.max(this.sessions.maxOpen, this.sessions.open);
    let cmdlets = CMDLETS_2019.filter((c) => !(o.noGetUser && c === 'Get-User'));
    if (o.version === 2010) cmdlets = cmdlets.filter((c) => c !== 'Get-MobileDevice');
    cmdlets.push(...(o.extraCmdlets ?? []));
    return { session, result: { ok: true, cmdlets, psVersion: '7.4.6', warnings: [] } };
  }

  /** Remove-PSSession. */
  remove(session: number): void {
    if (!this.live.delete(session)) return;
    this.sessions.removed++;
    this.sessions.open--;
  }

  /** The client went away without Remove-PSSession. */
  drop(session: number): void {
    if (!this.live.delete(session)) return;
    this.sessions.abandoned++;
    this.sessions.open--;
  }

  async call(session: number, op: string, splat: Record<string, PsValue>): Promise<{ result: CmdletResult; fault?: Fault }> {
    const server = this.live.get(session);
    if (server === undefined) {
      return { result: { ok: false, error: psErrorOf({ kind: 'connectionLost', message: 'no session' }, op, 'unknown') } };
    }
    if (this.down.has(server.toLowerCase())) {
      return { result: { ok: false, error: psErrorOf({ kind: 'connectionLost', message: 'down' }, op, server) } };
    }
    this.calls.push({ session, op, splat });
    let fault: Fault | undefined;
    const i = this.faults.findIndex((f) => f.spec.op === undefined || f.spec.op.toLowerCase() === op.toLowerCase());
    if (i >= 0) {
      const f = this.faults[i]!;
      fault = { kind: f.spec.kind, ...(f.spec.delayMs !== undefined ? { delayMs: f.spec.delayMs } : {}) };
      if (--f.left <= 0) this.faults.splice(i, 1);
    }
    const result = await this.run(op, splat, server);
    return fault ? { result, fault } : { result };
  }

  private async run(op: string, splat: Record<string, PsValue>, server: string): Promise<CmdletResult> {
    const sim = this.exchange;
    const fail = (e: ExchangeError): CmdletResult => ({ ok: false, error: psErrorOf(e, op, server) });
    const unlimited = () => {
      if (splat['ResultSize'] !== 'Unlimited') this.violations.push(`${op} without -ResultSize Unlimited`);
    };
    const mailboxRecord = (m: {
      identity: string;
      distinguishedName?: string;
      guid?: string;
      displayName?: string;
      primarySmtpAddress: string;
      emailAddresses: readonly string[];
      activeSyncEnabled: boolean;
      allowedDeviceIds: readonly string[];
      blockedDeviceIds: readonly string[];
    }): PsRecord => ({
      Identity: m.identity,
      DistinguishedName: m.distinguishedName ?? null,
      Guid: m.guid ?? null,
      DisplayName: m.displayName ?? null,
      Name: m.displayName ?? null,
      PrimarySmtpAddress: m.primarySmtpAddress,
      EmailAddresses: [...m.emailAddresses],
      ActiveSyncEnabled: m.activeSyncEnabled,
      ActiveSyncAllowedDeviceIDs: [...m.allowedDeviceIds],
      ActiveSyncBlockedDeviceIDs: [...m.blockedDeviceIds],
      ActiveSyncMailboxPolicy: 'Default',
    });
    switch (op) {
      case 'Get-MobileDevice':
      case 'Get-ActiveSyncDevice': {
        if (op === 'Get-MobileDevice' && this.options.version === 2010) return { ok: false, error: notRecognized(op) };
        unlimited();
        const filter = str(splat['Filter']);
        let firstSyncAfter: string | undefined;
        if (filter !== undefined) {
          const m = FIRST_SYNC_FILTER.exec(filter);
          if (!m) {
            this.violations.push(`${op} with an unexpected filter ${JSON.stringify(filter)}`);
            return fail({
              kind: 'other',
              message: `Cannot bind parameter 'Filter' to the target. Exception setting "Filter": "Invalid filter syntax."`,
            });
          }
          firstSyncAfter = `${m[1]}Z`;
        }
        const r = await sim.getMobileDevices(firstSyncAfter === undefined ? undefined : { firstSyncAfter });
        if (isLeft(r)) return fail(r.left);
        return {
          ok: true,
          records: r.right.map((d) => ({
            Identity: d.identity,
            DistinguishedName: d.distinguishedName ?? null,
            Guid: d.guid ?? null,
            DeviceId: d.deviceId,
            DeviceType: d.deviceType,
            DeviceModel: d.deviceModel,
            DeviceOS: d.deviceOS ?? null,
            DeviceUserAgent: d.deviceUserAgent ?? null,
            FriendlyName: d.friendlyName ?? null,
            FirstSyncTime: d.firstSyncTime ?? null,
            UserDisplayName: d.userDisplayName ?? null,
            DeviceAccessState: 'Allowed',
            ClientType: 'EAS',
          })),
        };
      }
      case 'Get-MobileDeviceStatistics':
      case 'Get-ActiveSyncDeviceStatistics': {
        if (op === 'Get-MobileDeviceStatistics' && this.options.version === 2010) return { ok: false, error: notRecognized(op) };
        const identity = str(splat['Identity']);
        const mailbox = str(splat['Mailbox']);
        const r = await sim.getMobileDeviceStatistics(identity !== undefined ? { identity } : { mailbox: mailbox ?? '' });
        if (isLeft(r)) return fail(r.left);
        return {
          ok: true,
          records: r.right.map((x) => ({
            Identity: x.identity,
            DeviceId: x.deviceId,
            LastSuccessSync: x.lastSuccessSync ?? null,
            Status: x.status ?? null,
            DeviceWipeRequestTime: x.deviceWipeRequestTime ?? null,
            DeviceWipeSentTime: x.deviceWipeSentTime ?? null,
            DeviceWipeAckTime: x.deviceWipeAckTime ?? null,
          })),
        };
      }
      case 'Get-CasMailbox': {
        const identity = str(splat['Identity']);
        if (identity !== undefined) {
          const r = await sim.getCasMailboxes({ identities: [identity] });
          if (isLeft(r)) return fail(r.left);
          if (r.right.length === 0) {
            return fail({
              kind: 'notFound',
              message: `The operation couldn't be performed because object '${identity}' couldn't be found on 'dc01.${sim.domain}'.`,
            });
          }
          return { ok: true, records: r.right.map(mailboxRecord) };
        }
        unlimited();
        if (splat['Filter'] !== 'HasActiveSyncDevicePartnership -eq $true')
          this.violations.push(`Get-CasMailbox with filter ${JSON.stringify(splat['Filter'])}`);
        const r = await sim.getCasMailboxes();
        if (isLeft(r)) return fail(r.left);
        return { ok: true, records: r.right.map(mailboxRecord) };
      }
      case 'Get-User': {
        if (this.options.noGetUser) return { ok: false, error: notRecognized(op) };
        const user = (m: { identity: string; distinguishedName?: string; guid?: string; userPrincipalName?: string }): PsRecord => ({
          Identity: m.identity,
          DistinguishedName: m.distinguishedName ?? null,
          Guid: m.guid ?? null,
          UserPrincipalName: m.userPrincipalName ?? null,
          RecipientType: 'UserMailbox',
        });
        const identity = str(splat['Identity']);
        if (identity !== undefined) {
          const m = sim.mailbox(identity);
          if (!m)
            return fail({
              kind: 'notFound',
              message: `The operation couldn't be performed because object '${identity}' couldn't be found on 'dc01.${sim.domain}'.`,
            });
          return { ok: true, records: [user(m)] };
        }
        unlimited();
        return { ok: true, records: sim.state().mailboxes.map(user) };
      }
      case 'Get-ActiveSyncOrganizationSettings': {
        const r = await sim.getOrgSettings();
        if (isLeft(r)) return fail(r.left);
        return {
          ok: true,
          records: [
            {
              Identity: 'Mobile Mailbox Settings',
              Name: 'Mobile Mailbox Settings',
              DefaultAccessLevel: r.right.defaultAccessLevel,
              UserMailInsert: r.right.userMailInsert ?? null,
              AdminMailRecipients: [...r.right.adminMailRecipients],
            },
          ],
        };
      }
      case 'Get-ActiveSyncDeviceAccessRule': {
        const r = await sim.getDeviceAccessRules();
        if (isLeft(r)) return fail(r.left);
        return {
          ok: true,
          records: r.right.map((x) => ({
            Identity: x.name ?? null,
            Name: x.name ?? null,
            Characteristic: x.characteristic,
            QueryString: x.queryString,
            AccessLevel: x.accessLevel,
          })),
        };
      }
      case 'Get-ExchangeServer': {
        const r = await sim.getExchangeServers();
        if (isLeft(r)) return fail(r.left);
        return {
          ok: true,
          records: r.right.map((s) => ({
            Name: s.name,
            Fqdn: s.fqdn,
            ServerRole: s.isClientAccessServer ? 'Mailbox, ClientAccess' : 'Edge',
            IsClientAccessServer: s.isClientAccessServer,
            AdminDisplayVersion: s.version ?? null,
            Site: 'contoso.com/Configuration/Sites/Default-First-Site-Name',
          })),
        };
      }
      default:
        return this.command(op, splat, fail);
    }
  }

  private async command(op: string, splat: Record<string, PsValue>, fail: (e: ExchangeError) => CmdletResult): Promise<CmdletResult> {
    const change = (name: string): ListChange | undefined => {
      const v = splat[name];
      if (v === undefined) return { add: [], remove: [] };
      if (v === null || typeof v !== 'object' || Array.isArray(v)) {
        this.violations.push(`${op} -${name} overwrites the whole list`);
        return undefined;
      }
      const h = v as Record<string, PsValue>;
      return { add: strings(h['Add']), remove: strings(h['Remove']) };
    };
    let command: ExchangeCommand;
    switch (op) {
      case 'Set-CasMailbox': {
        const a = change('ActiveSyncAllowedDeviceIDs');
        const b = change('ActiveSyncBlockedDeviceIDs');
        if (!a || !b) return fail({ kind: 'other', message: 'refused: a device list would be overwritten' });
        command = { kind: 'setCasMailbox', mailbox: str(splat['Identity']) ?? '', allowedDeviceIds: a, blockedDeviceIds: b };
        break;
      }
      case 'Set-ActiveSyncOrganizationSettings': {
        const level = str(splat['DefaultAccessLevel']);
        const insert = str(splat['UserMailInsert']);
        command = {
          kind: 'setOrgSettings',
          ...(level !== undefined ? { defaultAccessLevel: level as 'Allow' } : {}),
          ...(insert !== undefined ? { userMailInsert: insert } : {}),
          ...('AdminMailRecipients' in splat ? { adminMailRecipients: strings(splat['AdminMailRecipients']) } : {}),
        };
        break;
      }
      case 'New-ActiveSyncDeviceAccessRule':
        command = {
          kind: 'newDeviceAccessRule',
          characteristic: (str(splat['Characteristic']) ?? '') as 'DeviceType',
          queryString: str(splat['QueryString']) ?? '',
          accessLevel: (str(splat['AccessLevel']) ?? '') as 'Allow',
        };
        break;
      case 'Set-ActiveSyncDeviceAccessRule':
        command = {
          kind: 'setDeviceAccessRule',
          name: str(splat['Identity']) ?? '',
          accessLevel: (str(splat['AccessLevel']) ?? '') as 'Allow',
        };
        break;
      case 'Set-ADServerSettings':
        if (splat['ViewEntireForest'] !== true) this.violations.push(`Set-ADServerSettings with ${JSON.stringify(splat)}`);
        return { ok: true, records: [] };
      case 'Clear-MobileDevice':
      case 'Clear-ActiveSyncDevice':
      case 'Remove-MobileDevice':
      case 'Remove-ActiveSyncDevice': {
        if (op.endsWith('MobileDevice') && this.options.version === 2010) return { ok: false, error: notRecognized(op) };
        if (splat['Confirm'] !== false) {
          this.violations.push(`${op} without -Confirm:$false`);
          return { ok: false, error: noPrompt };
        }
        if ('AccountOnly' in splat && op !== 'Clear-MobileDevice')
          return fail({ kind: 'other', message: `A parameter cannot be found that matches parameter name 'AccountOnly'.` });
        const identity = str(splat['Identity']) ?? '';
        const device = this.exchange.state().devices.find((d) => d.identity.toLowerCase() === identity.toLowerCase());
        const target = { identity, deviceId: device?.deviceId ?? identity, mailbox: '' };
        command = op.startsWith('Clear')
          ? { kind: 'clearMobileDevice', ...target, accountOnly: splat['AccountOnly'] === true, wipeId: '' }
          : { kind: 'removeMobileDevice', ...target };
        break;
      }
      case 'Remove-ActiveSyncDeviceAccessRule':
        if (splat['Confirm'] !== false) {
          this.violations.push('Remove-ActiveSyncDeviceAccessRule without -Confirm:$false');
          return { ok: false, error: noPrompt };
        }
        command = { kind: 'removeDeviceAccessRule', name: str(splat['Identity']) ?? '' };
        break;
      default:
        return { ok: false, error: notRecognized(op) };
    }
    const r = await this.exchange.execute(command);
    if (isLeft(r)) return fail(r.left);
    return { ok: true, records: [] };
  }
}

// A destructive cmdlet without -Confirm:$false prompts, which a non-interactive host cannot.
const noPrompt = {
  category: 'InvalidOperation',
  reason: 'PSInvalidOperationException',
  fullyQualifiedErrorId: 'HostFunctionNotImplemented',
  message: 'PowerShell is in NonInteractive mode. Read and Prompt functionality is not available.',
};

// ------------------------------------------------------------------ the socket host

/** Messages between a fake-pwsh child and the host (one JSON object per line). */
export type HostRequest =
  | { readonly t: 'connect'; readonly id: number; readonly req: ConnectRequest }
  | { readonly t: 'call'; readonly id: number; readonly op: string; readonly splat: Record<string, PsValue> }
  | { readonly t: 'remove'; readonly id: number };

export interface FakeExchangeHost {
  readonly socketPath: string;
  readonly fake: FakeExchange;
  close(): Promise<void>;
}

/** Serves `fake` on a Unix socket (a named pipe on Windows). */
export async function startFakeExchangeHost(fake: FakeExchange): Promise<FakeExchangeHost> {
  const dir = mkdtempSync(join(tmpdir(), 'eas-fake-exchange-'));
  const socketPath =
    process.platform === 'win32' ? `\\\\.\\pipe\\eas-fake-exchange-${process.pid}-${Date.now()}` : join(dir, 'exchange.sock');
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setEncoding('utf8');
    let session: number | undefined;
    let removed = false;
    let buf = '';
    const reply = (o: object) => {
      if (!socket.destroyed) socket.write(JSON.stringify(o) + '\n');
    };
    socket.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim() === '') continue;
        const m = JSON.parse(line) as HostRequest;
        if (m.t === 'connect') {
          const r = fake.connect(m.req);
          if (r.result.ok) session = r.session;
          reply({ id: m.id, ...r });
        } else if (m.t === 'call') {
          void fake.call(session ?? -1, m.op, m.splat).then((r) => reply({ id: m.id, ...r }));
        } else if (m.t === 'remove') {
          if (session !== undefined) fake.remove(session);
          removed = true;
          reply({ id: m.id });
        }
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      sockets.delete(socket);
      if (session !== undefined && !removed) fake.drop(session);
    });
  });
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(socketPath, () => res());
  });
  return {
    socketPath,
    fake,
    close: () =>
      new Promise<void>((res) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          try {
            rmSync(dir, { recursive: true, force: true });
          } catch {
            /* ignore */
          }
          res();
        });
      }),
  };
}
