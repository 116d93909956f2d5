// The connector decider: one Exchange organization's stream. Registration,
// policy revisions, the sync lifecycle, org settings and device access rules
// (drift found, then corrected through intents), and the CAS servers known.
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { DeviceAccessRule, ExchangeServer, OrgSettings } from './facts.js';
import type { ExchangeCommand, SetOrgSettings } from './commands.js';
import { policyDocument, sameDecisionRules, samePolicy, withDefaults, type Policy } from './policy.js';
import { rulesOfPolicy } from './access.js';
import { toExchangeLevel } from './exchange-evaluation.js';
import { event, type DomainEvent, type EventData } from './events.js';
import type { Decided, Decider } from './decider.js';
import { hasIntent, mailboxIntent, withIntentIn, withoutIntentIn } from './mailbox/rules.js';

export type ConnectorStatus = 'none' | 'connectionPending' | 'connected' | 'disconnected';
export type SyncKind = 'full' | 'quick';

export interface ConnectorState {
  readonly connectorId?: string;
  readonly organization?: string;
  /**
   * The policy in force; `decisionRevision` is the revision its decision rules
   * date from (a change that left them as they were keeps it): decisions are
   * recorded under it, so such a change decides no device again.
   */
  readonly policy?: { readonly revision: number; readonly policy: Policy; readonly decisionRevision: number };
  readonly status: ConnectorStatus;
  readonly syncs: number;
  readonly current?: { readonly syncId: string; readonly kind: SyncKind; readonly startedAt: string };
  readonly lastSync?: { readonly syncId: string; readonly kind: SyncKind; readonly at: string; readonly success: boolean };
  readonly lastSuccessful: { readonly full?: string; readonly quick?: string };
  readonly lastError?: { readonly message: string; readonly at: string };
  readonly servers: readonly string[];
  /** The CAS in use, as last recorded. */
  readonly cas?: string;
  /** The latest FirstSyncTime seen by a completed sync (quick sync watermark). */
  readonly watermark?: string;
  /** Grandfathering happened (it happens once, before the first restrictive default). */
  readonly grandfathered: boolean;
  readonly pending: Readonly<Record<string, ExchangeCommand>>;
}

export const initialConnectorState: ConnectorState = {
  status: 'none',
  syncs: 0,
  lastSuccessful: {},
  servers: [],
  grandfathered: false,
  pending: {},
};

type At = { readonly at?: string };

export function evolveConnector(s: ConnectorState, e: DomainEvent & At): ConnectorState {
  const at = e.at ?? '';
  switch (e.type) {
    case 'ConnectorRegistered':
      return {
        ...s,
        connectorId: e.data.connectorId,
        organization: e.data.organization,
        status: s.status === 'none' ? 'connectionPending' : s.status,
      };
    case 'PolicyChanged': {
      const policy = withDefaults(e.data.policy);
      const decisionRevision = s.policy && sameDecisionRules(s.policy.policy, policy) ? s.policy.decisionRevision : e.data.revision;
      return { ...s, policy: { revision: e.data.revision, policy, decisionRevision } };
    }
    case 'SyncStarted':
      return { ...s, syncs: s.syncs + 1, current: { syncId: e.data.syncId, kind: e.data.kind, startedAt: at } };
    case 'SyncCompleted': {
      const lastSuccessful = e.data.success ? { ...s.lastSuccessful, [e.data.kind]: at } : s.lastSuccessful;
      return {
        ...s,
        current: undefined,
        status: 'connected',
        lastSuccessful,
        ...(e.data.watermark !== undefined ? { watermark: e.data.watermark } : {}),
        lastSync: { syncId: e.data.syncId, kind: e.data.kind, at, success: e.data.success },
        lastError: e.data.success ? s.lastError : { message: `sync ${e.data.syncId}: ${e.data.commands.failed} command(s) failed`, at },
      };
    }
    case 'SyncFailed':
      return {
        ...s,
        current: undefined,
        status: 'disconnected',
        lastSync: { syncId: e.data.syncId, kind: e.data.kind, at, success: false },
        lastError: { message: e.data.error.message, at },
      };
    case 'CasServersDiscovered':
      return { ...s, servers: e.data.servers };
    case 'CasSwitched':
      return { ...s, cas: e.data.to };
    case 'GrandfatheringApplied':
      return { ...s, grandfathered: true };
    // Pending intents by the mailbox rules: Set-CasMailbox intents are the mailboxes', the rest the organization's.
    case 'CommandIntended':
      if (mailboxIntent(e.data.command)) return s;
      return { ...s, pending: withIntentIn(s.pending, e.data.commandId, e.data.command) };
    case 'CommandSucceeded':
    case 'CommandFailed': {
      const pending = withoutIntentIn(s.pending, e.data.commandId);
      return pending === s.pending ? s : { ...s, pending };
    }
    default:
      return s;
  }
}

// ------------------------------------------------------------------ decide
export interface StartSync {
  readonly type: 'StartSync';
  readonly syncId: string;
  readonly kind: SyncKind;
  readonly connectorId: string;
  readonly organization: string;
  readonly policy: Policy;
}
export interface ReconcileOrg {
  readonly type: 'ReconcileOrg';
  readonly syncId: string;
  readonly policy: Policy;
  readonly settings: OrgSettings;
  readonly rules: readonly DeviceAccessRule[];
  readonly servers: readonly ExchangeServer[];
}
export interface CompleteSync {
  readonly type: 'CompleteSync';
  readonly data: EventData<'SyncCompleted'>;
}
export interface FailSync {
  readonly type: 'FailSync';
  readonly syncId: string;
  readonly kind: SyncKind;
  readonly error: { readonly kind: string; readonly message: string };
}
export interface RecordOrgCommandOutcome {
  readonly type: 'RecordOrgCommandOutcome';
  readonly commandId: string;
  readonly error?: { readonly kind: string; readonly message: string };
  readonly reconciled?: boolean;
}
export type ConnectorCommand = StartSync | ReconcileOrg | CompleteSync | FailSync | RecordOrgCommandOutcome;

export type ConnectorError =
  | { readonly kind: 'syncInProgress'; readonly message: string }
  | { readonly kind: 'noSync'; readonly message: string }
  | { readonly kind: 'unknownCommand'; readonly message: string };

/** What the connector decider accepted; `commands` are the org intents among the events. */
export type OrgPlan = Decided<ExchangeCommand>;

const lc = (s: string) => s.toLowerCase();
const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.some((y) => lc(y) === lc(x)));

/** The org settings and device access rules that the policy implies, compared with Exchange's. */
export function reconcileOrg(c: ReconcileOrg): OrgPlan {
  const events: DomainEvent[] = [];
  const commands: Array<{ commandId: string; command: ExchangeCommand }> = [];
  let n = 0;
  const intend = (command: ExchangeCommand) => {
    const commandId = `${c.syncId}/org/${n++}`;
    commands.push({ commandId, command });
    events.push(event('CommandIntended', { syncId: c.syncId, commandId, command }));
  };

  // Org settings: every field that differs is drift, then one Set-ActiveSyncOrganizationSettings.
  const want = {
    defaultAccessLevel: toExchangeLevel(c.policy.defaultAccessLevel),
    userMailInsert: c.policy.notification.userMailInsert,
    adminMailRecipients: c.policy.notification.adminRecipients,
  };
  const fix: { -readonly [K in keyof SetOrgSettings]: SetOrgSettings[K] } = { kind: 'setOrgSettings' };
  if (c.settings.defaultAccessLevel !== want.defaultAccessLevel) {
    events.push(
      event('OrgDriftDetected', {
        syncId: c.syncId,
        field: 'defaultAccessLevel',
        expected: want.defaultAccessLevel,
        actual: c.settings.defaultAccessLevel,
      }),
    );
    fix.defaultAccessLevel = want.defaultAccessLevel;
  }
  if ((c.settings.userMailInsert ?? '') !== want.userMailInsert) {
    events.push(
      event('OrgDriftDetected', {
        syncId: c.syncId,
        field: 'userMailInsert',
        expected: want.userMailInsert,
        actual: c.settings.userMailInsert ?? '',
      }),
    );
    fix.userMailInsert = want.userMailInsert;
  }
  if (!sameSet(c.settings.adminMailRecipients, want.adminMailRecipients)) {
    events.push(
      event('OrgDriftDetected', {
        syncId: c.syncId,
        field: 'adminMailRecipients',
        expected: [...want.adminMailRecipients],
        actual: [...c.settings.adminMailRecipients],
      }),
    );
    fix.adminMailRecipients = [...want.adminMailRecipients];
  }
  const ruleCommands: ExchangeCommand[] = [];
  const desired = rulesOfPolicy(c.policy);
  const sameTarget = (a: DeviceAccessRule, b: DeviceAccessRule) =>
    a.characteristic === b.characteristic && lc(a.queryString) === lc(b.queryString);
  for (const d of desired) {
    const have = c.rules.find((r) => sameTarget(r, d));
    if (!have)
      ruleCommands.push({
        kind: 'newDeviceAccessRule',
        characteristic: d.characteristic,
        queryString: d.queryString,
        accessLevel: d.accessLevel,
      });
    else if (have.accessLevel !== d.accessLevel)
      ruleCommands.push({
        kind: 'setDeviceAccessRule',
        name: have.name ?? `${have.queryString} (${have.characteristic})`,
        accessLevel: d.accessLevel,
      });
  }
  for (const r of c.rules) {
    if (!desired.some((d) => sameTarget(r, d)))
      ruleCommands.push({ kind: 'removeDeviceAccessRule', name: r.name ?? `${r.queryString} (${r.characteristic})` });
  }
  if (ruleCommands.length > 0) {
    const show = (r: DeviceAccessRule) => ({ characteristic: r.characteristic, queryString: r.queryString, accessLevel: r.accessLevel });
    events.push(
      event('OrgDriftDetected', { syncId: c.syncId, field: 'deviceAccessRules', expected: desired.map(show), actual: c.rules.map(show) }),
    );
  }
  // Rules first, then the default: a stricter default must never land before the
  // exceptions that soften it.
  for (const rc of ruleCommands) intend(rc);
  if (Object.keys(fix).length > 1) intend(fix);
  return { events, commands };
}

const only = (events: DomainEvent[]): OrgPlan => ({ events, commands: [] });

/** Starting a sync and reconciling the org are never refused; the rest are, outside the sync or intent they name. */
export function decideConnector(c: StartSync | ReconcileOrg, s: ConnectorState): Either<never, OrgPlan>;
export function decideConnector(c: ConnectorCommand, s: ConnectorState): Either<ConnectorError, OrgPlan>;
export function decideConnector(c: ConnectorCommand, s: ConnectorState): Either<ConnectorError, OrgPlan> {
  switch (c.type) {
    case 'StartSync': {
      const events: DomainEvent[] = [];
      if (s.connectorId !== c.connectorId) {
        events.push(event('ConnectorRegistered', { connectorId: c.connectorId, organization: c.organization }));
      }
      if (!s.policy || !samePolicy(s.policy.policy, c.policy)) {
        events.push(event('PolicyChanged', { revision: (s.policy?.revision ?? 0) + 1, policy: policyDocument(c.policy) }));
      }
      // A sync that never completed (the process died) is closed before the next starts.
      if (s.current) {
        events.push(
          event('SyncFailed', {
            syncId: s.current.syncId,
            kind: s.current.kind,
            error: { kind: 'interrupted', message: `sync ${s.current.syncId} was interrupted before it completed` },
          }),
        );
      }
      events.push(event('SyncStarted', { syncId: c.syncId, kind: c.kind }));
      return right(only(events));
    }
    case 'ReconcileOrg': {
      const plan = reconcileOrg(c);
      const servers = c.servers
        .filter((x) => x.isClientAccessServer)
        .map((x) => x.fqdn)
        .sort();
      if (servers.length > 0 && !sameSet(servers, s.servers)) {
        return right({ ...plan, events: [event('CasServersDiscovered', { servers }), ...plan.events] });
      }
      return right(plan);
    }
    case 'CompleteSync':
      if (!s.current || s.current.syncId !== c.data.syncId)
        return left({ kind: 'noSync', message: `sync ${c.data.syncId} is not in progress` });
      return right(only([event('SyncCompleted', c.data)]));
    case 'FailSync':
      if (!s.current || s.current.syncId !== c.syncId) return left({ kind: 'noSync', message: `sync ${c.syncId} is not in progress` });
      return right(
        only([event('SyncFailed', { syncId: c.syncId, kind: c.kind, error: { kind: c.error.kind, message: c.error.message } })]),
      );
    case 'RecordOrgCommandOutcome': {
      if (!hasIntent(s.pending, c.commandId)) return left({ kind: 'unknownCommand', message: `no pending intent ${c.commandId}` });
      const extra = c.reconciled ? { reconciled: true } : {};
      return right(
        only([
          c.error
            ? event('CommandFailed', { commandId: c.commandId, error: { kind: c.error.kind, message: c.error.message }, ...extra })
            : event('CommandSucceeded', { commandId: c.commandId, ...extra }),
        ]),
      );
    }
  }
}

/** The next sync's id: deterministic from the stream, so the core needs no id source. */
export const nextSyncId = (s: ConnectorState): string => `sync-${s.syncs + 1}`;

export const connectorDecider: Decider<ConnectorCommand, ConnectorState, ConnectorError, OrgPlan> = {
  initialState: initialConnectorState,
  decide: decideConnector,
  evolve: evolveConnector,
};
