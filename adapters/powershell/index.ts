// eas-access-sync/powershell: the Exchange gateway over remote PowerShell (pwsh),
// and the reviewable-script writer used by `eas-sync plan --format powershell`.
export { powershellGateway } from './gateway.js';
export type { PowerShellGateway } from './gateway.js';
export { commandRequest } from './requests.js';
export type { ConnectionOption, PowerShellGatewayOptions } from './options.js';
export { powershellGatewayFromConfig } from './config.js';
export type { PowerShellExchangeConfig } from './config.js';
export { envCredentials, staticCredentials } from './credentials.js';
export type { CredentialProvider, Credentials, EnvCredentialNames, EnvCredentialProvider } from './credentials.js';
export { mapPsError, redact } from './errors.js';
export type { ErrorMappingOptions } from './errors.js';
export type { PoolStats } from './pool.js';
export type { Authentication, LogEntry, Logger, SpawnFn } from './session.js';
export { SCRIPT, ALLOWED_CMDLETS, OPERATIONS } from './scripts.js';
export type { PsErrorInfo } from './protocol.js';
export { psQuote, commandToPowerShell } from './quote.js';
