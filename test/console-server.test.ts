// The console over HTTP (eas-sync console's listener): its API answers the
// same as the CLI, and its security: the token on every API request, Host and
// Origin checks, body limits, 404/405, strict headers, TLS off loopback.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listenStatus, type StatusServer } from '../adapters/cli/status-server.js';
import { consoleServing } from '../adapters/cli/console.js';
import { policyDocument } from '../src/policy.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { writeDemoLog } from './support/demo-log.js';
import { selfSignedCert } from './support/tls.js';

const test = suite('console server');
const MAIN = fileURLToPath(new URL('../adapters/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'eas-console-'));
const LOG = join(dir, 'demo.ndjson');
const TOKEN = 'console-token-0123456789abcdef';
const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const servers: StatusServer[] = [];

async function serve(options: { token?: string; host?: string; tls?: { cert: Buffer; key: Buffer } } = {}) {
  const served = consoleServing(LOG, () => Date.now(), 'read-only');
  const r = await listenStatus({
    listen: { host: options.host ?? '127.0.0.1', port: 0 },
    ...(options.token ? { token: options.token } : {}),
    ...(options.tls ? { tls: options.tls } : {}),
    console: served,
    mode: 'console',
    healthMaxFullSyncAgeMinutes: 0,
  });
  if (r._tag === 'Left') throw new Error(r.left);
  servers.push(r.right);
  return r.right.url;
}
const auth = { authorization: `Bearer ${TOKEN}` };

test.before(async () => {
  await writeDemoLog(LOG, 200);
});

test('the overview counts are those of eas-sync replay', async () => {
  const url = await serve();
  const o = (await (await fetch(`${url}/api/overview`)).json()) as any;
  const r = JSON.parse(cli(['replay', LOG, '--json']).stdout);
  assert.equal(o.access, r.access);
  assert.is(o.devices, r.devices);
  assert.is(o.events, r.events);
  assert.is(o.connector.status, r.connector.status);
  assert.is(o.connector.lastSuccessfulSync.full, r.lastSuccessful.full);
  assert.is(o.drift, r.drift);
  assert.is(o.chart.length, 1);
});

test('the device API says what eas-sync explain --json says, with the command as PowerShell', async () => {
  const url = await serve();
  const page = (await (await fetch(`${url}/api/devices?access=allow&governed=true&pageSize=1`)).json()) as any;
  const id = page.rows[0].deviceId as string;
  const d = (await (await fetch(`${url}/api/device?id=${encodeURIComponent(id)}`)).json()) as any;
  const x = JSON.parse(cli(['explain', LOG, id, '--json']).stdout);
  for (const k of ['access', 'reason', 'rule', 'governed', 'decidedAt', 'syncId']) assert.equal(d[k], x[k], k);
  assert.equal(d.command, x.command);
  assert.match(d.powershell, /^Set-CasMailbox -Identity '/);
  const unknown = await fetch(`${url}/api/device?id=${encodeURIComponent(id.slice(0, -2))}`);
  assert.is(unknown.status, 404);
  assert.ok(((await unknown.json()) as any).closest.includes(id));
  assert.is((await fetch(`${url}/api/device?id=${encodeURIComponent(id)}&at=2026-02-30T00:00:00Z`)).status, 400);
});

test('the what-if API gives the counts of eas-sync what-if --json; a policy with a typo is 400 naming the field', async () => {
  const url = await serve();
  const policy = policyDocument(simulateOrganization({ devices: 200, seed: 5 }).policy);
  const strict = { ...policy, defaultAccessLevel: 'block' };
  writeFileSync(join(dir, 'strict.json'), JSON.stringify(strict));
  const w = (await (
    await fetch(`${url}/api/what-if`, { method: 'POST', body: JSON.stringify(strict), headers: { 'content-type': 'application/json' } })
  ).json()) as any;
  const c = JSON.parse(cli(['what-if', LOG, '--policy', join(dir, 'strict.json'), '--json']).stdout);
  assert.equal(w.summary, c.summary);
  assert.is(w.changes.length, c.changes.length);
  assert.is(w.commands.length, c.commands.length);
  assert.is(w.notifications, c.notifications);
  assert.ok(w.changes.length > 0);
  assert.is(w.script.split('\n').filter((l: string) => l.startsWith('Set-CasMailbox')).length, c.commands.length);
  const typo = await fetch(`${url}/api/what-if`, {
    method: 'POST',
    body: JSON.stringify({ ...policy, defaultAccesLevel: 'block' }),
    headers: { 'content-type': 'application/json' },
  });
  assert.is(typo.status, 400);
  assert.match(((await typo.json()) as any).error, /defaultAccesLevel/);
});

test('with a token, every API request without it is 401, the shell is served and holds no organization data', async () => {
  const url = await serve({ token: TOKEN });
  for (const path of ['/api/overview', '/api/devices', '/api/devices.csv', '/api/device?id=x', '/api/syncs', '/api/session', '/api/nope']) {
    const r = await fetch(`${url}${path}`);
    assert.is(r.status, 401, path);
    assert.is(r.headers.get('www-authenticate'), 'Bearer');
    assert.is((await fetch(`${url}${path}`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status, 401, path);
  }
  assert.is(
    (await fetch(`${url}/api/what-if`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status,
    401,
  );
  assert.is((await fetch(`${url}/api/overview`, { headers: auth })).status, 200);
  const shell = await fetch(`${url}/`);
  assert.is(shell.status, 200);
  const html = await shell.text();
  assert.not.match(html, /contoso|[0-9A-F]{32}/);
  assert.match(html, /<script type="module" src="\/assets\/app\.js"><\/script>/);
});

test('every response carries the strict headers; unknown paths are 404 and wrong methods 405', async () => {
  const url = await serve();
  for (const path of ['/', '/assets/app.js', '/api/overview', '/api/nope', '/nope']) {
    const r = await fetch(`${url}${path}`);
    const csp = r.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/, path);
    assert.match(csp, /script-src 'self'/, path);
    assert.not.match(csp, /unsafe-inline|unsafe-eval/, path);
    assert.match(csp, /frame-ancestors 'none'/, path);
    assert.is(r.headers.get('x-content-type-options'), 'nosniff', path);
  }
  assert.is((await fetch(`${url}/api/nope`)).status, 404);
  assert.is((await fetch(`${url}/nope`)).status, 404);
  assert.is((await fetch(`${url}/status`)).status, 404);
  const wrong = await fetch(`${url}/api/overview`, { method: 'DELETE' });
  assert.is(wrong.status, 405);
  assert.is(wrong.headers.get('allow'), 'GET');
  assert.is((await fetch(`${url}/api/what-if`)).status, 405);
  assert.is((await fetch(`${url}/`, { method: 'POST' })).status, 405);
});

test('the read-only console never runs a sync: POST /api/syncs is 405', async () => {
  const url = await serve();
  const r = await fetch(`${url}/api/syncs`, { method: 'POST', body: '{"kind":"full"}', headers: { 'content-type': 'application/json' } });
  assert.is(r.status, 405);
  assert.match(((await r.json()) as any).error, /read-only/);
});

test('a foreign Host is 403, a POST from another origin is 403, a form post is 415, a large body is 413', async () => {
  const url = await serve();
  const port = Number(/:(\d+)$/.exec(url)![1]);
  const raw = (head: string) =>
    new Promise<string>((resolve) => {
      const s = connect(port, '127.0.0.1', () => s.write(head));
      let out = '';
      s.on('data', (d) => (out += d));
      s.on('end', () => resolve(out));
      s.on('error', () => resolve(out));
    });
  assert.match(await raw('GET /api/overview HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 403/);
  const post = (headers: Record<string, string>, body = '{}') => fetch(`${url}/api/what-if`, { method: 'POST', body, headers });
  assert.is((await post({ 'content-type': 'application/json', origin: 'http://evil.example' })).status, 403);
  assert.is((await post({ 'content-type': 'application/x-www-form-urlencoded' })).status, 415);
  assert.is((await post({ 'content-type': 'application/json' }, 'x'.repeat(300 * 1024))).status, 413);
});

test('the devices API validates its parameters and the CSV export is the filtered rows', async () => {
  const url = await serve();
  for (const q of ['access=maybe', 'governed=yes', 'sort=password', 'order=up', 'page=0', 'pageSize=501', `q=${'x'.repeat(201)}`])
    assert.is((await fetch(`${url}/api/devices?${q}`)).status, 400, q);
  const page = (await (await fetch(`${url}/api/devices?access=quarantine&pageSize=500`)).json()) as any;
  const csv = await (await fetch(`${url}/api/devices.csv?access=quarantine`)).text();
  const lines = csv.trimEnd().split('\r\n');
  assert.is(lines.length, page.total + 1);
  assert.ok(lines.slice(1).every((l) => l.includes(',quarantine,')));
  const replay = JSON.parse(cli(['replay', LOG, '--devices', '--json']).stdout);
  assert.is(page.total, replay.deviceStates.filter((d: any) => d.access === 'quarantine').length);
});

test('a device id holding a lone surrogate is found through its JSON form (a plain query value turns it into U+FFFD)', async () => {
  const log = join(dir, 'lone.ndjson');
  const id = 'Lone\ud800Id';
  await writeDemoLog(log, 20, [{ deviceId: id }]);
  const served = consoleServing(log, () => Date.now(), 'read-only');
  const r = await listenStatus({
    listen: { host: '127.0.0.1', port: 0 },
    console: served,
    mode: 'console',
    healthMaxFullSyncAgeMinutes: 0,
  });
  if (r._tag === 'Left') throw new Error(r.left);
  servers.push(r.right);
  const url = r.right.url;
  const byJson = await fetch(`${url}/api/device?${new URLSearchParams({ device: JSON.stringify(id) }).toString()}`);
  assert.is(byJson.status, 200);
  assert.is(((await byJson.json()) as any).deviceId, id);
  assert.is((await fetch(`${url}/api/device?${new URLSearchParams({ id }).toString()}`)).status, 404);
  assert.is((await fetch(`${url}/api/device?device=${encodeURIComponent('{"not":"a string"}')}`)).status, 400);
});

test('off loopback the listener needs a token and TLS; with both it serves HTTPS', async () => {
  const noToken = await listenStatus({ listen: { host: '0.0.0.0', port: 0 }, mode: 'console', healthMaxFullSyncAgeMinutes: 0 });
  assert.ok(noToken._tag === 'Left' && /console\.tokenEnv/.test(noToken.left));
  const noTls = await listenStatus({ listen: { host: '0.0.0.0', port: 0 }, token: TOKEN, mode: 'console', healthMaxFullSyncAgeMinutes: 0 });
  assert.ok(noTls._tag === 'Left' && /status\.tls/.test(noTls.left));
  const cert = selfSignedCert();
  if (!cert) {
    console.log('  (openssl missing: HTTPS not tried)');
    return;
  }
  const url = await serve({ host: '0.0.0.0', token: TOKEN, tls: cert });
  assert.match(url, /^https:\/\//);
  const port = Number(/:(\d+)$/.exec(url)![1]);
  const get = (headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      const req = httpsRequest(
        { host: '127.0.0.1', port, path: '/api/overview', headers, ca: cert.cert, servername: 'localhost' },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
  assert.is(await get({}), 401);
  assert.is(await get(auth), 200);
  // Under TLS the page's own origin is https://…: its POSTs pass the Origin check, an http:// one does not.
  const post = (origin: string) =>
    new Promise<number>((resolve, reject) => {
      const body = '{}';
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/what-if',
          headers: {
            ...auth,
            origin,
            host: `127.0.0.1:${port}`,
            'content-type': 'application/json',
            'content-length': String(body.length),
          },
          ca: cert.cert,
          servername: 'localhost',
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  assert.is(await post(`http://127.0.0.1:${port}`), 403);
  assert.not.equal(await post(`https://127.0.0.1:${port}`), 403);
});

test('eas-sync console refuses another address without a token, names the flag, and opens nothing', () => {
  const r = cli(['console', LOG, '--listen', '0.0.0.0:0']);
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /console\.tokenEnv|--token-env/);
});

test.after(async () => {
  for (const s of servers) await s.close(0);
  rmSync(dir, { recursive: true, force: true });
});
test.run();
