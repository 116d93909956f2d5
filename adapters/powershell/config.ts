// The `exchange` section of the connector configuration file (kind "powershell",
// see adapters/cli/config.ts) as gateway options: one call for the CLI to make.
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { envCredentials } from './credentials.js';
import { powershellGateway, type PowerShellGateway } from './gateway.js';
import type { PowerShellGatewayOptions } from './options.js';
import type { Logger } from './session.js';

/** The config file's `exchange` object for kind "powershell". Secrets are named by environment variable only. */
export interface PowerShellExchangeConfig {
  readonly kind: 'powershell';
  /** The primary Client Access server. */
  readonly cas: string;
  /**
   * How sessions reach Exchange: `remote` (default: New-PSSession to the CAS) or `module`,
   * a PowerShell module standing in for Exchange (tests and labs; see the adapter's README).
   */
  readonly connection?: { readonly kind: 'remote' } | { readonly kind: 'module'; readonly path: string };
  /** Path of pwsh (default `pwsh` on PATH). */
  readonly pwsh?: string;
  readonly authentication?: 'Kerberos' | 'Basic' | 'Negotiate';
  /** https://<cas>/PowerShell/ instead of http. */
  readonly https?: boolean;
  readonly usernameEnv?: string;
  readonly passwordEnv?: string;
  readonly commandTimeoutMs?: number;
  readonly parallelism?: number;
  readonly maxConcurrency?: number;
  /** The engine's option (its CAS failover drives switchServer); not used by the gateway. */
  readonly casFailover?: boolean;
}

/** The gateway for a config section, or what is wrong with it (never a secret's value). */
export function powershellGatewayFromConfig(
  x: PowerShellExchangeConfig,
  extra: { readonly logger?: Logger; readonly env?: NodeJS.ProcessEnv } = {},
): Either<string, PowerShellGateway> {
  const env = extra.env ?? process.env;
  if ((x.usernameEnv === undefined) !== (x.passwordEnv === undefined)) {
    return left('exchange.usernameEnv and exchange.passwordEnv go together');
  }
  if (x.authentication === 'Basic' && x.usernameEnv === undefined) {
    return left('exchange.authentication "Basic" needs exchange.usernameEnv and exchange.passwordEnv');
  }
  for (const name of [x.usernameEnv, x.passwordEnv]) {
    if (name !== undefined && !env[name]) return left(`the environment variable ${name} (named by the config) is not set`);
  }
  const options: PowerShellGatewayOptions = {
    server: x.cas,
    scheme: x.https ? 'https' : 'http',
    authentication: x.authentication ?? 'Kerberos',
    ...(x.usernameEnv !== undefined && x.passwordEnv !== undefined
      ? { credentials: envCredentials({ username: x.usernameEnv, password: x.passwordEnv }, env) }
      : {}),
    ...(x.authentication === 'Basic' ? { allowRedirection: true } : {}),
    ...(x.pwsh !== undefined ? { pwshPath: x.pwsh } : {}),
    ...(x.connection !== undefined ? { connection: x.connection } : {}),
    ...(x.commandTimeoutMs !== undefined ? { commandTimeoutMs: x.commandTimeoutMs } : {}),
    ...(x.parallelism !== undefined ? { parallelism: x.parallelism } : {}),
    ...(x.maxConcurrency !== undefined ? { maxConcurrency: x.maxConcurrency } : {}),
    ...(extra.logger ? { logger: extra.logger } : {}),
  };
  try {
    return right(powershellGateway(options));
  } catch (e) {
    return left(`exchange: ${(e as Error).message.replace(/^powershellGateway: /, '')}`);
  }
}
