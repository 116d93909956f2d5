// Notifying users while the sync enforces: a device's notice goes as soon as
// what enforces its decision is done — its mailbox's commands succeeded (or it
// needed none) and, for a quarantine, the org's default and rules are in place
// (a sync that changes them runs them last: those notices wait for them).
// Each notice is recorded through the sync's committer, after its mailbox's
// command outcome; a channel that refuses stops the rest, which stay due for
// the next sync.
import { isLeft } from 'fp-ts/lib/Either.js';
import { decideMailbox, initialMailboxState } from '../mailbox.js';
import type { PlannedDevice } from '../plan.js';
import { renderNotification } from '../notification.js';
import { errInfo, progress, refused, type SyncRun } from './run.js';

export interface NotificationCounts {
  sent: number;
  failed: number;
}

/** Notices of one sync, sent as they become due. */
export interface Notices {
  /** Whether a decided device gets a notice in this sync (channel on, a fresh decision that needs one, a known mailbox). */
  wants(d: PlannedDevice): boolean;
  /** Devices whose notices may go now (their enforcement is done). */
  offer(devices: Iterable<PlannedDevice>): void;
  /** No more offers: waits for every notice offered and returns the counts. Its events are in the sync's committer. */
  finish(): Promise<NotificationCounts>;
  /** The sync failed: no notice starts any more (one being sent finishes); its user stays due. */
  halt(): void;
}

/**
 * The notices of a chunk whose decisions are durable that can go now. The others wait: for the org's
 * commands (a quarantine, when `afterOrg` is given), or for their mailbox's commands (`waiting`).
 */
export function readyNotices(
  planned: readonly PlannedDevice[],
  notices: Notices,
  afterOrg: PlannedDevice[] | undefined,
  commandsLeft: ReadonlyMap<string, number>,
  waiting: Map<string, PlannedDevice[]>,
): PlannedDevice[] {
  const ready: PlannedDevice[] = [];
  for (const d of planned) {
    if (!notices.wants(d)) continue;
    if (afterOrg !== undefined && d.decision.access === 'quarantine') afterOrg.push(d);
    else if (commandsLeft.has(d.stream)) {
      const l = waiting.get(d.stream);
      if (l) l.push(d);
      else waiting.set(d.stream, [d]);
    } else ready.push(d);
  }
  return ready;
}

/** Starts the notices of `run`; nothing is sent until devices are offered. */
export function startNotices(run: SyncRun): Notices {
  const { ctx, warnings } = run;
  const notifier = ctx.notifier;
  const enabled = notifier !== undefined && ctx.policy.notification.enabled;
  const counts: NotificationCounts = { sent: 0, failed: 0 };
  const queue: PlannedDevice[] = [];
  let next = 0;
  let active = 0;
  const lanes = Math.max(4, ctx.parallelism);
  // Set when the channel itself refuses: no further sends this sync (the rest stay due for the next).
  let stopped: string | undefined;
  let finished = false;
  let failure: unknown;
  let halted = false;
  const idle: Array<() => void> = [];
  // Whether a lane may start another notice: not once an append of the sync failed (its record
  // could not be written, so the notice would go again at the next sync).
  const open = () => stopped === undefined && failure === undefined && !halted && !run.committer.failed;

  const sendOne = async (d: PlannedDevice): Promise<void> => {
    const mb = d.mailbox!;
    const reason = d.decision.reason;
    const { subject, html } = renderNotification(ctx.policy, {
      userDisplayName: mb.displayName ?? mb.primarySmtpAddress,
      deviceType: d.device.deviceType,
      deviceModel: d.device.deviceModel,
      reason,
    });
    const r = await notifier!.send({ to: mb.primarySmtpAddress, subject, html, deviceId: d.device.deviceId, mailbox: mb.identity });
    const error = isLeft(r) ? errInfo(r.left) : undefined;
    // Once the channel has refused, later refusals are the same failure: the
    // device stays due for the next sync without a failure of its own.
    if (error && error.kind !== 'sendFailed' && stopped !== undefined) return;
    if (error) {
      counts.failed++;
      warnings.push({
        kind: 'notificationFailed',
        deviceId: d.device.deviceId,
        message: `notification to ${mb.primarySmtpAddress} failed: ${error.message}`,
      });
    } else counts.sent++;
    if (error && error.kind !== 'sendFailed') stopped ??= error.message;
    const evs = decideMailbox(
      { type: 'RecordNotification', deviceId: d.device.deviceId, to: mb.primarySmtpAddress, reason, ...(error ? { error } : {}) },
      ctx.state().mailboxes.get(d.stream) ?? initialMailboxState,
    );
    if (isLeft(evs)) throw refused('RecordNotification', evs.left);
    run.committer.add(d.stream, evs.right.events);
    progress(run, 'notify', counts.sent + counts.failed, queue.length, { final: finished, failed: counts.failed });
  };

  const lane = async (): Promise<void> => {
    try {
      while (next < queue.length && open()) await sendOne(queue[next++]!);
    } catch (err) {
      failure ??= err;
    } finally {
      active--;
      if (active === 0) for (const wake of idle.splice(0)) wake();
    }
  };

  return {
    wants: (d) => enabled && d.fresh && d.notify && d.mailbox !== undefined,
    offer(devices) {
      if (finished) throw new Error('notices: offered after finish');
      if (halted) return;
      for (const d of devices) queue.push(d);
      // A lane takes its first device before its first await: `next` counts the ones taken.
      while (active < lanes && next < queue.length && open()) {
        active++;
        void lane();
      }
    },
    async finish() {
      finished = true;
      if (active > 0) await new Promise<void>((r) => idle.push(r));
      if (failure !== undefined) throw failure;
      if (stopped !== undefined) {
        const skipped = queue.length - (counts.sent + counts.failed);
        warnings.push({
          kind: 'notificationsSuspended',
          message: `notifications stopped for this sync after the channel refused (${stopped}); ${skipped} not attempted, due again at the next sync`,
        });
      }
      if (queue.length > 0) progress(run, 'notify', counts.sent + counts.failed, queue.length, { final: true, failed: counts.failed });
      return counts;
    },
    halt() {
      halted = true;
    },
  };
}
