// The gateway's processes in real pwsh 7: where credentials may (stdin) and may
// not (command line, environment, stdout/stderr, errors, logs) be seen — read
// from /proc of the live pwsh children —, Exchange's failures as real PowerShell
// error records (quotas with their named wait, not found, access denied, a
// dropped connection, a broken session), noise from the remote session, a pwsh
// killed mid-command, a command that never answers.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { isLeft, isRight, type Either } from 'fp-ts/lib/Either.js';
import type { ExchangeError } from '../src/ports.js';
import type { ExchangeCommand } from '../src/commands.js';
import { alive, TEST_PASSWORD, TEST_USER } from './support/fake-pwsh-harness.js';
import { powershellPid, processTree, running, realPwshTests, realSetup, type RealSetup } from './support/real-pwsh.js';

const real = realPwshTests('pwsh-session');

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
const first = (s: RealSetup) => s.sim.exchange.state().mailboxes[0]!.identity;

async function until(cond: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`never happened: ${what}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

async function assertNoLeaks(s: RealSetup): Promise<void> {
  assert.is(s.gateway.stats().processes, 0, 'no pwsh left in the pool');
  for (const sp of s.spawned) assert.not.ok(alive(sp.child.pid), `pwsh ${sp.child.pid} is gone`);
  // PowerShell itself (under a launcher, its child) ends too: a killed one may take a moment to tear down
  for (const [session, pid] of s.host.pids)
    await until(() => !running(pid), `PowerShell ${pid} (session ${session}) ends, not orphaned`, 15_000);
  assert.is(s.fake.sessions.open, 0, 'no remote session left open on Exchange');
}

/** Raw stdout and stderr of every child, as the pipes carried them. */
function capture(s: RealSetup): () => string {
  const seen = new Set<number>();
  let text = '';
  const attach = () => {
    for (const sp of s.spawned) {
      if (seen.has(sp.child.pid ?? -1)) continue;
      seen.add(sp.child.pid ?? -1);
      sp.child.stdout?.on('data', (d: Buffer | string) => (text += String(d)));
      sp.child.stderr?.on('data', (d: Buffer | string) => (text += String(d)));
    }
  };
  const timer = setInterval(attach, 5);
  return () => {
    clearInterval(timer);
    attach();
    return text;
  };
}

if (real.available) {
  const t = suite('real pwsh sessions');

  t(
    'credentials: never in /proc/PID/cmdline or /proc/PID/environ of pwsh, nor its stdout/stderr, errors or logs; they arrive intact',
    async () => {
      const s = await realSetup({ gateway: { parallelism: 2 } });
      const output = capture(s);
      const forms = [TEST_PASSWORD, Buffer.from(TEST_PASSWORD, 'utf16le').toString('base64'), JSON.stringify(TEST_PASSWORD).slice(1, -1)];
      try {
        await Promise.all([s.gateway.getOrgSettings(), s.gateway.getDeviceAccessRules()]);
        ok(await s.gateway.execute(allow(first(s), 'Cred1')));
        const pids = s.gateway.stats().pids;
        assert.ok(pids.length >= 1);
        const tree = pids.flatMap(processTree);
        assert.ok(tree.length >= pids.length);
        for (const pid of tree) {
          const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
          const environ = readFileSync(`/proc/${pid}/environ`, 'utf8');
          assert.ok(cmdline.includes('-EncodedCommand'), "this is the gateway's pwsh (launcher or PowerShell)");
          for (const f of [...forms, TEST_USER]) {
            assert.not.ok(cmdline.includes(f), `no credential in /proc/${pid}/cmdline`);
            assert.not.ok(environ.includes(f), `no credential in /proc/${pid}/environ`);
          }
        }
        assert.ok(
          s.fake.connects.every((c) => c.ok && c.username === TEST_USER && !c.envHasPassword),
          'the credential arrived intact; pwsh saw it in no variable',
        );
      } finally {
        await s.close();
      }
      const text = output();
      assert.ok(text.includes('EASF1 '), 'the output was captured');
      for (const f of [...forms, TEST_USER]) assert.not.ok(text.includes(f), 'no credential on stdout or stderr');
      assert.not.ok(JSON.stringify(s.logs).includes(TEST_PASSWORD));
      await assertNoLeaks(s);
    },
  );

  t(
    "a wrong credential is accessDenied (New-PSSession's error record); a server echoing it cannot leak it into errors or logs",
    async () => {
      const s = await realSetup({ exchange: { expectPassword: 'something else', echoSecrets: true }, gateway: { readRetries: 0 } });
      try {
        const e = err(await s.gateway.execute(allow(first(s), 'X1')));
        assert.is(e.kind, 'accessDenied');
        assert.match(e.message, /Access is denied/);
        assert.match(e.message, /\*\*\*/, 'the echoed password was redacted');
        const everything = JSON.stringify(e) + JSON.stringify(s.logs);
        assert.not.ok(everything.includes(TEST_PASSWORD));
        assert.not.ok(everything.includes('svc-eas'));
      } finally {
        await s.close();
      }
      await assertNoLeaks(s);
    },
  );

  t(
    "Exchange's errors as PowerShell error records map to typed errors: user load quota (its named wait), shells quota, notFound, accessDenied, other",
    async () => {
      const s = await realSetup({ gateway: { readRetries: 0, shellQuotaWaitMs: 4_321 } });
      try {
        const mailbox = first(s);
        s.sim.exchange.failNext(
          1,
          {
            kind: 'throttled',
            waitMs: 0,
            message:
              'The user load quota of 10 requests per 1 seconds has been exceeded. Send future requests at a slower rate or raise the quota for this user. The next request from this user will not be approved for at least 1234 milliseconds.',
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
        s.sim.exchange.failNext(1, { kind: 'accessDenied', message: 'svc' }, { cmdlet: 'Set-CasMailbox' });
        assert.is(err(await s.gateway.execute(allow(mailbox, 'D'))).kind, 'accessDenied');
        assert.is(err(await s.gateway.execute(allow('contoso.com/Users/Nobody', 'E'))).kind, 'notFound');
        s.sim.exchange.failNext(1, { kind: 'other', message: 'Something else went wrong.' }, { cmdlet: 'Get-ExchangeServer' });
        assert.equal(err(await s.gateway.getExchangeServers()), { kind: 'other', message: 'Something else went wrong.' });
        assert.is(s.spawned.length, 1, 'cmdlet errors and quotas do not cost the session');
      } finally {
        await s.close();
      }
      await assertNoLeaks(s);
    },
  );

  t('throttled reads wait the time Exchange names, then succeed', async () => {
    const s = await realSetup({ gateway: { readRetries: 1 } });
    try {
      s.sim.exchange.failNext(
        1,
        {
          kind: 'throttled',
          waitMs: 0,
          message:
            'The user load quota of 10 requests per 1 seconds has been exceeded. The next request from this user will not be approved for at least 300 milliseconds.',
        },
        { cmdlet: 'Get-ActiveSyncOrganizationSettings' },
      );
      const started = Date.now();
      assert.equal(ok(await s.gateway.getOrgSettings()), ok(await s.sim.exchange.getOrgSettings()));
      const calls = s.fake.calls.filter((c) => c.op === 'Get-ActiveSyncOrganizationSettings');
      assert.is(calls.length, 2, 'retried once');
      assert.ok(Date.now() - started >= 300, 'not before the named wait');
      assert.ok(s.logs.some((l) => l.event === 'readRetry' && /throttled/.test(l.message)));
    } finally {
      await s.close();
    }
    await assertNoLeaks(s);
  });

  t("connecting beyond the account's concurrent shells is throttled (New-PSSession's error)", async () => {
    const s = await realSetup({ exchange: { maxShells: 0 }, gateway: { readRetries: 0, shellQuotaWaitMs: 10 } });
    try {
      const e = err(await s.gateway.getOrgSettings());
      assert.ok(e.kind === 'throttled' && e.waitMs === 10, JSON.stringify(e));
      assert.match(e.message, /maximum number of 0 concurrent shells/);
    } finally {
      await s.close();
    }
    await assertNoLeaks(s);
  });

  t(
    'a pwsh killed mid-command fails that command retryably; the next runs on a new process; its remote session counts as abandoned',
    async () => {
      const s = await realSetup();
      try {
        const mailbox = first(s);
        ok(await s.gateway.execute(allow(mailbox, 'Before')));
        s.fake.fault({ op: 'Set-CasMailbox', kind: 'delay', delayMs: 30_000 });
        const running = s.gateway.execute(allow(mailbox, 'Killed'));
        await until(
          () => s.fake.calls.some((c) => c.op === 'Set-CasMailbox' && JSON.stringify(c.splat).includes('Killed')),
          'the command reached Exchange',
        );
        const pid = s.gateway.stats().pids[0]!;
        // PowerShell itself dies (under a .NET tool launcher, the launcher's child)
        process.kill(powershellPid(pid), 'SIGKILL');
        const e = err(await running);
        assert.is(e.kind, 'connectionLost');
        assert.match(e.message, /(killed \(SIGKILL\)|exited with code \d+) during Set-CasMailbox/);
        ok(await s.gateway.execute(allow(mailbox, 'After')));
        assert.is(s.spawned.length, 2);
        assert.not.ok(alive(pid));
        await until(() => s.fake.sessions.abandoned === 1, 'Exchange saw the connection drop');
        assert.is(s.gateway.stats().abandoned, 1);
      } finally {
        await s.close();
      }
      await assertNoLeaks(s);
    },
  );

  t('a held session given back serves the next caller in the same pwsh process; one retired does not', async () => {
    const s = await realSetup();
    try {
      const mailbox = first(s);
      const a = ok(await s.gateway.openSession());
      ok(await a.execute(allow(mailbox, 'Reuse1')));
      await a.close();
      const processes = s.spawned.length;
      const b = ok(await s.gateway.openSession());
      assert.ok(b.used !== undefined && b.used.commands >= 1, `the kept session, with its command (${JSON.stringify(b.used)})`);
      ok(await b.execute(allow(mailbox, 'Reuse2')));
      await b.close({ retire: true });
      assert.is(s.spawned.length, processes, 'no new pwsh for the second lane');
      const c = ok(await s.gateway.openSession());
      ok(await c.execute(allow(mailbox, 'Reuse3')));
      await c.close();
      assert.is(s.spawned.length, processes + 1, 'a new pwsh once the kept one was retired');
      const lists = s.sim.exchange.state().mailboxes.find((m) => m.identity === mailbox)!.allowedDeviceIds;
      for (const id of ['Reuse1', 'Reuse2', 'Reuse3']) assert.ok(lists.includes(id), `${id} written`);
    } finally {
      await s.close();
    }
    await assertNoLeaks(s);
  });

  t('a command that never answers is killed after its timeout; held sessions report sessionBroken', async () => {
    const s = await realSetup({ gateway: { commandTimeoutMs: 4_000 } });
    try {
      const mailbox = first(s);
      s.fake.fault({ op: 'Set-CasMailbox', kind: 'hang' });
      const e = err(await s.gateway.execute(allow(mailbox, 'Hung')));
      assert.is(e.kind, 'connectionLost');
      assert.match(e.message, /Set-CasMailbox got no answer .* within 4000 ms; the PowerShell session was killed/);
      ok(await s.gateway.execute(allow(mailbox, 'After')));
      const held = ok(await s.gateway.openSession());
      s.fake.fault({ op: 'Set-CasMailbox', kind: 'hang' });
      assert.is(err(await held.execute(allow(mailbox, 'HeldHung'))).kind, 'sessionBroken');
      await held.close();
      await until(() => s.gateway.stats().killed === 2, 'both hung processes were killed');
    } finally {
      await s.close();
    }
    await assertNoLeaks(s);
  });

  t('noise from the remote session (Write-Host, ANSI, warnings, stderr, foreign frames, partial lines) is ignored', async () => {
    const s = await realSetup();
    try {
      s.fake.fault({ kind: 'noise', times: 3 });
      assert.equal(ok(await s.gateway.getMobileDevices()), ok(await s.sim.exchange.getMobileDevices()));
      ok(await s.gateway.execute(allow(first(s), 'Noisy1')));
      assert.ok(s.logs.some((l) => l.event === 'noise'));
      assert.ok(s.logs.some((l) => l.event === 'stderr'));
      assert.is(s.gateway.stats().killed, 0);
    } finally {
      await s.close();
    }
    await assertNoLeaks(s);
  });

  t(
    'a broken remote session and a dropped connection: the script removes the session and exits; the next command connects again',
    async () => {
      const s = await realSetup({ gateway: { readRetries: 0 } });
      try {
        const mailbox = first(s);
        s.fake.fault({ op: 'Set-CasMailbox', kind: 'brokenSession' });
        assert.is(err(await s.gateway.execute(allow(mailbox, 'B1'))).kind, 'connectionLost');
        ok(await s.gateway.execute(allow(mailbox, 'B2')));
        s.fake.down.add('cas01.contoso.com');
        const e = err(await s.gateway.getOrgSettings());
        assert.ok(e.kind === 'connectionLost' && e.server === 'cas01.contoso.com', JSON.stringify(e));
        s.fake.down.clear();
        ok(await s.gateway.getOrgSettings());
        assert.is(s.spawned.length, 3);
        await until(() => s.gateway.stats().closing === 0, 'broken sessions closed');
        assert.is(s.fake.sessions.abandoned, 0, 'each broken session was removed by the script');
      } finally {
        await s.close();
      }
      await assertNoLeaks(s);
    },
  );

  t('a read that dies after its first chunk is discarded whole and retried', async () => {
    const s = await realSetup({ devices: 260, gateway: { readRetries: 1 } });
    try {
      s.fake.fault({ op: 'Get-MobileDevice', kind: 'dieAfterChunk' });
      assert.equal(ok(await s.gateway.getMobileDevices()), ok(await s.sim.exchange.getMobileDevices()));
      assert.is(s.fake.calls.filter((c) => c.op === 'Get-MobileDevice').length, 2);
    } finally {
      await s.close();
    }
    await assertNoLeaks(s);
  });

  t.run();
}

import { test } from 'uvu';
test.run();
