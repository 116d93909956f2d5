// A new session's process, set up: the credential fetched from the provider (and
// remembered, in every encoding, for redaction), the child's environment without
// any credential, and the session's configuration.
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { ExchangeError } from '../../src/ports.js';
import type { Credentials } from './credentials.js';
import { redact, secretForms } from './errors.js';
import type { PowerShellGatewayOptions, ResolvedOptions } from './options.js';
import { PwshSession } from './session.js';

export type NewSession = (server: string, id: number) => Promise<Either<ExchangeError, PwshSession>>;

/** One gateway's session maker; the secrets it learns are redacted from every later session's texts. */
export function sessionLauncher(o: PowerShellGatewayOptions, r: ResolvedOptions): NewSession {
  /** Every credential the provider returned (password and account name, in each encoding), redacted from every text. */
  const secrets = new Set<string>();
  const secretList = () => [...secrets].sort((a, b) => b.length - a.length);
  const scrubbed = new Set<string>((o.credentials as { variables?: readonly string[] } | undefined)?.variables ?? []);

  const childEnv = (creds: Credentials | undefined): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...(o.env ?? {}) };
    for (const k of Object.keys(env)) {
      const v = env[k];
      if (
        scrubbed.has(k) ||
        (creds && v !== undefined && (v === creds.password || (creds.password.length >= 4 && v.includes(creds.password))))
      )
        delete env[k];
    }
    return env;
  };

  return async (server, id) => {
    let creds: Credentials | undefined;
    if (o.credentials) {
      try {
        creds = await o.credentials();
      } catch (e) {
        return left({
          kind: 'accessDenied',
          message: `the credential provider failed: ${redact(String((e as Error)?.message ?? e), secretList())}`,
        });
      }
      if (!creds || typeof creds.username !== 'string' || typeof creds.password !== 'string' || creds.username === '') {
        return left({ kind: 'accessDenied', message: 'the credential provider returned no username and password' });
      }
      for (const f of secretForms(creds.password)) secrets.add(f);
      // the account name too (long enough not to blank out ordinary words)
      if (creds.username.length >= 4) for (const f of secretForms(creds.username)) secrets.add(f);
    }
    return right(
      new PwshSession({
        id,
        server,
        connectionUri: r.uriOf(server),
        authentication: r.authentication,
        ...(creds ? { credentials: creds } : {}),
        allowRedirection: o.allowRedirection ?? false,
        skipCertificateCheck: o.skipCertificateCheck ?? false,
        ...(r.connection.kind === 'module' ? { module: r.connection.path } : {}),
        pwshPath: r.pwshPath,
        pwshArgsPrefix: o.pwshArgsPrefix ?? [],
        env: childEnv(creds),
        ...(o.spawn ? { spawn: o.spawn } : {}),
        connectTimeoutMs: r.connectTimeoutMs,
        closeTimeoutMs: r.closeTimeoutMs,
        shellQuotaWaitMs: r.shellQuotaWaitMs,
        secrets: secretList(),
        log: r.log,
      }),
    );
  };
}
