import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { isLeft, isRight, left, right, type Either } from 'fp-ts/lib/Either.js';
import {
  decodeAccessLevel,
  decodeCasMailboxes,
  decodeCharacteristic,
  decodeDeviceAccessState,
  decodeMobileDevices,
  decodePsBool,
  decodePsDate,
  decodePsMulti,
  decodePsOptionalDate,
  decodeProxyAddress,
} from '../adapters/exports/powershell.js';
import { formatInputError, MAX_ERRORS, type InputError } from '../adapters/shared/input-errors.js';
import { readExportFile } from '../adapters/exports/read.js';
import { MailboxIndex, userAddresses } from '../src/identity.js';
import type { CasMailbox, MobileDevice } from '../src/facts.js';

const samples = (name: string) => fileURLToPath(new URL(`../../examples/exports/${name}`, import.meta.url));

function ok<A>(r: Either<InputError[], A>): A {
  if (isLeft(r)) throw new Error('expected success, got ' + r.left.map(formatInputError).join('; '));
  return r.right;
}
function errs<A>(r: Either<InputError[], A>): string[] {
  if (isRight(r)) throw new Error('expected errors, got ' + JSON.stringify(r.right));
  return r.left.map(formatInputError);
}

const device = (over: Record<string, unknown> = {}) => ({
  Identity: 'contoso.com/Users/Kim Akers/ExchangeActiveSyncDevices/iPhone§ApplC39GQ9UJDTDM',
  DistinguishedName: 'CN=iPhone§ApplC39GQ9UJDTDM,CN=ExchangeActiveSyncDevices,CN=Kim Akers,OU=Users,DC=contoso,DC=com',
  Guid: 'd1c5e8a2-7b34-4f90-8a6e-0c2b9d4f7e11',
  DeviceId: 'ApplC39GQ9UJDTDM',
  DeviceType: 'iPhone',
  DeviceModel: 'iPhone14C5',
  DeviceOS: 'iOS 17.4.1 21E236',
  DeviceUserAgent: 'Apple-iPhone14C5/2104.236',
  FriendlyName: 'Kim’s iPhone',
  FirstSyncTime: '/Date(1700000000000)/',
  UserDisplayName: 'contoso.com/Users/Kim Akers',
  DeviceAccessState: 'Allowed',
  ObjectClass: ['top', 'msExchActiveSyncDevice'],
  ...over,
});

const mailbox = (over: Record<string, unknown> = {}) => ({
  Identity: 'contoso.com/Users/Kim Akers',
  DistinguishedName: 'CN=Kim Akers,OU=Users,DC=contoso,DC=com',
  Guid: '0b6e2f4a-31c8-4d2e-9a57-6c1e8f3b2d90',
  DisplayName: 'Kim Akers',
  PrimarySmtpAddress: 'kim@contoso.com',
  EmailAddresses: ['SMTP:kim@contoso.com', 'smtp:k.akers@contoso.com', 'SIP:kim@contoso.com'],
  ActiveSyncEnabled: true,
  ActiveSyncAllowedDeviceIDs: ['ApplC39GQ9UJDTDM'],
  ActiveSyncBlockedDeviceIDs: [],
  ...over,
});

// ---------------------------------------------------------------- dates

test('\\/Date(ms)\\/ (5.1) decodes to ISO UTC', () => {
  assert.equal(decodePsDate('/Date(1700000000000)/'), right('2023-11-14T22:13:20.000Z'));
  // as it stands in the file, before JSON.parse removed the escapes
  assert.equal(decodePsDate('\\/Date(1700000000000)\\/'), right('2023-11-14T22:13:20.000Z'));
});

test('\\/Date(ms+offset)\\/ keeps the UTC instant (the offset is display only)', () => {
  assert.equal(decodePsDate('/Date(1700000000000+0100)/'), right('2023-11-14T22:13:20.000Z'));
  assert.equal(decodePsDate('/Date(1700000000000-0500)/'), right('2023-11-14T22:13:20.000Z'));
});

test('negative milliseconds are dates before 1970', () => {
  assert.equal(decodePsDate('/Date(-86400000)/'), right('1969-12-31T00:00:00.000Z'));
  assert.equal(decodePsDate('/Date(-62135596800000)/'), right('0001-01-01T00:00:00.000Z'));
});

test('ISO-8601 with an offset or Z (pwsh 7) decodes to ISO UTC', () => {
  assert.equal(decodePsDate('2026-11-26T07:44:12.123+00:00'), right('2026-11-26T07:44:12.123Z'));
  assert.equal(decodePsDate('2026-11-26T08:44:12.1234567+01:00'), right('2026-11-26T07:44:12.123Z'));
  assert.equal(decodePsDate('2026-11-26T07:44:12Z'), right('2026-11-26T07:44:12.000Z'));
});

test('dates without a zone, and non-dates, are rejected with a reason', () => {
  assert.ok(isLeft(decodePsDate('2026-11-26T07:44:12')));
  assert.ok(isLeft(decodePsDate('yesterday')));
  assert.ok(isLeft(decodePsDate(1700000000000)));
  assert.ok(isLeft(decodePsDate('/Date(99999999999999999)/')));
});

test('optional dates: null and DateTime.MinValue mean none', () => {
  assert.equal(decodePsOptionalDate(null), right(undefined));
  assert.equal(decodePsOptionalDate('/Date(-62135596800000)/'), right(undefined));
  assert.equal(decodePsOptionalDate('0001-01-01T00:00:00Z'), right(undefined));
  assert.equal(decodePsOptionalDate('/Date(0)/'), right('1970-01-01T00:00:00.000Z'));
});

// ------------------------------------------------------ enums, booleans, lists

test('enums decode by name (any case) and by number', () => {
  assert.equal(decodeDeviceAccessState('Quarantined'), right('Quarantined'));
  assert.equal(decodeDeviceAccessState('quarantined'), right('Quarantined'));
  assert.equal(decodeDeviceAccessState(3), right('Quarantined'));
  assert.equal(decodeDeviceAccessState(4), right('DeviceDiscovery'));
  assert.equal(decodeDeviceAccessState('0'), right('Unknown'));
  assert.equal(decodeAccessLevel('Allow'), right('Allow'));
  assert.equal(decodeAccessLevel(2), right('Quarantine'));
  assert.equal(decodeCharacteristic('XMSWLHeader'), right('XMSWLHeader'));
  assert.equal(decodeCharacteristic(1), right('DeviceModel'));
});

test('unknown enum names and out-of-range numbers are errors listing the choices', () => {
  const r = decodeDeviceAccessState(7);
  assert.ok(isLeft(r) && r.left.includes('Unknown, Allowed, Blocked, Quarantined, DeviceDiscovery'));
  assert.ok(isLeft(decodeAccessLevel('Permit')));
  assert.ok(isLeft(decodeCharacteristic(1.5)));
});

test('booleans: true/false and "True"/"False"', () => {
  assert.equal(decodePsBool(true), right(true));
  assert.equal(decodePsBool('False'), right(false));
  assert.equal(decodePsBool('TRUE'), right(true));
  assert.ok(isLeft(decodePsBool(1)));
  assert.ok(isLeft(decodePsBool('yes')));
});

test('multi-valued: array, a single string, null or absent, the 5.1 {value, Count} wrapper', () => {
  assert.equal(decodePsMulti(['a', 'b']), right(['a', 'b']));
  assert.equal(decodePsMulti('a'), right(['a']));
  assert.equal(decodePsMulti(null), right([]));
  assert.equal(decodePsMulti(undefined), right([]));
  assert.equal(decodePsMulti({ value: ['a'], Count: 1 }), right(['a']));
  assert.equal(decodePsMulti(['a', 5]), left('[1]: expected a string, got 5'));
});

test('multi-valued: a .NET type name (ConvertTo-Json -Depth too low) is an error, not one value', () => {
  const r = decodePsMulti('Microsoft.Exchange.Data.MultiValuedProperty`1[System.String]');
  assert.ok(isLeft(r) && r.left.includes('-Depth 4'), JSON.stringify(r));
  assert.equal(decodePsMulti('ApplC39GQ9UJDTDM'), right(['ApplC39GQ9UJDTDM']));
});

test('proxy addresses: strings, ProxyAddressString, AddressString + prefix', () => {
  assert.equal(decodeProxyAddress('smtp:k@contoso.com'), right('smtp:k@contoso.com'));
  assert.equal(decodeProxyAddress({ ProxyAddressString: 'SMTP:k@contoso.com', IsPrimaryAddress: true }), right('SMTP:k@contoso.com'));
  assert.equal(
    decodeProxyAddress({ AddressString: 'k@contoso.com', PrefixString: 'SMTP', IsPrimaryAddress: false }),
    right('smtp:k@contoso.com'),
  );
  assert.equal(
    decodeProxyAddress({ AddressString: 'k@contoso.com', PrefixString: 'SMTP', IsPrimaryAddress: true }),
    right('SMTP:k@contoso.com'),
  );
  assert.ok(isLeft(decodeProxyAddress(42)));
});

// ------------------------------------------------------------ devices

test('a Get-MobileDevice array decodes to MobileDevice facts', () => {
  const [d] = ok(decodeMobileDevices([device()], 'exchange.json'));
  assert.equal(d, {
    identity: 'contoso.com/Users/Kim Akers/ExchangeActiveSyncDevices/iPhone§ApplC39GQ9UJDTDM',
    distinguishedName: 'CN=iPhone§ApplC39GQ9UJDTDM,CN=ExchangeActiveSyncDevices,CN=Kim Akers,OU=Users,DC=contoso,DC=com',
    guid: 'd1c5e8a2-7b34-4f90-8a6e-0c2b9d4f7e11',
    deviceId: 'ApplC39GQ9UJDTDM',
    deviceType: 'iPhone',
    deviceModel: 'iPhone14C5',
    deviceOS: 'iOS 17.4.1 21E236',
    deviceUserAgent: 'Apple-iPhone14C5/2104.236',
    friendlyName: 'Kim’s iPhone',
    firstSyncTime: '2023-11-14T22:13:20.000Z',
    userDisplayName: 'contoso.com/Users/Kim Akers',
  });
});

test('one result written as a lone object is one device', () => {
  const ds = ok(decodeMobileDevices(device(), 'exchange.json'));
  assert.is(ds.length, 1);
  assert.is(ds[0]!.deviceId, 'ApplC39GQ9UJDTDM');
});

test('a lone object with a bad field: the path has no index', () => {
  assert.equal(errs(decodeMobileDevices(device({ DeviceId: null }), 'exchange.json')), [
    'exchange.json: DeviceId: expected a string, got null',
  ]);
});

test('an empty export ([], null) is no devices; the 5.1 {value, Count} wrapper is unwrapped', () => {
  assert.equal(ok(decodeMobileDevices([], 'e.json')), []);
  assert.equal(ok(decodeMobileDevices(null, 'e.json')), []);
  assert.is(ok(decodeMobileDevices({ value: [device(), device({ DeviceId: 'B' })], Count: 2 }, 'e.json')).length, 2);
});

test('pwsh 7 output: ISO dates, enums as numbers', () => {
  const [d] = ok(decodeMobileDevices([device({ FirstSyncTime: '2023-11-14T23:13:20+01:00', DeviceAccessState: 1 })], 'e.json'));
  assert.is(d!.firstSyncTime, '2023-11-14T22:13:20.000Z');
});

test('DeviceModel null is "", optional fields null are absent', () => {
  const [d] = ok(decodeMobileDevices([device({ DeviceModel: null, DeviceOS: null, FirstSyncTime: null, FriendlyName: null })], 'e.json'));
  assert.is(d!.deviceModel, '');
  assert.not.ok('deviceOS' in d!);
  assert.not.ok('firstSyncTime' in d!);
  assert.not.ok('friendlyName' in d!);
  const [e] = ok(decodeMobileDevices([{ Identity: 'x/ExchangeActiveSyncDevices/y§Z', DeviceId: 'Z', DeviceType: 'y' }], 'e.json'));
  assert.equal(e, { identity: 'x/ExchangeActiveSyncDevices/y§Z', deviceId: 'Z', deviceType: 'y', deviceModel: '' });
});

test('an Identity object (local shell ADObjectId) becomes its DistinguishedName', () => {
  const dn = 'CN=iPhone§A,CN=ExchangeActiveSyncDevices,CN=Kim Akers,OU=Users,DC=contoso,DC=com';
  const [d] = ok(
    decodeMobileDevices([device({ Identity: { Rdn: { EscapedName: 'iPhone§A' }, DistinguishedName: dn, Name: 'iPhone§A' } })], 'e.json'),
  );
  assert.is(d!.identity, dn);
  const [n] = ok(decodeMobileDevices([device({ Identity: { Name: 'iPhone§A' } })], 'e.json'));
  assert.is(n!.identity, 'iPhone§A');
  assert.equal(errs(decodeMobileDevices([device({ Identity: { Depth: 5 } })], 'e.json')).length, 1);
});

test('a missing required field is an error with the file and [i].Field', () => {
  const { DeviceType: _drop, ...noType } = device();
  assert.equal(errs(decodeMobileDevices([device(), noType], 'exchange.json')), [
    'exchange.json: [1].DeviceType: required property is missing',
  ]);
  assert.equal(errs(decodeMobileDevices([device(), device({ DeviceId: null })], 'exchange.json')), [
    'exchange.json: [1].DeviceId: expected a string, got null',
  ]);
  assert.equal(errs(decodeMobileDevices([device({ DeviceId: '  ' })], 'exchange.json')), [
    'exchange.json: [0].DeviceId: must not be empty',
  ]);
  assert.equal(errs(decodeMobileDevices([device({ Identity: '' })], 'exchange.json')), ['exchange.json: [0].Identity: must not be empty']);
});

test('every bad device is reported, not just the first; no device is dropped silently', () => {
  const input = [
    device(),
    device({ DeviceId: null }),
    device(),
    device({ DeviceType: 7, FirstSyncTime: 'soon' }),
    'Microsoft.Exchange.Data.Directory.Management.MobileDevice',
  ];
  assert.equal(errs(decodeMobileDevices(input, 'exchange.json')), [
    'exchange.json: [1].DeviceId: expected a string, got null',
    'exchange.json: [3].DeviceType: expected a string, got 7',
    'exchange.json: [3].FirstSyncTime: expected a date (\\/Date(ms)\\/ or ISO-8601), got "soon"',
    'exchange.json: [4]: expected an object (one mobile device), got the type name "Microsoft.Exchange.Data.Directory.Management.MobileDevice": export again with ConvertTo-Json -Depth 4',
  ]);
});

test(`errors are capped at ${MAX_ERRORS}, with a count of the rest`, () => {
  const input = Array.from({ length: 80 }, () => device({ DeviceId: null }));
  const e = errs(decodeMobileDevices(input, 'exchange.json'));
  assert.is(e.length, MAX_ERRORS + 1);
  assert.is(e[49], 'exchange.json: [49].DeviceId: expected a string, got null');
  assert.is(e[50], 'exchange.json: and 30 more errors not shown');
});

test('a root that is neither array nor object is an error at (root)', () => {
  assert.equal(errs(decodeMobileDevices('Microsoft.Exchange.Data.Directory.Management.MobileDevice', 'e.json')).length, 1);
  assert.match(errs(decodeMobileDevices(42, 'e.json'))[0]!, /^e\.json: \(root\): expected an array of objects or one object/);
});

// ------------------------------------------------------------ mailboxes

test('a Get-CasMailbox array decodes to CasMailbox facts', () => {
  const [m] = ok(decodeCasMailboxes([mailbox({ UserPrincipalName: 'kim@contoso.com' })], 'mailboxes.json'));
  assert.equal(m, {
    identity: 'contoso.com/Users/Kim Akers',
    distinguishedName: 'CN=Kim Akers,OU=Users,DC=contoso,DC=com',
    guid: '0b6e2f4a-31c8-4d2e-9a57-6c1e8f3b2d90',
    displayName: 'Kim Akers',
    primarySmtpAddress: 'kim@contoso.com',
    emailAddresses: ['SMTP:kim@contoso.com', 'smtp:k.akers@contoso.com', 'SIP:kim@contoso.com'],
    userPrincipalName: 'kim@contoso.com',
    activeSyncEnabled: true,
    allowedDeviceIds: ['ApplC39GQ9UJDTDM'],
    blockedDeviceIds: [],
  });
});

test('mailbox defaults: null lists → [], ActiveSyncEnabled absent → true, "False" → false, Name for DisplayName', () => {
  const { ActiveSyncEnabled: _a, DisplayName: _d, ...rest } = mailbox();
  const [m] = ok(
    decodeCasMailboxes([{ ...rest, Name: 'Kim Akers', ActiveSyncAllowedDeviceIDs: null, ActiveSyncBlockedDeviceIDs: 'X1' }], 'm.json'),
  );
  assert.is(m!.activeSyncEnabled, true);
  assert.is(m!.displayName, 'Kim Akers');
  assert.equal(m!.allowedDeviceIds, []);
  assert.equal(m!.blockedDeviceIds, ['X1']);
  assert.not.ok('userPrincipalName' in m!);
  const [off] = ok(decodeCasMailboxes([mailbox({ ActiveSyncEnabled: 'False' })], 'm.json'));
  assert.is(off!.activeSyncEnabled, false);
});

test('local-shell shapes: SmtpAddress and ProxyAddress objects', () => {
  const [m] = ok(
    decodeCasMailboxes(
      [
        mailbox({
          PrimarySmtpAddress: { Local: 'kim', Domain: 'contoso.com', Address: 'kim@contoso.com', IsValidAddress: true },
          EmailAddresses: [
            { ProxyAddressString: 'SMTP:kim@contoso.com', AddressString: 'kim@contoso.com', IsPrimaryAddress: true, PrefixString: 'SMTP' },
            { AddressString: 'k.akers@contoso.com', IsPrimaryAddress: false, PrefixString: 'SMTP' },
          ],
        }),
      ],
      'm.json',
    ),
  );
  assert.is(m!.primarySmtpAddress, 'kim@contoso.com');
  assert.equal(m!.emailAddresses, ['SMTP:kim@contoso.com', 'smtp:k.akers@contoso.com']);
});

test('a missing PrimarySmtpAddress comes from the SMTP: proxy, else is an error', () => {
  const { PrimarySmtpAddress: _p, ...noPrimary } = mailbox();
  assert.is(ok(decodeCasMailboxes([noPrimary], 'm.json'))[0]!.primarySmtpAddress, 'kim@contoso.com');
  assert.equal(errs(decodeCasMailboxes([mailbox(), { ...noPrimary, EmailAddresses: ['smtp:x@contoso.com'] }], 'm.json')), [
    'm.json: [1].PrimarySmtpAddress: required property is missing (and no SMTP: address in EmailAddresses)',
  ]);
});

test('mailbox errors: every one, with its path', () => {
  assert.equal(
    errs(
      decodeCasMailboxes([mailbox({ Identity: null }), mailbox({ ActiveSyncEnabled: 'maybe', EmailAddresses: ['SMTP:a@b', 3] })], 'm.json'),
    ),
    [
      'm.json: [0].Identity: expected an identity string, got null',
      'm.json: [1].EmailAddresses: [1]: expected a proxy address string, got 3',
      'm.json: [1].ActiveSyncEnabled: expected true or false, got "maybe"',
    ],
  );
});

// ------------------------------------------------------------ shipped samples

const SAMPLE_DEVICE_IDS = [
  'ApplC39GQ9UJDTDM',
  'ApplDMPXK1Q2Q1GC',
  'SEC12A4F7C9E0B3D',
  'ApplQ1W2E3R4T5Y6',
  'androidc1597534862',
  'ApplF17XK2M3N4P5',
  'androidc8819233407',
  'BB2A61F0C7',
  'ApplK8LM9N0P1Q2R',
  '5A0B8C74D3E1F26A9B7C0D1E2F3A4B5C',
  'ApplZ9X8C7V6B5N4',
  'androidc5501773190',
];

test('sample get-mobiledevice.json (UTF-16LE, 5.1) decodes to the 12 documented devices', async () => {
  const ds: MobileDevice[] = ok(await readExportFile(samples('get-mobiledevice.json'), decodeMobileDevices));
  assert.equal(
    ds.map((d) => d.deviceId),
    SAMPLE_DEVICE_IDS,
  );
  assert.is(ds[0]!.identity, 'contoso.com/Users/Kim Akers/ExchangeActiveSyncDevices/iPhone§ApplC39GQ9UJDTDM');
  assert.is(ds[0]!.friendlyName, 'Kim’s iPhone');
  assert.is(ds[0]!.firstSyncTime, '2023-11-14T22:13:20.000Z');
  assert.is(ds[4]!.userDisplayName, "contoso.com/Users/Sean O'Brien");
  assert.is(ds[9]!.deviceModel, '');
  assert.is(
    ds[10]!.distinguishedName,
    'CN=iPhone§ApplZ9X8C7V6B5N4,CN=ExchangeActiveSyncDevices,CN=Preston\\, Chris,OU=Users,DC=contoso,DC=com',
  );
});

test('sample get-casmailbox.json (UTF-8 BOM, 5.1) decodes to 8 mailboxes, each device finds its mailbox', async () => {
  const ms: CasMailbox[] = ok(await readExportFile(samples('get-casmailbox.json'), decodeCasMailboxes));
  assert.equal(
    ms.map((m) => m.identity),
    [
      'contoso.com/Users/Kim Akers',
      'contoso.com/Users/Pilar Ackerman',
      "contoso.com/Users/Sean O'Brien",
      'contoso.com/Users/Dan Jump',
      'contoso.com/Users/Ben Andrews',
      'contoso.com/Users/Molly Dempsey',
      'contoso.com/Users/Preston, Chris',
      'contoso.com/Users/Lidia Holloway',
    ],
  );
  assert.is(ms[2]!.displayName, "Sean O'Brien");
  assert.equal(ms[7]!.blockedDeviceIds, []);
  const dan = ms[3]!;
  assert.is(dan.primarySmtpAddress, 'dan.jump@fabrikam.com');
  assert.ok(userAddresses(dan).includes('djump@contoso.com'));
  const ds = ok(await readExportFile(samples('get-mobiledevice.json'), decodeMobileDevices));
  const index = new MailboxIndex(ms);
  const owners = ds.map((d) => index.mailboxOf(d)?.displayName);
  assert.equal(owners, [
    'Kim Akers',
    'Kim Akers',
    'Pilar Ackerman',
    'Pilar Ackerman',
    "Sean O'Brien",
    'Dan Jump',
    'Ben Andrews',
    'Ben Andrews',
    'Molly Dempsey',
    'Molly Dempsey',
    'Chris Preston',
    'Lidia Holloway',
  ]);
});

test('the malformed sample is refused with the file and [1].DeviceId', async () => {
  const path = samples('malformed/get-mobiledevice.json');
  const e = errs(await readExportFile(path, decodeMobileDevices));
  assert.equal(e, [`${path}: [1].DeviceId: expected a string, got null`]);
});

test.run();
