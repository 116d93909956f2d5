// The shapes of an explanation and of the ways explain refuses.
import type { AccessLevel } from '../../src/facts.js';
import type { SetCasMailbox } from '../../src/commands.js';
import type { DecisionFacts, Reason } from '../../src/events.js';
import type { PolicyDocument } from '../../src/policy.js';

export interface ExplainOptions {
  /** The moment to explain (ISO-8601); default: the log's last event. */
  readonly at?: string;
}

export type ExplainError =
  | { readonly kind: 'unknownDevice'; readonly deviceId: string; readonly message: string; readonly closest: readonly string[] }
  | { readonly kind: 'notYetKnown'; readonly deviceId: string; readonly message: string; readonly firstSeen: string }
  | { readonly kind: 'invalidTime'; readonly message: string }
  | { readonly kind: 'invalidEvent'; readonly message: string; readonly position: number };

export interface TimelineEntry {
  readonly at: string;
  readonly type: string;
  readonly position: number;
  readonly summary: string;
}

export interface EnforcingCommand {
  readonly commandId: string;
  readonly syncId: string;
  readonly intendedAt: string;
  readonly command: SetCasMailbox;
  /** What the command does to this device's entries. */
  readonly effect: { readonly allowed: 'add' | 'remove' | null; readonly blocked: 'add' | 'remove' | null };
  /** As of the explained moment: `pending` is an intent without an outcome yet. */
  readonly outcome: 'succeeded' | 'failed' | 'pending';
  readonly completedAt?: string;
  readonly error?: { readonly kind: string; readonly message: string };
  readonly reconciled?: boolean;
}

export interface Explanation {
  readonly deviceId: string;
  readonly organization: string;
  readonly mailbox: string;
  readonly stream: string;
  /** The moment explained. */
  readonly at: string;
  /** Whether the partnership existed at that moment (false: removed before it). */
  readonly present: boolean;
  readonly removedAt: string | null;
  readonly access: AccessLevel | null;
  readonly reason: Reason | null;
  readonly governed: boolean | null;
  /** The rule of docs/domain.md that decided (0: ActiveSync disabled on the mailbox). */
  readonly rule: number | null;
  readonly decidedAt: string | null;
  readonly syncId: string | null;
  readonly policyRevision: number | null;
  /** The facts the decision was made from, as recorded with it. */
  readonly facts: DecisionFacts | null;
  readonly device: {
    readonly deviceType: string;
    readonly deviceModel: string;
    readonly deviceOS?: string;
    readonly deviceUserAgent?: string;
    readonly friendlyName?: string;
    readonly firstSyncTime?: string;
    readonly identity: string;
  };
  readonly user: {
    readonly primarySmtpAddress?: string;
    readonly userPrincipalName?: string;
    readonly displayName?: string;
    readonly addresses: readonly string[];
    readonly activeSyncEnabled?: boolean;
  };
  /** The device's entries in its mailbox's lists, as the engine knew them at that moment. */
  readonly lists: { readonly allowed: boolean; readonly blocked: boolean };
  /** The last Set-CasMailbox that changed this device's entries, and its outcome. */
  readonly command: EnforcingCommand | null;
  /** The policy document of the decision's revision. */
  readonly policy: PolicyDocument | null;
  /** The policy in force at that moment (it may be newer than the decision's, until the next sync). */
  readonly policyInForce: { readonly revision: number; readonly changedAt: string; readonly policy: PolicyDocument } | null;
  /** The decision in sentences. */
  readonly explanation: readonly string[];
  /** What a reader should know: a newer policy not applied yet, an expired grace period, a pending command… */
  readonly notes: readonly string[];
  readonly timeline: readonly TimelineEntry[];
  /** The administrator's latest override of this partnership at that moment (in force or ended), or null. */
  readonly override: {
    readonly overrideId: string;
    readonly access: 'allow' | 'block';
    readonly until: string;
    readonly reason: string;
    readonly by: string;
    readonly notify: boolean;
    readonly inForce: boolean;
  } | null;
  /** The latest remote wipe of this partnership at that moment: requested → sent → acknowledged (or failed), or null. */
  readonly wipe: {
    readonly wipeId: string;
    readonly stage: 'requested' | 'sent' | 'acknowledged' | 'failed';
    readonly accountOnly: boolean;
    readonly reason: string;
    readonly by: string;
    readonly requestedAt: string;
    readonly sentAt?: string;
    readonly ackTime?: string;
    readonly error?: { readonly kind: string; readonly message: string };
  } | null;
  /** The same DeviceId in other mailboxes (a device can sync several mailboxes). */
  readonly otherPartnerships: ReadonlyArray<{
    readonly mailbox: string;
    readonly stream: string;
    readonly present: boolean;
    readonly access: AccessLevel | null;
    readonly reason: Reason | null;
  }>;
}
