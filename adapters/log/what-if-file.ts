// `whatIf` over a file log as a library function: streamed, never held in
// memory, on two threads when the log is large.
import { stat } from 'node:fs/promises';
import { isLeft, right, type Either } from 'fp-ts/lib/Either.js';
import type { StoreError } from '../../src/ports.js';
import type { Policy } from '../../src/policy.js';
import {
  createWhatIf,
  mergeWhatIfParts,
  whatIfContext,
  type WhatIfContext,
  type WhatIfPart,
  type WhatIfResult,
  type WhatIfScan,
} from '../../projections/what-if.js';
import { foldLogFile, type FoldLogOptions, type LogFold } from './fold.js';
import { foldInParts, threadsFor } from './parts.js';
import type { WhatIfJudgement } from './part-folds.js';
import { lineErrors } from './replay-file.js';

export interface WhatIfFileResult {
  readonly result: WhatIfResult;
  /** Invalid lines and undecodable events, by line: the answer is incomplete when there are any. */
  readonly errors: ReadonlyArray<{ line: number; message: string }>;
  readonly tornTail: { line: number; bytes: number } | null;
  /** Threads that folded the log. */
  readonly threads: number;
}

export interface WhatIfFileOptions extends FoldLogOptions {
  /** The instant to judge at (ISO-8601; default: the log's last event). */
  readonly at?: string;
}

/** `whatIf` over the log at `path` under `policy`. Left: the log cannot be opened or read. */
export async function whatIfFile(
  path: string,
  policy: Policy,
  options: WhatIfFileOptions = {},
): Promise<Either<StoreError, WhatIfFileResult>> {
  const at = options.at === undefined ? {} : { at: options.at };
  const size = await stat(path).then(
    (s) => s.size,
    () => 0,
  );
  const threads = threadsFor(size, options, 'what-if');
  let folded: Either<StoreError, LogFold>;
  let result: WhatIfResult;
  // In parts: every part's mailboxes are judged in it, with the organizations and the last event of all.
  let context: WhatIfContext | undefined;
  // Events that do not decode make the answer incomplete: they are errors, like corrupt lines.
  let invalidEvents: WhatIfScan['invalidEvents'] = [];
  const next = (parts: unknown[]): WhatIfJudgement => {
    invalidEvents = (parts as WhatIfScan[]).flatMap((p) => p.invalidEvents).sort((a, b) => a.position - b.position);
    return { policy, context: (context = whatIfContext(parts as WhatIfScan[], at)) };
  };
  const inParts = threads > 1 ? await foldInParts(path, 'what-if', threads, size, options, next) : undefined;
  if (inParts !== undefined) {
    folded = right(inParts.fold);
    result = mergeWhatIfParts(inParts.results as WhatIfPart[], context!, policy);
  } else {
    const fold = createWhatIf();
    folded = await foldLogFile(path, (e, stream) => fold.push(e, stream), options);
    if (isLeft(folded)) return folded;
    invalidEvents = fold.scanned().invalidEvents;
    result = fold.result(policy, at);
  }
  if (isLeft(folded)) return folded;
  return right({
    result,
    errors: lineErrors(folded.right, invalidEvents),
    tornTail: folded.right.tornTail ?? null,
    threads: inParts !== undefined ? threads : 1,
  });
}
