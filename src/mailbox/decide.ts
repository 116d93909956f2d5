// The mailbox decider's commands and its decide: reconcile the mailbox with
// what Exchange reports, or record the outcome of an intent or of a
// notification. Every command answers in the one decider shape (decider.ts).
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { event, type Reason } from '../events.js';
import type { Decider } from '../decider.js';
import { evolveMailbox, initialMailboxState, type MailboxState } from './evolve.js';
import { reconcileMailbox, type MailboxDecided, type ReconcileMailbox } from './reconcile.js';
import { deviceKey, hasIntent, wipeOutstanding } from './rules.js';
import { overrideInForce } from '../access.js';
import { keyedGet } from './keyed.js';

const iso = (ms: number) => new Date(ms).toISOString();
// Who and why are shown by explain and the console as text; control characters would hide or fake lines.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;
function checkText(what: 'by' | 'reason', v: string, max: number): MailboxDecisionError | undefined {
  if (v.trim() === '') return { kind: 'badText', message: `--${what} must not be empty` };
  if (v.length > max) return { kind: 'badText', message: `--${what} is longer than ${max} characters` };
  if (CONTROL.test(v)) return { kind: 'badText', message: `--${what} holds a control or formatting character` };
  return undefined;
}

export interface RecordCommandOutcome {
  readonly type: 'RecordCommandOutcome';
  readonly commandId: string;
  readonly error?: { readonly kind: string; readonly message: string };
  readonly reconciled?: boolean;
}

export interface RecordNotification {
  readonly type: 'RecordNotification';
  readonly deviceId: string;
  readonly to: string;
  readonly reason: Reason;
  readonly error?: { readonly kind: string; readonly message: string };
}

/** An administrator's override of one partnership (rule 9): validated here, enforced by the next sync. */
export interface GrantOverride {
  readonly type: 'GrantOverride';
  readonly overrideId: string;
  readonly deviceId: string;
  readonly access: 'allow' | 'block';
  readonly atMs: number;
  readonly untilMs: number;
  /** The longest override allowed (ms). */
  readonly maxMs: number;
  readonly reason: string;
  readonly by: string;
  readonly notify?: boolean;
}

export interface RevokeOverride {
  readonly type: 'RevokeOverride';
  readonly deviceId: string;
  readonly atMs: number;
  readonly reason: string;
  readonly by: string;
}

/** An administrator's remote wipe of one partnership: recorded here, sent (Clear-MobileDevice) by the next sync. */
export interface RequestWipe {
  readonly type: 'RequestWipe';
  readonly wipeId: string;
  readonly deviceId: string;
  readonly accountOnly: boolean;
  readonly reason: string;
  readonly by: string;
}

/** What Get-MobileDeviceStatistics shows of a wipe that was sent. */
export interface RecordWipeStatus {
  readonly type: 'RecordWipeStatus';
  readonly deviceId: string;
  readonly wipeId: string;
  readonly ackTime?: string;
  readonly status?: string;
}

export type MailboxCommand =
  ReconcileMailbox | RecordCommandOutcome | RecordNotification | GrantOverride | RevokeOverride | RequestWipe | RecordWipeStatus;

export type MailboxDecisionError = {
  readonly kind: 'unknownCommand' | 'unknownDevice' | 'notGoverned' | 'badUntil' | 'noOverride' | 'badText' | 'wipeInProgress';
  readonly message: string;
};

const only = (e: MailboxDecided['events'][number]): MailboxDecided => ({ events: [e], commands: [], decisions: [] });

/** Reconciling is never refused; recording an outcome is, for an intent or a partnership the mailbox does not have. */
export function decideMailbox(command: ReconcileMailbox, state: MailboxState): Either<never, MailboxDecided>;
export function decideMailbox(command: MailboxCommand, state: MailboxState): Either<MailboxDecisionError, MailboxDecided>;
export function decideMailbox(command: MailboxCommand, state: MailboxState): Either<MailboxDecisionError, MailboxDecided> {
  switch (command.type) {
    case 'ReconcileMailbox':
      return right(reconcileMailbox(state, command));
    case 'RecordCommandOutcome': {
      if (!hasIntent(state.pending, command.commandId)) {
        return left({ kind: 'unknownCommand', message: `no pending intent ${command.commandId}` });
      }
      const extra = command.reconciled ? { reconciled: true } : {};
      if (command.error)
        return right(
          only(
            event('CommandFailed', {
              commandId: command.commandId,
              error: { kind: command.error.kind, message: command.error.message },
              ...extra,
            }),
          ),
        );
      const done = event('CommandSucceeded', { commandId: command.commandId, ...extra });
      const c = state.pending[command.commandId]!;
      // A removed partnership is gone from the mailbox: every fold forgets it through the one event they all know.
      if (c.kind === 'removeMobileDevice' && keyedGet(state.devices, deviceKey(c.deviceId)))
        return right({
          events: [done, event('PartnershipRemoved', { deviceId: c.deviceId, commandId: command.commandId })],
          commands: [],
          decisions: [],
        });
      return right(only(done));
    }
    case 'RequestWipe': {
      const d = keyedGet(state.devices, deviceKey(command.deviceId));
      if (!d) return left({ kind: 'unknownDevice', message: `no partnership ${command.deviceId}` });
      const bad = checkText('by', command.by, 200) ?? checkText('reason', command.reason, 500);
      if (bad) return left(bad);
      if (wipeOutstanding(d.wipe)) {
        const w = d.wipe!;
        return left({
          kind: 'wipeInProgress',
          message: `a wipe of ${d.deviceId} requested by ${JSON.stringify(w.by)} at ${w.requestedAt} is already ${w.stage}: wait for its acknowledgement`,
        });
      }
      return right(
        only(
          event('WipeRequested', {
            wipeId: command.wipeId,
            deviceId: d.deviceId,
            accountOnly: command.accountOnly,
            reason: command.reason,
            by: command.by,
          }),
        ),
      );
    }
    case 'RecordWipeStatus': {
      const d = keyedGet(state.devices, deviceKey(command.deviceId));
      if (!d) return left({ kind: 'unknownDevice', message: `no partnership ${command.deviceId}` });
      if (d.wipe?.wipeId !== command.wipeId || d.wipe.stage !== 'sent' || command.ackTime === undefined)
        return right({ events: [], commands: [], decisions: [] });
      return right(
        only(
          event('WipeAcknowledged', {
            wipeId: command.wipeId,
            deviceId: d.deviceId,
            ackTime: command.ackTime,
            ...(command.status !== undefined ? { status: command.status } : {}),
          }),
        ),
      );
    }
    case 'GrantOverride': {
      const d = keyedGet(state.devices, deviceKey(command.deviceId));
      if (!d) return left({ kind: 'unknownDevice', message: `no partnership ${command.deviceId}` });
      const bad = checkText('by', command.by, 200) ?? checkText('reason', command.reason, 500);
      if (bad) return left(bad);
      const dec = d.decision;
      if (!dec) return left({ kind: 'notGoverned', message: `${d.deviceId} has no decision yet: run a sync first` });
      if (!dec.governed)
        return left({
          kind: 'notGoverned',
          message: `the policy does not govern ${d.deviceId} (reason ${dec.reason}): an override applies only to devices the engine enforces`,
        });
      if (!(command.untilMs > command.atMs))
        return left({ kind: 'badUntil', message: `--until ${iso(command.untilMs)} is not in the future` });
      if (command.untilMs - command.atMs > command.maxMs)
        return left({
          kind: 'badUntil',
          message: `--until ${iso(command.untilMs)} is beyond the longest override allowed (${Math.round(command.maxMs / 86_400_000)} days)`,
        });
      return right(
        only(
          event('OverrideGranted', {
            overrideId: command.overrideId,
            deviceId: d.deviceId,
            access: command.access,
            from: iso(command.atMs),
            until: iso(command.untilMs),
            reason: command.reason,
            by: command.by,
            ...(command.notify ? { notify: true } : {}),
          }),
        ),
      );
    }
    case 'RevokeOverride': {
      const d = keyedGet(state.devices, deviceKey(command.deviceId));
      if (!d) return left({ kind: 'unknownDevice', message: `no partnership ${command.deviceId}` });
      const bad = checkText('by', command.by, 200) ?? checkText('reason', command.reason, 500);
      if (bad) return left(bad);
      if (!overrideInForce(d.override, command.atMs))
        return left({ kind: 'noOverride', message: `${d.deviceId} has no override in force` });
      return right(
        only(event('OverrideRevoked', { overrideId: d.override.overrideId, deviceId: d.deviceId, reason: command.reason, by: command.by })),
      );
    }
    case 'RecordNotification': {
      if (!keyedGet(state.devices, deviceKey(command.deviceId))) {
        return left({ kind: 'unknownDevice', message: `no partnership ${command.deviceId}` });
      }
      return right(
        only(
          command.error
            ? event('NotificationFailed', {
                deviceId: command.deviceId,
                to: command.to,
                error: { kind: command.error.kind, message: command.error.message },
              })
            : event('NotificationSent', { deviceId: command.deviceId, to: command.to, reason: command.reason }),
        ),
      );
    }
  }
}

export const mailboxDecider: Decider<MailboxCommand, MailboxState, MailboxDecisionError, MailboxDecided> = {
  initialState: initialMailboxState,
  decide: decideMailbox,
  evolve: evolveMailbox,
};
