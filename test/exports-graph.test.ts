import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { isLeft, isRight, type Either } from 'fp-ts/lib/Either.js';
import { decodeManagedDevicePage, decodeManagedDevices } from '../adapters/exports/graph.js';
import { formatInputError, type InputError } from '../adapters/shared/input-errors.js';
import { readExportFile } from '../adapters/exports/read.js';

const samples = (name: string) => fileURLToPath(new URL(`../../examples/exports/${name}`, import.meta.url));

function ok<A>(r: Either<InputError[], A>): A {
  if (isLeft(r)) throw new Error('expected success, got ' + r.left.map(formatInputError).join('; '));
  return r.right;
}
function errs<A>(r: Either<InputError[], A>): string[] {
  if (isRight(r)) throw new Error('expected errors, got ' + JSON.stringify(r.right));
  return r.left.map(formatInputError);
}

const md = (over: Record<string, unknown> = {}) => ({
  id: '3f2c8e1a-6b7d-4c90-8e15-2a9d7f4b6c01',
  userId: '0b6e2f4a-31c8-4d2e-9a57-6c1e8f3b2d90',
  deviceName: 'Kim’s iPhone',
  lastSyncDateTime: '2025-06-02T07:12:44Z',
  operatingSystem: 'iOS',
  complianceState: 'compliant',
  managementAgent: 'mdm',
  easDeviceId: 'ApplC39GQ9UJDTDM',
  emailAddress: 'kim@contoso.com',
  userPrincipalName: 'kim@contoso.com',
  model: 'iPhone 13',
  complianceGracePeriodExpirationDateTime: '9999-12-31T23:59:59Z',
  ...over,
});
const page = (value: unknown[], next?: string) => ({
  '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#deviceManagement/managedDevices',
  value,
  ...(next ? { '@odata.nextLink': next } : {}),
});

test('one Graph page decodes to ManagedDevice facts', () => {
  assert.equal(ok(decodeManagedDevices(page([md()]), 'intune.json')), [
    {
      id: '3f2c8e1a-6b7d-4c90-8e15-2a9d7f4b6c01',
      easDeviceId: 'ApplC39GQ9UJDTDM',
      userPrincipalName: 'kim@contoso.com',
      emailAddress: 'kim@contoso.com',
      complianceState: 'compliant',
      managementAgent: 'mdm',
      lastSyncDateTime: '2025-06-02T07:12:44.000Z',
      complianceGracePeriodExpirationDateTime: '9999-12-31T23:59:59.000Z',
      deviceName: 'Kim’s iPhone',
      model: 'iPhone 13',
      operatingSystem: 'iOS',
    },
  ]);
});

test('an array of pages decodes every page in order', () => {
  const ds = ok(
    decodeManagedDevices([page([md({ id: 'a' }), md({ id: 'b' })], 'https://graph/next'), page([md({ id: 'c' })])], 'intune.json'),
  );
  assert.equal(
    ds.map((d) => d.id),
    ['a', 'b', 'c'],
  );
});

test('a bare array of managed devices, a lone device, and nothing', () => {
  assert.equal(
    ok(decodeManagedDevices([md({ id: 'a' }), md({ id: 'b' })], 'i.json')).map((d) => d.id),
    ['a', 'b'],
  );
  assert.equal(
    ok(decodeManagedDevices(md({ id: 'a' }), 'i.json')).map((d) => d.id),
    ['a'],
  );
  assert.equal(ok(decodeManagedDevices([], 'i.json')), []);
  assert.equal(ok(decodeManagedDevices(null, 'i.json')), []);
  assert.equal(ok(decodeManagedDevices(page([]), 'i.json')), []);
});

test('unset values: 0001-01-01 dates, "" easDeviceId / UPN / email are absent', () => {
  const [d] = ok(
    decodeManagedDevices(
      [
        md({
          lastSyncDateTime: '0001-01-01T00:00:00Z',
          complianceGracePeriodExpirationDateTime: null,
          easDeviceId: '',
          userPrincipalName: '',
          emailAddress: null,
        }),
      ],
      'i.json',
    ),
  );
  assert.not.ok('lastSyncDateTime' in d!);
  assert.not.ok('complianceGracePeriodExpirationDateTime' in d!);
  assert.not.ok('easDeviceId' in d!);
  assert.not.ok('userPrincipalName' in d!);
  assert.not.ok('emailAddress' in d!);
});

test('Graph fractional seconds (7 digits) decode', () => {
  const [d] = ok(decodeManagedDevices([md({ lastSyncDateTime: '2025-06-02T07:12:44.1234567Z' })], 'i.json'));
  assert.is(d!.lastSyncDateTime, '2025-06-02T07:12:44.123Z');
});

test('an invalid complianceState is an error at value[i].complianceState', () => {
  const bad = page([md(), md(), md(), md({ complianceState: 'healthy' })]);
  assert.equal(errs(decodeManagedDevices(bad, 'intune.json')), [
    'intune.json: value[3].complianceState: expected one of unknown, compliant, noncompliant, conflict, error, inGracePeriod, configManager, got "healthy"',
  ]);
});

test('paths inside an array of pages and a bare array', () => {
  assert.equal(errs(decodeManagedDevices([page([md()]), page([md({ complianceState: null })])], 'i.json')), [
    'i.json: [1].value[0].complianceState: expected one of unknown, compliant, noncompliant, conflict, error, inGracePeriod, configManager, got null',
  ]);
  const { id: _id, ...noId } = md();
  assert.equal(errs(decodeManagedDevices([md(), noId], 'i.json')), ['i.json: [1].id: required property is missing']);
});

test('every bad device is reported', () => {
  const e = errs(decodeManagedDevices(page([md({ id: '' }), md(), md({ managementAgent: 3, lastSyncDateTime: 'never' }), 'x']), 'i.json'));
  assert.equal(e, [
    'i.json: value[0].id: must not be empty',
    'i.json: value[2].managementAgent: expected a string, got 3',
    'i.json: value[2].lastSyncDateTime: expected a date (\\/Date(ms)\\/ or ISO-8601), got "never"',
    'i.json: value[3]: expected a managedDevice object, got "x"',
  ]);
});

test('a Graph error body is one clear error with its code and message', () => {
  const body = {
    error: {
      code: 'Forbidden',
      message: 'Application is not authorized to perform this operation.',
      innerError: { 'request-id': 'a1b2', date: '2025-06-02T07:00:00' },
    },
  };
  assert.equal(errs(decodeManagedDevices(body, 'intune.json')), [
    'intune.json: error: Graph returned an error instead of devices: Forbidden: Application is not authorized to perform this operation. (request-id a1b2)',
  ]);
  assert.equal(errs(decodeManagedDevices([page([md()]), { error: { code: 'TooManyRequests', message: 'Throttled' } }], 'intune.json')), [
    'intune.json: [1].error: Graph returned an error instead of devices: TooManyRequests: Throttled',
  ]);
});

test('a PowerShell Graph SDK export (PascalCase, \\/Date()\\/) is accepted', () => {
  const [d] = ok(
    decodeManagedDevices(
      [
        {
          Id: 'a',
          EasDeviceId: 'E1',
          ComplianceState: 'Compliant',
          ManagementAgent: 'mdm',
          LastSyncDateTime: '/Date(1700000000000)/',
          UserPrincipalName: 'kim@contoso.com',
        },
      ],
      'i.json',
    ),
  );
  assert.equal(d, {
    id: 'a',
    easDeviceId: 'E1',
    complianceState: 'compliant',
    managementAgent: 'mdm',
    lastSyncDateTime: '2023-11-14T22:13:20.000Z',
    userPrincipalName: 'kim@contoso.com',
  });
});

test('a root that is no page, array or device is an error', () => {
  assert.match(errs(decodeManagedDevices({ foo: 1 }, 'i.json'))[0]!, /^i\.json: \(root\): expected a Graph page/);
  assert.match(errs(decodeManagedDevices([page([md()]), 5], 'i.json'))[0]!, /^i\.json: \[1\]: expected a Graph page/);
});

test('decodeManagedDevicePage: devices and the next link', () => {
  const url = 'https://graph.microsoft.com/v1.0/deviceManagement/managedDevices';
  const r = ok(decodeManagedDevicePage(page([md({ id: 'a' })], `${url}?$skiptoken=x`), url));
  assert.equal(
    r.devices.map((d) => d.id),
    ['a'],
  );
  assert.is(r.nextLink, `${url}?$skiptoken=x`);
  const last = ok(decodeManagedDevicePage(page([]), url));
  assert.equal(last, { devices: [] });
});

test('decodeManagedDevicePage: an error body, a bad nextLink, a non-object name the URL', () => {
  const url = 'https://graph.microsoft.com/v1.0/deviceManagement/managedDevices';
  assert.equal(
    errs(decodeManagedDevicePage({ error: { code: 'InvalidAuthenticationToken', message: 'Access token has expired.' } }, url)),
    [`${url}: error: Graph returned an error instead of devices: InvalidAuthenticationToken: Access token has expired.`],
  );
  assert.equal(errs(decodeManagedDevicePage({ value: [], '@odata.nextLink': 5 }, url)), [
    `${url}: @odata.nextLink: expected a URL string, got 5`,
  ]);
  assert.equal(errs(decodeManagedDevicePage([md()], url)).length, 1);
});

test('sample managed-devices.json (two pages) decodes to the 8 documented managed devices', async () => {
  const ds = ok(await readExportFile(samples('managed-devices.json'), decodeManagedDevices));
  assert.equal(
    ds.map((d) => [d.easDeviceId ?? '-', d.userPrincipalName, d.complianceState, d.managementAgent]),
    [
      ['ApplC39GQ9UJDTDM', 'kim@contoso.com', 'compliant', 'mdm'],
      ['ApplDMPXK1Q2Q1GC', 'kim@contoso.com', 'inGracePeriod', 'mdm'],
      ['SEC12A4F7C9E0B3D', 'pilar@contoso.com', 'noncompliant', 'mdm'],
      ['androidc1597534862', 'sean.obrien@contoso.com', 'inGracePeriod', 'mdm'],
      ['ApplQ1W2E3R4T5Y6', 'kim@contoso.com', 'compliant', 'mdm'],
      ['ApplF17XK2M3N4P5', 'djump@contoso.com', 'compliant', 'mdm'],
      ['ApplK8LM9N0P1Q2R', 'molly@contoso.com', 'compliant', 'eas'],
      ['-', 'lidia@contoso.com', 'compliant', 'mdm'],
    ],
  );
  assert.is(ds[1]!.complianceGracePeriodExpirationDateTime, '2030-06-30T00:00:00.000Z');
  assert.is(ds[3]!.complianceGracePeriodExpirationDateTime, '2024-02-01T00:00:00.000Z');
  assert.not.ok('lastSyncDateTime' in ds[7]!);
});

test.run();
