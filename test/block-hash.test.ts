// A log's bytes hashed in blocks (adapters/file-store/block-hash.ts): what a saved index covers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { BlockHash, isBlockPrefix } from '../adapters/file-store/block-hash.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The prefix computed directly: each full block's SHA-256, then the rest's. */
function reference(data: Uint8Array, blockBytes: number) {
  const full = Math.floor(data.length / blockBytes);
  const blocks = Array.from({ length: full }, (_, k) => sha(data.subarray(k * blockBytes, (k + 1) * blockBytes)));
  return { bytes: data.length, blockBytes, blocks, last: sha(data.subarray(full * blockBytes)) };
}

test('the blocks do not depend on how the bytes arrive, and a hash resumed from full blocks goes on as the whole (property)', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 9000 }),
      fc.array(fc.nat({ max: 3000 }), { maxLength: 12 }),
      fc.constantFrom(1024, 1500, 4096),
      (data, cuts, blockBytes) => {
        const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
        const h = new BlockHash(blockBytes);
        let from = 0;
        for (const p of [...points, data.length]) {
          h.update(data.subarray(from, p));
          from = p;
        }
        const expected = reference(data, blockBytes);
        assert.equal(h.prefix(), expected);
        assert.is(h.bytes, data.length);
        assert.ok(isBlockPrefix(expected));
        // Resumed: the saved full blocks, then the partial block's bytes read again.
        const resumed = new BlockHash(blockBytes, expected.blocks).update(data.subarray(expected.blocks.length * blockBytes));
        assert.equal(resumed.prefix(), expected);
      },
    ),
    { numRuns: 300 },
  );
});

test('a block is closed at its last byte: a prefix of exactly two blocks has two blocks and an empty partial hash', () => {
  const data = new Uint8Array(2048).fill(1);
  const p = new BlockHash(1024).update(data).prefix();
  assert.is(p.blocks.length, 2);
  assert.is(p.last, sha(new Uint8Array(0)));
});

test('prefix fields that disagree are not a block prefix', () => {
  const p = reference(new Uint8Array(3000), 1024);
  assert.ok(isBlockPrefix(p));
  assert.not.ok(isBlockPrefix({ ...p, blocks: p.blocks.slice(1) }));
  assert.not.ok(isBlockPrefix({ ...p, blockBytes: 16 }));
  assert.not.ok(isBlockPrefix({ ...p, last: 'x' }));
  assert.not.ok(isBlockPrefix({ ...p, bytes: -1 }));
});

test.run();
