// Where the service account's credential comes from. The gateway asks the
// provider once per session start (so a rotated password is picked up), sends the
// credential to the child on stdin only, and never logs, returns or stores it.

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

export type CredentialProvider = () => Promise<Credentials>;

export interface EnvCredentialNames {
  /** Default `EAS_EXCHANGE_USERNAME`. */
  readonly username?: string;
  /** Default `EAS_EXCHANGE_PASSWORD`. */
  readonly password?: string;
}

/** A provider with the names of the environment variables it reads (the gateway keeps them out of the child's environment). */
export type EnvCredentialProvider = CredentialProvider & { readonly variables: readonly string[] };

/**
 * Reads the credential from two environment variables, at each call. A missing
 * variable is an error that names the variable, never its value.
 */
export function envCredentials(names: EnvCredentialNames = {}, env: NodeJS.ProcessEnv = process.env): EnvCredentialProvider {
  const u = names.username ?? 'EAS_EXCHANGE_USERNAME';
  const p = names.password ?? 'EAS_EXCHANGE_PASSWORD';
  const provider = async (): Promise<Credentials> => {
    const username = env[u];
    const password = env[p];
    const missing = [username ? undefined : u, password ? undefined : p].filter((x): x is string => x !== undefined);
    if (missing.length > 0) throw new Error(`the Exchange credential is not configured: set ${missing.join(' and ')}`);
    return { username: username!, password: password! };
  };
  return Object.assign(provider, { variables: [u, p] as const });
}

/** A fixed credential (tests, or a caller that fetched it from a vault). */
export const staticCredentials =
  (credentials: Credentials): CredentialProvider =>
  async () =>
    credentials;
