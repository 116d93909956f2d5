// The PowerShell gateway, spawning the fake-pwsh stand-in, passes the same
// conformance suite as the simulator, plus the behaviour only it has: output
// shapes, noise, 2010 cmdlets, UPNs from Get-User, CAS failover.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import type { ExchangeError } from '../src/ports.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { gatewayConformance } from './gateway-conformance.js';
import { fakeSetup } from './support/fake-pwsh-harness.js';

gatewayConformance('powershell gateway (fake pwsh, mixed 5.1/7 shapes)', async () => {
  const s = await fakeSetup({ devices: 24, seed: 7 });
  return {
    gateway: s.gateway,
    close: async () => {
      await s.close();
      if (s.fake.violations.length > 0) throw new Error(`script violations: ${s.fake.violations.join('; ')}`);
    },
  };
});

// ------------------------------------------------------------------ only the PowerShell gateway

const own = suite('powershell gateway: shapes, versions, RBAC, decoding');

function ok<A>(e: Either<ExchangeError, A>, what = 'call'): A {
  if (isLeft(e)) throw new Error(`${what} failed: ${JSON.stringify(e.left)}`);
  return e.right;
}

own("PowerShell 5.1 and 7 output shapes decode to the simulator's own facts", async () => {
  for (const shapes of ['ps51', 'ps7']) {
    const s = await fakeSetup({ devices: 30, seed: 11, env: { FAKE_PWSH_SHAPES: shapes } });
    try {
      const sim = s.sim.exchange;
      assert.equal(ok(await s.gateway.getMobileDevices()), ok(await sim.getMobileDevices()), `${shapes} devices`);
      assert.equal(
        ok(await s.gateway.getCasMailboxes()),
        ok(await sim.getCasMailboxes()),
        `${shapes} mailboxes, UPNs joined from Get-User`,
      );
      assert.equal(ok(await s.gateway.getOrgSettings()), ok(await sim.getOrgSettings()), `${shapes} org settings`);
      assert.equal(ok(await s.gateway.getDeviceAccessRules()), ok(await sim.getDeviceAccessRules()), `${shapes} rules`);
      assert.equal(ok(await s.gateway.getExchangeServers()), ok(await sim.getExchangeServers()), `${shapes} servers`);
      assert.equal(s.fake.violations, []);
    } finally {
      await s.close();
    }
  }
});

own('Exchange 2010: partnerships come from Get-ActiveSyncDevice', async () => {
  const s = await fakeSetup({ exchange: { version: 2010 } });
  try {
    assert.equal(ok(await s.gateway.getMobileDevices()), ok(await s.sim.exchange.getMobileDevices()));
    const ops = new Set(s.fake.calls.map((c) => c.op));
    assert.ok(ops.has('Get-ActiveSyncDevice') && !ops.has('Get-MobileDevice'));
  } finally {
    await s.close();
  }
});

own('without Get-User (RBAC), mailboxes come without UPN and a warning says why', async () => {
  const s = await fakeSetup({ exchange: { noGetUser: true } });
  try {
    const mailboxes = ok(await s.gateway.getCasMailboxes());
    assert.ok(mailboxes.length > 0 && mailboxes.every((m) => m.userPrincipalName === undefined));
    assert.ok(s.logs.some((l) => l.event === 'noUserPrincipalNames'));
    assert.ok(!s.fake.calls.some((c) => c.op === 'Get-User'), 'not even tried');
  } finally {
    await s.close();
  }
});

own('a record that cannot be decoded fails the read as invalidOutput with its path', async () => {
  const s = await fakeSetup();
  try {
    const mailbox = s.sim.exchange.state().mailboxes[0]!.identity;
    s.sim.exchange.addPartnership({ mailbox, deviceId: '   ' });
    const r = await s.gateway.getMobileDevices();
    assert.ok(isLeft(r) && r.left.kind === 'invalidOutput');
    assert.match(isLeft(r) ? r.left.message : '', /^Get-MobileDevice\[\d+\]\.DeviceId: must not be empty$/);
  } finally {
    await s.close();
  }
});

own('the stand-in also runs alone: its own simulated organization and faults from the environment', async () => {
  const s = await fakeSetup({
    gateway: { readRetries: 0 },
    env: {
      FAKE_PWSH_HOST: '',
      FAKE_PWSH_DEVICES: '15',
      FAKE_PWSH_SEED: '3',
      FAKE_PWSH_EXPECT_USER: 'CONTOSO\\svc-eas',
      FAKE_PWSH_FAULTS: JSON.stringify([{ op: 'Get-ActiveSyncDeviceAccessRule', kind: 'corrupt' }]),
    },
  });
  try {
    const expected = ok(await simulateOrganization({ devices: 15, seed: 3 }).exchange.getMobileDevices());
    assert.equal(ok(await s.gateway.getMobileDevices()), expected);
    const r = await s.gateway.getDeviceAccessRules();
    assert.ok(isLeft(r) && r.left.kind === 'connectionLost', 'the fault from the environment');
    assert.is(s.spawned.length, 1);
    assert.is(s.fake.calls.length, 0, 'the host was not used');
  } finally {
    await s.close();
  }
});

own.run();
