// `replay` over a log as a library function: the replay projections folded from
// a file log (streamed; on two threads when it is large) or an EventStoreDB store.
import { stat } from 'node:fs/promises';
import { right, type Either } from 'fp-ts/lib/Either.js';
import type { StoreError } from '../../src/ports.js';
import { createReplay, mergeReplayParts, type ReplayPart, type ReplayResult } from '../../projections/replay.js';
import { isEventStoreDbSpec } from '../shared/connection-string.js';
import { foldLogFile, type FoldLogOptions, type LogFold } from './fold.js';
import { foldEventStoreDb } from './esdb-fold.js';
import { foldInParts, threadsFor } from './parts.js';

export interface ReplayFileResult {
  readonly replay: ReplayResult;
  readonly fold: LogFold;
  /** Invalid lines and undecodable events, by line. */
  readonly errors: ReadonlyArray<{ line: number; message: string }>;
  /** Threads that folded the log (1 when a log could not be folded in parts). */
  readonly threads: number;
}

/**
 * Folds the log at `path` (a file, or an EventStoreDB connection string)
 * through `replay` without holding it in memory (on two threads when it is a
 * large file). Left: the log cannot be opened or read (a malformed connection
 * string included); invalid lines are in the result's `errors`.
 */
export async function replayFile(path: string, options: FoldLogOptions = {}): Promise<Either<StoreError, ReplayFileResult>> {
  let folded: Either<StoreError, LogFold>;
  let result: ReplayResult;
  const esdb = isEventStoreDbSpec(path);
  const size = esdb
    ? 0
    : await stat(path).then(
        (s) => s.size,
        () => 0,
      );
  const threads = threadsFor(size, options);
  const inParts = threads > 1 ? await foldInParts(path, 'replay', threads, size, options) : undefined;
  if (inParts !== undefined) {
    folded = right(inParts.fold);
    result = mergeReplayParts(inParts.parts as ReplayPart[]);
  } else {
    const r = createReplay();
    folded = esdb
      ? await foldEventStoreDb(path, (e) => r.push(e)).then((x) =>
          x._tag === 'Left' ? x : right({ errors: x.right.errors, lines: x.right.events, events: x.right.events, bytes: 0 }),
        )
      : await foldLogFile(path, (e, head) => r.push(e, head), options);
    result = r.result();
  }
  if (folded._tag === 'Left') return folded;
  return right({
    replay: result,
    fold: folded.right,
    errors: lineErrors(folded.right, result.invalid),
    threads: inParts !== undefined ? threads : 1,
  });
}

/** A fold's invalid lines and the events that did not decode, by line, without the `line N: ` prefix. */
export function lineErrors(
  fold: LogFold,
  invalid: ReadonlyArray<{ position: number; message: string }>,
): Array<{ line: number; message: string }> {
  return [
    ...fold.errors.map((e) => ({ line: e.line, message: e.message.replace(/^line \d+: /, '') })),
    // A valid envelope's position is its line index.
    ...invalid.map((i) => ({ line: i.position + 1, message: i.message })),
  ].sort((a, b) => a.line - b.line);
}
