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

test('a text body is the file its UTF-8 gives, cut into pieces anywhere, surrogate pairs kept whole (property)', async () => {
  const textFile = join(dir, 'text.bin');
  const bytesFile = join(dir, 'bytes.bin');
  await fc.assert(
    fc.asyncProperty(
      fc
        .array(fc.oneof(fc.string(), fc.constantFrom('\ud83d\ude00', 'Zoë', '山田', '\ud83d', '\ude00', '"\\')), { maxLength: 30 })
        .map((a) => a.join('')),
      fc.integer({ min: 1, max: 9 }),
      async (text, pieceChars) => {
        assert.not.ok(isLeft(await saveChecked(textFile, 'test file', 'test/format', { text, pieceChars }, { version: 1 })));
        assert.not.ok(isLeft(await saveChecked(bytesFile, 'test file', 'test/format', Buffer.from(text, 'utf8'), { version: 1 })));
        assert.equal(readFileSync(textFile), readFileSync(bytesFile));
        // The same text handed over as strings cut anywhere (a pair may be split between two of them).
        const cuts = [...new Set([0, Math.floor(text.length / 3), Math.floor(text.length / 2) + 1, text.length])].sort((a, b) => a - b);
        const strings = cuts.slice(1).map((c, i) => text.slice(cuts[i], c));
        assert.not.ok(isLeft(await saveChecked(textFile, 'test file', 'test/format', { text: strings, pieceChars }, { version: 1 })));
        assert.equal(readFileSync(textFile), readFileSync(bytesFile), 'as strings');
      },
    ),
    { numRuns: 150 },
  );
  const opened = await openChecked(textFile, 'test file', 'test/format');
  if (isLeft(opened) || opened.right === undefined) throw new Error('not opened');
  await opened.right.rest();
  assert.is(opened.right.verify(), undefined);
  await opened.right.close();
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
