// Diagnostic logs: JSON lines with levels for sync start and end, throttling
// waits, CAS switches, command failures and notification failures, read off
// the events the engine appends and the Exchange gateway's answers; secrets
// (the values of the config's …Env variables) never reach a line, even when
// an adapter's message carries one.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../src/engine.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { memoryStore } from '../adapters/memory-store/index.js';
import { openDiagnostics, configSecrets } from '../adapters/cli/diagnostics.js';
import type { ConnectorConfig } from '../adapters/cli/config.js';

const test = suite('diagnostic logs');
const SECRET = 'Sup3r-S3cret-"Pass"\\word';

interface Line {
  level: string;
  time: string;
  msg: string;
  event?: string;
  [k: string]: unknown;
}
function capture() {
  const lines: string[] = [];
  return {
    lines,
    stream: {
      write: (s: string) => {
        lines.push(s);
      },
    },
    parsed: (): Line[] =>
      lines
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Line),
  };
}

test('a sync with throttling, a CAS switch, a failed command and a failed notification logs each as a JSON line with its level', async () => {
  const out = capture();
  const diag = openDiagnostics({ stream: out.stream, secrets: [SECRET], organization: 'contoso', level: 'info' });
  const sim = simulateOrganization({ devices: 400, seed: 41 });
  let commands = 0;
  let downAfter = -1;
  const engine = createEngine({
    organization: sim.organization,
    exchange: diag.observe.exchange(sim.exchange),
    intune: sim.intune,
    store: diag.observe.store(memoryStore()),
    policy: sim.policy,
    notifier: sim.notifier,
    parallelism: 2,
    onStep: (step) => {
      if (step === 'afterCommand' && ++commands === downAfter) sim.exchange.setServerUp('cas01.contoso.com', false);
    },
  });
  // A notification failure whose message (from a careless adapter) carries the secret.
  sim.notifier.failNext(5, `auth failed for password ${SECRET}`);
  await engine.fullSync();
  // Work for a second sync, and trouble during it.
  for (const m of sim.exchange.state().mailboxes.slice(0, 120)) sim.exchange.setMailboxLists(m.identity, { allowed: [], blocked: [] });
  sim.exchange.failNext(
    2,
    { kind: 'throttled', waitMs: 5, message: 'The user load quota … at least 5 milliseconds.' },
    { cmdlet: 'Set-CasMailbox' },
  );
  sim.exchange.failNext(1, { kind: 'accessDenied', message: 'Access is denied.' }, { cmdlet: 'Set-CasMailbox' });
  commands = 0;
  downAfter = 30;
  const r = await engine.fullSync();
  assert.ok(r.casSwitches.length === 1, 'the CAS switched');
  assert.ok(r.commands.failed >= 1);
  await engine.fullSync();
  await diag.close();

  const lines = out.parsed();
  for (const l of lines) {
    assert.type(l.time, 'string');
    assert.ok(['info', 'warn', 'error'].includes(l.level), l.level);
    assert.is(l.organization, 'contoso');
  }
  const of = (event: string) => lines.filter((l) => l.event === event);
  assert.is(of('syncStarted').length, 3);
  assert.is(of('syncStarted')[0]!.level, 'info');
  assert.is(of('syncCompleted').length, 3);
  assert.ok(of('syncCompleted').some((l) => l.success === false && l.level === 'warn'));
  assert.ok(of('throttled').length >= 2);
  assert.equal(
    { level: of('throttled')[0]!.level, waitMs: of('throttled')[0]!.waitMs, operation: of('throttled')[0]!.operation },
    { level: 'warn', waitMs: 5, operation: 'setCasMailbox' },
  );
  assert.is(of('casSwitched').length, 1);
  assert.equal([of('casSwitched')[0]!.from, of('casSwitched')[0]!.to], ['cas01.contoso.com', 'cas02.contoso.com']);
  const failed = of('commandFailed');
  assert.ok(failed.length >= 1);
  assert.is(failed[0]!.level, 'error');
  assert.is(failed[0]!.command, 'setCasMailbox');
  assert.type(failed[0]!.mailbox, 'string');
  assert.equal(failed[0]!.error, { kind: 'accessDenied', message: 'Access is denied.' });
  const notes = of('notificationFailed');
  assert.ok(notes.length >= 1);
  assert.is(notes[0]!.level, 'warn');
  const text = out.lines.join('');
  assert.not.ok(text.includes(SECRET));
  assert.not.ok(text.includes(JSON.stringify(SECRET).slice(1, -1)), 'nor its JSON-escaped form');
  assert.match(text, /auth failed for password \[redacted\]/);
});

test('the level filters lines, and a file receives them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'eas-diag-'));
  const file = join(dir, 'logs', 'connector.log');
  const diag = openDiagnostics({ file, level: 'warn' });
  const sim = simulateOrganization({ devices: 50, seed: 2 });
  const engine = createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store: diag.observe.store(memoryStore()),
    policy: sim.policy,
  });
  await engine.fullSync();
  diag.logger.warn({ event: 'probe' }, 'a warning');
  await diag.close();
  const lines = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);
  assert.equal(
    lines.map((l) => l.event),
    ['probe'],
    'info lines (sync start and end) are below warn',
  );
});

test('the secrets of a config are the values of every …Env variable it names, and a password inside HTTPS_PROXY', () => {
  const config = {
    organization: 'o',
    store: 's',
    policy: 'p',
    exchange: { kind: 'powershell', cas: 'c', usernameEnv: 'EX_U', passwordEnv: 'EX_P' },
    intune: {
      kind: 'graph',
      tenantId: 't',
      clientId: 'c',
      clientSecretEnv: 'G_S',
      proxy: { url: 'http://p:1', usernameEnv: 'PX_U', passwordEnv: 'PX_P' },
    },
    notifier: { kind: 'ews', mailbox: 'm@c.com', usernameEnv: 'EWS_U', passwordEnv: 'EWS_P', authentication: 'ntlm' },
  } as unknown as ConnectorConfig;
  const env = {
    EX_U: 'exuser',
    EX_P: 'ex-pass',
    G_S: 'graph-secret',
    PX_U: 'pxuser',
    PX_P: 'px-pass',
    EWS_U: 'ewsuser',
    EWS_P: 'ews-pass',
    HTTPS_PROXY: 'http://u:env-proxy-pw@h:1',
    OTHER: 'not-a-secret',
  };
  const s = configSecrets(config, env);
  for (const v of ['ex-pass', 'graph-secret', 'px-pass', 'ews-pass', 'env-proxy-pw']) assert.ok(s.includes(v), v);
  assert.not.ok(s.includes('not-a-secret'));
});

test.run();
