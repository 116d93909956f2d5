// The log's schema: every event type with its io-ts codec. Events are read back
// through these codecs (events.ts), so a hand-edited or foreign line is an error
// with a path, never a silently wrong state. Schema version 1 (meta.schema); a
// future version adds upcasters, keyed by (type, version).
import * as t from 'io-ts';
import { PolicyDocumentC } from './policy.js';

export const SCHEMA_VERSION = 1;

const opt = <P extends t.Props>(p: P) => t.partial(p);
const str = t.string;
const strs = t.readonlyArray(t.string);
const Access = t.keyof({ allow: null, block: null, quarantine: null });
const ExchangeLevel = t.keyof({ Allow: null, Block: null, Quarantine: null });
const SyncKind = t.keyof({ full: null, quick: null });

const ListChange = t.type({ add: strs, remove: strs });
const Characteristic = t.keyof({ DeviceType: null, DeviceModel: null, DeviceOS: null, UserAgent: null, XMSWLHeader: null });

export const CommandC = t.union([
  t.type({ kind: t.literal('setCasMailbox'), mailbox: str, allowedDeviceIds: ListChange, blockedDeviceIds: ListChange }),
  t.intersection([
    t.type({ kind: t.literal('setOrgSettings') }),
    opt({ defaultAccessLevel: ExchangeLevel, userMailInsert: str, adminMailRecipients: strs }),
  ]),
  t.type({ kind: t.literal('newDeviceAccessRule'), characteristic: Characteristic, queryString: str, accessLevel: ExchangeLevel }),
  t.type({ kind: t.literal('setDeviceAccessRule'), name: str, accessLevel: ExchangeLevel }),
  t.type({ kind: t.literal('removeDeviceAccessRule'), name: str }),
  t.type({
    kind: t.literal('clearMobileDevice'),
    identity: str,
    deviceId: str,
    mailbox: str,
    accountOnly: t.boolean,
    wipeId: str,
  }),
  t.type({ kind: t.literal('removeMobileDevice'), identity: str, deviceId: str, mailbox: str }),
]);

const ErrorInfo = t.type({ kind: str, message: str });

export const ReasonC = t.keyof({
  compliant: null,
  notCompliant: null,
  notEnrolled: null,
  exchangeDeviceRule: null,
  exchangeGlobalRule: null,
  exchangeIndividualRule: null,
  excludedGroup: null,
  notTargeted: null,
  policyDisabled: null,
  activeSyncDisabled: null,
  adminOverride: null,
});
export type Reason = t.TypeOf<typeof ReasonC>;

const IntuneFacts = t.intersection([
  t.type({ id: str, complianceState: str, managementAgent: str }),
  opt({ userPrincipalName: str, emailAddress: str, lastSyncDateTime: str, graceDeadline: str }),
]);

export const DecisionFactsC = t.intersection([
  t.type({
    /** Which of the policy's groups the user is in. */
    groups: t.type({ included: strs, excluded: strs }),
    /** The mapped managed device, or null. */
    intune: t.union([IntuneFacts, t.null]),
    /** Managed devices with this EAS id that belong to another user. */
    conflicts: t.array(t.type({ id: str, user: str })),
  }),
  opt({
    exception: t.type({ type: t.keyof({ family: null, model: null }), name: str, access: Access }),
    /** Exchange's own evaluation, for devices the engine does not govern. */
    exchange: t.intersection([t.type({ access: Access, reason: str }), opt({ rule: str })]),
    /** Set when a quarantine decision cannot be expressed because a Block rule also matches. */
    overriddenBy: str,
    /** Set when the decision is judged at a moment: the grace deadline had passed. */
    graceExpired: t.boolean,
    /** Set when an administrator's override decided (rule 9). */
    override: t.intersection([
      t.type({ overrideId: str, access: t.keyof({ allow: null, block: null }), until: str, reason: str, by: str }),
      opt({ notify: t.boolean }),
    ]),
  }),
]);
export type DecisionFacts = t.TypeOf<typeof DecisionFactsC>;

const MailboxInfo = {
  identity: str,
  primarySmtpAddress: str,
  addresses: strs,
  activeSyncEnabled: t.boolean,
};
const MailboxInfoOpt = { displayName: str, distinguishedName: str, userPrincipalName: str, guid: str };

const PartnershipFields = t.intersection([
  t.type({ deviceId: str, identity: str, deviceType: str, deviceModel: str }),
  opt({ deviceOS: str, deviceUserAgent: str, friendlyName: str, firstSyncTime: str, distinguishedName: str }),
]);

/** Every event type and the codec of its data. */
export const eventCodecs = {
  // --- organization stream: eas-org-<org>
  ConnectorRegistered: t.type({ connectorId: str, organization: str }),
  PolicyChanged: t.type({ revision: t.number, policy: PolicyDocumentC }),
  SyncStarted: t.type({ syncId: str, kind: SyncKind }),
  SyncCompleted: t.intersection([
    t.type({
      syncId: str,
      kind: SyncKind,
      success: t.boolean,
      devices: t.number,
      commands: t.type({ succeeded: t.number, failed: t.number }),
      access: t.type({ allow: t.number, block: t.number, quarantine: t.number }),
      warnings: t.number,
    }),
    /** The latest FirstSyncTime known: the next quick sync looks for partnerships after it. */
    opt({ watermark: str }),
  ]),
  SyncFailed: t.type({ syncId: str, kind: SyncKind, error: ErrorInfo }),
  OrgDriftDetected: t.type({ syncId: str, field: str, expected: t.unknown, actual: t.unknown }),
  CasServersDiscovered: t.type({ servers: strs }),
  /** The engine moved to another Client Access server (failover, or back to the primary). */
  CasSwitched: t.type({ syncId: str, from: str, to: str, reason: str }),
  /** The first restrictive DefaultAccessLevel: not-governed devices Exchange allowed were kept allowed. */
  GrandfatheringApplied: t.type({ syncId: str, devices: t.number }),
  // --- mailbox streams: eas-mailbox-<org>-<mailbox identity>
  MailboxDiscovered: t.intersection([t.type({ ...MailboxInfo, allowedDeviceIds: strs, blockedDeviceIds: strs }), opt(MailboxInfoOpt)]),
  MailboxUpdated: t.intersection([t.type(MailboxInfo), opt(MailboxInfoOpt)]),
  ListsDriftDetected: t.type({
    syncId: str,
    expected: t.type({ allowedDeviceIds: strs, blockedDeviceIds: strs }),
    actual: t.type({ allowedDeviceIds: strs, blockedDeviceIds: strs }),
  }),
  PartnershipDiscovered: PartnershipFields,
  PartnershipUpdated: PartnershipFields,
  /** `commandId`: removed by the engine's own Remove-MobileDevice (stale clean-up); absent: gone from Get-MobileDevice. */
  PartnershipRemoved: t.intersection([t.type({ deviceId: str }), opt({ commandId: str })]),
  /** A full sync chose this partnership for removal: no successful sync for `afterDays` days (or never, since FirstSyncTime). */
  PartnershipStale: t.intersection([t.type({ syncId: str, deviceId: str, afterDays: t.number }), opt({ lastSuccessSync: str })]),
  DeviceGrandfathered: t.type({ syncId: str, deviceId: str }),
  AccessDecided: t.type({
    syncId: str,
    deviceId: str,
    access: Access,
    reason: ReasonC,
    governed: t.boolean,
    policyRevision: t.number,
    facts: DecisionFactsC,
  }),
  NotificationSent: t.type({ deviceId: str, to: str, reason: ReasonC }),
  // --- administrator actions (mailbox stream): who, why, until when; text, never markup
  OverrideGranted: t.intersection([
    t.type({
      overrideId: str,
      deviceId: str,
      access: t.keyof({ allow: null, block: null }),
      from: str,
      until: str,
      reason: str,
      by: str,
    }),
    opt({ notify: t.boolean }),
  ]),
  OverrideRevoked: t.type({ overrideId: str, deviceId: str, reason: str, by: str }),
  /** An administrator asked for a remote wipe; the engine sends it (Clear-MobileDevice) at its next sync. */
  WipeRequested: t.type({ wipeId: str, deviceId: str, accountOnly: t.boolean, reason: str, by: str }),
  /** Get-MobileDeviceStatistics shows the phone acknowledged the wipe. */
  WipeAcknowledged: t.intersection([t.type({ wipeId: str, deviceId: str, ackTime: str }), opt({ status: str })]),
  NotificationFailed: t.type({ deviceId: str, to: str, error: ErrorInfo }),
  // --- both: commands to Exchange, intent before action
  CommandIntended: t.type({ syncId: str, commandId: str, command: CommandC }),
  CommandSucceeded: t.intersection([t.type({ commandId: str }), opt({ reconciled: t.boolean })]),
  CommandFailed: t.intersection([t.type({ commandId: str, error: ErrorInfo }), opt({ reconciled: t.boolean })]),
} as const;

export type EventType = keyof typeof eventCodecs;
export type EventData<K extends EventType> = t.TypeOf<(typeof eventCodecs)[K]>;
export type DomainEvent = { [K in EventType]: { readonly type: K; readonly data: EventData<K> } }[EventType];
export type EventOf<K extends EventType> = Extract<DomainEvent, { type: K }>;

/** A domain event as read from a store, with its envelope. */
export type RecordedEvent = DomainEvent & {
  readonly stream: string;
  readonly revision: number;
  readonly position: number;
  readonly id: string;
  readonly at: string;
};
