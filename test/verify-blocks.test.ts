// Checking a saved index's full blocks on a worker thread (adapters/file-store/verify-blocks.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { open, writeFile } from 'node:fs/promises';
import { checkBlocksOnWorker } from '../adapters/file-store/verify-blocks.js';
import { tempLogs } from './support/file-logs.js';

const files = tempLogs('eas-verify-blocks-');
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

test('the thread answers ok when every block matches, and names the first block that does not, or where the file ended', async () => {
  const path = await files.path();
  const content = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7) % 251));
  await writeFile(path, content);
  const blocks = [0, 1, 2, 3].map((k) => sha(content.subarray(k * 1024, (k + 1) * 1024)));
  const fh = await open(path, 'r');
  try {
    assert.equal(await checkBlocksOnWorker(fh.fd, 1024, blocks), { kind: 'ok' });
    assert.equal(await checkBlocksOnWorker(fh.fd, 1024, [blocks[0]!, blocks[1]!, blocks[0]!, blocks[3]!]), { kind: 'mismatch', block: 2 });
    assert.equal(await checkBlocksOnWorker(fh.fd, 1024, [...blocks, blocks[0]!, blocks[0]!]), { kind: 'ended', block: 4 });
  } finally {
    await fh.close();
  }
});

test('a descriptor the thread cannot read gives an error answer, not a throw', async () => {
  const r = await checkBlocksOnWorker(99999, 1024, [sha(Buffer.alloc(1024))]);
  assert.is(r.kind, 'error');
  assert.match(r.kind === 'error' ? r.message : '', 'EBADF');
});

test.after(() => files.removeAll());

test.run();
