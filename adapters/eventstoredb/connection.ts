// Connection strings: what the client will do with one (TLS or not, which
// hosts), and how to name it in messages without the credentials it may carry.
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { isEventStoreDbSpec, redactConnectionString, scrub, splitConnectionString } from '../shared/connection-string.js';
import { parseConnectionString as parseWithClient } from '@eventstore/db-client/dist/Client/parseConnectionString.js';

export interface ConnectionInfo {
  /** TLS is on unless the string says `tls=false` (the client's default). */
  readonly tls: boolean;
  /** `esdb+discover://`: the hosts are gossip seeds, the node is discovered. */
  readonly discover: boolean;
  /** `host:port` of every node named (port 2113 when absent). */
  readonly hosts: readonly string[];
  /** Whether a `user:password@` part is present (never echoed anywhere). */
  readonly hasCredentials: boolean;
  /** The string without its credentials: what messages and outputs show. */
  readonly redacted: string;
  /** What the 6.x client is given: `kurrentdb://`/`kdb://` become `esdb://`. */
  readonly clientString: string;
}

export { isEventStoreDbSpec, redactConnectionString, scrub };

/**
 * Parses a connection string exactly as @eventstore/db-client 6.x will (its own
 * parser), after mapping the KurrentDB schemes onto `esdb`. Left: a message that
 * names the problem and never contains the credentials.
 */
export function parseConnection(connectionString: string): Either<string, ConnectionInfo> {
  const parts = splitConnectionString(connectionString);
  if (parts === undefined) {
    return left(
      `"${redactConnectionString(connectionString)}" is not an EventStoreDB connection string (esdb://host:2113, esdb+discover://…, kurrentdb://…)`,
    );
  }
  const scheme = parts.scheme.endsWith('+discover') ? 'esdb+discover' : 'esdb';
  const clientString = `${scheme}://${parts.credentials !== undefined ? `${parts.credentials}@` : ''}${parts.rest}`;
  let parsed: ReturnType<typeof parseWithClient>;
  const warn = console.warn;
  const warnings: string[] = [];
  try {
    // The parser warns on the console about unknown keys (with the whole string); keep them.
    console.warn = (...args: unknown[]) => {
      warnings.push(args.map(String).join(' '));
    };
    parsed = parseWithClient(clientString);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return left(scrub(`invalid connection string "${redactConnectionString(connectionString)}": ${why}`, connectionString));
  } finally {
    console.warn = warn;
  }
  const unknown = warnings.find((w) => w.startsWith('Unknown option key'));
  if (unknown !== undefined) {
    return left(
      scrub(`invalid connection string "${redactConnectionString(connectionString)}": ${unknown.split('\n')[0]}`, connectionString),
    );
  }
  return right({
    tls: parsed.tls !== false,
    discover: parsed.dnsDiscover === true,
    hosts: parsed.hosts.map((h) => `${h.address}:${h.port}`),
    hasCredentials: parsed.defaultCredentials !== undefined,
    redacted: redactConnectionString(connectionString),
    clientString,
  });
}
