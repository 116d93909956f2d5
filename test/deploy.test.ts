// The service definitions in examples/deploy: the systemd unit passes
// `systemd-analyze verify` (where systemd is installed) and keeps its sandbox,
// the WinSW definition is well-formed and runs `run --config` with restart and
// a graceful stop, and the example config is one the connector accepts.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { readConfig } from '../adapters/cli/config.js';

const test = suite('deploy examples');
const DEPLOY = fileURLToPath(new URL('../../examples/deploy/', import.meta.url));
const unit = readFileSync(`${DEPLOY}eas-sync.service`, 'utf8');
const directives = (section: string) => {
  const body = unit.split(/^\[/m).find((s) => s.startsWith(`${section}]`)) ?? '';
  return new Map(
    body
      .split('\n')
      .filter((l) => /^\w+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
};

test('systemd-analyze verify accepts the unit', () => {
  const has = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  if (has.status !== 0) {
    console.log('# systemd-analyze not installed: unit not verified');
    return;
  }
  const r = spawnSync('systemd-analyze', ['verify', `${DEPLOY}eas-sync.service`], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stderr.trim(), '', r.stderr);
});

test('the unit runs `run --config` as a dedicated user in a read-only system, restarts on failure and stops with SIGTERM', () => {
  const s = directives('Service');
  assert.match(s.get('ExecStart')!, / run --config \/etc\/eas-sync\/eas-sync\.json$/);
  assert.match(
    s.get('ExecStart')!,
    /^\/usr\/bin\/node --max-semi-space-size=64 /,
    "V8's young generation sized for a sync's short-lived data",
  );
  assert.is(s.get('User'), 'eas-sync');
  assert.is(s.get('ProtectSystem'), 'strict');
  assert.is(s.get('ReadWritePaths'), '/var/lib/eas-sync /var/log/eas-sync');
  assert.is(s.get('NoNewPrivileges'), 'yes');
  assert.is(s.get('CapabilityBoundingSet'), '');
  assert.is(s.get('Restart'), 'on-failure');
  assert.is(s.get('RestartPreventExitStatus'), '2');
  assert.is(s.get('KillSignal'), 'SIGTERM');
  assert.ok(!s.has('MemoryDenyWriteExecute'), 'V8 needs writable executable memory');
});

test('the WinSW definition is well-formed, runs `run --config`, restarts on failure and stops gracefully', () => {
  const xml = readFileSync(`${DEPLOY}windows/eas-sync.xml`, 'utf8');
  assert.is(XMLValidator.validate(xml), true);
  const svc = new XMLParser({ ignoreAttributes: false }).parse(xml).service;
  assert.is(svc.id, 'eas-sync');
  assert.match(svc.executable, /node\.exe$/);
  assert.match(svc.arguments, /main\.js" run --config "[^"]+eas-sync\.json"$/);
  assert.match(svc.arguments, /^--max-semi-space-size=64 "/);
  assert.ok((svc.onfailure as Array<Record<string, string>>).every((f) => f['@_action'] === 'restart'));
  assert.match(svc.stoptimeout, /^\d+ sec$/);
  assert.not.match(xml, /<env\b/, 'no secret in the XML');
});

test('the example config is one the connector accepts', async () => {
  const c = await readConfig(`${DEPLOY}eas-sync.json`);
  assert.is(c.notifier?.kind, 'ews');
  assert.ok(c.intune.kind === 'graph' && c.intune.proxy?.url === 'http://proxy.contoso.com:3128');
  assert.is(c.log?.file, '/var/log/eas-sync/connector.log');
});

test('a notifier or log typo is reported at its own path only', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'eas-deploy-'));
  const base = JSON.parse(readFileSync(`${DEPLOY}eas-sync.json`, 'utf8')) as Record<string, any>;
  const write = (doc: unknown) => {
    const f = join(dir, `c${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(f, JSON.stringify(doc));
    return f;
  };
  const err = async (doc: unknown) =>
    readConfig(write(doc)).then(
      () => '',
      (e: Error) => e.message,
    );
  const ews = await err({ ...base, notifier: { ...base.notifier, uri: 'https://x' } });
  assert.match(ews, /: notifier\.uri: unknown key "uri"$/);
  assert.not.match(ews, /\n/, 'no error from the smtp branch');
  assert.match(await err({ ...base, notifier: { ...base.notifier, authentication: 'kerberos' } }), /notifier\.authentication: /);
  assert.match(await err({ ...base, log: { level: 'verbose' } }), /log\.level: /);
  const proxy = await err({ ...base, intune: { ...base.intune, proxy: { url: 'http://u:s3cr3t@proxy:1' } } });
  assert.match(
    proxy,
    /: intune\.proxy\.url: expected a proxy URL[^\n]*no credentials[^\n]*$/,
    'one line: the simulator branch does not complain about graph keys',
  );
  assert.not.match(proxy, /s3cr3t/);
});

test.run();
