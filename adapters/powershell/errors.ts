// PowerShell error records -> typed gateway errors, and the redaction of secrets.
// The order of the rules matters: Exchange's quota messages also mention WinRM
// and "remote server", and an access-denied connection also "failed to connect".
import type { ExchangeError } from '../../src/ports.js';
import type { PsErrorInfo } from './protocol.js';

export interface ErrorMappingOptions {
  /** Wait after "maximum number of N concurrent shells" (the message names none). Default 5,000 ms. */
  readonly shellQuotaWaitMs?: number;
  /** The server the session talked to (kept on connectionLost). */
  readonly server?: string;
}

export const DEFAULT_SHELL_QUOTA_WAIT_MS = 5_000;

const has = (text: string, re: RegExp) => re.test(text);

/**
 * The mapping table:
 * - "user load quota … at least Z milliseconds" -> throttled, waitMs Z
 * - "maximum number of N concurrent shells", runspace/"budget" quotas -> throttled (waitMs from options)
 * - "Access is denied", PermissionDenied/SecurityError, UnauthorizedAccess, INSUFF_ACCESS_RIGHTS,
 *   an allowlisted cmdlet that RBAC did not import ("is not recognized as the name of a cmdlet") -> accessDenied
 * - ManagementObjectNotFoundException, "couldn't be found", ObjectNotFound -> notFound
 * - a broken or closed remote session (PSSessionStateBroken, "session state is Broken") -> sessionBroken
 * - WinRM / WS-Management / PSRemotingTransportException / "remote server … failed" -> connectionLost
 * - anything else -> other
 */
export function mapPsError(info: PsErrorInfo, options: ErrorMappingOptions = {}): ExchangeError {
  const message = info.message.trim() || `${info.category || 'Error'} (${info.fullyQualifiedErrorId || 'no error id'})`;
  const all = `${info.message}\n${info.fullyQualifiedErrorId}\n${info.reason}\n${info.category}`;

  const quota = /at least\s+(\d+)\s+milliseconds/i.exec(info.message);
  if (quota && has(info.message, /quota|budget|throttl/i)) {
    return { kind: 'throttled', message, waitMs: Number(quota[1]) };
  }
  if (
    has(
      info.message,
      /maximum number of\s+(\d+\s+)?concurrent shells|exceeded your budget to create runspace|MaxConcurrency|too many (concurrent )?(connections|requests)/i,
    )
  ) {
    return { kind: 'throttled', message, waitMs: options.shellQuotaWaitMs ?? DEFAULT_SHELL_QUOTA_WAIT_MS };
  }
  if (has(info.message, /\bis not recognized as (the name of )?a cmdlet/i) || info.reason === 'CommandNotFoundException') {
    return { kind: 'accessDenied', message: `${message} (is the cmdlet among the account's RBAC roles?)` };
  }
  if (
    has(info.category, /^(PermissionDenied|SecurityError)$/i) ||
    has(
      all,
      /Access is denied|AccessDenied|UnauthorizedAccess|INSUFF_ACCESS_RIGHTS|insufficient access rights|not authorized|logon failure|user name or password is incorrect|credentials (were|are) rejected/i,
    )
  ) {
    return { kind: 'accessDenied', message };
  }
  if (has(all, /ManagementObjectNotFoundException|ObjectNotFound|couldn't be found|could not be found|was not found on/i)) {
    return { kind: 'notFound', message };
  }
  if (
    has(
      all,
      /PSSessionStateBroken|session state is Broken|state of the current PowerShell instance is not valid|The session has been closed|runspace (is|was|has been) (closed|broken)/i,
    )
  ) {
    return { kind: 'sessionBroken', message };
  }
  if (
    has(
      all,
      /PSRemotingTransportException|PSSessionStateBroken|PSSessionOpenFailed|WinRM|WS-Management|JobFailure|RemoteException.*Broken/i,
    ) ||
    has(
      info.message,
      /remote server .* failed|connection (was )?(lost|closed|reset|aborted)|cannot connect|timed out|The I\/O operation has been aborted|session state is (Broken|Closed)|remote session .*(closed|broken)/i,
    ) ||
    has(info.category, /^(OpenError|ConnectionError|ResourceUnavailable)$/i)
  ) {
    return options.server === undefined ? { kind: 'connectionLost', message } : { kind: 'connectionLost', message, server: options.server };
  }
  return { kind: 'other', message };
}

/** Replaces every occurrence of each secret (and its encodings) with `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s.length === 0) continue;
    out = out.split(s).join('***');
  }
  return out;
}

/** The forms a secret can take on its way to the child (raw, wire base64, JSON-escaped). */
export function secretForms(secret: string | undefined): string[] {
  if (secret === undefined || secret === '') return [];
  const forms = new Set<string>([secret, Buffer.from(secret, 'utf16le').toString('base64'), JSON.stringify(secret).slice(1, -1)]);
  return [...forms].filter((f) => f.length > 0).sort((a, b) => b.length - a.length);
}
