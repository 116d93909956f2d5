// What the console reads, as a port the composition root (the CLI) fills in
// with the log library: the console itself knows no file format, no store and
// no PowerShell quoting, only projections and these functions.
import type { Either } from 'fp-ts/lib/Either.js';
import type { StoredEvent } from '../../src/ports.js';
import type { Policy } from '../../src/policy.js';
import type { ExchangeCommand } from '../../src/commands.js';
import type { StreamSlot } from '../../projections/replay.js';
import type { Explanation, WhatIfResult } from '../../projections/index.js';
import type {
  ActionDecided,
  ActionFailure,
  ConnectorStatusView,
  OverrideRequest,
  RevokeRequest,
  SyncReport,
  WipeRequest,
} from '../../src/engine.js';
import type { SyncKind } from '../../src/connector.js';

export interface ReadFailure {
  /** `notFound`: no such device (with the closest ids); `badInput`: the caller's input; `log`: the log could not be read. */
  readonly kind: 'notFound' | 'badInput' | 'log';
  readonly message: string;
  readonly closest?: readonly string[];
}

export interface ConsoleLog {
  /** The log as shown to people: a path, or a connection string without credentials. */
  readonly display: string;
  /** A token that changes when the log grows (file size and time); undefined when it cannot tell (refold on a timer). */
  version(): Promise<string | undefined>;
  /** Every valid event in log order; the number of invalid lines is reported, never hidden. */
  fold(onEvent: (e: StoredEvent, stream?: StreamSlot) => void): Promise<Either<ReadFailure, { events: number; invalidLines: number }>>;
  explain(deviceId: string, at?: string): Promise<Either<ReadFailure, Explanation>>;
  whatIf(policy: Policy, at?: string): Promise<Either<ReadFailure, WhatIfResult>>;
  /** A policy document's text parsed and validated (errors name the field). */
  parsePolicy(text: string): Either<ReadFailure, Policy>;
  /** One command as reviewable PowerShell (device values as literals, never markup). */
  powershell(command: ExchangeCommand): string;
}

/** The running connector, when the console is served by `eas-sync run`. */
export interface ConsoleEngine {
  status(): ConnectorStatusView;
  requestSync(kind: SyncKind): Promise<SyncReport>;
  grantOverride(r: OverrideRequest): Promise<Either<ActionFailure, ActionDecided>>;
  revokeOverride(r: RevokeRequest): Promise<Either<ActionFailure, ActionDecided>>;
  requestWipe(r: WipeRequest): Promise<Either<ActionFailure, ActionDecided>>;
}
