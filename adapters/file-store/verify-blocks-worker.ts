// The thread that checks a saved index's full blocks (verify-blocks.ts): it
// reads the log through the store's own file descriptor (descriptors belong to
// the process, so it is the very file the store opened) and answers once.
import { parentPort, workerData } from 'node:worker_threads';
import { checkBlocks, type BlockCheck } from './verify-blocks.js';

const { fd, blockBytes, blocks } = workerData as { fd: number; blockBytes: number; blocks: string[] };
let answer: BlockCheck;
try {
  answer = checkBlocks(fd, blockBytes, blocks);
} catch (err) {
  answer = { kind: 'error', message: err instanceof Error ? err.message : String(err) };
}
parentPort!.postMessage(answer);
