// The mailbox aggregate: its state and evolve (mailbox/evolve.ts), its rules,
// which every fold of mailbox events shares (mailbox/rules.ts), reconciling a
// mailbox with Exchange (mailbox/reconcile.ts) and its decider (mailbox/decide.ts).
export {
  evolveMailbox,
  initialMailboxState,
  type DeviceState,
  type MailboxInfo,
  type MailboxState,
  type PartnershipFields,
} from './mailbox/evolve.js';
export {
  applyListChange,
  changeOf,
  decisionOf,
  deviceKey,
  enforce,
  entriesOf,
  hasDeviceKey,
  hasIntent,
  hasListChanges,
  indexOfDevice,
  listsAfter,
  mailboxIntent,
  needsNotification,
  noListChanges,
  notifiedAfter,
  recordOwnership,
  sameDeviceSet,
  withIntent,
  withIntentIn,
  withoutIntent,
  withoutIntentIn,
  type DecisionState,
  type ListChanges,
  type MailboxLists,
  type Owned,
  type OwnershipTarget,
} from './mailbox/rules.js';
export { sameDecision, type MailboxDecided, type ReconcileMailbox } from './mailbox/reconcile.js';
export {
  decideMailbox,
  mailboxDecider,
  type MailboxCommand,
  type MailboxDecisionError,
  type RecordCommandOutcome,
  type RecordNotification,
} from './mailbox/decide.js';
