// Folding a file log on one thread: the file store's reader in its streaming
// mode, from a path, with repeated ids confirmed once the read is done.
import { open, type FileHandle } from 'node:fs/promises';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { StoredEvent, StoreError } from '../../src/ports.js';
import { ioText, streamLog, type LineError, type StreamHead, type TornTail } from '../shared/log-reader.js';
import { confirmDuplicates, type Suspect } from '../shared/log-ids.js';

export interface LogFold {
  /** Every invalid line (its event was not handed over, or, for a repeated id, handed over and reported). */
  readonly errors: LineError[];
  readonly tornTail?: TornTail;
  /** Lines in the file, a torn last line included. */
  readonly lines: number;
  /** Valid events handed to the callback. */
  readonly events: number;
  readonly bytes: number;
}

export interface FoldLogOptions {
  /** Bytes read so far and the file's size, after each chunk. */
  readonly onProgress?: (bytes: number, total: number) => void;
  /** Read size (default 8 MiB). */
  readonly chunkBytes?: number;
  /**
   * Threads that fold a file log (`replayFile`, `whatIfFile`): by default 2 for
   * a log of 64 MiB or more when a core is free for the second (a what-if: from
   * 3 cores), else 1 (see parts.ts).
   */
  readonly threads?: number;
}

/** A read's fold: its counts and errors, in the order callers have always seen them. */
export function foldOf(read: Omit<LogFold, 'tornTail'> & { readonly tornTail?: TornTail | undefined }): LogFold {
  const { errors, events, bytes, lines, tornTail } = read;
  return tornTail === undefined ? { errors, events, bytes, lines } : { errors, events, bytes, lines, tornTail };
}

/** The fold with the repeated ids among its errors (the suspects' lines read again from `fh`). */
export async function withDuplicates(fh: FileHandle, fold: LogFold, suspects: readonly Suspect[]): Promise<LogFold> {
  const repeated = await confirmDuplicates(fh, suspects);
  return repeated.length === 0 ? fold : { ...fold, errors: [...fold.errors, ...repeated].sort((a, b) => a.line - b.line) };
}

/**
 * Reads the log at `path` line by line, handing each valid event to `onEvent`
 * in log order; never modifies the file. The checks and messages are those of
 * the file store's `readLog` (envelope, position = line index, revisions 0.. per
 * stream, unique ids, torn last line).
 */
export async function foldLogFile(
  path: string,
  onEvent: (e: StoredEvent, stream: StreamHead) => void,
  options: FoldLogOptions = {},
): Promise<Either<StoreError, LogFold>> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    return left({ kind: 'io', message: `log ${path}: cannot open: ${ioText(err)}` });
  }
  try {
    const read = await streamLog(fh, onEvent, options);
    return right(await withDuplicates(fh, foldOf(read), read.suspects));
  } catch (err) {
    return left({ kind: 'io', message: `log ${path}: cannot read: ${ioText(err)}` });
  } finally {
    await fh.close().catch(() => undefined);
  }
}
