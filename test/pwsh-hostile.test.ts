// Safe by construction, in real pwsh: 1,200 commands carrying hostile values
// (quotes of every kind, $(…), backticks, separators, newlines, control and
// format characters, lone surrogates, date-like strings) go through the gateway,
// the constant script in PowerShell 7 and Exchange's parameter binding in the
// stand-in; every value reaches the cmdlet exactly, nothing but the constant and
// data frames ever reaches the process, and the shared session is recycled
// before its 1,000th command. Then hostile device records come back exactly.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { isLeft } from 'fp-ts/lib/Either.js';
import { OPERATIONS, SCRIPT } from '../adapters/powershell/scripts.js';
import { ENCODED_SCRIPT, PWSH_ARGS } from '../adapters/powershell/session.js';
import type { ExchangeCommand } from '../src/commands.js';
import { realPwshTests, realSetup } from './support/real-pwsh.js';
import { hostile } from './support/hostile.js';

const real = realPwshTests('pwsh-hostile');
const RUNS = 1200;

if (real.available) {
  const t = suite('hostile values through real pwsh');

  t(
    `${RUNS} commands of hostile values: the constant script, data frames only, every value exactly; recycled before 1,000 commands`,
    async () => {
      const s = await realSetup({
        devices: 12,
        exchange: { extraCmdlets: ['Clear-MobileDevice', 'Remove-MobileDevice', 'Get-MobileDeviceStatistics'] },
      });
      try {
        const real0 = s.sim.exchange.state().mailboxes[0]!.identity;
        let runs = 0;
        await fc.assert(
          fc.asyncProperty(fc.array(hostile, { minLength: 5, maxLength: 5 }), fc.boolean(), async ([a, b, c, d, e], onReal) => {
            const command: ExchangeCommand = {
              kind: 'setCasMailbox',
              mailbox: onReal ? real0 : a!,
              allowedDeviceIds: { add: [b!], remove: [c!] },
              blockedDeviceIds: { add: [d!], remove: [e!] },
            };
            const before = s.fake.calls.length;
            const r = await s.gateway.execute(command);
            if (isLeft(r))
              assert.ok(['notFound', 'other'].includes(r.left.kind), `only Exchange's own refusals: ${JSON.stringify(r.left)}`);
            const calls = s.fake.calls.slice(before).filter((x) => x.op !== 'Set-ADServerSettings');
            assert.is(calls.length, 1);
            assert.is(calls[0]!.op, 'Set-CasMailbox');
            assert.equal(calls[0]!.splat, {
              Identity: onReal ? real0 : a!,
              ActiveSyncAllowedDeviceIDs: { Add: [b!], Remove: [c!] },
              ActiveSyncBlockedDeviceIDs: { Add: [d!], Remove: [e!] },
            });
            runs++;
          }),
          { numRuns: RUNS, seed: 20261205 },
        );
        assert.is(runs, RUNS);
        // other commands carry hostile values the same way
        await fc.assert(
          fc.asyncProperty(hostile, hostile, async (q, insert) => {
            const before = s.fake.calls.length;
            await s.gateway.execute({ kind: 'newDeviceAccessRule', characteristic: 'DeviceModel', queryString: q, accessLevel: 'Block' });
            await s.gateway.execute({ kind: 'removeDeviceAccessRule', name: `${q} (DeviceModel)` });
            await s.gateway.execute({ kind: 'setOrgSettings', userMailInsert: insert.slice(0, 256), adminMailRecipients: [q] });
            // A wipe, a removal and the statistics of a partnership whose identity is hostile: data, never script.
            const identity = `contoso.com/Users/${q}/ExchangeActiveSyncDevices/iPhone§${insert}`;
            await s.gateway.execute({ kind: 'clearMobileDevice', identity, deviceId: insert, mailbox: q, accountOnly: true, wipeId: 'w' });
            await s.gateway.execute({ kind: 'removeMobileDevice', identity, deviceId: insert, mailbox: q });
            await s.gateway.getMobileDeviceStatistics!({ identity });
            await s.gateway.getMobileDeviceStatistics!({ mailbox: `m ${q}` });
            assert.equal(
              s.fake.calls
                .slice(before)
                .filter((x) => x.op !== 'Set-ADServerSettings')
                .map((x) => x.splat),
              [
                { Characteristic: 'DeviceModel', QueryString: q, AccessLevel: 'Block' },
                { Identity: `${q} (DeviceModel)`, Confirm: false },
                { UserMailInsert: insert.slice(0, 256), AdminMailRecipients: [q] },
                { Identity: identity, AccountOnly: true, Confirm: false },
                { Identity: identity, Confirm: false },
                { Identity: identity },
                { Mailbox: `m ${q}` },
              ],
            );
          }),
          { numRuns: 100, seed: 7 },
        );

        const perSession = new Map<number, number>();
        for (const c of s.fake.calls) if (c.op !== 'Set-ADServerSettings') perSession.set(c.session, (perSession.get(c.session) ?? 0) + 1);
        assert.ok(
          [...perSession.values()].every((n) => n < 1000),
          `no session ran 1,000 commands: ${[...perSession.values()]}`,
        );
        assert.ok(perSession.size >= 2 && s.gateway.stats().recycled >= 1, 'the session was recycled (Remove-PSSession) and replaced');
        assert.ok(s.fake.sessions.removed >= 1 && s.fake.sessions.abandoned === 0);
      } finally {
        await s.close();
      }
      for (const sp of s.spawned) {
        assert.equal(sp.args, [...PWSH_ARGS, '-EncodedCommand', ENCODED_SCRIPT], 'argv: the fixed flags and the constant');
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
          assert.ok(typeof f['op'] === 'string' && f['op'] in OPERATIONS);
        }
      }
      assert.ok(
        s.fake.connects.length >= 2 && s.fake.connects.every((c) => c.script === SCRIPT),
        'every pwsh ran the constant SCRIPT (decoded from its own command line)',
      );
      assert.equal(s.fake.violations, []);
      assert.is(s.fake.sessions.open, 0);
    },
  );

  t('hostile device records (and their dates, in UTC and local time) come back exactly', async () => {
    const s = await realSetup({ devices: 12 });
    try {
      const mailboxes = s.sim.exchange.state().mailboxes;
      const records = fc.sample(fc.record({ id: hostile, model: hostile, os: hostile, name: hostile, agent: hostile }), {
        numRuns: 300,
        seed: 3,
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
          deviceType: r.name.slice(0, 4) || 'X',
          deviceModel: r.model,
          deviceOS: r.os,
          deviceUserAgent: r.agent,
          friendlyName: r.name,
          firstSyncTime: new Date(Date.UTC(2026, 0, 1) + n * 61_001).toISOString(),
        });
        n++;
      }
      const got = await s.gateway.getMobileDevices();
      if (isLeft(got)) throw new Error(JSON.stringify(got.left));
      const want = await s.sim.exchange.getMobileDevices();
      assert.ok(got.right.length > 200, 'more than one chunk of 200 records');
      assert.equal(got.right, (want as { right: unknown }).right, 'every field exactly');
    } finally {
      await s.close();
    }
    assert.equal(s.fake.violations, []);
  });

  t.run();
}

import { test } from 'uvu';
test.run();
