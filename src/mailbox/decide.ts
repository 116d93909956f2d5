// The mailbox decider's commands and its decide: reconcile the mailbox with
// what Exchange reports, or record the outcome of an intent or of a
// notification. Every command answers in the one decider shape (decider.ts).
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { event, type Reason } from '../events.js';
import type { Decider } from '../decider.js';
import { evolveMailbox, initialMailboxState, type MailboxState } from './evolve.js';
import { reconcileMailbox, type MailboxDecided, type ReconcileMailbox } from './reconcile.js';
import { deviceKey, hasIntent } from './rules.js';

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

export type MailboxCommand = ReconcileMailbox | RecordCommandOutcome | RecordNotification;

export type MailboxDecisionError = { readonly kind: 'unknownCommand' | 'unknownDevice'; readonly message: string };

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
