// eas-access-sync: the engine, its ports and the domain's data, by name. The
// folds of a log are `eas-access-sync/projections`; reading a log file (replay,
// what-if, explain) is `eas-access-sync/log`; each adapter has its own subpath.

// The engine.
export { createEngine, EngineFailure } from './engine.js';
export type {
  ConnectorStatusView,
  DeviceAccessView,
  Engine,
  EngineError,
  EngineMetrics,
  EngineOptions,
  Histogram,
  ScheduleOptions,
  SnapshotNote,
  SnapshotOptions,
  SyncIssue,
  SyncProgress,
  SyncReport,
  ActionDecided,
  ActionFailure,
  ActionRefusal,
  OverrideRequest,
  RevokeRequest,
  WipeRequest,
} from './engine.js';
export type { ConnectorState, ConnectorStatus, SyncKind } from './connector.js';
// The shape every decider here has (decide → Either<Failure, { events, commands }>).
export type { Decided, Decider, Intent } from './decider.js';

// The ports an adapter implements.
export type {
  AppendRequest,
  AppendResult,
  CasMailboxQuery,
  Clock,
  EventStore,
  ExchangeError,
  ExchangeGateway,
  ExchangeSession,
  ExpectedRevision,
  IntuneError,
  IntuneGateway,
  MobileDeviceQuery,
  MobileDeviceStatisticsQuery,
  NewEvent,
  Notification,
  Notifier,
  NotifyError,
  ReadOptions,
  SnapshotError,
  SnapshotStore,
  SnapshotCovers,
  StoredEvent,
  StoreError,
} from './ports.js';

// What Exchange and Intune report, and the commands the engine issues.
export type {
  AccessLevel,
  CasMailbox,
  Characteristic,
  ComplianceState,
  DeviceAccessRule,
  ExchangeAccessLevel,
  ExchangeServer,
  GroupMembership,
  ManagedDevice,
  MobileDevice,
  MobileDeviceStatistics,
  OrgSettings,
} from './facts.js';
export type {
  ClearMobileDevice,
  ExchangeCommand,
  ListChange,
  RemoveMobileDevice,
  NewDeviceAccessRule,
  RemoveDeviceAccessRule,
  SetCasMailbox,
  SetDeviceAccessRule,
  SetOrgSettings,
} from './commands.js';

// The access policy.
export { parsePolicy, policyDocument } from './policy.js';
export type { NotificationSettings, PlatformException, Policy, PolicyDocument } from './policy.js';
export type { Issue } from './codec.js';

// The events of the log.
export { decodeEvent, isEventType, mailboxStream, mailboxStreamPrefix, orgStream, SCHEMA_VERSION } from './events.js';
export type { DecisionFacts, DomainEvent, EventData, EventOf, EventType, Reason, RecordedEvent } from './events.js';

// Deciding every device from exports, without an engine or a log (eas-sync plan).
export { planMailboxes } from './plan.js';
export type { MailboxObservations, MailboxesPlan, PlanArgs, PlanIssue, PlannedDevice } from './plan.js';
export type { Decision } from './access.js';

// Stale partnership clean-up: which partnerships a full sync removes (also the dry run of plan).
export { selectStale, DEFAULT_MAX_REMOVALS_PER_SYNC } from './cleanup.js';
export type { StaleArgs, StaleRemoval, StaleSelection } from './cleanup.js';
