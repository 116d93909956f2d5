// `explain` over a file log as a library function: why a device has (had) its
// access level, answered without folding the whole log when the byte scan
// (explain-scan.ts) can vouch for the device's lines, else from every line read
// as `readLog` reads it, with the same result. No index file is written: the log
// is the only source and is never modified.
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { StoredEvent } from '../../src/ports.js';
import { explain as explainEvents, closestIds, type ExplainError, type Explanation } from '../../projections/explain.js';
import { foldLogFile } from './fold.js';
import { scanFor } from './explain-scan.js';

export type ExplainFileError =
  | ExplainError
  | { readonly kind: 'io'; readonly message: string }
  | { readonly kind: 'invalidLog'; readonly message: string; readonly errors: ReadonlyArray<{ line: number; message: string }> };

export interface ExplainFileResult {
  readonly explanation: Explanation;
  /** `scan`: only the device's lines were parsed; `full`: every line was read. */
  readonly via: 'scan' | 'full';
  /** Lines parsed to answer. */
  readonly parsedLines: number;
}

/**
 * Explains one device of the log at `path` (see the file's header): the same
 * answer as `explain(readAll, deviceId, options)`, without folding the log.
 */
export async function explainFile(
  path: string,
  deviceId: string,
  options: { at?: string } = {},
): Promise<Either<ExplainFileError, ExplainFileResult>> {
  const scanned = await scanFor(path, deviceId);
  if (isLeft(scanned)) return scanned;
  const s = scanned.right;
  if (s.kind === 'unknown') {
    const closest = closestIds(deviceId, s.known);
    return left({
      kind: 'unknownDevice',
      deviceId,
      closest,
      message: `no device partnership with id "${deviceId}" in the log${closest.length ? ` (closest: ${closest.join(', ')})` : ''}`,
    });
  }
  if (s.kind === 'found') {
    const r = explainEvents(s.events, deviceId, options);
    if (!isLeft(r)) return right({ explanation: r.right, via: 'scan', parsedLines: s.parsed });
    if (r.left.kind !== 'invalidEvent') return r;
  }
  // The full read: every line checked as readLog does.
  const all: StoredEvent[] = [];
  const folded = await foldLogFile(path, (e) => all.push(e));
  if (isLeft(folded)) return left({ kind: 'io', message: 'message' in folded.left ? folded.left.message : folded.left.kind });
  if (folded.right.errors.length > 0) {
    const errors = folded.right.errors.map((e) => ({ line: e.line, message: e.message.replace(/^line \d+: /, '') }));
    return left({
      kind: 'invalidLog',
      errors,
      message: `log ${path} has ${errors.length} invalid line(s); first: line ${errors[0]!.line}: ${errors[0]!.message}`,
    });
  }
  const r = explainEvents(all, deviceId, options);
  if (isLeft(r)) {
    if (r.left.kind === 'invalidEvent') {
      const line = r.left.position + 1;
      return left({
        kind: 'invalidLog',
        errors: [{ line, message: r.left.message }],
        message: `log ${path} line ${line}: ${r.left.message}`,
      });
    }
    return r;
  }
  return right({ explanation: r.right, via: 'full', parsedLines: folded.right.lines });
}
