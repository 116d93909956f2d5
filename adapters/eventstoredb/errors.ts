// The client's errors as StoreErrors whose message names the node (never the
// credentials) and says what to do.
import type { StoreError } from '../../src/ports.js';
import { scrub, type ConnectionInfo } from './connection.js';

export const isStreamNotFound = (e: unknown) =>
  typeof e === 'object' && e !== null && (e as { type?: unknown }).type === 'stream-not-found';

/** A client error as an io StoreError naming the node (without credentials) and the cause. */
export function describeFailure(err: unknown, what: string, connection: ConnectionInfo, connectionString: string): StoreError {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { type?: string; code?: number; message?: string; details?: string };
  // grpc-js messages end in an empty "Resolution note" and may span lines.
  const raw = (e.message ?? String(err))
    .replace(/[.\s]*Resolution note:\s*$/, '')
    .replace(/\s+/g, ' ')
    .trim();
  let why: string;
  if (e.type === 'unavailable' || e.code === 14) {
    why = `node unavailable (${raw})`;
    if (connection.tls && /ssl|tls|handshake|certificate|wrong version number/i.test(raw)) {
      why += '; TLS is on by default: add ?tls=false for a node started with --insecure';
    }
  } else if (e.type === 'access-denied' || e.code === 7) {
    why = `access denied (${raw}); the user in the connection string must be allowed to read $all and write the streams`;
  } else if (e.type === 'deadline-exceeded' || e.code === 4) {
    why = `no answer in time (${raw})`;
  } else if (e.type === 'not-leader') {
    why = `the node is not the leader (${raw}); use esdb+discover:// or connect to the leader`;
  } else {
    why = raw;
  }
  return { kind: 'io', message: scrub(`EventStoreDB ${connection.redacted}: ${what}: ${why}`, connectionString) };
}
