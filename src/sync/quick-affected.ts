// Which known partnerships a quick sync decides again (discovery.ts): the devices
// that a decision-relevant Intune change names, every device without a decision,
// and those whose recorded decision no longer holds (their user's groups changed,
// an override was granted, revoked or ran out, a grace period ran out); and which
// partnerships Exchange reported that no mailbox knows yet.
//
// A quick sync runs every few minutes over every known mailbox. What it asks of a
// mailbox's devices that does not depend on the sync (the groups they were decided
// under, the instants at which an override or a grace period changes the answer)
// is kept by the devices record, as devices-summary.ts keeps the watermark's: the
// states are immutable, so a record seen before is answered without its devices
// being walked again. The walk (`needsDecision`) stays the rule; the summary only
// says when it cannot mark anything.
import type { GroupMembership, ManagedDevice, MobileDevice } from '../facts.js';
import { deviceKey, type DeviceState, type MailboxState } from '../mailbox.js';
import type { Policy } from '../policy.js';
import type { DeviceContext } from '../access.js';
import { groupsOf } from '../groups.js';
import { mailboxStream } from '../events.js';
import { mailboxIdentityOfDevice } from '../identity.js';
import { keyedGet } from '../mailbox/keyed.js';

type Groups = DeviceContext['groups'];

export interface QuickInput {
  readonly organization: string;
  readonly mailboxes: ReadonlyMap<string, MailboxState>;
  /** Partnerships Exchange reported as first synced since the watermark. */
  readonly reported: readonly MobileDevice[];
  /** Intune devices whose change can alter a decision (a check-in alone cannot). */
  readonly changed: readonly ManagedDevice[];
  readonly groups: GroupMembership;
  readonly policy: Policy;
  /** The sync's instant (overrides and grace periods are judged at it). */
  readonly atMs: number;
}

export interface QuickAffected {
  /** Known partnerships to decide again (device keys), by stream; a mailbox with intents to judge or a wipe to send is there, with none. */
  readonly affected: Map<string, Set<string>>;
  /** Reported partnerships no mailbox knows, in the order reported. */
  readonly fresh: MobileDevice[];
}

export function quickAffected({ organization, mailboxes, reported, changed, groups, policy, atMs }: QuickInput): QuickAffected {
  const affected = new Map<string, Set<string>>();
  const mark = (stream: string, k: string) => {
    const set = affected.get(stream);
    if (set) set.add(k);
    else affected.set(stream, new Set([k]));
  };
  const fresh: MobileDevice[] = [];
  // Exchange reports again the partnerships first synced just before the watermark (it looks back a
  // little): one found under the mailbox its identity names is known, without the map below.
  const unsure = reported.filter((dev) => !knownWhereNamed(mailboxes, organization, dev));
  // Where each known partnership is: only needed when one may be new or Intune changed one. A device
  // key known to two mailboxes (a phone handed on, a shared one) is marked in both: Intune's record
  // maps to one of them and is a conflict for the other, and either answer may have changed.
  if (unsure.length > 0 || changed.length > 0) {
    const streamsOfDevice = new Map<string, string | string[]>();
    mailboxes.forEach((ms, stream) => {
      for (const k in ms.devices) {
        const held = streamsOfDevice.get(k);
        if (held === undefined) streamsOfDevice.set(k, stream);
        else if (typeof held === 'string') streamsOfDevice.set(k, [held, stream]);
        else held.push(stream);
      }
    });
    for (const dev of unsure) if (!streamsOfDevice.has(deviceKey(dev.deviceId))) fresh.push(dev);
    for (const m of changed) {
      if (!m.easDeviceId) continue;
      const k = deviceKey(m.easDeviceId);
      const held = streamsOfDevice.get(k);
      if (typeof held === 'string') mark(held, k);
      else if (held !== undefined) for (const stream of held) mark(stream, k);
    }
  }
  // forEach: a Map iterator made an entry and a result object per mailbox.
  mailboxes.forEach((ms, stream) => {
    const quiet = quietOf(ms.devices);
    let wipeToSend = quiet.wipeRequested;
    const walk = quiet.walk || atMs < quiet.from || atMs >= quiet.until;
    if (walk || quiet.groups !== undefined) {
      const now = groupsOf(ms.info?.addresses ?? [], groups, policy);
      if (walk || groupsChanged(now, quiet.groups!)) {
        for (const k in ms.devices) {
          const dev = ms.devices[k]!;
          if (dev.wipe?.stage === 'requested') wipeToSend = true;
          if (needsDecision(dev, now, atMs)) mark(stream, k);
        }
      }
    }
    // Intents to judge, or a wipe to send: the mailbox is reconciled even when none of its devices changed.
    if ((hasAny(ms.pending) || wipeToSend) && !affected.has(stream)) affected.set(stream, new Set());
  });
  return { affected, fresh };
}

/** Whether the mailbox that `dev`'s identity names knows it (false: it may still be known elsewhere). */
function knownWhereNamed(mailboxes: QuickInput['mailboxes'], organization: string, dev: MobileDevice): boolean {
  const identity = mailboxIdentityOfDevice(dev.identity);
  const ms = identity === undefined ? undefined : mailboxes.get(mailboxStream(organization, identity));
  return ms !== undefined && keyedGet(ms.devices, deviceKey(dev.deviceId)) !== undefined;
}

/** Whether a known device's recorded decision is to be made again, with its user's groups `now`, at `atMs`. */
export function needsDecision(dev: DeviceState, now: Groups, atMs: number): boolean {
  const dec = dev.decision;
  if (!dec) return true;
  const f = dec.facts;
  // Group membership changed for this user.
  if (groupsChanged(now, f.groups)) return true;
  // An override granted, revoked or ended since the decision (its end is a change no other read shows).
  const o = dev.override;
  const inForce = o !== undefined && Date.parse(o.until) > atMs;
  if (inForce ? f.override?.overrideId !== o.overrideId : dec.reason === 'adminOverride') return true;
  // A grace period that has run out since the decision.
  return (
    dec.governed &&
    dec.access === 'allow' &&
    f.intune?.complianceState === 'inGracePeriod' &&
    f.intune.graceDeadline !== undefined &&
    Date.parse(f.intune.graceDeadline) <= atMs
  );
}

// The same lists in the same order (nearly always): unchanged without a closure per list.
const groupsChanged = (now: Groups, was: Groups): boolean =>
  !(sameList(now.included, was.included) && sameList(now.excluded, was.excluded)) &&
  (now.included.length !== was.included.length ||
    now.excluded.length !== was.excluded.length ||
    now.included.some((x) => !was.included.includes(x)) ||
    now.excluded.some((x) => !was.excluded.includes(x)));

/** What `needsDecision` can say of a devices record whatever the groups and the instant. */
interface Quiet {
  /** Some device is marked whatever the instant (no decision; an override rule that always applies), or the devices were decided under different groups. */
  readonly walk: boolean;
  /** The groups every decided device was decided under (undefined: none is decided). */
  readonly groups: Groups | undefined;
  /** No override or grace period marks a device at an instant in [from, until). */
  readonly from: number;
  readonly until: number;
  readonly wipeRequested: boolean;
}

const NOTHING: Quiet = Object.freeze({ walk: false, groups: undefined, from: -Infinity, until: Infinity, wipeRequested: false });
const quiets = new WeakMap<object, Quiet>();

function quietOf(devices: MailboxState['devices']): Quiet {
  const known = quiets.get(devices);
  if (known !== undefined) return known;
  let walk = false;
  let groups: Groups | undefined;
  let from = -Infinity;
  let until = Infinity;
  let wipeRequested = false;
  for (const k in devices) {
    const d = devices[k]!;
    if (d.wipe?.stage === 'requested') wipeRequested = true;
    const dec = d.decision;
    if (!dec) {
      walk = true;
      continue;
    }
    const f = dec.facts;
    if (groups === undefined) groups = f.groups;
    else if (!sameList(groups.included, f.groups.included) || !sameList(groups.excluded, f.groups.excluded)) walk = true;
    // In force before `until` (t < u): marked when the decision is not the override's; after it (or with no
    // override, or one whose end does not parse): marked when the decision still says adminOverride.
    const stale = dec.reason === 'adminOverride';
    const o = d.override;
    const u = o === undefined ? NaN : Date.parse(o.until);
    if (Number.isNaN(u)) {
      if (stale) walk = true;
    } else {
      const other = f.override?.overrideId !== o!.overrideId;
      if (other && stale) walk = true;
      else if (other) from = Math.max(from, u);
      else if (stale) until = Math.min(until, u);
    }
    if (dec.governed && dec.access === 'allow' && f.intune?.complianceState === 'inGracePeriod' && f.intune.graceDeadline !== undefined) {
      // Marked once the deadline is reached (one that does not parse never is).
      const g = Date.parse(f.intune.graceDeadline);
      if (!Number.isNaN(g)) until = Math.min(until, g);
    }
  }
  const q: Quiet =
    !walk && groups === undefined && !wipeRequested && from === -Infinity && until === Infinity
      ? NOTHING
      : { walk, groups, from, until, wipeRequested };
  quiets.set(devices, q);
  return q;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function hasAny(record: Readonly<Record<string, unknown>>): boolean {
  for (const _ in record) return true;
  return false;
}
