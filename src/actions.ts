// Administrator actions on one partnership (overrides, docs/domain.md rule 9;
// remote wipes, "Device lifecycle"):
// finding the partnership among the organization's mailboxes and deciding the
// events, pure. The engine appends them between syncs; `eas-sync override LOG`
// appends them to a log no engine holds.
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { DomainEvent } from './events.js';
import type { OrgState } from './state.js';
import { decideMailbox, deviceKey, type MailboxState } from './mailbox.js';
import { keyedGet } from './mailbox/keyed.js';

export interface OverrideRequest {
  readonly deviceId: string;
  /** The mailbox (Identity or primary SMTP address, case-insensitive) when the id is in several. */
  readonly mailbox?: string;
  readonly access: 'allow' | 'block';
  /** The end (ms since the epoch). */
  readonly untilMs: number;
  readonly reason: string;
  readonly by: string;
  /** Tell the user of a block (not done by default). */
  readonly notify?: boolean;
}

export interface RevokeRequest {
  readonly deviceId: string;
  readonly mailbox?: string;
  readonly reason: string;
  readonly by: string;
}

export interface WipeRequest {
  readonly deviceId: string;
  readonly mailbox?: string;
  /** Clear-MobileDevice -AccountOnly: only the mailbox's data (Exchange 2016 and later). */
  readonly accountOnly?: boolean;
  readonly reason: string;
  readonly by: string;
}

export interface ActionRefusal {
  readonly kind:
    'unknownDevice' | 'ambiguousDevice' | 'notGoverned' | 'badUntil' | 'noOverride' | 'badText' | 'unknownCommand' | 'wipeInProgress';
  readonly message: string;
  /** ambiguousDevice: the mailboxes that hold the id. */
  readonly mailboxes?: readonly string[];
}

export interface ActionDecided {
  readonly stream: string;
  readonly mailbox: string;
  readonly deviceId: string;
  /** Nothing when the same override is already in force (a retried request). */
  readonly events: readonly DomainEvent[];
  readonly overrideId?: string;
  readonly wipeId?: string;
}

/** Longest override unless configured: 30 days. */
export const DEFAULT_MAX_OVERRIDE_DAYS = 30;

/** The one partnership with this id (narrowed by mailbox when given). */
function locatePartnership(
  state: OrgState,
  deviceId: string,
  mailbox?: string,
): Either<ActionRefusal, { stream: string; ms: MailboxState; deviceId: string }> {
  const k = deviceKey(deviceId);
  const m = mailbox?.toLowerCase();
  const found: Array<{ stream: string; ms: MailboxState }> = [];
  for (const [stream, ms] of state.mailboxes) {
    if (!keyedGet(ms.devices, k)) continue;
    if (m !== undefined && ms.info?.identity.toLowerCase() !== m && ms.info?.primarySmtpAddress.toLowerCase() !== m) continue;
    found.push({ stream, ms });
  }
  if (found.length === 0)
    return left({
      kind: 'unknownDevice',
      message: `no device partnership with id ${JSON.stringify(deviceId)}${mailbox !== undefined ? ` in mailbox ${JSON.stringify(mailbox)}` : ''}`,
    });
  if (found.length > 1) {
    const mailboxes = found.map((f) => f.ms.info?.identity ?? f.stream);
    return left({
      kind: 'ambiguousDevice',
      message: `${JSON.stringify(deviceId)} is a partnership of ${found.length} mailboxes (${mailboxes.map((x) => JSON.stringify(x)).join(', ')}): name one with --mailbox`,
      mailboxes,
    });
  }
  const f = found[0]!;
  return right({ ...f, deviceId: keyedGet(f.ms.devices, k)!.deviceId });
}

/** The events of granting an override (none when the same one is already in force). */
export function decideOverride(state: OrgState, r: OverrideRequest, atMs: number, maxDays: number): Either<ActionRefusal, ActionDecided> {
  const at = locatePartnership(state, r.deviceId, r.mailbox);
  if (isLeft(at)) return at;
  const { stream, ms, deviceId } = at.right;
  const mailbox = ms.info?.identity ?? stream;
  const current = keyedGet(ms.devices, deviceKey(deviceId))!.override;
  const same =
    current !== undefined &&
    Date.parse(current.until) > atMs &&
    current.access === r.access &&
    Date.parse(current.until) === r.untilMs &&
    current.reason === r.reason &&
    current.by === r.by &&
    (current.notify === true) === (r.notify === true);
  if (same) return right({ stream, mailbox, deviceId, events: [], overrideId: current.overrideId });
  // Unique within the stream and stable for the event: the revision it will be written at.
  const overrideId = `override-${(state.revisions.get(stream) ?? -1) + 1}-${atMs.toString(36)}`;
  const d = decideMailbox(
    {
      type: 'GrantOverride',
      overrideId,
      deviceId,
      access: r.access,
      atMs,
      untilMs: r.untilMs,
      maxMs: maxDays * 86_400_000,
      reason: r.reason,
      by: r.by,
      ...(r.notify ? { notify: true } : {}),
    },
    ms,
  );
  if (isLeft(d)) return left(d.left);
  return right({ stream, mailbox, deviceId, events: d.right.events, overrideId });
}

/** The events of revoking the override in force. */
export function decideRevoke(state: OrgState, r: RevokeRequest, atMs: number): Either<ActionRefusal, ActionDecided> {
  const at = locatePartnership(state, r.deviceId, r.mailbox);
  if (isLeft(at)) return at;
  const { stream, ms, deviceId } = at.right;
  const d = decideMailbox({ type: 'RevokeOverride', deviceId, atMs, reason: r.reason, by: r.by }, ms);
  if (isLeft(d)) return left(d.left);
  return right({
    stream,
    mailbox: ms.info?.identity ?? stream,
    deviceId,
    events: d.right.events,
    overrideId: keyedGet(ms.devices, deviceKey(deviceId))!.override!.overrideId,
  });
}

/**
 * The events of requesting a remote wipe (sent by the next sync). The same
 * request again while it is outstanding records nothing (a retried request);
 * another one is refused until the first is acknowledged or has failed.
 */
export function decideWipe(state: OrgState, r: WipeRequest, atMs: number): Either<ActionRefusal, ActionDecided> {
  const at = locatePartnership(state, r.deviceId, r.mailbox);
  if (isLeft(at)) return at;
  const { stream, ms, deviceId } = at.right;
  const mailbox = ms.info?.identity ?? stream;
  const w = keyedGet(ms.devices, deviceKey(deviceId))!.wipe;
  const outstanding = w !== undefined && (w.stage === 'requested' || w.stage === 'sent');
  if (outstanding && w.accountOnly === (r.accountOnly === true) && w.reason === r.reason && w.by === r.by)
    return right({ stream, mailbox, deviceId, events: [], wipeId: w.wipeId });
  const wipeId = `wipe-${(state.revisions.get(stream) ?? -1) + 1}-${atMs.toString(36)}`;
  const d = decideMailbox({ type: 'RequestWipe', wipeId, deviceId, accountOnly: r.accountOnly === true, reason: r.reason, by: r.by }, ms);
  if (isLeft(d)) return left(d.left);
  return right({ stream, mailbox, deviceId, events: d.right.events, wipeId });
}
