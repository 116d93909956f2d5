// Folding a file log in parts, on several threads: part 0 on the calling thread,
// the others in workers (part-worker.ts), each over its own streams (see
// partition.ts). The parts' reads are put together as one read of the file.
import { open, type FileHandle } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { IdSet } from '../shared/log-ids.js';
import { withDuplicates, type FoldLogOptions, type LogFold } from './fold.js';
import { PART_FOLDS, type PartKind } from './part-folds.js';
import { PART_WORKER_TAG, runPart, type PartJob, type PartRead, type PartReply } from './part-run.js';

type FinishReply = { readonly result: unknown } | { readonly error: string };

/** Logs this large are folded on two threads by default; below, starting a worker costs more than it saves. */
const PARALLEL_FROM = 64 * 1024 * 1024;

/**
 * Threads to fold a file log of `size` bytes with (see FoldLogOptions.threads).
 * Two threads win only when a second core is free: while other work keeps the
 * cores busy they take longer than one (measured: 0.45× the read floor on two
 * threads against 0.52× on one, load average 2.5–3.4 on 2 cores). `kind`: a
 * what-if holds several times a replay's state per device, so each thread's
 * collector needs the second core's help; on 2 idle cores its two threads took
 * ~10 % longer than one (replay's ~8 % less), so it takes two only from 3 cores.
 */
export function threadsFor(size: number, options: FoldLogOptions, kind: PartKind = 'replay'): number {
  if (options.threads !== undefined) return Math.max(1, Math.floor(options.threads));
  return chooseThreads(size, availableParallelism(), loadavg()[0] ?? 0, kind === 'what-if' ? 3 : 2);
}

/**
 * The choice itself: 2 for a large log on at least `minCores` cores when a core is free (the 1-minute
 * load leaves one), else 1. @internal
 */
export function chooseThreads(size: number, cores: number, load: number, minCores = 2): number {
  return size >= PARALLEL_FROM && cores >= Math.max(2, minCores) && load < cores - 0.5 ? 2 : 1;
}

/** A worker's replies, in order. */
function replies(w: Worker): () => Promise<PartReply & FinishReply> {
  const queue: unknown[] = [];
  let wake: (() => void) | undefined;
  const push = (m: unknown) => {
    queue.push(m);
    wake?.();
  };
  w.on('message', push);
  w.once('error', (err) => push({ error: String(err) }));
  w.once('exit', () => push({ error: 'the worker exited' }));
  return async () => {
    while (queue.length === 0)
      await new Promise<void>((r) => {
        wake = r;
      });
    return queue.shift() as PartReply & FinishReply;
  };
}

/**
 * Folds the file log at `path` (its first `size` bytes) with `kind`'s fold in
 * `threads` parts. With `next`, the folds run a second phase on the input `next`
 * makes of every part's `part()`, and `results` are their `finish` results.
 * Undefined when the log cannot be folded in parts (a stream read by the wrong
 * part, a worker that failed, a read error): the caller then folds it on one
 * thread, which also reports a read error as it should.
 */
export async function foldInParts(
  path: string,
  kind: PartKind,
  threads: number,
  size: number,
  options: FoldLogOptions,
  next?: (parts: unknown[]) => unknown,
): Promise<{ fold: LogFold; parts: unknown[]; results: unknown[] } | undefined> {
  const workers: Worker[] = [];
  const replyOf: Array<() => Promise<PartReply & FinishReply>> = [];
  for (let index = 1; index < threads; index++) {
    const job: PartJob = {
      tag: PART_WORKER_TAG,
      kind,
      path,
      part: { index, count: threads, limit: size },
      ...(options.chunkBytes !== undefined ? { chunkBytes: options.chunkBytes } : {}),
    };
    const w = new Worker(new URL('./part-worker.js', import.meta.url), { workerData: job });
    workers.push(w);
    replyOf.push(replies(w));
  }
  try {
    const fold = await PART_FOLDS[kind]();
    const own = await runPart(path, fold, { index: 0, count: threads, limit: size }, options);
    if (!('fold' in own)) return undefined;
    const others = await Promise.all(replyOf.map((r) => r()));
    const folds = [own.fold];
    const parts = [own.part];
    for (const r of others) {
      if (!('fold' in r)) return undefined;
      folds.push(r.fold);
      parts.push(r.part);
    }
    const results: unknown[] = [];
    if (next !== undefined) {
      const input = next(parts);
      for (const w of workers) w.postMessage({ input });
      results.push(fold.finish!(input));
      for (const r of await Promise.all(replyOf.map((r) => r()))) {
        if (!('result' in r)) return undefined;
        results.push(r.result);
      }
    }
    // Ids are unique across the whole log: the parts' ids are put together here.
    const ids = new IdSet(folds[0]!.ids);
    const cross = folds.slice(1).flatMap((f) => ids.merge(f.ids));
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch {
      return undefined;
    }
    try {
      return { fold: await withDuplicates(fh, mergeFolds(folds), [...folds.flatMap((f) => f.suspects), ...cross]), parts, results };
    } catch {
      return undefined;
    } finally {
      await fh.close().catch(() => undefined);
    }
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** The parts' reads of one file as one read (every part counted every line), shaped as one thread's. */
function mergeFolds(folds: readonly PartRead[]): LogFold {
  const tornTail = folds.find((f) => f.tornTail !== undefined)?.tornTail;
  return {
    errors: folds.flatMap((f) => f.errors).sort((a, b) => a.line - b.line),
    events: folds.reduce((n, f) => n + f.events, 0),
    bytes: folds[0]!.bytes,
    lines: folds[0]!.lines,
    ...(tornTail !== undefined ? { tornTail } : {}),
  };
}
