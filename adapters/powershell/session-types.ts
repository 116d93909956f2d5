// The types of one PowerShell session (session.ts): how it is configured, what
// it logs, and what its hello and its calls give back.
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import type { Credentials } from './credentials.js';

export type SpawnFn = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

export type Authentication = 'Kerberos' | 'Basic' | 'Negotiate' | 'Default';

export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  /** sessionStarted, sessionClosed, sessionKilled, noise, stderr, failover, primaryRestored, serversDiscovered, … */
  readonly event: string;
  readonly message: string;
  readonly server?: string;
  readonly session?: number;
  readonly pid?: number;
}
export type Logger = (entry: LogEntry) => void;

export interface SessionConfig {
  readonly id: number;
  readonly server: string;
  readonly connectionUri: string;
  readonly authentication: Authentication;
  readonly credentials?: Credentials;
  readonly allowRedirection: boolean;
  readonly skipCertificateCheck: boolean;
  /** A module standing in for Exchange (connection kind "module"); undefined = New-PSSession to the server. */
  readonly module?: string;
  readonly pwshPath: string;
  readonly pwshArgsPrefix: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly spawn?: SpawnFn;
  readonly connectTimeoutMs: number;
  readonly closeTimeoutMs: number;
  readonly shellQuotaWaitMs: number;
  /** Every text from the child passes through redaction of these before it goes anywhere. */
  readonly secrets: readonly string[];
  readonly log: Logger;
}

export interface Hello {
  readonly psVersion: string;
  readonly cmdlets: readonly string[];
  readonly warnings: readonly string[];
}

export interface CallOutput {
  /** The `records` of each chunk frame, as parsed (arrays, lone objects, 5.1 wrappers). */
  readonly chunks: readonly unknown[];
  readonly count: number;
  readonly warnings: readonly string[];
}

export type SessionState = 'new' | 'starting' | 'ready' | 'busy' | 'closing' | 'dead';
