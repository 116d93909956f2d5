// Strings many devices share (src/mailbox/shared-strings.ts): kept once, and never changed.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { sharedString, sharedStringsHeld } from '../src/mailbox/shared-strings.js';
import { deviceRecord } from '../src/mailbox/evolve.js';

const test = suite('shared strings');

test('gives back an equal string for any value, past the table bound too, and undefined for undefined', () => {
  assert.is(sharedString(undefined), undefined);
  fc.assert(
    fc.property(fc.array(fc.string(), { maxLength: 50 }), (xs) => {
      for (const x of xs) assert.is(sharedString(x), x);
    }),
  );
  // More distinct values than the table holds: each still comes back as it went in.
  for (let i = 0; i < 10_000; i++) assert.is(sharedString(`agent/${i}`), `agent/${i}`);
});

test("a partnership's record keeps every reported field as reported", () => {
  const p = {
    deviceId: 'ApplC39GQ9UJDTDM',
    identity: 'contoso.com/Users/Kim/ExchangeActiveSyncDevices/iPhone§ApplC39GQ9UJDTDM',
    deviceType: 'iPhone',
    deviceModel: 'iPhone15,2',
    deviceOS: 'iOS 17.1',
    deviceUserAgent: 'Apple-iPhone15C2/2101.1',
    friendlyName: "Kim's iPhone",
  };
  const d = deviceRecord({ ...JSON.parse(JSON.stringify(p)) }, undefined, false);
  assert.equal(
    {
      deviceId: d.deviceId,
      identity: d.identity,
      deviceType: d.deviceType,
      deviceModel: d.deviceModel,
      deviceOS: d.deviceOS,
      deviceUserAgent: d.deviceUserAgent,
      friendlyName: d.friendlyName,
    },
    p,
  );
});

test('a value first seen after the table filled up is shared too: the table starts afresh rather than refusing it', () => {
  // Values each a device's own, until the table is full.
  for (let i = 0; sharedStringsHeld() < 8192; i++) sharedString(`ua/${i}`);
  // An OS version every phone reports after an update, first seen now: held (in a fresh table), so the next device shares it.
  sharedString('iOS 19.0 23A341');
  assert.is(sharedStringsHeld(), 1);
  assert.is(sharedString('iOS 19.0 23A341'), 'iOS 19.0 23A341');
  assert.is(sharedStringsHeld(), 1, 'found, not added again');
  // Bounded whatever comes.
  for (let i = 0; i < 20_000; i++) sharedString(`name/${i}`);
  assert.ok(sharedStringsHeld() <= 8192);
});

test.run();
