// The engine's ports. Adapters implement them; the core never does I/O itself.
// Every call returns Promise<Either<Error, A>>: failures are values, never throws
// (a throw from an adapter is a programmer error and propagates).
import type { Either } from 'fp-ts/lib/Either.js';
import type {
  CasMailbox,
  DeviceAccessRule,
  ExchangeServer,
  GroupMembership,
  ManagedDevice,
  MobileDevice,
  MobileDeviceStatistics,
  OrgSettings,
} from './facts.js';
import type { ExchangeCommand } from './commands.js';

// ---------------------------------------------------------------- Exchange
export type ExchangeError =
  | { readonly kind: 'connectionLost'; readonly message: string; readonly server?: string }
  | { readonly kind: 'throttled'; readonly message: string; readonly waitMs: number }
  | { readonly kind: 'notFound'; readonly message: string }
  | { readonly kind: 'accessDenied'; readonly message: string }
  | { readonly kind: 'invalidOutput'; readonly message: string; readonly path?: string }
  /** The remote session is unusable (broken, expired): open another and retry. */
  | { readonly kind: 'sessionBroken'; readonly message: string }
  | { readonly kind: 'other'; readonly message: string };

export interface MobileDeviceQuery {
  /** Only partnerships whose FirstSyncTime is after this instant (quick sync). */
  readonly firstSyncAfter?: string;
}

export interface CasMailboxQuery {
  /** Only these mailboxes (by Identity); default: every mailbox with a partnership. */
  readonly identities?: readonly string[];
}

/** Get-MobileDeviceStatistics takes one mailbox (all its partnerships) or one partnership; it has no org-wide form. */
export type MobileDeviceStatisticsQuery = { readonly mailbox: string } | { readonly identity: string };

export interface ExchangeGateway {
  /** Get-MobileDevice -ResultSize Unlimited (Get-ActiveSyncDevice on 2010). */
  getMobileDevices(query?: MobileDeviceQuery): Promise<Either<ExchangeError, MobileDevice[]>>;
  /** Get-CasMailbox -Filter "HasActiveSyncDevicePartnership -eq $true" -ResultSize Unlimited */
  getCasMailboxes(query?: CasMailboxQuery): Promise<Either<ExchangeError, CasMailbox[]>>;
  getOrgSettings(): Promise<Either<ExchangeError, OrgSettings>>;
  getDeviceAccessRules(): Promise<Either<ExchangeError, DeviceAccessRule[]>>;
  getExchangeServers(): Promise<Either<ExchangeError, ExchangeServer[]>>;
  /**
   * Get-MobileDeviceStatistics (Get-ActiveSyncDeviceStatistics on 2010): needed
   * for wipe acknowledgements and stale clean-up only, so optional; an unknown
   * partnership is `notFound`.
   */
  getMobileDeviceStatistics?(query: MobileDeviceStatisticsQuery): Promise<Either<ExchangeError, MobileDeviceStatistics[]>>;
  execute(command: ExchangeCommand): Promise<Either<ExchangeError, void>>;
  /**
   * Opens a remote PowerShell session on the current server (each counts against
   * the account's PowerShellMaxConcurrency). When present, the engine runs its
   * commands over sessions it opens, recycles and replaces itself.
   */
  openSession?(): Promise<Either<ExchangeError, ExchangeSession>>;
  /** Points new calls and sessions at another Client Access server (CAS failover). */
  switchServer?(fqdn: string): Promise<Either<ExchangeError, void>>;
  /** The server currently used (for status); optional. */
  currentServer?(): string | undefined;
  close?(): Promise<void>;
}

/** One remote PowerShell session (a runspace on one CAS). */
export interface ExchangeSession {
  readonly server?: string;
  /**
   * What the remote session had done before it was handed out, when a gateway reuses sessions (its
   * commands, and its age in ms): the engine recycles a session by these, not only by its own use.
   */
  readonly used?: { readonly commands: number; readonly ageMs: number };
  execute(command: ExchangeCommand): Promise<Either<ExchangeError, void>>;
  /**
   * Gives the session back. A gateway may keep a working one for its next caller; `retire` (the
   * engine recycles it, or it broke) ends it.
   */
  close(options?: { readonly retire?: boolean }): Promise<void>;
}

// ---------------------------------------------------------------- Intune
export type IntuneError =
  | { readonly kind: 'unauthorized'; readonly message: string; readonly url?: string }
  | { readonly kind: 'throttled'; readonly message: string; readonly url?: string; readonly retryAfterMs?: number }
  | { readonly kind: 'unavailable'; readonly message: string; readonly url?: string }
  | { readonly kind: 'invalidResponse'; readonly message: string; readonly url?: string; readonly path?: string }
  | { readonly kind: 'other'; readonly message: string; readonly url?: string };

export interface IntuneGateway {
  /** Every managed device (all pages); `changedSince` narrows to devices synced after it. */
  getManagedDevices(query?: { readonly changedSince?: string }): Promise<Either<IntuneError, ManagedDevice[]>>;
  /** Transitive user members (their UPNs) of each group. */
  getGroupMembers(groupIds: readonly string[]): Promise<Either<IntuneError, GroupMembership>>;
}

// ---------------------------------------------------------------- Notifier
export interface Notification {
  readonly to: string;
  readonly subject: string;
  readonly html: string;
  readonly deviceId: string;
  readonly mailbox: string;
}

/**
 * `sendFailed`: this one message failed. `authFailed` and `unavailable`: the
 * channel itself refused (credentials, server down): the engine sends nothing
 * more in that sync, so a wrong password costs one failed login, not one per
 * pending message (directory accounts lock after a few).
 */
export type NotifyError = { readonly kind: 'sendFailed' | 'authFailed' | 'unavailable'; readonly message: string };

export interface Notifier {
  send(notification: Notification): Promise<Either<NotifyError, void>>;
}

// ---------------------------------------------------------------- Event store
/** `any`, `noStream` (the stream must not exist), or the stream's last revision. */
export type ExpectedRevision = 'any' | 'noStream' | number;

export interface NewEvent {
  readonly type: string;
  readonly data: unknown;
  readonly at: string;
  readonly meta?: Readonly<Record<string, unknown>>;
  /** A UUID; the store assigns one when absent. */
  readonly id?: string;
}

export interface StoredEvent {
  readonly stream: string;
  readonly revision: number;
  readonly position: number;
  readonly id: string;
  readonly type: string;
  readonly at: string;
  readonly data: unknown;
  readonly meta: Readonly<Record<string, unknown>>;
}

export interface AppendRequest {
  readonly stream: string;
  readonly expected: ExpectedRevision;
  readonly events: readonly NewEvent[];
}

export interface AppendResult {
  readonly stream: string;
  /** Revision of the last event written to the stream. */
  readonly revision: number;
  /** Position of the last event written to the log. */
  readonly position: number;
}

export type StoreError =
  | { readonly kind: 'conflict'; readonly stream: string; readonly expected: ExpectedRevision; readonly actual: number | 'noStream' }
  | { readonly kind: 'corrupt'; readonly message: string; readonly file?: string; readonly line?: number }
  | { readonly kind: 'io'; readonly message: string }
  | { readonly kind: 'closed'; readonly message: string }
  /** An appended event carries an id the log already holds (ids are unique in a log). */
  | { readonly kind: 'duplicateId'; readonly id: string; readonly position: number; readonly message: string };

export interface ReadOptions {
  /** First revision (readStream) or position (readAll) to return. */
  readonly from?: number;
}

export interface EventStore {
  /**
   * Appends to one or more streams. Each request's expected revision is checked;
   * on the embedded stores the whole batch is atomic (all or nothing, one fsync).
   */
  append(requests: readonly AppendRequest[]): Promise<Either<StoreError, AppendResult[]>>;
  /** Events of one stream in revision order; an absent stream is an empty list. */
  readStream(stream: string, options?: ReadOptions): Promise<Either<StoreError, StoredEvent[]>>;
  /** Every event in log order. */
  readAll(options?: ReadOptions): Promise<Either<StoreError, StoredEvent[]>>;
  /**
   * readAll without holding the log in memory (optional): each event (from
   * `options.from`) to `onEvent` as it is read, in log order; Right(the number
   * of events). The engine folds a long log through it when the store has it.
   */
  forEachEvent?(onEvent: (event: StoredEvent) => void, options?: ReadOptions): Promise<Either<StoreError, number>>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------- Clock
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

// ---------------------------------------------------------------- Snapshots
export type SnapshotError = { readonly kind: 'corrupt' | 'io'; readonly message: string };

/** The last log event a snapshot covers. */
export interface SnapshotCovers {
  readonly position: number;
  readonly id: string;
}

/**
 * Where the engine keeps its state checkpoint (src/snapshot.ts): a cache beside
 * the log, never the source of truth.
 */
export interface SnapshotStore {
  /** Names the snapshot in diagnostics (a file path, a stream). */
  readonly location: string;
  /** The latest snapshot's text, its integrity checked; undefined when there is none. */
  load(): Promise<Either<SnapshotError, string | undefined>>;
  /**
   * Replaces the snapshot atomically: after a crash the old one or the new one is
   * there, never part of one. `covers` is the last log event it covers (a store
   * may keep where that is, to read only the log after it on the next start).
   */
  save(text: string, covers: SnapshotCovers): Promise<Either<SnapshotError, void>>;
  /**
   * Optional: `save(pieces.join(''), covers)` without joining them, so a large snapshot (~285 MB at
   * 200,000 devices) is not held whole once more; the engine uses it when a store has it.
   */
  savePieces?(pieces: readonly string[], covers: SnapshotCovers): Promise<Either<SnapshotError, void>>;
}
