// Events as the core reads and writes them: the schema (event-schema.ts, by
// name), decoding an event read from a store (a hand-checked fast path, the
// io-ts codecs for everything else and for the error paths), and stream names.
import type * as t from 'io-ts';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { issuesOf, type Issue } from './codec.js';
import { ReasonC, eventCodecs, type DomainEvent, type EventData, type EventOf, type EventType } from './event-schema.js';

export * from './event-schema.js';

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
