// The mailbox decider's commands and its decide: reconcile the mailbox with
// what Exchange reports, or record the outcome of an intent or of a
// notification. Every command answers in the one decider shape (decider.ts).
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { event, type Reason } from '../events.js';
import type { Decider } from '../decider.js';
import { evolveMailbox, initialMailboxState, type MailboxState } from './evolve.js';
import { reconcileMailbox, type MailboxDecided, type ReconcileMailbox } from './reconcile.js';
import { deviceKey, hasIntent } from './rules.js';
import { overrideInForce } from '../access.js';

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

export type MailboxCommand = ReconcileMailbox | RecordCommandOutcome | RecordNotification | GrantOverride | RevokeOverride;

export type MailboxDecisionError = {
  readonly kind: 'unknownCommand' | 'unknownDevice' | 'notGoverned' | 'badUntil' | 'noOverride' | 'badText';
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
      return right(
        only(
          command.error
            ? event('CommandFailed', {
                commandId: command.commandId,
                error: { kind: command.error.kind, message: command.error.message },
                ...extra,
              })
            : event('CommandSucceeded', { commandId: command.commandId, ...extra }),
        ),
      );
    }
    case 'GrantOverride': {
      const d = state.devices[deviceKey(command.deviceId)];
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
      const d = state.devices[deviceKey(command.deviceId)];
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
      if (!state.devices[deviceKey(command.deviceId)]) {
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
