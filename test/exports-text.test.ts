import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLeft, isRight, right } from 'fp-ts/lib/Either.js';
import { decodeText, parseJsonText } from '../adapters/exports/text.js';
import { formatInputError, formatInputErrors } from '../adapters/shared/input-errors.js';
import { readExportFile } from '../adapters/exports/read.js';
import { decodeMobileDevices } from '../adapters/exports/powershell.js';

const utf16le = (s: string, bom = true) => {
  const b = Buffer.from(s, 'utf16le');
  return new Uint8Array(bom ? Buffer.concat([Buffer.from([0xff, 0xfe]), b]) : b);
};

test('nesting is counted outside strings only: brackets in values do not count, the 65th level is refused where it opens', () => {
  const inString = JSON.stringify([{ DeviceId: '['.repeat(500) + '{'.repeat(500) }]);
  assert.ok(isRight(parseJsonText(inString, 'x.json')));
  const escaped = JSON.stringify([{ DeviceId: '\\"[[[[' + '['.repeat(100) }]);
  assert.ok(isRight(parseJsonText(escaped, 'x.json')));
  const ok64 = '['.repeat(64) + ']'.repeat(64);
  assert.ok(isRight(parseJsonText(ok64, 'x.json')));
  const bad = parseJsonText('\n' + '['.repeat(65) + ']'.repeat(65), 'x.json');
  assert.ok(isLeft(bad));
  if (isLeft(bad)) assert.equal([bad.left.line, bad.left.column], [2, 65]);
});

test('UTF-16LE with a BOM (5.1 Out-File) decodes and drops the BOM', () => {
  assert.is(decodeText(utf16le('[{"Name":  "iPhone§Appl1"}]')), '[{"Name":  "iPhone§Appl1"}]');
});

test('UTF-16BE with a BOM decodes', () => {
  const le = Buffer.from('{"a":"§’"}', 'utf16le');
  const be = Buffer.alloc(le.length);
  for (let i = 0; i < le.length; i += 2) {
    be[i] = le[i + 1]!;
    be[i + 1] = le[i]!;
  }
  assert.is(decodeText(new Uint8Array(Buffer.concat([Buffer.from([0xfe, 0xff]), be]))), '{"a":"§’"}');
});

test('UTF-8 with a BOM (Out-File -Encoding utf8) decodes and drops the BOM', () => {
  const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from('{"a":"§"}', 'utf8')]);
  assert.is(decodeText(bytes), '{"a":"§"}');
});

test('UTF-8 without a BOM (pwsh 7) decodes as is', () => {
  assert.is(decodeText(new Uint8Array(Buffer.from('["Kim’s iPhone"]', 'utf8'))), '["Kim’s iPhone"]');
});

test('BOM-less UTF-16LE is recognized by its NUL second byte', () => {
  assert.is(decodeText(utf16le('[1]', false)), '[1]');
});

test('bytes that are not UTF-8 are read as Windows-1252 so § survives', () => {
  assert.is(decodeText(new Uint8Array([0x22, 0xa7, 0x22])), '"§"');
});

test('an empty file is "no results": []', () => {
  assert.is(decodeText(new Uint8Array()), '');
  assert.equal(parseJsonText('', 'x.json'), right([]));
  assert.equal(parseJsonText(decodeText(utf16le('')), 'x.json'), right([]));
});

test('whitespace-only text (Out-File of nothing, a lone CRLF) is []', () => {
  assert.equal(parseJsonText('\r\n  \r\n', 'x.json'), right([]));
  assert.equal(parseJsonText('\ufeff\r\n', 'x.json'), right([]));
});

test('a leading U+FEFF left in the text is ignored', () => {
  assert.equal(parseJsonText('\ufeff[1]', 'x.json'), right([1]));
});

test('a syntax error reports line and column (CRLF line ends)', () => {
  const r = parseJsonText('{\r\n  "enabled": true,\r\n  "includedGroups": ["a"],\r\n  "x": }\r\n', 'policy.json');
  assert.ok(isLeft(r));
  if (!isLeft(r)) return;
  assert.is(r.left.file, 'policy.json');
  assert.is(r.left.line, 4);
  assert.is(r.left.column, 8);
  assert.is(formatInputError(r.left), 'policy.json line 4 column 8: Unexpected token "}"');
});

test('a truncated file reports the end of input with its position', () => {
  const r = parseJsonText('[\n  {"a": 1},\n  {"b": ', 'exchange.json');
  assert.ok(isLeft(r));
  if (!isLeft(r)) return;
  assert.is(r.left.line, 3);
  assert.match(r.left.message, /end of input/);
});

test('single quotes, trailing commas and two documents are located', () => {
  const q = parseJsonText("{'a': 1}", 'f.json');
  assert.ok(isLeft(q) && q.left.line === 1 && q.left.column === 2, JSON.stringify(q));
  const c = parseJsonText('[1,\n2,\n]', 'f.json');
  assert.ok(isLeft(c) && c.left.line === 3 && c.left.column === 1, JSON.stringify(c));
  const two = parseJsonText('{"a": 1}\r\n{"a": 2}', 'f.json');
  assert.ok(isLeft(two) && two.left.line === 2 && two.left.column === 1, JSON.stringify(two));
  assert.ok(isLeft(two) && /after the JSON value/.test(two.left.message));
});

test('formatInputError: file, path and message', () => {
  assert.is(
    formatInputError({ file: 'exchange.json', path: '[3].DeviceId', message: 'expected a string, got null' }),
    'exchange.json: [3].DeviceId: expected a string, got null',
  );
  assert.is(formatInputError({ file: 'intune.json', message: 'file not found' }), 'intune.json: file not found');
  assert.is(
    formatInputErrors([
      { file: 'a', message: 'x' },
      { file: 'b', line: 2, message: 'y' },
    ]),
    'a: x\nb line 2: y',
  );
});

const tmp = mkdtempSync(join(tmpdir(), 'eas-exports-'));

test('readExportFile: a missing file is an error naming the file', async () => {
  const path = join(tmp, 'nope.json');
  const r = await readExportFile(path, decodeMobileDevices);
  assert.ok(isLeft(r));
  if (!isLeft(r)) return;
  assert.is(r.left.length, 1);
  assert.is(formatInputError(r.left[0]!), `${path}: file not found`);
});

test('readExportFile: a directory is an error, not a throw', async () => {
  const r = await readExportFile(tmp, decodeMobileDevices);
  assert.ok(isLeft(r) && r.left[0]!.file === tmp);
});

test('readExportFile: UTF-16LE bytes → JSON → decoder', async () => {
  const path = join(tmp, 'one.json');
  writeFileSync(
    path,
    utf16le(
      '{\r\n    "Identity":  "contoso.com/Users/Kim Akers/ExchangeActiveSyncDevices/iPhone§A1",\r\n    "DeviceId":  "A1",\r\n    "DeviceType":  "iPhone"\r\n}\r\n',
    ),
  );
  const r = await readExportFile(path, decodeMobileDevices);
  assert.ok(isRight(r));
  if (isRight(r))
    assert.equal(
      r.right.map((d) => d.deviceId),
      ['A1'],
    );
});

test('readExportFile: a syntax error carries the file and its line', async () => {
  const path = join(tmp, 'bad.json');
  writeFileSync(path, '[\n  {"DeviceId": "A1",}\n]');
  const r = await readExportFile(path, decodeMobileDevices);
  assert.ok(isLeft(r));
  if (isLeft(r)) {
    assert.is(r.left[0]!.file, path);
    assert.is(r.left[0]!.line, 2);
  }
});

test('readExportFile: an empty file decodes as no devices', async () => {
  const path = join(tmp, 'empty.json');
  writeFileSync(path, '');
  assert.equal(await readExportFile(path, decodeMobileDevices), right([]));
});

test.run();
