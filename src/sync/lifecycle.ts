// The device lifecycle's reads and records in a sync: Get-MobileDeviceStatistics
// for the partnerships a sync must judge (a wipe waiting for its
// acknowledgement, a wipe or removal intent a crash left) and, in a full sync
// with clean-up, for every mailbox with a partnership old enough to be stale;
// then the acknowledgements recorded (WipeAcknowledged).
import { isLeft } from 'fp-ts/lib/Either.js';
import type { MobileDeviceStatistics } from '../facts.js';
import { decideMailbox, deviceKey, initialMailboxState, type MailboxState } from '../mailbox.js';
import type { ClearMobileDevice, RemoveMobileDevice } from '../commands.js';
import { partnershipCommandApplied } from '../reconcile.js';
import { DEFAULT_CLEANUP_MAILBOXES_PER_SYNC, identityKey, mailboxesToRead, mayBeStale } from '../cleanup.js';
import { mailboxIdentityOfDevice } from '../identity.js';
import { type Batch, pushTo } from '../append.js';
import type { Discovered } from './discovery.js';
import { nowIso, type SyncRun } from './run.js';
import { keyedGet } from '../mailbox/keyed.js';
import { wipesSent } from './devices-summary.js';

/** What a sync read of the partnerships' statistics: by identity key, `null` when Exchange no longer knows one. */
export type Statistics = Map<string, MobileDeviceStatistics | null>;

/** `fn` over `items`, at most `limit` at once. */
async function eachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/** Partnerships whose statistics this sync needs one by one: wipes sent and not acknowledged, and wipe/removal intents pending. */
function watched(states: ReadonlyMap<string, MailboxState>): string[] {
  const out = new Set<string>();
  // forEach and an indexed loop: no iterator or result object per mailbox.
  states.forEach((ms) => {
    // Kept by the devices record: only mailboxes changed since the last sync are walked again.
    const sent = wipesSent(ms.devices);
    for (let i = 0; i < sent.length; i++) out.add(sent[i]!);
    for (const id in ms.pending) {
      const p = ms.pending[id]!;
      if (p.kind !== 'setCasMailbox') out.add(p.identity);
    }
  });
  return [...out];
}

/**
 * Reads the statistics this sync needs. Never fails the sync: a read that
 * fails leaves those partnerships unjudged (a warning says so); wipes, removals
 * and the clean-up only act on what was read.
 */
export async function readStatistics(run: SyncRun, found: Discovered): Promise<Statistics> {
  const { ctx } = run;
  const out: Statistics = new Map();
  const partnerships = watched(ctx.state().mailboxes);
  const afterDays = ctx.policy.removeStaleAfterDays;
  const candidates = new Set<string>();
  if (run.kind === 'full' && afterDays !== undefined) {
    for (const d of found.devices) {
      if (!mayBeStale(d, afterDays, run.startedMs)) continue;
      const m = mailboxIdentityOfDevice(d.identity);
      if (m !== undefined) candidates.add(m);
    }
  }
  const mailboxes = mailboxesToRead([...candidates], ctx.cleanupMailboxesPerSync ?? DEFAULT_CLEANUP_MAILBOXES_PER_SYNC, run.startedMs);
  if (partnerships.length + mailboxes.length === 0) return out;
  const get = ctx.exchange.getMobileDeviceStatistics?.bind(ctx.exchange);
  if (!get) {
    run.warnings.push({
      kind: 'noStatistics',
      message:
        'this Exchange gateway cannot read Get-MobileDeviceStatistics: wipes are not followed and stale partnerships are not removed',
    });
    return out;
  }
  let failures = 0;
  let firstFailure = '';
  const failed = (what: string, message: string) => {
    if (failures++ === 0) firstFailure = `${what}: ${message}`;
  };
  await eachLimit(partnerships, ctx.parallelism, async (identity) => {
    const r = await ctx.failover.read(() => get({ identity }));
    if (!isLeft(r)) for (const s of r.right) out.set(identityKey(s.identity), s);
    else if (r.left.kind === 'notFound') out.set(identityKey(identity), null);
    else failed(identity, r.left.message);
  });
  await eachLimit(mailboxes, ctx.parallelism, async (mailbox) => {
    const r = await ctx.failover.read(() => get({ mailbox }));
    if (!isLeft(r)) for (const s of r.right) out.set(identityKey(s.identity), s);
    else if (r.left.kind !== 'notFound') failed(mailbox, r.left.message);
  });
  if (failures > 0)
    run.warnings.push({
      kind: 'statisticsUnread',
      message: `Get-MobileDeviceStatistics failed ${failures} time(s) (first: ${firstFailure}); those partnerships are judged at a later sync`,
    });
  return out;
}

/** Records the acknowledgements the statistics show for wipes that were sent. */
export async function recordWipeAcks(run: SyncRun, statistics: Statistics): Promise<number> {
  // Nothing read, nothing to record: no walk over every device of the organization (most syncs).
  if (statistics.size === 0) return 0;
  const { ctx } = run;
  const batch: Batch = new Map();
  let acknowledged = 0;
  for (const [stream, ms] of ctx.state().mailboxes) {
    for (const k in ms.devices) {
      const d = keyedGet(ms.devices, k)!;
      const w = d.wipe;
      if (w?.stage !== 'sent') continue;
      const s = statistics.get(identityKey(d.identity));
      if (!s || s.deviceWipeAckTime === undefined) continue;
      const r = decideMailbox(
        {
          type: 'RecordWipeStatus',
          deviceId: d.deviceId,
          wipeId: w.wipeId,
          ackTime: s.deviceWipeAckTime,
          ...(s.status ? { status: s.status } : {}),
        },
        ms,
      );
      if (isLeft(r) || r.right.events.length === 0) continue;
      pushTo(batch, stream, r.right.events);
      acknowledged++;
    }
  }
  if (batch.size > 0) run.eventsAppended += await ctx.appender.append(batch, nowIso(run));
  return acknowledged;
}

/** A wipe or removal whose outcome a broken session or lost connection left unknown. */
export interface Unsure {
  readonly stream: string;
  readonly commandId: string;
  readonly command: ClearMobileDevice | RemoveMobileDevice;
  readonly error: { readonly kind: string; readonly message: string };
}

/**
 * Judges each unsure wipe or removal on the partnership's statistics now, as a
 * crash would be judged: applied is a success, not applied a failure that lets
 * the wipe be sent again. Unreadable: left pending, judged by the next sync.
 * Returns how many were applied (by kind) and how many not.
 */
export async function judgeUnsure(
  run: SyncRun,
  unsure: readonly Unsure[],
): Promise<{ readonly wipesSent: number; readonly removed: number; readonly failed: number; readonly pending: number }> {
  const { ctx } = run;
  const out = { wipesSent: 0, removed: 0, failed: 0, pending: 0 };
  const get = ctx.exchange.getMobileDeviceStatistics?.bind(ctx.exchange);
  for (const u of unsure) {
    const r = get ? await ctx.failover.read(() => get({ identity: u.command.identity })) : undefined;
    const stats = r === undefined || (isLeft(r) && r.left.kind !== 'notFound') ? undefined : isLeft(r) ? null : (r.right[0] ?? null);
    if (stats === undefined) {
      out.pending++;
      run.warnings.push({
        kind: 'outcomeUnknown',
        message: `${u.command.kind} ${JSON.stringify(u.command.deviceId)}: ${u.error.message}; whether Exchange applied it is judged at the next sync`,
        deviceId: u.command.deviceId,
        mailbox: u.command.mailbox,
      });
      continue;
    }
    const ms = ctx.state().mailboxes.get(u.stream) ?? initialMailboxState;
    const w = u.command.kind === 'clearMobileDevice' ? keyedGet(ms.devices, deviceKey(u.command.deviceId))?.wipe : undefined;
    const requestedAtMs =
      w !== undefined && u.command.kind === 'clearMobileDevice' && w.wipeId === u.command.wipeId ? Date.parse(w.requestedAt) : 0;
    const applied = partnershipCommandApplied(u.command, stats, Number.isNaN(requestedAtMs) ? 0 : requestedAtMs);
    const d = decideMailbox(
      {
        type: 'RecordCommandOutcome',
        commandId: u.commandId,
        reconciled: true,
        ...(applied ? {} : { error: { kind: 'interrupted', message: `not applied (${u.error.message})` } }),
      },
      ms,
    );
    if (isLeft(d)) continue;
    run.committer.add(u.stream, d.right.events);
    if (!applied) out.failed++;
    else if (u.command.kind === 'clearMobileDevice') out.wipesSent++;
    else out.removed++;
  }
  return out;
}
