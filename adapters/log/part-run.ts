// One part of a log folded in parts (parts.ts), on whichever thread runs it.
import { open, type FileHandle } from 'node:fs/promises';
import { ioText, streamLog, StreamOutsideFilter, type StreamOptions } from '../shared/log-reader.js';
import type { IdSetData, Suspect } from '../shared/log-ids.js';
import { foldOf, type LogFold } from './fold.js';
import { partFilter } from './partition.js';
import type { PartFold, PartKind } from './part-folds.js';

export const PART_WORKER_TAG = 'eas-sync log part';

/** Which of `count` parts to read, and the range it reads up to. */
export interface Part {
  readonly index: number;
  readonly count: number;
  /** The file's size when the parts started: every part reads the same lines. */
  readonly limit: number;
}

/** What a worker is given. */
export interface PartJob {
  readonly tag: typeof PART_WORKER_TAG;
  readonly kind: PartKind;
  readonly path: string;
  readonly part: Part;
  readonly chunkBytes?: number;
}

/** A part's read: its fold, plus the ids it saw and the pairs of lines whose ids hash alike. */
export interface PartRead extends LogFold {
  readonly ids: IdSetData;
  readonly suspects: Suspect[];
}

export type PartReply = { readonly fold: PartRead; readonly part: unknown } | { readonly notMine: true } | { readonly error: string };

/** Reads `part` of the log at `path` into `fold`; `notMine` when the partition does not hold for this log. */
export async function runPart(
  path: string,
  fold: PartFold,
  part: Part,
  options: Pick<StreamOptions, 'chunkBytes' | 'onProgress'>,
): Promise<PartReply> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
    const read = await streamLog(fh, (e, h) => fold.push(e, h), {
      ...options,
      filter: partFilter(part.index, part.count),
      limit: part.limit,
    });
    return { fold: { ...foldOf(read), ids: read.ids.data(), suspects: read.suspects }, part: fold.part() };
  } catch (err) {
    return err instanceof StreamOutsideFilter ? { notMine: true } : { error: ioText(err) };
  } finally {
    await fh?.close().catch(() => undefined);
  }
}
