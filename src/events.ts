// The log's schema: every event type with its io-ts codec. Events are read back
// through these codecs, so a hand-edited or foreign line is an error with a path,
// never a silently wrong state. Schema version 1 (meta.schema); a future version
// adds upcasters here, keyed by (type, version).
import * as t from 'io-ts';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { issuesOf, type Issue } from './codec.js';
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

export const isEventType = (s: string): s is EventType => Object.prototype.hasOwnProperty.call(eventCodecs, s);

// ------------------------------------------------------------- fast path
// Replaying a log decodes every line; io-ts's generic walk costs more than the
// JSON.parse of the line. These hand-written checks accept exactly what the
// codecs above accept (test/events.test.ts checks it on random valid and mutated
// events); the codecs stay the schema of record. A value a check accepts is
// returned as is (the codecs are identities on valid data, so io-ts would return
// the same object); a value it rejects goes through the codec, which gives the
// error its path and message. Types without a check (PolicyChanged, rare) always
// take the codec.
type Check = (u: any) => boolean; // eslint-disable-line @typescript-eslint/no-explicit-any

const isRec = (u: unknown): boolean => u !== null && typeof u === 'object' && !Array.isArray(u);
const hasOwn = (u: object, k: string): boolean => Object.prototype.hasOwnProperty.call(u, k);
const isStr = (u: unknown): boolean => typeof u === 'string';
const optStr = (u: unknown): boolean => u === undefined || typeof u === 'string';
const isNum = (u: unknown): boolean => typeof u === 'number';
const isBool = (u: unknown): boolean => typeof u === 'boolean';
function isStrs(u: unknown): boolean {
  if (!Array.isArray(u)) return false;
  for (let i = 0; i < u.length; i++) if (typeof u[i] !== 'string') return false;
  return true;
}
const isAccess = (u: unknown): boolean => u === 'allow' || u === 'block' || u === 'quarantine';
const isLevel = (u: unknown): boolean => u === 'Allow' || u === 'Block' || u === 'Quarantine';
const isKind = (u: unknown): boolean => u === 'full' || u === 'quick';
const isReason = (u: unknown): boolean => typeof u === 'string' && Object.prototype.hasOwnProperty.call(ReasonC.keys, u);
const isCharacteristic = (u: unknown): boolean =>
  u === 'DeviceType' || u === 'DeviceModel' || u === 'DeviceOS' || u === 'UserAgent' || u === 'XMSWLHeader';
const isError: Check = (u) => isRec(u) && isStr(u.kind) && isStr(u.message);
const isListChange: Check = (u) => isRec(u) && isStrs(u.add) && isStrs(u.remove);
const isLists: Check = (u) => isRec(u) && isStrs(u.allowedDeviceIds) && isStrs(u.blockedDeviceIds);

const isCommand: Check = (u) => {
  if (!isRec(u)) return false;
  switch (u.kind) {
    case 'setCasMailbox':
      return isStr(u.mailbox) && isListChange(u.allowedDeviceIds) && isListChange(u.blockedDeviceIds);
    case 'setOrgSettings':
      return (
        (u.defaultAccessLevel === undefined || isLevel(u.defaultAccessLevel)) &&
        optStr(u.userMailInsert) &&
        (u.adminMailRecipients === undefined || isStrs(u.adminMailRecipients))
      );
    case 'newDeviceAccessRule':
      return isCharacteristic(u.characteristic) && isStr(u.queryString) && isLevel(u.accessLevel);
    case 'setDeviceAccessRule':
      return isStr(u.name) && isLevel(u.accessLevel);
    case 'removeDeviceAccessRule':
      return isStr(u.name);
    case 'clearMobileDevice':
      return isStr(u.identity) && isStr(u.deviceId) && isStr(u.mailbox) && isBool(u.accountOnly) && isStr(u.wipeId);
    case 'removeMobileDevice':
      return isStr(u.identity) && isStr(u.deviceId) && isStr(u.mailbox);
    default:
      return false;
  }
};

const isIntuneFacts: Check = (u) =>
  isRec(u) &&
  isStr(u.id) &&
  isStr(u.complianceState) &&
  isStr(u.managementAgent) &&
  optStr(u.userPrincipalName) &&
  optStr(u.emailAddress) &&
  optStr(u.lastSyncDateTime) &&
  optStr(u.graceDeadline);

function isConflicts(u: unknown): boolean {
  if (!Array.isArray(u)) return false;
  for (let i = 0; i < u.length; i++) {
    const c = u[i];
    if (!isRec(c) || !isStr(c.id) || !isStr(c.user)) return false;
  }
  return true;
}

const isFacts: Check = (u) => {
  if (!isRec(u)) return false;
  const g = u.groups;
  if (!isRec(g) || !isStrs(g.included) || !isStrs(g.excluded)) return false;
  if (u.intune !== null && !isIntuneFacts(u.intune)) return false;
  if (!isConflicts(u.conflicts)) return false;
  const x = u.exception;
  if (x !== undefined && !(isRec(x) && (x.type === 'family' || x.type === 'model') && isStr(x.name) && isAccess(x.access))) return false;
  const ex = u.exchange;
  if (ex !== undefined && !(isRec(ex) && isAccess(ex.access) && isStr(ex.reason) && optStr(ex.rule))) return false;
  const o = u.override;
  if (
    o !== undefined &&
    !(
      isRec(o) &&
      isStr(o.overrideId) &&
      (o.access === 'allow' || o.access === 'block') &&
      isStr(o.until) &&
      isStr(o.reason) &&
      isStr(o.by) &&
      (o.notify === undefined || isBool(o.notify))
    )
  )
    return false;
  return optStr(u.overriddenBy) && (u.graceExpired === undefined || isBool(u.graceExpired));
};

const isMailboxInfo: Check = (u) =>
  isStr(u.identity) &&
  isStr(u.primarySmtpAddress) &&
  isStrs(u.addresses) &&
  isBool(u.activeSyncEnabled) &&
  optStr(u.displayName) &&
  optStr(u.distinguishedName) &&
  optStr(u.userPrincipalName) &&
  optStr(u.guid);

const isPartnership: Check = (u) =>
  isRec(u) &&
  isStr(u.deviceId) &&
  isStr(u.identity) &&
  isStr(u.deviceType) &&
  isStr(u.deviceModel) &&
  optStr(u.deviceOS) &&
  optStr(u.deviceUserAgent) &&
  optStr(u.friendlyName) &&
  optStr(u.firstSyncTime) &&
  optStr(u.distinguishedName);

const fastChecks: { readonly [K in EventType]?: Check } = {
  ConnectorRegistered: (u) => isRec(u) && isStr(u.connectorId) && isStr(u.organization),
  SyncStarted: (u) => isRec(u) && isStr(u.syncId) && isKind(u.kind),
  SyncCompleted: (u) =>
    isRec(u) &&
    isStr(u.syncId) &&
    isKind(u.kind) &&
    isBool(u.success) &&
    isNum(u.devices) &&
    isRec(u.commands) &&
    isNum(u.commands.succeeded) &&
    isNum(u.commands.failed) &&
    isRec(u.access) &&
    isNum(u.access.allow) &&
    isNum(u.access.block) &&
    isNum(u.access.quarantine) &&
    isNum(u.warnings) &&
    optStr(u.watermark),
  SyncFailed: (u) => isRec(u) && isStr(u.syncId) && isKind(u.kind) && isError(u.error),
  // t.unknown accepts a missing key, but io-ts then returns a copy with the key
  // set to undefined: leave those (never written by the engine) to the codec.
  OrgDriftDetected: (u) => isRec(u) && isStr(u.syncId) && isStr(u.field) && hasOwn(u, 'expected') && hasOwn(u, 'actual'),
  CasServersDiscovered: (u) => isRec(u) && isStrs(u.servers),
  CasSwitched: (u) => isRec(u) && isStr(u.syncId) && isStr(u.from) && isStr(u.to) && isStr(u.reason),
  GrandfatheringApplied: (u) => isRec(u) && isStr(u.syncId) && isNum(u.devices),
  MailboxDiscovered: (u) => isRec(u) && isMailboxInfo(u) && isStrs(u.allowedDeviceIds) && isStrs(u.blockedDeviceIds),
  MailboxUpdated: (u) => isRec(u) && isMailboxInfo(u),
  ListsDriftDetected: (u) => isRec(u) && isStr(u.syncId) && isLists(u.expected) && isLists(u.actual),
  PartnershipDiscovered: isPartnership,
  PartnershipUpdated: isPartnership,
  PartnershipRemoved: (u) => isRec(u) && isStr(u.deviceId) && optStr(u.commandId),
  PartnershipStale: (u) => isRec(u) && isStr(u.syncId) && isStr(u.deviceId) && isNum(u.afterDays) && optStr(u.lastSuccessSync),
  WipeRequested: (u) => isRec(u) && isStr(u.wipeId) && isStr(u.deviceId) && isBool(u.accountOnly) && isStr(u.reason) && isStr(u.by),
  WipeAcknowledged: (u) => isRec(u) && isStr(u.wipeId) && isStr(u.deviceId) && isStr(u.ackTime) && optStr(u.status),
  DeviceGrandfathered: (u) => isRec(u) && isStr(u.syncId) && isStr(u.deviceId),
  AccessDecided: (u) =>
    isRec(u) &&
    isStr(u.syncId) &&
    isStr(u.deviceId) &&
    isAccess(u.access) &&
    isReason(u.reason) &&
    isBool(u.governed) &&
    isNum(u.policyRevision) &&
    isFacts(u.facts),
  NotificationSent: (u) => isRec(u) && isStr(u.deviceId) && isStr(u.to) && isReason(u.reason),
  NotificationFailed: (u) => isRec(u) && isStr(u.deviceId) && isStr(u.to) && isError(u.error),
  OverrideGranted: (u) =>
    isRec(u) &&
    isStr(u.overrideId) &&
    isStr(u.deviceId) &&
    (u.access === 'allow' || u.access === 'block') &&
    isStr(u.from) &&
    isStr(u.until) &&
    isStr(u.reason) &&
    isStr(u.by) &&
    (u.notify === undefined || isBool(u.notify)),
  OverrideRevoked: (u) => isRec(u) && isStr(u.overrideId) && isStr(u.deviceId) && isStr(u.reason) && isStr(u.by),
  CommandIntended: (u) => isRec(u) && isStr(u.syncId) && isStr(u.commandId) && isCommand(u.command),
  CommandSucceeded: (u) => isRec(u) && isStr(u.commandId) && (u.reconciled === undefined || isBool(u.reconciled)),
  CommandFailed: (u) => isRec(u) && isStr(u.commandId) && isError(u.error) && (u.reconciled === undefined || isBool(u.reconciled)),
};
// One lookup per event (a Map has no inherited keys to guard against).
const fastCheckByType: ReadonlyMap<string, Check> = new Map<string, Check>(Object.entries(fastChecks));

/**
 * Whether the fast check of `type` accepts `data`: true or false, or undefined
 * when the type has no fast check (or is unknown). Exposed for the tests. True
 * implies the codec accepts `data` and decodes it to `data` itself; false leaves
 * the decision (and the error paths) to the codec.
 */
export function fastAccepts(type: string, data: unknown): boolean | undefined {
  const check = fastCheckByType.get(type);
  return check === undefined ? undefined : check(data);
}

/** `decodeEvent` through the io-ts codecs only (the schema of record). */
export function decodeEventWithCodecs(type: string, data: unknown): Either<Issue[], DomainEvent> {
  if (!isEventType(type)) return left([{ path: 'type', message: `unknown event type "${type}"` }]);
  const r = (eventCodecs[type] as t.Mixed).decode(data);
  if (isLeft(r)) return left(issuesOf(r.left).map((i) => ({ path: i.path === '(root)' ? 'data' : `data.${i.path}`, message: i.message })));
  return right({ type, data: r.right } as DomainEvent);
}

/** Decodes the `type` and `data` of an event read from a store. */
export function decodeEvent(type: string, data: unknown): Either<Issue[], DomainEvent> {
  const check = fastCheckByType.get(type);
  if (check !== undefined && check(data)) return right({ type, data } as DomainEvent);
  return decodeEventWithCodecs(type, data);
}

export const event = <K extends EventType>(type: K, data: EventData<K>): EventOf<K> => ({ type, data }) as unknown as EventOf<K>;

// Stream names (docs/architecture.md): one per organization, one per CAS mailbox.
export const orgStream = (org: string) => `eas-org-${org}`;
export const mailboxStreamPrefix = (org: string) => `eas-mailbox-${org}-`;
export const mailboxStream = (org: string, mailboxIdentity: string) => `${mailboxStreamPrefix(org)}${mailboxIdentity}`;
