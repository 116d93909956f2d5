// Safe by construction: 10,000 hostile values (quotes of every kind, $(…),
// backticks, semicolons, newlines, Unicode, lone surrogates, Remove-Mailbox
// payloads, date-like strings) sent through the real gateway, a real child
// process and the script's request handling. Every child ran the constant SCRIPT
// (argv checked, and the child refuses anything else), every frame on its stdin
// is a data frame of an allowlisted operation, and every value reached the cmdlet
// exactly. Then the other way: hostile device records read back exactly, in both
// PowerShell 5.1 and 7 output shapes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { isLeft } from 'fp-ts/lib/Either.js';
import { SCRIPT, OPERATIONS } from '../adapters/powershell/scripts.js';
import { ENCODED_SCRIPT, PWSH_ARGS } from '../adapters/powershell/session.js';
import { fromWire, toWireString } from '../adapters/powershell/protocol.js';
import type { ExchangeCommand } from '../src/commands.js';
import { FAKE_PWSH, fakeSetup, type FakeSetup } from './support/fake-pwsh-harness.js';
import { hostile } from './support/hostile.js';

/** Every spawned child got the constant and only data frames. */
function assertOnlyConstantAndData(s: FakeSetup, expectedCalls: number): void {
  for (const sp of s.spawned) {
    assert.equal(sp.args, [FAKE_PWSH, ...PWSH_ARGS, '-EncodedCommand', ENCODED_SCRIPT]);
    const lines = sp.stdin
      .join('')
      .split('\n')
      .filter((l) => l !== '');
    for (const [i, line] of lines.entries()) {
      assert.not.match(line, /[^\x20-\x7e]/, 'stdin frames are printable ASCII');
      const f = JSON.parse(line) as Record<string, unknown>;
      if (i === 0) {
        assert.is(f['t'], 'connect');
        continue;
      }
      if (f['t'] === 'close') continue;
      assert.equal(Object.keys(f).sort(), ['args', 'id', 'op', 't']);
      assert.is(f['t'], 'call');
      assert.ok(typeof f['op'] === 'string' && f['op'] in OPERATIONS, `allowlisted operation ${String(f['op'])}`);
    }
  }
  assert.ok(s.fake.connects.length >= 1 && s.fake.connects.every((c) => c.script === SCRIPT), 'every child ran the constant SCRIPT');
  assert.is(s.fake.calls.length, expectedCalls);
  assert.equal(s.fake.violations, []);
}

test('10,000 hostile values in commands: the script sent is the constant, the values arrive exactly', async () => {
  const s = await fakeSetup({ devices: 12, gateway: { maxCommandsPerSession: 400 } });
  let values = 0;
  try {
    const real = s.sim.exchange.state().mailboxes[0]!.identity;
    await fc.assert(
      fc.asyncProperty(fc.array(hostile, { minLength: 5, maxLength: 5 }), fc.boolean(), async ([a, b, c, d, e], onReal) => {
        const command: ExchangeCommand = {
          kind: 'setCasMailbox',
          mailbox: onReal ? real : a!,
          allowedDeviceIds: { add: [b!], remove: [c!] },
          blockedDeviceIds: { add: [d!], remove: [e!] },
        };
        const before = s.fake.calls.length;
        const r = await s.gateway.execute(command);
        if (isLeft(r)) assert.ok(['notFound', 'other'].includes(r.left.kind), `only Exchange's own refusals: ${JSON.stringify(r.left)}`);
        assert.is(s.fake.calls.length, before + 1);
        const call = s.fake.calls[before]!;
        assert.is(call.op, 'Set-CasMailbox');
        assert.equal(call.splat, {
          Identity: onReal ? real : a!,
          ActiveSyncAllowedDeviceIDs: { Add: [b!], Remove: [c!] },
          ActiveSyncBlockedDeviceIDs: { Add: [d!], Remove: [e!] },
        });
        values += 5;
      }),
      { numRuns: 2000, seed: 20261126 },
    );
    assert.is(values, 10_000);
    // other commands carry hostile values the same way
    await fc.assert(
      fc.asyncProperty(hostile, hostile, async (q, insert) => {
        const before = s.fake.calls.length;
        await s.gateway.execute({ kind: 'newDeviceAccessRule', characteristic: 'DeviceModel', queryString: q, accessLevel: 'Block' });
        await s.gateway.execute({ kind: 'removeDeviceAccessRule', name: `${q} (DeviceModel)` });
        await s.gateway.execute({ kind: 'setOrgSettings', userMailInsert: insert, adminMailRecipients: [q] });
        assert.equal(
          s.fake.calls.slice(before).map((c) => c.splat),
          [
            { Characteristic: 'DeviceModel', QueryString: q, AccessLevel: 'Block' },
            { Identity: `${q} (DeviceModel)`, Confirm: false },
            { UserMailInsert: insert, AdminMailRecipients: [q] },
          ],
        );
      }),
      { numRuns: 200, seed: 7 },
    );
  } finally {
    await s.close();
  }
  assertOnlyConstantAndData(s, 2000 + 600);
  // a frame never carries a value as text: each one is base64 of its UTF-16 code units
  const sample = '$(Remove-Mailbox -Identity *)';
  assert.not.ok(
    s.spawned.some((sp) => sp.stdin.some((l) => l.includes('Remove-Mailbox'))),
    'no payload appears as text on stdin',
  );
  assert.is(fromWire(toWireString(sample)), sample);
});

test('hostile device records come back exactly, in PowerShell 5.1 and 7 shapes', async () => {
  for (const shapes of ['ps51', 'ps7', 'mixed']) {
    const s = await fakeSetup({ devices: 12, env: { FAKE_PWSH_SHAPES: shapes } });
    try {
      const mailboxes = s.sim.exchange.state().mailboxes;
      const records = fc.sample(fc.record({ id: hostile, model: hostile, os: hostile, name: hostile, agent: hostile }), {
        numRuns: 400,
        seed: shapes.length,
      });
      const seen = new Set(s.sim.exchange.state().devices.map((d) => d.deviceId.toLowerCase()));
      let n = 0;
      for (const r of records) {
        const id = `${r.id}#${n}`;
        if (id.trim() === '' || seen.has(id.toLowerCase())) continue;
        seen.add(id.toLowerCase());
        s.sim.exchange.addPartnership({
          mailbox: mailboxes[n % mailboxes.length]!.identity,
          deviceId: id,
          deviceType: r.name.slice(0, 4),
          deviceModel: r.model,
          deviceOS: r.os,
          deviceUserAgent: r.agent,
          friendlyName: r.name,
          firstSyncTime: new Date(Date.UTC(2026, 0, 1) + n * 61_000).toISOString(),
        });
        n++;
      }
      const got = await s.gateway.getMobileDevices();
      if (isLeft(got)) throw new Error(JSON.stringify(got.left));
      const want = await s.sim.exchange.getMobileDevices();
      assert.equal(got.right, (want as { right: unknown }).right, `${shapes}: every field exactly`);
      const mb = await s.gateway.getCasMailboxes();
      assert.equal(mb._tag, 'Right');
    } finally {
      await s.close();
    }
    assert.equal(s.fake.violations, []);
  }
});

test.run();
