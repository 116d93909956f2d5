// Opens the store a `LOG` / `--store` names: a file path is the embedded log.
import { isLeft } from 'fp-ts/lib/Either.js';
import { openFileStore, type FileStore } from '../file-store/index.js';
import type { StoreError } from '../../src/ports.js';
import { UsageError, WorkFailure, InputFailure } from './io.js';

export const isEsdb = (spec: string) => /^(esdb|esdb\+discover|kurrentdb|kdb):\/\//i.test(spec);

export function describeStoreError(e: StoreError): string {
  switch (e.kind) {
    case 'conflict': return `conflict on ${e.stream}: expected revision ${String(e.expected)}, found ${String(e.actual)}`;
    case 'corrupt': return `${e.file ?? 'log'}${e.line !== undefined ? ` line ${e.line}` : ''}: ${e.message}`;
    default: return e.message;
  }
}

export async function openStore(spec: string): Promise<FileStore> {
  if (isEsdb(spec)) {
    throw new UsageError(`"${spec}": EventStoreDB stores are not available in this version (the eventstoredb adapter is not built yet); use a file path`);
  }
  const r = await openFileStore(spec);
  if (isLeft(r)) {
    if (r.left.kind === 'corrupt') throw new InputFailure(describeStoreError(r.left));
    throw new WorkFailure(describeStoreError(r.left));
  }
  return r.right;
}
