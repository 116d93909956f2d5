// Stale partnership clean-up (docs/domain.md, "Device lifecycle"): which
// partnerships a full sync removes with Remove-MobileDevice. Pure: the
// statistics, the state and the moment come in as arguments.
import type { CasMailbox, GroupMembership, MobileDevice, MobileDeviceStatistics } from './facts.js';
import type { Policy } from './policy.js';
import { mailboxStream } from './events.js';
import { deviceKey, wipeOutstanding, type MailboxState } from './mailbox.js';
import { overrideInForce } from './access.js';
import { groupsOf } from './groups.js';
import { MailboxIndex, userAddresses } from './identity.js';
import { keyedGet } from './mailbox/keyed.js';

/** Removals per full sync unless the policy says otherwise: a wrong clock or setting cannot empty the directory in one night. */
export const DEFAULT_MAX_REMOVALS_PER_SYNC = 500;

/** Mailboxes whose statistics one full sync reads at most (see mailboxesToRead). */
export const DEFAULT_CLEANUP_MAILBOXES_PER_SYNC = 10_000;

const DAY_MS = 86_400_000;

/** The key of a partnership's Identity (either slash, any case), as Exchange's -Identity matches it. */
export const identityKey = (identity: string): string => identity.replace(/\\/g, '/').toLowerCase();

/** Statistics by `identityKey`; `null`: Exchange no longer knows the partnership. */
export type StatisticsByIdentity = ReadonlyMap<string, MobileDeviceStatistics | null>;

/** The last time a partnership synced: LastSuccessSync, else its FirstSyncTime (a phone that never completed a sync). */
export function lastActivityMs(device: Pick<MobileDevice, 'firstSyncTime'>, s: MobileDeviceStatistics | undefined): number | undefined {
  const t = s?.lastSuccessSync ?? device.firstSyncTime;
  if (t === undefined) return undefined;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Whether a partnership may be stale at `atMs` without its statistics: it first synced before the cut-off (cheap pre-filter). */
export function mayBeStale(device: Pick<MobileDevice, 'firstSyncTime'>, afterDays: number, atMs: number): boolean {
  const first = device.firstSyncTime === undefined ? NaN : Date.parse(device.firstSyncTime);
  return Number.isNaN(first) || first <= atMs - afterDays * DAY_MS;
}

// FNV-1a: a stable spread of identities over the days.
function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * The mailboxes whose statistics a full sync at `atMs` reads, at most
 * `perSync` of them: all when they fit, otherwise one of ceil(n / perSync)
 * shares, a different one each day (by the date, so a restart changes
 * nothing), every mailbox once in that many days. Get-MobileDeviceStatistics
 * has no organization-wide form: at 100,000 partnerships a full read is some
 * 70,000 calls, which no nightly sync should pay.
 */
export function mailboxesToRead(mailboxes: readonly string[], perSync: number, atMs: number): string[] {
  if (mailboxes.length <= perSync) return [...mailboxes];
  const order = [...mailboxes].sort((a, b) => hash(a) - hash(b) || (a < b ? -1 : a > b ? 1 : 0));
  const shares = Math.ceil(order.length / perSync);
  const share = Math.floor(atMs / DAY_MS) % shares;
  return order.slice(share * perSync, (share + 1) * perSync);
}

export interface StaleRemoval {
  readonly stream: string;
  readonly deviceId: string;
  readonly identity: string;
  readonly mailbox: string;
  readonly lastSuccessSync?: string;
  readonly idleDays: number;
}

export interface StaleSelection {
  /** The removals of this sync, oldest first, at most the policy's maximum. */
  readonly chosen: readonly StaleRemoval[];
  /** Stale partnerships over the maximum, left for the next full sync. */
  readonly deferred: number;
  /** Stale partnerships never removed: an override in force, an excluded user, a wipe not yet acknowledged. */
  readonly kept: { readonly override: number; readonly excludedGroup: number; readonly wipe: number };
  /** Partnerships without statistics (the read failed or was not possible): not judged. */
  readonly unknown: number;
}

export interface StaleArgs {
  readonly organization: string;
  readonly policy: Policy;
  readonly atMs: number;
  readonly devices: readonly MobileDevice[];
  readonly mailboxes: readonly CasMailbox[];
  readonly groups: GroupMembership;
  readonly statistics: StatisticsByIdentity;
  readonly state: ReadonlyMap<string, MailboxState>;
}

/**
 * The partnerships a full sync removes: idle for `removeStaleAfterDays` or more
 * (LastSuccessSync, else FirstSyncTime), never one under an override in force,
 * of a user in an excluded group, or with a wipe outstanding; the longest idle
 * first, at most `maxRemovalsPerSync`. Nothing when the policy does not ask.
 */
export function selectStale(a: StaleArgs): StaleSelection {
  const afterDays = a.policy.removeStaleAfterDays;
  const none: StaleSelection = { chosen: [], deferred: 0, kept: { override: 0, excludedGroup: 0, wipe: 0 }, unknown: 0 };
  if (afterDays === undefined) return none;
  const max = a.policy.maxRemovalsPerSync ?? DEFAULT_MAX_REMOVALS_PER_SYNC;
  const cutoff = a.atMs - afterDays * DAY_MS;
  const index = new MailboxIndex(a.mailboxes);
  const kept = { override: 0, excludedGroup: 0, wipe: 0 };
  let unknown = 0;
  const stale: StaleRemoval[] = [];
  for (const d of a.devices) {
    if (!mayBeStale(d, afterDays, a.atMs)) continue;
    const s = a.statistics.get(identityKey(d.identity));
    if (s === undefined) {
      unknown++;
      continue;
    }
    if (s === null) continue; // gone since Get-MobileDevice: the next full sync records it as removed
    const last = lastActivityMs(d, s);
    if (last === undefined || last > cutoff) continue;
    const m = index.mailboxOf(d);
    if (!m) continue; // an orphan partnership is reported by the planner, not removed
    const stream = mailboxStream(a.organization, m.identity);
    const ms = a.state.get(stream);
    const known = ms === undefined ? undefined : keyedGet(ms.devices, deviceKey(d.deviceId));
    if (known && overrideInForce(known.override, a.atMs)) {
      kept.override++;
      continue;
    }
    if (known && wipeOutstanding(known.wipe)) {
      kept.wipe++;
      continue;
    }
    if (groupsOf(userAddresses(m), a.groups, a.policy).excluded.length > 0) {
      kept.excludedGroup++;
      continue;
    }
    stale.push({
      stream,
      deviceId: d.deviceId,
      identity: d.identity,
      mailbox: m.identity,
      ...(s.lastSuccessSync !== undefined ? { lastSuccessSync: s.lastSuccessSync } : {}),
      idleDays: Math.floor((a.atMs - last) / DAY_MS),
    });
  }
  // The longest idle first; ties in a stable order, so a dry run and the sync choose alike.
  stale.sort((x, y) => y.idleDays - x.idleDays || (x.identity < y.identity ? -1 : x.identity > y.identity ? 1 : 0));
  const chosen = stale.slice(0, Math.max(0, max));
  return { chosen, deferred: stale.length - chosen.length, kept, unknown };
}

/** The chosen removals by stream and device key (what each mailbox's reconcile is told). */
export function removalsByStream(chosen: readonly StaleRemoval[]): Map<string, Map<string, StaleRemoval>> {
  const out = new Map<string, Map<string, StaleRemoval>>();
  for (const r of chosen) {
    let m = out.get(r.stream);
    if (!m) out.set(r.stream, (m = new Map()));
    m.set(deviceKey(r.deviceId), r);
  }
  return out;
}
