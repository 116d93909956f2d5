// The script of a worker thread of `foldInParts` (parts.ts): folds its part of
// the log, posts the part's read, then runs a second phase if the caller sends one.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { PART_FOLDS } from './part-folds.js';
import { PART_WORKER_TAG, runPart, type PartJob } from './part-run.js';

const job = workerData as PartJob | null;
if (isMainThread || job?.tag !== PART_WORKER_TAG)
  throw new Error('part-worker.js is the script of a log part worker, started by foldInParts');
const port = parentPort!;
const fold = await PART_FOLDS[job.kind]();
port.postMessage(await runPart(job.path, fold, job.part, job.chunkBytes !== undefined ? { chunkBytes: job.chunkBytes } : {}));
// A second phase, if the caller has one; else the caller ends the worker.
port.once('message', (m: { input: unknown }) => {
  try {
    port.postMessage({ result: fold.finish!(m.input) });
  } catch (err) {
    port.postMessage({ error: String(err) });
  }
});
