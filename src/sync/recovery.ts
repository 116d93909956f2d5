// Crash recovery: intents a stopped connector left without an outcome are
// judged against what Exchange shows now (applied: succeeded; otherwise:
// failed as interrupted), recorded as reconciled, before anything is decided.
import { isLeft } from 'fp-ts/lib/Either.js';
import { mailboxStream } from '../events.js';
import { decideConnector } from '../connector.js';
import { decideMailbox, deviceKey, type MailboxState } from '../mailbox.js';
import { commandApplied, partnershipCommandApplied } from '../reconcile.js';
import { identityKey } from '../cleanup.js';
import type { Statistics } from './lifecycle.js';
import { type Batch, pushTo } from '../append.js';
import type { Discovered } from './discovery.js';
import { nowIso, type SyncRun } from './run.js';
import { keyedGet } from '../mailbox/keyed.js';

/**
 * The mailboxes with an intent pending (after a clean stop, none). A function of its own: the walk over
 * every mailbox is what makes a function hot, and V8 compiled the whole of reconcileInterrupted again at
 * every sync (docs/architecture.md, "Compiled code that outlives a sync").
 */
function withPending(mailboxes: ReadonlyMap<string, MailboxState>): Array<[string, MailboxState]> {
  const out: Array<[string, MailboxState]> = [];
  // forEach, not for…of: no entry pair and result object per mailbox.
  mailboxes.forEach((ms, stream) => {
    for (const _ in ms.pending) {
      out.push([stream, ms]);
      break;
    }
  });
  return out;
}

/** Records an outcome for every pending intent (org intents only when the org settings and rules were read). */
export async function reconcileInterrupted(
  run: SyncRun,
  { mailboxes, settings, rules }: Discovered,
  statistics: Statistics,
): Promise<void> {
  const { ctx, org } = run;
  // Built only when an intent is pending (rare): every sync would otherwise pay a stream name per mailbox.
  let observedMailboxes: Map<string, (typeof mailboxes)[number]> | undefined;
  const observedOf = (stream: string) =>
    (observedMailboxes ??= new Map(mailboxes.map((m) => [mailboxStream(ctx.organization, m.identity), m]))).get(stream);
  const first: Batch = new Map();
  if (settings && rules) {
    for (const [commandId, command] of Object.entries(ctx.state().connector.pending)) {
      const r = decideConnector(
        {
          type: 'RecordOrgCommandOutcome',
          commandId,
          reconciled: true,
          ...(commandApplied(command, undefined, settings, rules)
            ? {}
            : { error: { kind: 'interrupted', message: 'not applied before the connector stopped' } }),
        },
        ctx.state().connector,
      );
      if (!isLeft(r)) pushTo(first, org, r.right.events);
    }
  }
  for (const [stream, ms] of withPending(ctx.state().mailboxes)) {
    for (const commandId in ms.pending) {
      const command = ms.pending[commandId]!;
      let applied: boolean;
      if (command.kind === 'setCasMailbox') {
        const observed = observedOf(stream);
        if (!observed && run.kind === 'quick') continue; // looked at by the next full sync
        applied = commandApplied(command, observed, settings ?? { defaultAccessLevel: 'Allow', adminMailRecipients: [] }, rules ?? []);
      } else {
        // A wipe or a removal is judged on the partnership's statistics; unread: judged at a later sync, never sent again blindly.
        const s = statistics.get(identityKey(command.identity));
        if (s === undefined) continue;
        const w = command.kind === 'clearMobileDevice' ? keyedGet(ms.devices, deviceKey(command.deviceId))?.wipe : undefined;
        const requestedAtMs = w?.wipeId === (command.kind === 'clearMobileDevice' ? command.wipeId : '') ? Date.parse(w.requestedAt) : 0;
        applied = partnershipCommandApplied(command, s, Number.isNaN(requestedAtMs) ? 0 : requestedAtMs);
      }
      const r = decideMailbox(
        {
          type: 'RecordCommandOutcome',
          commandId,
          reconciled: true,
          ...(applied ? {} : { error: { kind: 'interrupted', message: 'not applied before the connector stopped' } }),
        },
        ms,
      );
      if (!isLeft(r)) pushTo(first, stream, r.right.events);
    }
  }
  if (first.size > 0) run.eventsAppended += await ctx.appender.append(first, nowIso(run));
}
