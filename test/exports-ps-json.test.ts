import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { isLeft } from 'fp-ts/lib/Either.js';
import { psJsonString, toPs51Json, toUtf16LeWithBom, toUtf8WithBom } from '../adapters/exports/ps-json.js';
import { decodeText, parseJsonText } from '../adapters/exports/text.js';
import { decodeMobileDevices } from '../adapters/exports/powershell.js';
import { formatInputErrors } from '../adapters/shared/input-errors.js';
import type { MobileDevice } from '../src/facts.js';
import { sampleFiles } from '../examples/exports/make-samples.js';

const samplePath = (name: string) => fileURLToPath(new URL(`../../examples/exports/${name}`, import.meta.url));
const lines = (...ls: string[]) => ls.join('\r\n');

test('5.1 layout: two spaces after the colon, nested content at its bracket column + 4', () => {
  assert.is(
    toPs51Json({ a: { b: 1 }, Items: ['a', 'b'], n: null, t: true }),
    lines(
      '{',
      '    "a":  {',
      '              "b":  1',
      '          },',
      '    "Items":  [',
      '                  "a",',
      '                  "b"',
      '              ],',
      '    "n":  null,',
      '    "t":  true',
      '}',
    ),
  );
});

test('5.1 layout: an array of objects, the shape of a cmdlet export', () => {
  assert.is(
    toPs51Json([{ DeviceId: 'A' }, { DeviceId: 'B' }]),
    lines('[', '    {', '        "DeviceId":  "A"', '    },', '    {', '        "DeviceId":  "B"', '    }', ']'),
  );
});

test('an empty array is [, an empty line, ] aligned with its bracket', () => {
  assert.is(
    toPs51Json({ ActiveSyncAllowedDeviceIDs: [] }),
    lines('{', '    "ActiveSyncAllowedDeviceIDs":  [', '', '                                   ]', '}'),
  );
  assert.is(toPs51Json([]), '[\r\n\r\n]');
});

test('dates as "\\/Date(ms)\\/", negative before 1970', () => {
  assert.is(toPs51Json({ FirstSyncTime: new Date(1700000000000) }), '{\r\n    "FirstSyncTime":  "\\/Date(1700000000000)\\/"\r\n}');
  assert.is(toPs51Json(new Date(-86400000)), '"\\/Date(-86400000)\\/"');
});

test("JavaScriptSerializer escapes: ' < > & as \\u00xx, controls, quotes; § and ’ as they are", () => {
  assert.is(psJsonString(`O'Brien <a&b> "q" \\ §’\n\t\u0001`), '"O\\u0027Brien \\u003ca\\u0026b\\u003e \\"q\\" \\\\ §’\\n\\t\\u0001"');
});

test('only CRLF line ends, and no final line end (Out-File adds it)', () => {
  const s = toPs51Json([{ a: [1, [2, []], {}] }]);
  assert.not.match(s, /[^\r]\n/);
  assert.not.ok(s.endsWith('\n'));
  assert.equal(JSON.parse(s), [{ a: [1, [2, []], {}] }]);
});

test('toUtf16LeWithBom: FF FE then little-endian code units', () => {
  assert.equal([...toUtf16LeWithBom('[§')], [0xff, 0xfe, 0x5b, 0x00, 0xa7, 0x00]);
  assert.equal([...toUtf8WithBom('§')], [0xef, 0xbb, 0xbf, 0xc2, 0xa7]);
});

// Units biased towards what breaks naive writers and readers.
const nasty = fc.string({
  unit: fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom('"', '\\', "'", '<', '>', '&', '§', '’', '/', '\r', '\n', '\t', '\u0000', '\u2028', '😀', ' '),
    },
    { weight: 5, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  ),
  maxLength: 24,
});
const optional = <A>(a: fc.Arbitrary<A>) => fc.option(a, { nil: undefined });

const deviceArb = fc.record({
  identity: nasty.filter((s) => s.trim() !== ''), // a blank Identity is refused: no command could name it
  distinguishedName: optional(nasty),
  guid: optional(fc.uuid()),
  deviceId: nasty.filter((s) => s.trim() !== ''),
  deviceType: nasty,
  deviceModel: fc.option(nasty, { nil: null }),
  deviceOS: optional(nasty),
  deviceUserAgent: optional(nasty),
  friendlyName: optional(nasty),
  firstSync: optional(fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true })),
  userDisplayName: optional(nasty),
});
type Arb = typeof deviceArb extends fc.Arbitrary<infer A> ? A : never;

const toRecord = (d: Arb) => ({
  Identity: d.identity,
  DistinguishedName: d.distinguishedName ?? null,
  Guid: d.guid ?? null,
  DeviceId: d.deviceId,
  DeviceType: d.deviceType,
  DeviceModel: d.deviceModel,
  DeviceOS: d.deviceOS ?? null,
  DeviceUserAgent: d.deviceUserAgent ?? null,
  FriendlyName: d.friendlyName ?? null,
  FirstSyncTime: d.firstSync ?? null,
  UserDisplayName: d.userDisplayName ?? null,
  DeviceAccessState: 'Allowed',
  ObjectClass: ['top', 'msExchActiveSyncDevice'],
});

const expected = (d: Arb): MobileDevice => {
  const out: Record<string, unknown> = {
    identity: d.identity,
    distinguishedName: d.distinguishedName,
    guid: d.guid,
    deviceId: d.deviceId,
    deviceType: d.deviceType,
    deviceModel: d.deviceModel ?? '',
    deviceOS: d.deviceOS,
    deviceUserAgent: d.deviceUserAgent,
    friendlyName: d.friendlyName,
    firstSyncTime: d.firstSync?.toISOString(),
    userDisplayName: d.userDisplayName,
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out as unknown as MobileDevice;
};

test('property: toPs51Json → bytes (UTF-16LE/UTF-8 BOM/UTF-8) → decodeText → parse → decodeMobileDevices round-trips', () => {
  fc.assert(
    fc.property(
      fc.array(deviceArb, { minLength: 1, maxLength: 4 }),
      fc.constantFrom('utf16le', 'utf8bom', 'utf8'),
      fc.boolean(),
      (devices, encoding, loneObject) => {
        const records = devices.map(toRecord);
        // one result is written as a lone object, as PowerShell's pipeline does
        const text = toPs51Json(loneObject && records.length === 1 ? records[0] : records) + '\r\n';
        const bytes =
          encoding === 'utf16le' ? toUtf16LeWithBom(text) : encoding === 'utf8bom' ? toUtf8WithBom(text) : new TextEncoder().encode(text);
        const json = parseJsonText(decodeText(bytes), 'exchange.json');
        if (isLeft(json)) throw new Error(`parse: ${json.left.message}`);
        const r = decodeMobileDevices(json.right, 'exchange.json');
        if (isLeft(r)) throw new Error(formatInputErrors(r.left));
        assert.equal(r.right, devices.map(expected));
      },
    ),
    { numRuns: 300 },
  );
});

test('the committed samples are exactly what make-samples.ts writes', () => {
  for (const [name, bytes] of Object.entries(sampleFiles())) {
    const committed = new Uint8Array(readFileSync(samplePath(name)));
    assert.ok(Buffer.from(committed).equals(Buffer.from(bytes)), `${name} differs: run node dist/examples/exports/make-samples.js`);
  }
});

test('sample get-mobiledevice.json is UTF-16LE with a BOM in 5.1 layout; get-casmailbox.json UTF-8 with a BOM', () => {
  const mobile = readFileSync(samplePath('get-mobiledevice.json'));
  assert.equal([mobile[0], mobile[1]], [0xff, 0xfe]);
  const text = decodeText(new Uint8Array(mobile));
  assert.ok(text.startsWith('[\r\n    {\r\n        "RunspaceId":  "'));
  assert.ok(text.includes('"FirstSyncTime":  "\\/Date(1700000000000)\\/"'));
  assert.ok(text.includes('contoso.com/Users/Sean O\\u0027Brien/ExchangeActiveSyncDevices/Android§androidc1597534862'));
  const cas = readFileSync(samplePath('get-casmailbox.json'));
  assert.equal([cas[0], cas[1], cas[2]], [0xef, 0xbb, 0xbf]);
});

test.run();
