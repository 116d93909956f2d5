// Notifying users: one message per freshly decided device that needs one
// (its mailbox's commands succeeded), each recorded; a channel that refuses
// stops the rest, which stay due for the next sync.
import { isLeft } from 'fp-ts/lib/Either.js';
import { decideMailbox, initialMailboxState } from '../mailbox.js';
import type { PlannedDevice } from '../plan.js';
import { renderNotification } from '../notification.js';
import { groupCommitter } from '../append.js';
import { errInfo, nowIso, progress, refused, type SyncRun } from './run.js';

/** Notifies the users of `decided` devices that need it, outside `failedStreams`; returns the counts. */
export async function notifyUsers(
  run: SyncRun,
  decided: readonly PlannedDevice[],
  failedStreams: ReadonlySet<string>,
): Promise<{ sent: number; failed: number }> {
  const { ctx } = run;
  const notifications = { sent: 0, failed: 0 };
  const toNotify =
    ctx.notifier && ctx.policy.notification.enabled ? decided.filter((d) => d.notify && !failedStreams.has(d.stream) && d.mailbox) : [];
  if (toNotify.length > 0) await notify(run, toNotify, notifications);
  return notifications;
}

async function notify(run: SyncRun, list: readonly PlannedDevice[], counts: { sent: number; failed: number }): Promise<void> {
  const { ctx, warnings } = run;
  const notifier = ctx.notifier!;
  const nc = groupCommitter(ctx.appender, () => nowIso(run));
  let i = 0;
  // Set when the channel itself refuses: no further sends this sync (the rest stay due for the next).
  let stopped: string | undefined;
  const lanes = Math.min(list.length, Math.max(4, ctx.parallelism));
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (i < list.length && stopped === undefined) {
        const d = list[i++]!;
        const mb = d.mailbox!;
        const reason = d.decision.reason;
        const { subject, html } = renderNotification(ctx.policy, {
          userDisplayName: mb.displayName ?? mb.primarySmtpAddress,
          deviceType: d.device.deviceType,
          deviceModel: d.device.deviceModel,
          reason,
        });
        const r = await notifier.send({ to: mb.primarySmtpAddress, subject, html, deviceId: d.device.deviceId, mailbox: mb.identity });
        const error = isLeft(r) ? errInfo(r.left) : undefined;
        // Once the channel has refused, later refusals are the same failure: the
        // device stays due for the next sync without a failure of its own.
        if (error && error.kind !== 'sendFailed' && stopped !== undefined) continue;
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
        nc.add(d.stream, evs.right.events);
        progress(run, 'notify', counts.sent + counts.failed, list.length, { final: true, failed: counts.failed });
      }
    }),
  );
  if (stopped !== undefined) {
    const skipped = list.length - (counts.sent + counts.failed);
    warnings.push({
      kind: 'notificationsSuspended',
      message: `notifications stopped for this sync after the channel refused (${stopped}); ${skipped} not attempted, due again at the next sync`,
    });
  }
  run.eventsAppended += await nc.drain();
}
