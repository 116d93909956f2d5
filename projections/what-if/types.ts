// The shapes of a what-if: its options, its result, and the plain data the
// parts of a log exchange when it is judged in parts (see parts.ts).
import type { StoredEvent } from '../../src/ports.js';
import type { AccessLevel } from '../../src/facts.js';
import type { ExchangeCommand, ListChange } from '../../src/commands.js';
import type { Reason } from '../../src/events.js';
import type { Policy } from '../../src/policy.js';
import type { StreamSlot } from '../replay.js';

export interface WhatIfOptions {
  /** The moment the devices are judged at (grace deadlines); default: the log's last event. */
  readonly at?: string;
}

export interface WhatIfChange {
  readonly deviceId: string;
  readonly mailbox: string;
  readonly from: AccessLevel;
  readonly to: AccessLevel;
  /** The new decision's reason. */
  readonly reason: Reason;
  readonly fromReason: Reason;
  /** Whether the engine would enforce the new decision. */
  readonly governed: boolean;
  /**
   * `policy`: the new policy makes the difference. `elapsed`: the current policy
   * would make the same change at that moment too (a grace deadline has passed).
   */
  readonly cause: 'policy' | 'elapsed';
}

export interface WhatIfCommand {
  readonly mailbox: string;
  readonly allowedDeviceIds: ListChange;
  readonly blockedDeviceIds: ListChange;
}

export interface WhatIfWarning {
  readonly kind: 'unknownGroupMembership' | 'noPolicyInLog' | 'emptyIncludeList' | 'invalidEvents';
  readonly message: string;
  readonly groups?: readonly string[];
  readonly devices?: number;
}

export interface WhatIfResult {
  /** The moment judged. */
  readonly at: string;
  /** The policy revision in force at the end of the log (what the new policy is compared with). */
  readonly policyRevision: number | null;
  /** Devices with a recorded decision, decided again. */
  readonly devices: number;
  readonly changes: readonly WhatIfChange[];
  /** Changes counted by transition, e.g. `{ "allow->block": 3 }`. */
  readonly summary: Readonly<Record<string, number>>;
  /** Devices whose access stays the same. */
  readonly unchanged: number;
  /** Of those, the ones whose reason changes. */
  readonly reasonChanges: number;
  /** The Set-CasMailbox commands the change would cause (one per mailbox whose lists change). */
  readonly commands: readonly WhatIfCommand[];
  /** Org settings and device access rules the new policy would change (from what the current policy enforces). */
  readonly orgCommands: readonly ExchangeCommand[];
  /** Users who would be notified. */
  readonly notifications: number;
  /** Partnerships without a recorded decision (not judged). */
  readonly undecided: number;
  readonly warnings: readonly WhatIfWarning[];
}

export interface WhatIfFold {
  /** Folds one event (in log order); `stream` as in ReplayFold.push. */
  push(raw: StoredEvent, stream?: StreamSlot): void;
  readonly count: number;
  result(policy: Policy, options?: WhatIfOptions): WhatIfResult;
  /** What a part read that every part needs to judge its mailboxes (see `judgeWhatIfParts`). */
  scanned(): WhatIfScan;
  /** This part's mailboxes judged under `policy` (see `judgeWhatIfParts`). */
  judge(policy: Policy, context: WhatIfContext): WhatIfPart;
}

/** The policies an organization's stream recorded. Plain data. */
export interface OrgPolicies {
  readonly byRevision: Map<number, Policy>;
  latest?: { revision: number; policy: Policy };
}

/**
 * A log can be judged in parts, each part over its own mailbox streams (see
 * projections/replay.ts): first each part's `scanned()`, whose organizations
 * and last event every part needs (`whatIfContext`), then each part's
 * `judge(policy, context)`, merged by `mergeWhatIfParts`. All plain data.
 */
export interface WhatIfScan {
  readonly organizations: ReadonlyArray<readonly [string, OrgPolicies]>;
  /** The part's last event: the log's last is the one with the highest position. */
  readonly last?: { readonly position: number; readonly at: string };
  readonly invalid: number;
  /** The first invalid events (position and why), at most INVALID_SHOWN (fold.ts) of them. */
  readonly invalidEvents: ReadonlyArray<{ readonly position: number; readonly message: string }>;
}

export interface WhatIfContext {
  readonly organizations: ReadonlyArray<readonly [string, OrgPolicies]>;
  /** The moment judged. */
  readonly at: string;
  readonly invalid: number;
}

/** One part's judgement. Lists in the order of its mailboxes, each item with the position of its mailbox's first event. */
export interface WhatIfPart {
  readonly devices: number;
  readonly unchanged: number;
  readonly reasonChanges: number;
  readonly notifications: number;
  readonly undecided: number;
  readonly changes: ReadonlyArray<{ readonly mailbox: number; readonly change: WhatIfChange }>;
  /** Transitions ("allow->block") with their counts, in the order first met, and the mailbox that first met each. */
  readonly transitions: ReadonlyArray<readonly [transition: string, count: number, mailbox: number]>;
  readonly commands: ReadonlyArray<{ readonly mailbox: number; readonly command: WhatIfCommand }>;
  /** Groups of unknown membership with the devices they concern, in the order first met. */
  readonly unknownGroups: ReadonlyArray<readonly [group: string, devices: number, mailbox: number]>;
}
