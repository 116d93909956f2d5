// The PowerShell gateway in real pwsh 7, its constant script talking to the
// Exchange stand-in module (test/support/ExchangeStandIn.psm1) through the
// "module" connection: the conformance suite shared with the simulator, and what
// only a real interpreter can show — deserialized Exchange objects projected to
// the simulator's own facts, RBAC narrowing the imported cmdlets, the allowlist.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import type { ExchangeError } from '../src/ports.js';
import { gatewayConformance } from './gateway-conformance.js';
import { realPwshTests, realSetup } from './support/real-pwsh.js';

const real = realPwshTests('pwsh-gateway');

function ok<A>(e: Either<ExchangeError, A>, what = 'call'): A {
  if (isLeft(e)) throw new Error(`${what} failed: ${JSON.stringify(e.left)}`);
  return e.right;
}

if (real.available) {
  gatewayConformance('powershell gateway (real pwsh, Exchange stand-in)', async () => {
    const s = await realSetup({ devices: 24, seed: 7 });
    return {
      gateway: s.gateway,
      close: async () => {
        await s.close();
        if (s.fake.violations.length > 0) throw new Error(`script violations: ${s.fake.violations.join('; ')}`);
      },
    };
  });

  const own = suite('powershell gateway in real pwsh: objects, versions, RBAC');

  own(
    "deserialized Exchange objects (DateTime in UTC and local time, enums, identities, lists) project to the simulator's facts",
    async () => {
      const s = await realSetup({ devices: 30, seed: 11 });
      try {
        const sim = s.sim.exchange;
        assert.equal(ok(await s.gateway.getMobileDevices()), ok(await sim.getMobileDevices()), 'devices');
        assert.equal(ok(await s.gateway.getCasMailboxes()), ok(await sim.getCasMailboxes()), 'mailboxes, UPNs joined from Get-User');
        assert.equal(ok(await s.gateway.getOrgSettings()), ok(await sim.getOrgSettings()), 'org settings');
        assert.equal(ok(await s.gateway.getDeviceAccessRules()), ok(await sim.getDeviceAccessRules()), 'rules');
        assert.equal(ok(await s.gateway.getExchangeServers()), ok(await sim.getExchangeServers()), 'servers');
        assert.ok(
          s.fake.calls.some((c) => c.op === 'Set-ADServerSettings' && c.splat['ViewEntireForest'] === true),
          'Set-ADServerSettings -ViewEntireForest $true at start',
        );
        assert.equal(s.fake.violations, []);
      } finally {
        await s.close();
      }
    },
  );

  own('Exchange 2010: partnerships come from Get-ActiveSyncDevice (Get-MobileDevice is not imported)', async () => {
    const s = await realSetup({ exchange: { version: 2010 } });
    try {
      assert.equal(ok(await s.gateway.getMobileDevices()), ok(await s.sim.exchange.getMobileDevices()));
      const ops = new Set(s.fake.calls.map((c) => c.op));
      assert.ok(ops.has('Get-ActiveSyncDevice') && !ops.has('Get-MobileDevice'));
    } finally {
      await s.close();
    }
  });

  own('without Get-User in RBAC, mailboxes come without UPN and a warning says why', async () => {
    const s = await realSetup({ exchange: { noGetUser: true } });
    try {
      const mailboxes = ok(await s.gateway.getCasMailboxes());
      assert.ok(mailboxes.length > 0 && mailboxes.every((m) => m.userPrincipalName === undefined));
      assert.ok(s.logs.some((l) => l.event === 'noUserPrincipalNames'));
      assert.ok(!s.fake.calls.some((c) => c.op === 'Get-User'), 'not even tried');
    } finally {
      await s.close();
    }
  });

  own('RBAC granting the wipe, delete and statistics cmdlets: the script imports those of its allowlist, not Get-Recipient', async () => {
    const s = await realSetup({
      exchange: { extraCmdlets: ['Clear-MobileDevice', 'Remove-MobileDevice', 'Get-MobileDeviceStatistics', 'Get-Recipient'] },
    });
    try {
      ok(await s.gateway.getOrgSettings());
      const hello = s.logs.find((l) => l.event === 'sessionStarted');
      assert.ok(hello, 'connected');
      assert.match(hello.message, /16 cmdlets/, 'the 12 operations granted by default, the three granted here, Set-ADServerSettings');
      assert.equal(s.fake.violations, []);
    } finally {
      await s.close();
    }
  });

  own('statistics, a wipe (with -AccountOnly), a removal and their refusals through real pwsh, as the simulator answers them', async () => {
    const s = await realSetup({
      devices: 12,
      seed: 5,
      exchange: { extraCmdlets: ['Clear-MobileDevice', 'Remove-MobileDevice', 'Get-MobileDeviceStatistics'] },
    });
    try {
      const sim = s.sim.exchange;
      const [a, b] = ok(await sim.getMobileDevices());
      const mailbox = ok(await sim.getCasMailboxes())[0]!.identity;
      assert.equal(
        ok(await s.gateway.getMobileDeviceStatistics!({ mailbox })),
        ok(await sim.getMobileDeviceStatistics({ mailbox })),
        'a mailbox: LastSuccessSync, Status and wipe times as dates and enums',
      );
      ok(
        await s.gateway.execute({
          kind: 'clearMobileDevice',
          identity: a!.identity,
          deviceId: a!.deviceId,
          mailbox: '',
          accountOnly: true,
          wipeId: 'w1',
        }),
      );
      const st = ok(await s.gateway.getMobileDeviceStatistics!({ identity: a!.identity }));
      assert.equal(st, ok(await sim.getMobileDeviceStatistics({ identity: a!.identity })));
      assert.ok(st[0]!.deviceWipeRequestTime !== undefined, 'Exchange stamped the request');
      assert.ok(
        s.fake.calls.some((c) => c.op === 'Clear-MobileDevice' && c.splat['AccountOnly'] === true && c.splat['Confirm'] === false),
        '-AccountOnly and -Confirm:$false reached the cmdlet',
      );
      ok(await s.gateway.execute({ kind: 'removeMobileDevice', identity: b!.identity, deviceId: b!.deviceId, mailbox: '' }));
      assert.is(sim.device(b!.deviceId), undefined, 'the partnership is gone');
      const gone = await s.gateway.getMobileDeviceStatistics!({ identity: b!.identity });
      assert.is(isLeft(gone) && gone.left.kind, 'notFound', 'statistics of a removed partnership: notFound');
      const again = await s.gateway.execute({ kind: 'removeMobileDevice', identity: b!.identity, deviceId: b!.deviceId, mailbox: '' });
      assert.is(isLeft(again) && again.left.kind, 'notFound', 'removing it again: notFound');
      assert.equal(s.fake.violations, []);
    } finally {
      await s.close();
    }
  });

  own(
    'an account without the wipe cmdlets gets a clear error, and Exchange 2010 refuses -AccountOnly before calling anything',
    async () => {
      const s = await realSetup({ devices: 6, seed: 3 });
      try {
        const [a] = ok(await s.sim.exchange.getMobileDevices());
        const r = await s.gateway.execute({
          kind: 'clearMobileDevice',
          identity: a!.identity,
          deviceId: a!.deviceId,
          mailbox: '',
          accountOnly: false,
          wipeId: 'w',
        });
        assert.ok(isLeft(r), 'refused');
        assert.is(s.sim.exchange.statistics(a!.deviceId)?.deviceWipeRequestTime, undefined, 'no wipe recorded');
      } finally {
        await s.close();
      }
      const old = await realSetup({ devices: 6, seed: 3, exchange: { version: 2010, extraCmdlets: ['Clear-ActiveSyncDevice'] } });
      try {
        const [a] = ok(await old.sim.exchange.getMobileDevices());
        const r = await old.gateway.execute({
          kind: 'clearMobileDevice',
          identity: a!.identity,
          deviceId: a!.deviceId,
          mailbox: '',
          accountOnly: true,
          wipeId: 'w',
        });
        assert.ok(isLeft(r) && /2016 or later/.test(r.left.message), 'named what is missing');
        ok(
          await old.gateway.execute({
            kind: 'clearMobileDevice',
            identity: a!.identity,
            deviceId: a!.deviceId,
            mailbox: '',
            accountOnly: false,
            wipeId: 'w',
          }),
          'a full wipe through Clear-ActiveSyncDevice',
        );
        assert.ok(
          old.fake.calls.some((c) => c.op === 'Clear-ActiveSyncDevice'),
          'the 2010 name was used',
        );
      } finally {
        await old.close();
      }
    },
  );

  own.run();
}

import { test } from 'uvu';
test.run();
