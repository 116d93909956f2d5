// The LOG argument of the read-only commands (replay, explain, what-if), and
// their read failures as CLI failures.
import type { StoreError } from '../../src/ports.js';
import * as store from './store.js';
import { InputFailure, UsageError } from './io.js';

/** The log path argument of a read-only command: a file (or, where allowed, an esdb:// store). */
export function logPath(path: string | undefined, command: string, allowEsdb = false): string {
  if (!path) throw new UsageError(`${command} needs a LOG (see eas-sync ${command} --help)`);
  if (store.isEsdb(path)) {
    if (!allowEsdb)
      throw new UsageError(`"${store.displaySpec(path)}": ${command} reads file logs only; copy the store to a file first (eas-sync copy)`);
  }
  return path;
}

/** A store error of a read-only command as a CLI failure (exit 2). */
export function readFailure(path: string, e: StoreError): InputFailure {
  return new InputFailure(
    e.kind === 'corrupt' ? store.describeStoreError(e) : `${store.displaySpec(path)}: ${store.describeStoreError(e)}`,
  );
}
