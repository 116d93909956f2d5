// whatIf(events, policy, { at }): which devices a different policy would treat
// differently, and how — decided again from the log's latest facts with the
// engine's own mailbox decider, against the lists the engine knows. Pure and
// read-only: nothing is appended, nothing is sent to Exchange.
//
// The facts come from each device's latest AccessDecided (its groups, its mapped
// managed device with compliance and grace deadline, conflicts), its partnership
// and its mailbox. Group membership is recorded only for the groups the policy
// named when the device was decided: a group the new policy names for the first
// time has unknown members, is treated as empty, and is reported as a warning.
//
// The parts: the fold of a log (what-if/fold.ts), its lean mailbox fold
// (what-if/lean-fold.ts), the judgement of folded mailboxes under a policy
// (what-if/judge.ts), and a log judged in parts, merged (what-if/parts.ts).
export { createWhatIf, whatIf } from './what-if/fold.js';
export { emptyLeanMailbox, foldLean, materialize } from './what-if/lean-fold.js';
export { governedPlan, type Judged } from './what-if/judge.js';
export { mergeWhatIfParts, whatIfContext } from './what-if/parts.js';
export type {
  OrgPolicies,
  WhatIfChange,
  WhatIfCommand,
  WhatIfContext,
  WhatIfFold,
  WhatIfOptions,
  WhatIfPart,
  WhatIfResult,
  WhatIfScan,
  WhatIfWarning,
} from './what-if/types.js';
