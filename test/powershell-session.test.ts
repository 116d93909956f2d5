// The PowerShell gateway's processes: framing amid noise, timeouts, crashes,
// recycling, failover, quota accounting and leaks, and where credentials may
// (stdin) and may not (argv, environment, errors, logs) appear. Real child
// processes (the fake-pwsh stand-in); timeouts here only detect hangs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight, type Either } from 'fp-ts/lib/Either.js';
import type { ExchangeError } from '../src/ports.js';
import type { ExchangeCommand } from '../src/commands.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { powershellGateway } from '../adapters/powershell/gateway.js';
import { envCredentials } from '../adapters/powershell/credentials.js';
import { SCRIPT } from '../adapters/powershell/scripts.js';
import { ENCODED_SCRIPT, PWSH_ARGS } from '../adapters/powershell/session.js';
import { alive, aliveAfter, FAKE_PWSH, fakeSetup, TEST_PASSWORD, TEST_USER, type FakeSetup } from './support/fake-pwsh-harness.js';

function ok<A>(e: Either<ExchangeError, A>, what = 'call'): A {
  if (isLeft(e)) throw new Error(`${what} failed: ${JSON.stringify(e.left)}`);
  return e.right;
}
function err<A>(e: Either<ExchangeError, A>, what = 'call'): ExchangeError {
  if (isRight(e)) throw new Error(`${what} should have failed`);
  return e.left;
}

const allow = (mailbox: string, id: string): ExchangeCommand => ({
  kind: 'setCasMailbox',
  mailbox,
  allowedDeviceIds: { add: [id], remove: [] },
  blockedDeviceIds: { add: [], remove: [] },
});

/** Waits for `cond` (polling); fails only if it never holds (a hang detector, not a timing assertion). */
async function until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((res) => setTimeout(res, 10));
  }
}

async function firstMailbox(s: FakeSetup): Promise<string> {
  return s.sim.exchange.state().mailboxes[0]!.identity;
}

/** Every spawned process is gone and Exchange has no session of ours open. */
async function assertNoLeaks(s: FakeSetup): Promise<void> {
  const st = s.gateway.stats();
  assert.is(st.processes, 0, 'no PowerShell process left in the pool');
  for (const sp of s.spawned) assert.not.ok(alive(sp.child.pid), `process ${sp.child.pid} is gone`);
  // A killed process's socket reaches the fake Exchange's host a moment after the process is gone (a
  // loaded machine delays it): wait for that event, boundedly, rather than read the count too early.
  const deadline = Date.now() + 10_000;
  while (s.fake.sessions.open !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.is(s.fake.sessions.open, 0, 'no remote session left open on Exchange');
}

test('argv is the constant script and fixed flags; the credential travels only on stdin', async () => {
  const s = await fakeSetup();
  try {
    ok(await s.gateway.getOrgSettings());
    assert.is(s.spawned.length, 1);
    const sp = s.spawned[0]!;
    assert.equal(sp.args, [FAKE_PWSH, ...PWSH_ARGS, '-EncodedCommand', ENCODED_SCRIPT]);
    assert.is(Buffer.from(sp.args.at(-1)!, 'base64').toString('utf16le'), SCRIPT);
    const argv = sp.args.join(' ');
    for (const secret of [TEST_PASSWORD, TEST_USER, Buffer.from(TEST_PASSWORD, 'utf16le').toString('base64')]) {
      assert.not.ok(argv.includes(secret), 'no credential in argv');
    }
    assert.not.ok(
      Object.values(sp.env).some((v) => v?.includes(TEST_PASSWORD)),
      'no credential in the child environment',
    );
    assert.is(s.fake.connects[0]!.script, SCRIPT, 'the child ran the constant');
    assert.is(s.fake.connects[0]!.username, TEST_USER, 'the credential arrived intact over stdin');
    assert.is(s.fake.connects[0]!.envHasPassword, false);
    const first = JSON.parse(sp.stdin[0]!) as Record<string, unknown>;
    assert.is(first['t'], 'connect');
    assert.not.ok(sp.stdin.join('').includes(TEST_PASSWORD), 'even on stdin the password is not plain text');
    assert.ok(s.gateway.servers().length === 1);
  } finally {
    await s.close();
  }
  await assertNoLeaks(s);
});

test('envCredentials: read at connect time, scrubbed from the child environment, named (not shown) when missing', async () => {
  const vars = { EAS_T_USER: TEST_USER, EAS_T_PASS: TEST_PASSWORD };
  Object.assign(process.env, vars);
  const s = await fakeSetup({ gateway: { credentials: envCredentials({ username: 'EAS_T_USER', password: 'EAS_T_PASS' }) } });
  try {
    ok(await s.gateway.getOrgSettings());
    const env = s.spawned[0]!.env;
    assert.is(env['EAS_T_PASS'], undefined);
    assert.is(env['EAS_T_USER'], undefined);
    assert.is(s.fake.connects[0]!.envHasPassword, false);
  } finally {
    await s.close();
    delete process.env['EAS_T_USER'];
    delete process.env['EAS_T_PASS'];
  }
  const missing = await fakeSetup({ gateway: { credentials: envCredentials({ username: 'EAS_T_USER', password: 'EAS_T_PASS' }) } });
  try {
    const e = err(await missing.gateway.getOrgSettings());
    assert.is(e.kind, 'accessDenied');
    assert.match(e.message, /EAS_T_USER and EAS_T_PASS/);
    assert.is(missing.spawned.length, 0, 'no process without a credential');
  } finally {
    await missing.close();
  }
});

test('a wrong credential is accessDenied; a server echoing the password cannot leak it into errors or logs', async () => {
  const s = await fakeSetup({ exchange: { expectPassword: 'something else', echoSecrets: true } });
  try {
    const e = err(await s.gateway.execute(allow(await firstMailbox(s), 'X1')));
    assert.is(e.kind, 'accessDenied');
    assert.match(e.message, /Access is denied/);
    assert.match(e.message, /\*\*\*/, 'the echoed password was redacted');
    const everything = JSON.stringify(e) + JSON.stringify(s.logs);
    assert.not.ok(everything.includes(TEST_PASSWORD), 'no password in errors or logs');
    assert.not.ok(everything.includes('svc-eas'), 'no account name either');
    assert.not.ok(everything.includes(Buffer.from(TEST_PASSWORD, 'utf16le').toString('base64')));
  } finally {
    await s.close();
  }
  await assertNoLeaks(s);
});

test('noise on stdout and stderr (warnings, banners, ANSI, foreign frames) is ignored', async () => {
  const s = await fakeSetup({ env: { FAKE_PWSH_NOISE: '1' } });
  try {
    const devices = ok(await s.gateway.getMobileDevices());
    assert.equal(devices, ok(await s.sim.exchange.getMobileDevices()));
    ok(await s.gateway.execute(allow(await firstMailbox(s), 'NoisyId1')));
    assert.ok(
      s.logs.some((l) => l.event === 'noise'),
      'noise was seen and logged',
    );
    assert.ok(s.logs.some((l) => l.event === 'stderr'));
    assert.is(s.gateway.stats().killed, 0, 'nobody was killed for noise');
  } finally {
    await s.close();
  }
  await assertNoLeaks(s);
});

test('a hung command is killed after its timeout, fails retryably, and the next one runs on a new process', async () => {
  const s = await fakeSetup({ gateway: { commandTimeoutMs: 2_000 } });
  try {
    const mailbox = await firstMailbox(s);
    ok(await s.gateway.execute(allow(mailbox, 'Before1')));
    const firstPid = s.spawned[0]!.child.pid;
    s.fake.fault({ op: 'Set-CasMailbox', kind: 'hang' });
    const e = err(await s.gateway.execute(allow(mailbox, 'Hung1')));
    assert.is(e.kind, 'connectionLost');
    assert.match(e.message, /Set-CasMailbox got no answer .* killed/);
    ok(await s.gateway.execute(allow(mailbox, 'After1')));
    assert.is(s.spawned.length, 2, 'replaced by a new process');
    assert.not.ok(alive(firstPid), 'the hung process is gone');
    const st = s.gateway.stats();
    assert.is(st.killed, 1);
    assert.is(st.abandoned, 1, 'its remote session is counted as left open');
    assert.is(s.fake.sessions.abandoned, 1);
  } finally {
    await s.close();
  }
  await assertNoLeaks(s);
});

test('a hung or crashed read is retried on a fresh session; without retries it fails retryably', async () => {
  const s = await fakeSetup({ gateway: { commandTimeoutMs: 2_000, readRetries: 1 } });
  try {
    s.fake.fault({ op: 'Get-ActiveSyncDeviceAccessRule', kind: 'hang' });
    assert.equal(ok(await s.gateway.getDeviceAccessRules()), ok(await s.sim.exchange.getDeviceAccessRules()));
    s.fake.fault({ op: 'Get-MobileDevice', kind: 'dieAfterChunk' });
    assert.equal(ok(await s.gateway.getMobileDevices()), ok(await s.sim.exchange.getMobileDevices()));
    assert.is(s.gateway.stats().killed, 1, 'only the hung one needed killing');
  } finally {
    await s.close();
  }
  await assertNoLeaks(s);
  const n = await fakeSetup({ gateway: { readRetries: 0 } });
  try {
    n.fake.fault({ op: 'Get-MobileDevice', kind: 'dieAfterChunk' });
    const e = err(await n.gateway.getMobileDevices());
    assert.is(e.kind, 'connectionLost', 'partial output is discarded, never returned');
    assert.match(e.message, /exited .* during Get-MobileDevice/);
    assert.is(ok(await n.gateway.getMobileDevices()).length, 24);
  } finally {
    await n.close();
  }
  await assertNoLeaks(n);
});

test('a process that dies mid-command, a corrupt frame and a broken remote session each fail that command retryably', async () => {
  const s = await fakeSetup();
  try {
    const mailbox = await firstMailbox(s);
    for (const kind of ['die', 'corrupt', 'brokenSession'] as const) {
      s.fake.fault({ op: 'Set-CasMailbox', kind });
      const e = err(await s.gateway.execute(allow(mailbox, `X-${kind}`)), kind);
      assert.is(e.kind, 'connectionLost', kind);
      ok(await s.gateway.execute(allow(mailbox, `Y-${kind}`)), `after ${kind}`);
    }
    assert.is(s.spawned.length, 4);
    assert.is(s.fake.sessions.abandoned, 2, 'die and corrupt left their sessions; the broken one was removed');
    const m = s.sim.exchange.mailbox(mailbox)!;
    assert.ok(['Y-die', 'Y-corrupt', 'Y-brokenSession'].every((id) => m.allowedDeviceIds.includes(id)));
  } finally {
    await s.close();
  }
  await assertNoLeaks(s);
});

test('a process that dies at start is connectionLost and leaves nothing behind', async () => {
  const s = await fakeSetup({ env: { FAKE_PWSH_DIE_AT_START: '1' }, gateway: { readRetries: 1 } });
  try {
    const e = err(await s.gateway.getOrgSettings());
    assert.is(e.kind, 'connectionLost');
    assert.match(e.message, /before connecting: fake-pwsh: dying at start/);
    assert.is(s.spawned.length, 2, 'the read was retried once');
  } finally {
    await s.close();
  }
  await assertNoLeaks(s);
});

test('a missing pwsh is a clear error, not a crash', async () => {
  const sim = simulateOrganization({ devices: 12 });
  const g = powershellGateway({ server: 'cas01.contoso.com', pwshPath: '/nonexistent/pwsh-7', readRetries: 0 });
  const e = err(await g.getOrgSettings());
  assert.is(e.kind, 'other');
  assert.match(e.message, /cannot start PowerShell \(\/nonexistent\/pwsh-7: ENOENT\): install PowerShell 7 or set pwshPath/);
  await g.close();
  assert.is(g.stats().processes, 0);
  void sim;
});

test('sessions are recycled (Remove-PSSession) after maxCommandsPerSession; old processes are gone', async () => {
  const s = await fakeSetup({ gateway: { maxCommandsPerSession: 3 } });
  try {
    const mailbox = await firstMailbox(s);
    for (let i = 0; i < 10; i++) ok(await s.gateway.execute(allow(mailbox, `R${i}`)));
    assert.is(s.spawned.length, 4, '10 commands, 3 per session');
    assert.is(s.gateway.stats().recycled, 3);
    for (const sp of s.spawned.slice(0, 3)) assert.not.ok(await aliveAfter(sp.child.pid, 10_000), 'recycled processes exited');
    assert.is(s.fake.sessions.removed, 3, 'each recycled session was removed on Exchange');
    assert.is(s.fake.sessions.abandoned, 0);
    const counts = new Map<number, number>();
    for (const c of s.fake.calls) counts.set(c.session, (counts.get(c.session) ?? 0) + 1);
    assert.ok(
      [...counts.values()].every((n) => n <= 3),
      'no session ran more than 3 commands',
    );
  } finally {
    await s.close();
  }
  await assertNoLeaks(s);
  assert.is(s.fake.sessions.removed, 4);
});

test('parallel sessions stay within maxConcurrency − 2, survive faults, and never leak', async () => {
  const s = await fakeSetup({
    devices: 40,
    gateway: { parallelism: 10, maxConcurrency: 6, commandTimeoutMs: 2_000, maxCommandsPerSession: 7 },
  });
  try {
    assert.ok(
      s.logs.some((l) => l.event === 'parallelismCapped'),
      'parallelism 10 capped at 4',
    );
    const mailboxes = s.sim.exchange.state().mailboxes.map((m) => m.identity);
    s.fake.fault({ op: 'Set-CasMailbox', kind: 'die', times: 2 });
    s.fake.fault({ op: 'Set-CasMailbox', kind: 'hang' });
    s.fake.fault({ op: 'Set-CasMailbox', kind: 'delay', delayMs: 50, times: 5 });
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => s.gateway.execute(allow(mailboxes[i % mailboxes.length]!, `P${i}`))),
    );
    const failed = results.filter(isLeft);
    assert.is(failed.length, 3, 'two deaths and one hang');
    assert.ok(failed.every((r) => r.left.kind === 'connectionLost'));
    const st = s.gateway.stats();
    assert.ok(st.maxInUse <= 4, `at most 4 sessions counted at once, saw ${st.maxInUse}`);
    assert.ok(s.fake.sessions.maxOpen <= 4, `Exchange saw at most 4 open sessions, saw ${s.fake.sessions.maxOpen}`);
    assert.ok(st.processes <= 4);
    const reads = await Promise.all([
      s.gateway.getMobileDevices(),
      s.gateway.getCasMailboxes(),
      s.gateway.getOrgSettings(),
      s.gateway.getDeviceAccessRules(),
    ]);
    assert.ok(reads.every((r) => r._tag === 'Right'));
  } finally {
    await s.close();
  }
  await assertNoLeaks(s);
});

test('sessions killed without Remove-PSSession keep counting against the quota until they expire', async () => {
  const s = await fakeSetup({ gateway: { maxConcurrency: 4, parallelism: 2, abandonedSessionTtlMs: 60_000, readRetries: 0 } });
  try {
    const mailbox = await firstMailbox(s);
    s.fake.fault({ op: 'Set-CasMailbox', kind: 'die', times: 2 });
    assert.is(err(await s.gateway.execute(allow(mailbox, 'A'))).kind, 'connectionLost');
    assert.is(err(await s.gateway.execute(allow(mailbox, 'B'))).kind, 'connectionLost');
    const e = err(await s.gateway.execute(allow(mailbox, 'C')));
    assert.is(e.kind, 'throttled', 'both slots are held by abandoned sessions');
    assert.ok(e.kind === 'throttled' && e.waitMs > 1_000);
    assert.is(s.gateway.stats().abandonedOpen, 2);
  } finally {
    await s.close();
  }
  await assertNoLeaks(s);
});

test('Exchange errors map to typed errors: user load quota (wait), shells quota, notFound, accessDenied', async () => {
  const s = await fakeSetup({ gateway: { readRetries: 0, shellQuotaWaitMs: 4_321 } });
  try {
    const mailbox = await firstMailbox(s);
    s.sim.exchange.failNext(
      1,
      {
        kind: 'throttled',
        waitMs: 0,
        message:
          'The user load quota of 1000 requests per 60 seconds has been exceeded. Send future requests at a slower rate or raise the quota for this user. The next request from this user will not be approved for at least 1234 milliseconds.',
      },
      { cmdlet: 'Set-CasMailbox' },
    );
    assert.equal(err(await s.gateway.execute(allow(mailbox, 'Q'))).kind, 'throttled');
    s.sim.exchange.failNext(
      1,
      {
        kind: 'throttled',
        waitMs: 0,
        message:
          'The user load quota of 10 requests per 1 seconds has been exceeded. The next request from this user will not be approved for at least 1234 milliseconds.',
      },
      { cmdlet: 'Set-CasMailbox' },
    );
    const q = err(await s.gateway.execute(allow(mailbox, 'Q')));
    assert.ok(q.kind === 'throttled' && q.waitMs === 1234, JSON.stringify(q));
    s.sim.exchange.failNext(1, {
      kind: 'throttled',
      waitMs: 0,
      message:
        'The WS-Management service cannot process the request. This user is allowed a maximum number of 18 concurrent shells, which has been exceeded.',
    });
    const sh = err(await s.gateway.getOrgSettings());
    assert.ok(sh.kind === 'throttled' && sh.waitMs === 4_321, JSON.stringify(sh));
    s.sim.exchange.failNext(1, { kind: 'accessDenied', message: 'svc-eas' }, { cmdlet: 'Set-CasMailbox' });
    assert.is(err(await s.gateway.execute(allow(mailbox, 'D'))).kind, 'accessDenied');
    assert.is(err(await s.gateway.execute(allow('contoso.com/Users/Nobody', 'E'))).kind, 'notFound');
    s.sim.exchange.failNext(1, { kind: 'other', message: 'Something else went wrong.' }, { cmdlet: 'Get-ExchangeServer' });
    assert.equal(err(await s.gateway.getExchangeServers()), { kind: 'other', message: 'Something else went wrong.' });
    assert.is(s.spawned.length, 1, 'cmdlet errors do not cost the session');
  } finally {
    await s.close();
  }
  await assertNoLeaks(s);
});

test("connecting beyond the account's concurrent shells is throttled; reads wait and retry", async () => {
  const s = await fakeSetup({ exchange: { maxShells: 0 }, gateway: { readRetries: 1, shellQuotaWaitMs: 10 } });
  try {
    const e = err(await s.gateway.getOrgSettings());
    assert.ok(e.kind === 'throttled' && e.waitMs === 10);
    assert.match(e.message, /maximum number of 0 concurrent shells/);
    assert.is(s.spawned.length, 2, 'one retry after the wait');
  } finally {
    await s.close();
  }
  await assertNoLeaks(s);
});

test('autoFailover: discovered servers take over when the primary stops answering; the primary is probed back', async () => {
  const s = await fakeSetup({ gateway: { autoFailover: true, maxCommandsPerSession: 2, probeIntervalMs: 0 } });
  try {
    const mailbox = await firstMailbox(s);
    ok(await s.gateway.execute(allow(mailbox, 'F1')));
    assert.equal(s.gateway.servers(), ['cas01.contoso.com', 'cas02.contoso.com'], 'cas02 discovered after the first connection');
    assert.is(s.gateway.currentServer(), 'cas01.contoso.com');
    s.fake.down.add('cas01.contoso.com');
    s.fake.fault({ kind: 'die' });
    assert.is(err(await s.gateway.execute(allow(mailbox, 'F2'))).kind, 'connectionLost');
    ok(await s.gateway.execute(allow(mailbox, 'F3')));
    assert.is(s.gateway.currentServer(), 'cas02.contoso.com');
    assert.ok(s.logs.some((l) => l.event === 'failover' && /switched to cas02/.test(l.message)));
    s.fake.down.clear();
    for (let i = 0; i < 4; i++) ok(await s.gateway.execute(allow(mailbox, `F4-${i}`)));
    assert.is(s.gateway.currentServer(), 'cas01.contoso.com', 'back on the primary after a recycle');
    assert.ok(s.logs.some((l) => l.event === 'primaryRestored'));
    assert.equal([...new Set(s.fake.connects.filter((c) => c.ok).map((c) => c.server))].sort(), ['cas01.contoso.com', 'cas02.contoso.com']);
  } finally {
    await s.close();
  }
  await assertNoLeaks(s);
});

test("without autoFailover a down server is just connectionLost (the engine's failover decides)", async () => {
  const s = await fakeSetup({ exchange: { down: ['cas01.contoso.com'] }, gateway: { servers: ['cas02.contoso.com'], readRetries: 0 } });
  try {
    const e = err(await s.gateway.getOrgSettings());
    assert.is(e.kind, 'connectionLost');
    assert.ok(e.kind === 'connectionLost' && e.server === 'cas01.contoso.com');
    assert.match(e.message, /WinRM cannot complete the operation/);
    assert.is(s.fake.connects.length, 1, 'cas02 was not tried');
  } finally {
    await s.close();
  }
  await assertNoLeaks(s);
});

test('openSession: a held session that hangs or dies fails with sessionBroken; the next session works', async () => {
  const s = await fakeSetup({ gateway: { commandTimeoutMs: 2_000 } });
  try {
    const mailbox = await firstMailbox(s);
    for (const kind of ['hang', 'die', 'brokenSession'] as const) {
      const session = ok(await s.gateway.openSession(), 'openSession');
      assert.is(session.server, 'cas01.contoso.com');
      ok(await session.execute(allow(mailbox, `Held-${kind}-1`)));
      s.fake.fault({ op: 'Set-CasMailbox', kind });
      assert.is(err(await session.execute(allow(mailbox, `Held-${kind}-2`)), kind).kind, 'sessionBroken', kind);
      assert.is(err(await session.execute(allow(mailbox, `Held-${kind}-3`)), `${kind}, again`).kind, 'sessionBroken');
      await session.close();
      const next = ok(await s.gateway.openSession(), 'a new session');
      ok(await next.execute(allow(mailbox, `Held-${kind}-4`)));
      await next.close();
    }
  } finally {
    await s.close();
  }
  await assertNoLeaks(s);
});

test('a held session given back is kept for the next caller with what it did; one given back to retire is ended', async () => {
  const s = await fakeSetup({});
  try {
    const mailbox = await firstMailbox(s);
    const a = ok(await s.gateway.openSession());
    ok(await a.execute(allow(mailbox, 'Kept-1')));
    ok(await a.execute(allow(mailbox, 'Kept-2')));
    const idle = s.gateway.stats().idle;
    await a.close();
    assert.is(s.gateway.stats().idle, idle + 1, 'kept: idle');
    const spawned = s.gateway.stats().spawned;
    const b = ok(await s.gateway.openSession());
    assert.is(s.gateway.stats().spawned, spawned, 'no new session: the kept one');
    assert.ok(b.used !== undefined && b.used.commands >= 2, `its commands so far come with it (${JSON.stringify(b.used)})`);
    ok(await b.execute(allow(mailbox, 'Kept-3')));
    await b.close({ retire: true });
    assert.is(s.gateway.stats().idle, idle, 'retired: not kept');
    const c = ok(await s.gateway.openSession());
    assert.ok(
      c.used !== undefined && c.used.commands < 2,
      `a session that never ran the retired one's commands (${JSON.stringify(c.used)})`,
    );
    ok(await c.execute(allow(mailbox, 'Kept-4')));
    await c.close();
  } finally {
    await s.close();
  }
  await assertNoLeaks(s);
});

test('held sessions count against the quota: a session beyond it waits until one is closed', async () => {
  const s = await fakeSetup({ gateway: { maxConcurrency: 4 } });
  try {
    const mailbox = await firstMailbox(s);
    const a = ok(await s.gateway.openSession());
    const b = ok(await s.gateway.openSession());
    let third: unknown;
    const pending = s.gateway.openSession().then((r) => (third = r));
    const read = s.gateway.getOrgSettings();
    await new Promise((res) => setTimeout(res, 200));
    assert.is(third, undefined, 'no third session while two are held (maxConcurrency 4 − 2)');
    ok(await a.execute(allow(mailbox, 'Q1')));
    await a.close();
    const c = ok(await pending);
    ok(await c.execute(allow(mailbox, 'Q2')));
    await Promise.all([b.close(), c.close()]);
    ok(await read, 'the read got a session too');
    assert.ok(s.gateway.stats().maxInUse <= 2, `at most 2 sessions counted, saw ${s.gateway.stats().maxInUse}`);
    assert.ok(s.fake.sessions.maxOpen <= 2);
  } finally {
    await s.close();
  }
  await assertNoLeaks(s);
});

test('switchServer: new sessions go to the new server, old ones are recycled; a down server refuses and nothing changes', async () => {
  const s = await fakeSetup({ exchange: { down: ['cas02.contoso.com'] } });
  try {
    ok(await s.gateway.getOrgSettings());
    const e = err(await s.gateway.switchServer('cas02.contoso.com'));
    assert.ok(e.kind === 'connectionLost' && e.server === 'cas02.contoso.com');
    assert.is(s.gateway.currentServer(), 'cas01.contoso.com');
    s.fake.down.clear();
    ok(await s.gateway.switchServer('cas02.contoso.com'));
    assert.is(s.gateway.currentServer(), 'cas02.contoso.com');
    ok(await s.gateway.getDeviceAccessRules());
    const servers = s.fake.calls.map((c) => s.fake.connects.find((x) => x.session === c.session)!.server);
    assert.equal(servers, ['cas01.contoso.com', 'cas02.contoso.com']);
    await until(() => s.gateway.stats().closing === 0, 'the cas01 session closes');
    assert.is(s.fake.sessions.open, 1, 'the session on cas01 was removed');
    assert.is(err(await s.gateway.switchServer('bad name; rm -rf')).kind, 'other');
  } finally {
    await s.close();
  }
  await assertNoLeaks(s);
});

test('close: waits for the running command, removes every session, then refuses calls', async () => {
  const s = await fakeSetup({ gateway: { parallelism: 3 } });
  const mailbox = await firstMailbox(s);
  s.fake.fault({ op: 'Set-CasMailbox', kind: 'delay', delayMs: 300 });
  const running = s.gateway.execute(allow(mailbox, 'Late1'));
  await Promise.all([s.gateway.getOrgSettings(), s.gateway.getDeviceAccessRules()]);
  await until(() => s.fake.calls.some((c) => c.op === 'Set-CasMailbox'), 'the command is running');
  await s.close();
  ok(await running, 'the running command finished');
  await assertNoLeaks(s);
  assert.is(s.fake.sessions.abandoned, 0);
  assert.equal(err(await s.gateway.getOrgSettings()), { kind: 'other', message: 'the PowerShell gateway is closed' });
  await s.gateway.close(); // twice is harmless
});

test.run();
