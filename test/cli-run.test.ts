// `eas-sync sync` and `eas-sync run` with a config file (simulated organization).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { connect, createServer as createTcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { policyDocument } from '../src/policy.js';

const test = suite('eas-sync sync and run');
const MAIN = fileURLToPath(new URL('../adapters/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'eas-run-'));
const policy = policyDocument(simulateOrganization({ devices: 300, seed: 3 }).policy);
writeFileSync(join(dir, 'policy.json'), JSON.stringify(policy, null, 2));
const config = (over: Record<string, unknown> = {}) => {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      organization: 'contoso',
      store: './connector.ndjson',
      policy: './policy.json',
      exchange: { kind: 'simulator', devices: 300, seed: 3, parallelism: 2 },
      intune: { kind: 'simulator' },
      schedule: { quickMinutes: 15, fullDailyAt: '02:00' },
      status: { listen: '127.0.0.1:0' },
      ...over,
    }),
  );
  return path;
};
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', cwd: dir, env: { ...process.env, ...env }, timeout: 60_000 });
const JSON_POST = { method: 'POST', headers: { 'content-type': 'application/json' } } as const;

// Every child this file starts; a failed assertion must not leave one running.
const children: Array<ReturnType<typeof spawn>> = [];

/** Starts `eas-sync run`; resolves once its status endpoint is up. */
async function startRun(cfg: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [MAIN, 'run', '--config', cfg], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  children.push(child);
  const out = { stderr: '' };
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d) => {
      out.stderr += d;
      const m = /status on (http:\/\/[^\s]+)\/status/.exec(out.stderr);
      if (m) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`exited ${code}: ${out.stderr}`)));
  });
  return { child, url, out, exited, port: Number(/:(\d+)$/.exec(url)![1]) };
}

/** Waits for the exit, or gives up after `ms` (killing the child) and answers 'timeout'. */
async function exitWithin(
  p: { child: ReturnType<typeof spawn>; exited: Promise<number | null> },
  ms: number,
): Promise<number | null | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([
    p.exited,
    new Promise<'timeout'>((res) => {
      timer = setTimeout(() => res('timeout'), ms);
    }),
  ]);
  clearTimeout(timer);
  if (r === 'timeout') {
    p.child.kill('SIGKILL');
    await p.exited;
  }
  return r;
}

/** One raw request; a target fetch would refuse to send. Resolves with the status code (0 when the connection closed without an answer). */
function rawGet(port: number, target: string): Promise<number> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => s.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    let data = '';
    s.setTimeout(10_000, () => s.destroy());
    s.on('data', (d) => {
      data += d;
    });
    s.on('error', () => {});
    s.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)));
  });
}

test('sync --config runs one full sync and reports it', () => {
  const r = run(['sync', '--config', config({ store: './one.ndjson' }), '--json']);
  assert.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.is(out.kind, 'full');
  assert.is(out.success, true);
  assert.is(out.devices, 300);
  assert.is(out.status.status, 'connected');
  const quick = run(['sync', '--config', config({ store: './one.ndjson' }), '--quick', '--json']);
  assert.is(quick.status, 0, quick.stderr);
  assert.is(JSON.parse(quick.stdout).kind, 'quick');
});

test('a config with a typo is exit 2 naming the file and the path', () => {
  const r = run(['sync', '--config', config({ schedule: { quickMinuts: 5 } })]);
  assert.is(r.status, 2);
  assert.match(r.stderr, /config-.*\.json: schedule\.quickMinuts: unknown key/);
  const secret = run(['sync', '--config', config({ exchange: { kind: 'simulator', passwordEnv: 'x' } })]);
  assert.is(secret.status, 2);
  assert.match(secret.stderr, /exchange\.passwordEnv: unknown key/);
  const literal = run(['sync', '--config', config({ exchange: { kind: 'powershell', cas: 'cas01', passwordEnv: 'hunter2!' } })]);
  assert.is(literal.status, 2);
  assert.match(literal.stderr, /exchange\.passwordEnv: expected the NAME of an environment variable/);
});

test('run serves /status, /metrics and POST /sync on loopback, and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, [MAIN, 'run', '--config', config({ store: './run.ndjson' })], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d) => {
      stderr += d;
      const m = /status on (http:\/\/[^\s]+)\/status/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const forced = await fetch(`${url}/sync?type=full&wait=true`, JSON_POST);
  assert.is(forced.status, 200);
  const report = (await forced.json()) as { kind: string; success: boolean };
  assert.is(report.kind, 'full');
  const status = (await (await fetch(`${url}/status`)).json()) as {
    status: string;
    access: { allow: number };
    lastSuccessfulSync: { full?: string };
  };
  assert.is(status.status, 'connected');
  assert.ok(status.lastSuccessfulSync.full);
  assert.ok(status.access.allow > 0);
  const metrics = await (await fetch(`${url}/metrics`)).text();
  assert.match(metrics, /eas_sync_syncs_total\{organization="contoso",kind="full",result="succeeded"\} [1-9]/);
  assert.match(metrics, /eas_sync_devices\{organization="contoso",access="allow"\} [1-9]/);
  assert.match(metrics, /# TYPE eas_sync_commands_total counter/);
  assert.match(metrics, /# TYPE eas_sync_sync_duration_seconds histogram/);
  assert.match(metrics, /eas_sync_sync_duration_seconds_count\{organization="contoso",kind="full"\} [1-9]/);
  assert.match(metrics, /eas_sync_command_duration_seconds_count\{organization="contoso"\} [1-9]/);
  const health = await fetch(`${url}/healthz`);
  assert.is(health.status, 200);
  assert.is(((await health.json()) as { healthy: boolean }).healthy, true);
  const queued = await fetch(`${url}/sync?type=quick`, JSON_POST);
  assert.is(queued.status, 202);
  assert.is((await fetch(`${url}/sync?type=weekly`, JSON_POST)).status, 400);
  const code = await new Promise<number | null>((resolve) => {
    child.on('exit', resolve);
    child.kill('SIGTERM');
  });
  assert.is(code, 0, stderr);
  assert.match(stderr, /stopping/);
});

test('run answers request targets URL cannot parse with 400 and keeps running', async () => {
  const p = await startRun(config({ store: './targets.ndjson' }));
  // Each passes Node's HTTP parser but makes `new URL(target, base)` throw.
  for (const target of ['//', 'http://[', '//x:99999/', '//@/']) assert.is(await rawGet(p.port, target), 400, target);
  assert.is(p.child.exitCode, null, p.out.stderr);
  assert.is((await fetch(`${p.url}/status`)).status, 200);
  p.child.kill('SIGTERM');
  assert.is(await exitWithin(p, 30_000), 0, p.out.stderr);
});

test('after SIGTERM, run exits 0 within 30 s despite a client posting every 10 ms, a silent open socket and a stalled request', async () => {
  const p = await startRun(config({ store: './sigterm.ndjson' }));
  // A connection that never sends a byte, and one stalled mid-request.
  const silent: Socket = connect(p.port, '127.0.0.1');
  const stalled: Socket = connect(p.port, '127.0.0.1', () => stalled.write('POST /sync HTTP/1.1\r\nHost: 127.0.0.1\r\n'));
  for (const s of [silent, stalled]) s.on('error', () => {});
  let signalled = false;
  let posting = true;
  const after: number[] = [];
  const poster = (async () => {
    while (posting) {
      try {
        const r = await fetch(`${p.url}/sync?type=full`, JSON_POST);
        await r.arrayBuffer();
        if (signalled) after.push(r.status);
      } catch {
        /* refused once the listener is closed */
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  await new Promise((r) => setTimeout(r, 200));
  signalled = true;
  p.child.kill('SIGTERM');
  const code = await exitWithin(p, 30_000);
  posting = false;
  await poster;
  silent.destroy();
  stalled.destroy();
  assert.is(code, 0, `${p.out.stderr}\nstatuses after SIGTERM: ${after.join(',')}`);
});

test('status.listen with port 99999 is exit 2 naming status.listen, and creates no log', () => {
  const r = run(['run', '--config', config({ store: './port99999.ndjson', status: { listen: '127.0.0.1:99999' } })]);
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, /status\.listen: port 99999 is out of range/);
  assert.not.match(r.stderr, /internal error/);
  assert.not.ok(existsSync(join(dir, 'port99999.ndjson')));
  assert.not.ok(existsSync(join(dir, 'port99999.ndjson.lock')));
});

test('status.listen on a port in use is exit 2 naming status.listen, and creates no log or lock', async () => {
  const blocker = createTcpServer();
  await new Promise<void>((res) => blocker.listen(0, '127.0.0.1', res));
  const port = (blocker.address() as { port: number }).port;
  try {
    const child = spawn(
      process.execPath,
      [MAIN, 'run', '--config', config({ store: './inuse.ndjson', status: { listen: `127.0.0.1:${port}` } })],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const code = await exitWithin({ child, exited: new Promise((res) => child.on('exit', res)) }, 30_000);
    assert.is(code, 2, stderr);
    assert.match(stderr, new RegExp(`status\\.listen: cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\)`));
    assert.not.ok(existsSync(join(dir, 'inuse.ndjson')));
    assert.not.ok(existsSync(join(dir, 'inuse.ndjson.lock')));
  } finally {
    blocker.close();
  }
});

test('a listener other machines can reach is refused without a token or without TLS, and the token must be set and long enough', () => {
  const open = run(['run', '--config', config({ store: './open.ndjson', status: { listen: '0.0.0.0:8089' } })]);
  assert.is(open.status, 2, open.stderr);
  assert.match(open.stderr, /status\.listen: "0\.0\.0\.0:8089" is reachable from other machines; set console\.tokenEnv/);
  const plain = run(
    ['run', '--config', config({ store: './open.ndjson', status: { listen: '0.0.0.0:8089' }, console: { tokenEnv: 'EAS_TEST_TOKEN' } })],
    {
      EAS_TEST_TOKEN: 'a-long-enough-token-0123456789',
    },
  );
  assert.is(plain.status, 2, plain.stderr);
  assert.match(plain.stderr, /set status\.tls \(certFile, keyFile\)/);
  const both = run([
    'run',
    '--config',
    config({ store: './open.ndjson', status: { listen: '127.0.0.1:0', tokenEnv: 'A_TOKEN' }, console: { tokenEnv: 'B_TOKEN' } }),
  ]);
  assert.is(both.status, 2, both.stderr);
  assert.match(both.stderr, /console\.tokenEnv and status\.tokenEnv name different variables/);
  assert.not.ok(existsSync(join(dir, 'open.ndjson')));
  const named = run(['run', '--config', config({ store: './open.ndjson', status: { listen: 'status.contoso.com:8089' } })]);
  assert.is(named.status, 2, named.stderr);
  const unset = run(
    ['run', '--config', config({ store: './open.ndjson', status: { listen: '127.0.0.1:0', tokenEnv: 'EAS_TEST_UNSET_TOKEN' } })],
    { EAS_TEST_UNSET_TOKEN: '' },
  );
  assert.is(unset.status, 2, unset.stderr);
  assert.match(unset.stderr, /status\.tokenEnv: environment variable EAS_TEST_UNSET_TOKEN is not set/);
  const short = run(
    ['run', '--config', config({ store: './open.ndjson', status: { listen: '127.0.0.1:0', tokenEnv: 'EAS_TEST_TOKEN' } })],
    { EAS_TEST_TOKEN: 'abc' },
  );
  assert.is(short.status, 2, short.stderr);
  assert.match(short.stderr, /shorter than 16 characters/);
  assert.not.match(short.stderr, /abc/);
  assert.not.ok(existsSync(join(dir, 'open.ndjson')));
});

test('with status.tokenEnv, POST /sync and reads need the token, says who asked in the log, and never prints the token', async () => {
  const token = 'run-test-token-0123456789';
  const p = await startRun(config({ store: './token.ndjson', status: { listen: '127.0.0.1:0', tokenEnv: 'EAS_TEST_TOKEN' } }), {
    EAS_TEST_TOKEN: token,
  });
  assert.is((await fetch(`${p.url}/sync?type=quick`, JSON_POST)).status, 401);
  assert.is(
    (await fetch(`${p.url}/sync?type=quick`, { method: 'POST', headers: { authorization: 'Bearer wrong-token-0123456789' } })).status,
    401,
  );
  const ok = await fetch(`${p.url}/sync?type=quick`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'x-eas-sync-caller': 'ops-bot' },
  });
  assert.is(ok.status, 202);
  assert.is((await fetch(`${p.url}/status`)).status, 401);
  assert.is((await fetch(`${p.url}/status`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
  p.child.kill('SIGTERM');
  assert.is(await exitWithin(p, 30_000), 0, p.out.stderr);
  assert.match(p.out.stderr, /POST \/sync type=quick requested by status-api token caller "ops-bot" from 127\.0\.0\.1/);
  assert.not.ok(p.out.stderr.includes(token));
});

test.after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
