// Checking the full blocks a saved index covers (block-hash.ts) on a thread of
// their own, while the store reads the index and hashes the partial block on
// its own thread: on two cores that hides most of the ~0.5 s a 674 MB prefix
// takes to hash.
import { createHash } from 'node:crypto';
import { readSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

export type BlockCheck =
  | { readonly kind: 'ok' }
  | { readonly kind: 'mismatch'; readonly block: number }
  | { readonly kind: 'ended'; readonly block: number }
  | { readonly kind: 'error'; readonly message: string };

const PIECE = 1024 * 1024;

/** Hashes the first `blocks.length` blocks of the file behind `fd`, blocking, and compares each with its SHA-256. */
export function checkBlocks(fd: number, blockBytes: number, blocks: readonly string[]): BlockCheck {
  const buffer = Buffer.allocUnsafe(Math.min(PIECE, blockBytes));
  for (let k = 0; k < blocks.length; k++) {
    const hash = createHash('sha256');
    for (let done = 0; done < blockBytes;) {
      const n = readSync(fd, buffer, 0, Math.min(buffer.length, blockBytes - done), k * blockBytes + done);
      if (n === 0) return { kind: 'ended', block: k };
      hash.update(n === buffer.length ? buffer : buffer.subarray(0, n));
      done += n;
    }
    if (hash.digest('hex') !== blocks[k]) return { kind: 'mismatch', block: k };
  }
  return { kind: 'ok' };
}

/**
 * Checks the blocks on a worker thread. Always settles, never rejects: the
 * caller must wait for it before closing `fd` (the worker reads through it).
 * A worker that cannot start or fails answers `error`; the caller then checks
 * on its own thread.
 */
export function checkBlocksOnWorker(fd: number, blockBytes: number, blocks: readonly string[]): Promise<BlockCheck> {
  return new Promise((resolve) => {
    let worker: Worker;
    try {
      worker = new Worker(new URL('./verify-blocks-worker.js', import.meta.url), { workerData: { fd, blockBytes, blocks } });
    } catch (err) {
      resolve({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
      return;
    }
    let answered = false;
    worker.once('message', (m: BlockCheck) => {
      answered = true;
      resolve(m);
    });
    worker.once('error', (err) => {
      answered = true;
      resolve({ kind: 'error', message: err.message });
    });
    // A thread that ended without answering (its answer comes after its last read).
    worker.once('exit', (code) => {
      if (!answered) resolve({ kind: 'error', message: `the checking thread stopped (exit code ${code})` });
    });
  });
}
