// The mailbox rules: how one mailbox's events change what is known of its
// devices. Every fold of mailbox events calls these — the decider's state
// (evolve.ts), the lean fold of what-if, the device-access projection that
// replay prints, explain (through evolve) and the connector status — so that
// none of them restates a rule. Small pure functions over plain values: each
// fold keeps its own data shape (some are tuned for speed) and asks these what
// the new value is.
import type { AccessLevel } from '../facts.js';
import type { ExchangeCommand, ListChange, MailboxCommandOf, SetCasMailbox } from '../commands.js';
import type { EventData, Reason } from '../events.js';
import { keyedWith, keyedWithout } from './keyed.js';

// ------------------------------------------------------------------ DeviceIds
// Exchange compares DeviceIds without regard to case: so does every fold, and
// the decider keys its devices by the lower-cased id.

/** The key of a DeviceId: equal for ids Exchange treats as the same device. */
export const deviceKey = (deviceId: string): string => deviceId.toLowerCase();

/** Whether `list` has an entry for the device whose key is `key` (see `deviceKey`). */
export function hasDeviceKey(list: readonly string[], key: string): boolean {
  for (let i = 0; i < list.length; i++) if (list[i]!.toLowerCase() === key) return true;
  return false;
}

/**
 * `hasDeviceKey(list, key)` where `key` is `deviceKey(deviceId)`: the entry spelled as the
 * DeviceId is looked for first (what the engine writes), so the usual hit lower-cases nothing.
 */
export function hasDevice(list: readonly string[], deviceId: string, key: string): boolean {
  for (let i = 0; i < list.length; i++) if (list[i] === deviceId) return true;
  return hasDeviceKey(list, key);
}

const NO_ENTRIES: readonly string[] = Object.freeze([]);

/** The entries of `list` for the device whose key is `key`, as spelled in the list (most lists are short or empty). */
export const entriesOf = (list: readonly string[], key: string): readonly string[] =>
  list.length === 0 ? NO_ENTRIES : list.filter((x) => x.toLowerCase() === key);

/**
 * The index of the item of `items` for DeviceId `deviceId`, or -1. The same
 * spelling is looked for first: no lower-casing (no allocation) in the usual case.
 */
export function indexOfDevice<T>(items: readonly T[], deviceId: string, idOf: (item: T) => string): number {
  for (let i = 0; i < items.length; i++) if (idOf(items[i]!) === deviceId) return i;
  const k = deviceId.toLowerCase();
  for (let i = 0; i < items.length; i++) if (idOf(items[i]!).toLowerCase() === k) return i;
  return -1;
}

/** Whether two lists hold the same devices (order and spelling aside). */
export function sameDeviceSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  // Usual case: the same entries in the same order, spelled alike (no Set, no lower-casing).
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  if (i === a.length) return true;
  const s = new Set(a.map(deviceKey));
  return b.every((x) => s.has(deviceKey(x)));
}

// ------------------------------------------------------------------ the lists
export interface MailboxLists {
  readonly allowedDeviceIds: readonly string[];
  readonly blockedDeviceIds: readonly string[];
}

/** Applies an @{Add;Remove} change the way Exchange does: remove, then add; case-insensitive; no duplicates. */
export function applyListChange(list: readonly string[], change: ListChange): string[] {
  const removed = new Set(change.remove.map(deviceKey));
  const out = list.filter((x) => !removed.has(deviceKey(x)));
  for (const a of change.add) if (!hasDeviceKey(out, deviceKey(a))) out.push(a);
  return out;
}

/**
 * A list a state keeps: the shared empty one, or a copy of exactly its length. The lists a fold makes
 * grow by `push`, which leaves room for ~16 more entries: ~150 bytes a mailbox kept for ever otherwise.
 */
export const keptList = (list: readonly string[]): readonly string[] => (list.length === 0 ? NO_ENTRIES : list.slice());

const NO_LISTS: MailboxLists = Object.freeze({ allowedDeviceIds: NO_ENTRIES, blockedDeviceIds: NO_ENTRIES });

/**
 * The lists a state keeps of lists as observed (an event's, exactly as long as they are): most mailboxes
 * have no entries at all, and then share one pair of empty lists.
 */
export const observedLists = (allowed: readonly string[], blocked: readonly string[]): MailboxLists =>
  allowed.length === 0 && blocked.length === 0
    ? NO_LISTS
    : { allowedDeviceIds: allowed.length === 0 ? NO_ENTRIES : allowed, blockedDeviceIds: blocked.length === 0 ? NO_ENTRIES : blocked };

/** One list once a change has been applied: itself when the change is empty. */
const listAfter = (list: readonly string[], change: ListChange): readonly string[] =>
  change.add.length === 0 && change.remove.length === 0 ? list : keptList(applyListChange(list, change));

/** The lists once a Set-CasMailbox has succeeded. */
export const listsAfter = (lists: MailboxLists, c: Pick<SetCasMailbox, 'allowedDeviceIds' | 'blockedDeviceIds'>): MailboxLists => ({
  allowedDeviceIds: listAfter(lists.allowedDeviceIds, c.allowedDeviceIds),
  blockedDeviceIds: listAfter(lists.blockedDeviceIds, c.blockedDeviceIds),
});

/** The lists once a mailbox command succeeded: only a Set-CasMailbox changes them (a wipe or a removal leaves the entries). */
export const listsAfterIntent = (lists: MailboxLists, c: MailboxIntent): MailboxLists =>
  c.kind === 'setCasMailbox' ? listsAfter(lists, c) : lists;

/** The changes one Set-CasMailbox is built from, gathered device by device. */
export interface ListChanges {
  readonly allowed: { readonly add: string[]; readonly remove: string[] };
  readonly blocked: { readonly add: string[]; readonly remove: string[] };
}
export const noListChanges = (): ListChanges => ({ allowed: { add: [], remove: [] }, blocked: { add: [], remove: [] } });
export const hasListChanges = (c: ListChanges): boolean =>
  c.allowed.add.length + c.allowed.remove.length + c.blocked.add.length + c.blocked.remove.length > 0;

/**
 * Enforcing a governed decision: allow is an entry in the allowed list, block
 * one in the blocked list, quarantine neither (Exchange's default or a
 * Quarantine rule applies). Adds the entries the device lacks and removes, as
 * spelled, those it must not have. `key` is `deviceKey(deviceId)`.
 */
export function enforce(lists: MailboxLists, deviceId: string, key: string, access: AccessLevel, into: ListChanges): void {
  const inA = entriesOf(lists.allowedDeviceIds, key);
  const inB = entriesOf(lists.blockedDeviceIds, key);
  if (access === 'allow' && inA.length === 0) into.allowed.add.push(deviceId);
  if (access !== 'allow' && inA.length > 0) into.allowed.remove.push(...inA);
  if (access === 'block' && inB.length === 0) into.blocked.add.push(deviceId);
  if (access !== 'block' && inB.length > 0) into.blocked.remove.push(...inB);
}

/** A Set-CasMailbox's two changes from gathered ones. */
export const changeOf = (c: ListChanges): Pick<SetCasMailbox, 'allowedDeviceIds' | 'blockedDeviceIds'> => ({
  allowedDeviceIds: { add: c.allowed.add, remove: c.allowed.remove },
  blockedDeviceIds: { add: c.blocked.add, remove: c.blocked.remove },
});

// ------------------------------------------------------------------ ownership
/** The list entry the engine wrote for a device and still owns. */
export type Owned = 'allowed' | 'blocked' | undefined;

/** How a fold reads and writes the ownership of its devices (absent devices are skipped). */
export interface OwnershipTarget {
  /** Kept allowed by grandfathering: the allowed entry is the user's, not the engine's. */
  grandfathered(deviceId: string): boolean;
  own(deviceId: string, owned: Owned): void;
}

/**
 * Ownership after a Set-CasMailbox succeeded: a removed entry is no longer the
 * engine's; an added blocked entry is; an added allowed entry is, unless the
 * device was grandfathered. Removals first, then additions, as Exchange applies them.
 */
export function recordOwnership(c: MailboxIntent, t: OwnershipTarget): void {
  if (c.kind !== 'setCasMailbox') return;
  for (const id of c.allowedDeviceIds.remove) t.own(id, undefined);
  for (const id of c.blockedDeviceIds.remove) t.own(id, undefined);
  for (const id of c.allowedDeviceIds.add) if (!t.grandfathered(id)) t.own(id, 'allowed');
  for (const id of c.blockedDeviceIds.add) t.own(id, 'blocked');
}

// ------------------------------------------------------------------ decisions and episodes
/** A device's recorded decision (an AccessDecided, with its moment). */
export interface DecisionState {
  readonly access: AccessLevel;
  readonly reason: Reason;
  readonly governed: boolean;
  readonly policyRevision: number;
  readonly facts: EventData<'AccessDecided'>['facts'];
  readonly syncId: string;
  readonly at: string;
}

/** The decision an AccessDecided records. Fields spelled out: spreading objects fresh from JSON.parse is many times slower. */
export const decisionOf = (x: EventData<'AccessDecided'>, at: string): DecisionState => ({
  syncId: x.syncId,
  access: x.access,
  reason: x.reason,
  governed: x.governed,
  policyRevision: x.policyRevision,
  facts: x.facts,
  at,
});

/**
 * A restricted episode ends when the device is allowed or no longer governed:
 * its user may be told again when it is restricted next. Otherwise whether the
 * user was told carries over.
 */
export const notifiedAfter = (notified: boolean, d: { readonly access: AccessLevel; readonly governed: boolean }): boolean =>
  d.access === 'allow' || !d.governed ? false : notified;

/** Devices whose user should now be told how to regain access (once per episode). */
export function needsNotification(
  d: { readonly notified: boolean },
  decision: {
    readonly access: AccessLevel;
    readonly reason: Reason;
    readonly governed: boolean;
    readonly facts?: { readonly override?: { readonly notify?: boolean } };
  },
): boolean {
  return (
    decision.governed &&
    decision.access !== 'allow' &&
    !d.notified &&
    (decision.reason === 'notEnrolled' ||
      decision.reason === 'notCompliant' ||
      // An administrator's block tells the user only when the administrator asked for it.
      (decision.reason === 'adminOverride' && decision.facts?.override?.notify === true))
  );
}

// ------------------------------------------------------------------ pending intents
// A mailbox's pending intents are its Set-CasMailbox, Clear-MobileDevice and
// Remove-MobileDevice intents without an outcome yet (the organization's stream
// keeps the other commands' the same way). An intent with the id of a pending
// one replaces it; an outcome ends the intent of its id (an outcome for no
// pending intent changes nothing).

/** A command whose intent pends on a mailbox stream. */
export type MailboxIntent = MailboxCommandOf;

/** The mailbox command an intent pends on its mailbox, or undefined (org commands are the connector's). */
export const mailboxIntent = (c: ExchangeCommand): MailboxIntent | undefined =>
  c.kind === 'setCasMailbox' || c.kind === 'clearMobileDevice' || c.kind === 'removeMobileDevice' ? c : undefined;

/** `pending` with the intent `item` of `commandId` (replacing one of that id). Never mutates. */
export function withIntent<T>(pending: readonly T[], commandId: string, item: T, idOf: (item: T) => string): readonly T[] {
  for (let i = 0; i < pending.length; i++) if (idOf(pending[i]!) === commandId) return pending.map((p, j) => (j === i ? item : p));
  return pending.length === 0 ? [item] : [...pending, item];
}

/** `pending` without the intent of `commandId` (the same list when it has none). Never mutates. */
export function withoutIntent<T>(pending: readonly T[], commandId: string, idOf: (item: T) => string): readonly T[] {
  for (let i = 0; i < pending.length; i++) if (idOf(pending[i]!) === commandId) return pending.filter((_, j) => j !== i);
  return pending;
}

/** The same two rules over intents kept by id in a dictionary (the decider's state). */
export const hasIntent = (pending: Readonly<Record<string, unknown>>, commandId: string): boolean =>
  Object.prototype.hasOwnProperty.call(pending, commandId);
export const withIntentIn = <T>(pending: Readonly<Record<string, T>>, commandId: string, item: T): Readonly<Record<string, T>> =>
  keyedWith(pending, commandId, item);
export const withoutIntentIn = <T>(pending: Readonly<Record<string, T>>, commandId: string): Readonly<Record<string, T>> =>
  keyedWithout(pending, commandId);

// ------------------------------------------------------------------ remote wipes
/**
 * Where an administrator's wipe stands: `requested` (recorded, Clear-MobileDevice
 * not yet run, or to be run again because Exchange showed it was not applied),
 * `sent` (Exchange accepted it; the phone gets it at its next contact),
 * `acknowledged` (the phone confirmed), `failed` (Exchange refused it).
 */
export type WipeStage = 'requested' | 'sent' | 'acknowledged' | 'failed';

export interface WipeState {
  readonly wipeId: string;
  readonly accountOnly: boolean;
  readonly reason: string;
  readonly by: string;
  readonly requestedAt: string;
  readonly stage: WipeStage;
  readonly sentAt?: string;
  readonly ackTime?: string;
  readonly error?: { readonly kind: string; readonly message: string };
}

// Failures that say nothing about the wipe itself: it was not applied, so it may be sent again.
const RETRYABLE: ReadonlySet<string> = new Set(['interrupted', 'connectionLost', 'throttled', 'sessionBroken']);

/**
 * A wipe after its Clear-MobileDevice failed: still `requested` when the failure
 * was the connection's or a crash's (Exchange did not apply it: sending it again
 * is not a second wipe), otherwise `failed` for good (not found, refused).
 */
export const wipeAfterFailure = (w: WipeState, error: { readonly kind: string; readonly message: string }): WipeState =>
  wipeFailureIsFinal(error.kind) ? { ...w, stage: 'failed', error: { kind: error.kind, message: error.message } } : w;

/** Whether a Clear-MobileDevice failure of this kind ends the wipe (Exchange refused it) rather than leaving it to be sent again. */
export const wipeFailureIsFinal = (kind: string): boolean => !RETRYABLE.has(kind);

/** Whether a wipe is still to be acted on (sent, or watched for its acknowledgement). */
export const wipeOutstanding = (w: WipeState | undefined): boolean => w !== undefined && (w.stage === 'requested' || w.stage === 'sent');
