// The checked cache files beside the log (adapters/file-store/checked-file.ts):
// a body handed over in parts is written whole, as if joined first.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import { openChecked, saveChecked, writeAll } from '../adapters/file-store/checked-file.js';

const dir = mkdtempSync(join(tmpdir(), 'eas-checked-'));

/** A file handle that takes at most the next of `takes` bytes a call (cycling), writing into `out`. */
function stingyFile(takes: readonly number[]) {
  const out: number[] = [];
  let call = 0;
  return {
    out,
    calls: () => call,
    writev: async (buffers: readonly Uint8Array[]) => {
      let room = takes[call++ % takes.length]!;
      let bytesWritten = 0;
      for (const b of buffers) {
        const n = Math.min(room, b.length);
        for (let i = 0; i < n; i++) out.push(b[i]!);
        bytesWritten += n;
        room -= n;
        if (room === 0) break;
      }
      return { bytesWritten, buffers };
    },
  };
}

test('a short write goes on with what is left, every byte written once and in order (property)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 }),
      fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 5 }),
      async (parts, takes) => {
        const file = stingyFile(takes);
        await writeAll(file as never, parts);
        assert.equal(
          file.out,
          parts.flatMap((p) => [...p]),
        );
      },
    ),
    { numRuns: 300 },
  );
});

test('a file that takes no bytes is an error, not a loop', async () => {
  const file = stingyFile([0]);
  let thrown: unknown;
  await writeAll(file as never, [Buffer.from('x')]).catch((e) => (thrown = e));
  assert.instance(thrown, Error);
  assert.is(file.calls(), 1);
});

test('a body saved in parts is the file the parts joined give, and reads back checked', async () => {
  const parts = [Buffer.from('offsets'), new Uint8Array(0), Buffer.from([0, 1, 2, 255]), Buffer.from('["heads",1]')];
  const inParts = join(dir, 'parts.bin');
  const joined = join(dir, 'joined.bin');
  assert.not.ok(isLeft(await saveChecked(inParts, 'test file', 'test/format', parts, { version: 1 })));
  assert.not.ok(isLeft(await saveChecked(joined, 'test file', 'test/format', Buffer.concat(parts), { version: 1 })));
  assert.equal(readFileSync(inParts), readFileSync(joined));
  const opened = await openChecked(inParts, 'test file', 'test/format');
  if (isLeft(opened) || opened.right === undefined) throw new Error('not opened');
  const body = await opened.right.rest();
  assert.is(opened.right.verify(), undefined);
  assert.equal(body, Buffer.concat(parts));
  await opened.right.close();
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
