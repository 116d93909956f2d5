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

  own('RBAC granting the wipe and delete cmdlets: the script still imports only its allowlist', async () => {
    const s = await realSetup({
      exchange: { extraCmdlets: ['Clear-MobileDevice', 'Remove-MobileDevice', 'Get-MobileDeviceStatistics', 'Get-Recipient'] },
    });
    try {
      ok(await s.gateway.getOrgSettings());
      const hello = s.logs.find((l) => l.event === 'sessionStarted');
      assert.ok(hello, 'connected');
      assert.match(hello.message, /13 cmdlets/, 'the 12 operations and Set-ADServerSettings, nothing more');
      assert.equal(s.fake.violations, []);
    } finally {
      await s.close();
    }
  });

  own.run();
}

import { test } from 'uvu';
test.run();
