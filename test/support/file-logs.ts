// Helpers for tests over file logs: temporary log paths removed after the
// suite, and a Right-or-fail for store results.
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import { openFileStore, type FileStore, type FileStoreOptions } from '../../adapters/file-store/index.js';
import type { StoreError } from '../../src/ports.js';

export function ok<A>(e: Either<StoreError, A>, what = 'operation'): A {
  if (isLeft(e))
    throw new assert.Assertion({ message: `${what} failed: ${JSON.stringify(e.left)}`, operator: 'ok', expects: 'Right', actual: e.left });
  return e.right;
}

/** Temporary logs, each in its own directory; `removeAll` once the suite is done. */
export function tempLogs(prefix: string) {
  const dirs: string[] = [];
  return {
    async path(): Promise<string> {
      const dir = await mkdtemp(join(tmpdir(), prefix));
      dirs.push(dir);
      return join(dir, 'log.ndjson');
    },
    async removeAll(): Promise<void> {
      for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
    },
  };
}

export const openOk = async (path: string, options: FileStoreOptions = {}): Promise<FileStore> =>
  ok(await openFileStore(path, options), 'open');
