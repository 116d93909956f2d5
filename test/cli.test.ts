// The `eas-sync` CLI as users run it: exit codes, JSON outputs, logs on disk.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, appendFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SAMPLE_PLAN } from './support/sample-plan.js';

const test = suite('eas-sync CLI');
const MAIN = fileURLToPath(new URL('../adapters/cli/main.js', import.meta.url));
const EXPORTS = fileURLToPath(new URL('../../examples/exports/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'eas-cli-'));

function run(args: string[], cwd = dir) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const json = (s: string) => JSON.parse(s) as Record<string, any>;

let demoOut: Record<string, any>;
const LOG = join(dir, 'demo.ndjson');

test('demo --devices 5000 --json reports verified: true', () => {
  const r = run(['demo', '--devices', '5000', '--json', '--log', LOG]);
  assert.is(r.code, 0, r.stderr);
  demoOut = json(r.stdout);
  assert.is(demoOut.verified, true);
  assert.is(demoOut.devices, 5000);
  assert.ok(demoOut.commands > 0);
  assert.is(demoOut.access.allow + demoOut.access.block + demoOut.access.quarantine, 5000);
  assert.is(demoOut.log, LOG);
  assert.ok(existsSync(LOG));
});

test("replay of the demo log reproduces the demo's access counts", () => {
  const r = run(['replay', LOG, '--json']);
  assert.is(r.code, 0, r.stderr);
  const out = json(r.stdout);
  assert.equal(out.access, demoOut.access);
  assert.is(out.devices, 5000);
  assert.is(out.connector.status, 'connected');
  assert.ok(out.lastSuccessfulSync);
  assert.equal(out.errors, []);
  assert.is(out.policy.defaultAccessLevel, 'quarantine');
  assert.not.ok('deviceStates' in out);
  const withDevices = json(run(['replay', LOG, '--json', '--devices']).stdout);
  assert.is(withDevices.deviceStates.length, 5000);
  assert.ok(['allow', 'block', 'quarantine'].includes(withDevices.deviceStates[0].access));
});

test('replay of a log with a corrupted middle line exits 2 naming that line and leaves the file byte-identical', () => {
  const lines = readFileSync(LOG, 'utf8').split('\n');
  lines[41] = lines[41]!.replace('"revision":', '"revision":x'); // no longer JSON
  const bad = join(dir, 'corrupt.ndjson');
  writeFileSync(bad, lines.join('\n'));
  const before = readFileSync(bad);
  const r = run(['replay', bad, '--json']);
  assert.is(r.code, 2);
  const out = json(r.stdout);
  // The corrupt line is named first; the store also reports what it breaks after it.
  assert.is(out.errors[0].line, 42);
  assert.match(out.errors[0].message, /not valid JSON/);
  assert.ok(readFileSync(bad).equals(before));
  const human = run(['replay', bad]);
  assert.is(human.code, 2);
  assert.match(human.stdout, /line 42/);
});

test('a torn last line is reported, not fatal', () => {
  const torn = join(dir, 'torn.ndjson');
  writeFileSync(torn, readFileSync(LOG));
  appendFileSync(torn, '{"stream":"eas-org-contoso","revision":99,"posi');
  const before = readFileSync(torn);
  const r = run(['replay', torn, '--json']);
  assert.is(r.code, 0, r.stderr);
  const out = json(r.stdout);
  assert.ok(out.tornTail);
  assert.equal(out.access, demoOut.access);
  assert.ok(readFileSync(torn).equals(before), 'replay never writes');
});

test('a damaged newline-terminated last line is corruption for replay and sync (exit 2), and the log stays byte-identical', () => {
  const damaged = join(dir, 'damaged.ndjson');
  const bytes = readFileSync(LOG);
  bytes[bytes.length - 2] = 0x5d; // the last event's closing brace becomes "]": one byte, newline kept
  writeFileSync(damaged, bytes);
  const lines = bytes.toString('utf8').split('\n').length - 1;
  const r = run(['replay', damaged, '--json']);
  assert.is(r.code, 2);
  const out = json(r.stdout);
  assert.is(out.tornTail ?? null, null);
  assert.is(out.errors[0].line, lines);
  const config = join(dir, 'damaged-config.json');
  writeFileSync(
    join(dir, 'damaged-policy.json'),
    JSON.stringify({ enabled: true, defaultAccessLevel: 'quarantine', includedGroups: [], excludedGroups: [], platformExceptions: [] }),
  );
  writeFileSync(
    config,
    JSON.stringify({
      organization: 'contoso',
      store: damaged,
      policy: './damaged-policy.json',
      exchange: { kind: 'simulator', devices: 50, seed: 1 },
      intune: { kind: 'simulator' },
    }),
  );
  const s = run(['sync', '--config', config, '--json']);
  assert.is(s.code, 2, s.stderr);
  assert.match(s.stderr, new RegExp(`line ${lines}`));
  assert.ok(readFileSync(damaged).equals(bytes), 'sync cut nothing');
});

test('an event whose data is not valid (envelope intact) is exit 2 for sync and what-if, naming its line; sync writes nothing', () => {
  const lines = readFileSync(LOG, 'utf8').split('\n');
  const at = lines.findIndex((l) => l.includes('"type":"AccessDecided"') && l.includes('"access":"quarantine"'));
  lines[at] = lines[at]!.replace('"access":"quarantine"', '"access":"maybe"');
  const bad = join(dir, 'schema-invalid.ndjson');
  writeFileSync(bad, lines.join('\n'));
  const before = readFileSync(bad);
  const policy = join(dir, 'schema-invalid-policy.json');
  writeFileSync(policy, JSON.stringify(json(run(['replay', LOG, '--json']).stdout).policy));
  const w = run(['what-if', bad, '--policy', policy, '--json']);
  assert.is(w.code, 2, w.stderr);
  assert.match(w.stderr, new RegExp(`line ${at + 1}: .*AccessDecided.*access`));
  assert.is(w.stdout, '');
  const config = join(dir, 'schema-invalid-config.json');
  writeFileSync(
    config,
    JSON.stringify({
      organization: 'contoso',
      store: bad,
      policy,
      exchange: { kind: 'simulator', devices: 5000, seed: 1 },
      intune: { kind: 'simulator' },
    }),
  );
  const s = run(['sync', '--config', config, '--json']);
  assert.is(s.code, 2, s.stderr);
  assert.ok(readFileSync(bad).equals(before), 'sync appended nothing');
});

test("plan on the shipped sample exports prints every device's access and reason and the commands", () => {
  const r = run([...SAMPLE_PLAN, '--json'], EXPORTS);
  assert.is(r.code, 0, r.stderr);
  const out = json(r.stdout);
  assert.is(out.devices.length, 12);
  assert.equal(out.summary, { allow: 5, block: 2, quarantine: 5 });
  const by = Object.fromEntries(out.devices.map((d: any) => [d.deviceId, `${d.access}/${d.reason}`]));
  assert.is(by.ApplC39GQ9UJDTDM, 'allow/compliant');
  assert.is(by.BB2A61F0C7, 'allow/exchangeDeviceRule');
  assert.is(by.ApplQ1W2E3R4T5Y6, 'quarantine/notEnrolled');
  assert.is(by.androidc5501773190, 'quarantine/notTargeted');
  assert.is(out.commands.length, 4);
  assert.ok(
    out.commands.every(
      (c: any) => typeof c.mailbox === 'string' && Array.isArray(c.allowedDeviceIds.add) && Array.isArray(c.blockedDeviceIds.remove),
    ),
  );
  assert.ok(out.warnings.some((w: any) => w.kind === 'mappingConflict'));
  const text = run([...SAMPLE_PLAN], EXPORTS);
  assert.match(text.stdout, /notCompliant\s+androidc1597534862/);
  assert.match(text.stdout, /Set-CasMailbox -Identity 'contoso.com\/Users\/Sean O''Brien'/);
});

test('plan --format powershell prints every value as a single-quoted literal', () => {
  const r = run([...SAMPLE_PLAN, '--format', 'powershell'], EXPORTS);
  assert.is(r.code, 0);
  const commands = r.stdout.split('\n').filter((l) => l.startsWith('Set-CasMailbox'));
  assert.is(commands.length, 4);
  assert.ok(
    commands.includes("Set-CasMailbox -Identity 'contoso.com/Users/Sean O''Brien' -ActiveSyncBlockedDeviceIDs @{Add='androidc1597534862'}"),
  );
});

test('a malformed export is exit 2 naming the file and the field', () => {
  const r = run(
    [
      'plan',
      '--exchange',
      'malformed/get-mobiledevice.json',
      '--mailboxes',
      'get-casmailbox.json',
      '--intune',
      'managed-devices.json',
      '--policy',
      'policy.json',
      '--groups',
      'groups.json',
    ],
    EXPORTS,
  );
  assert.is(r.code, 2);
  assert.match(r.stderr, /malformed\/get-mobiledevice\.json: \[\d+\]\.DeviceId/);
  assert.is(r.stdout, '');
});

test('a policy with a typo is exit 2 naming the file and the path', () => {
  const p = join(dir, 'policy.json');
  writeFileSync(
    p,
    JSON.stringify({ enabled: true, includedGroups: ['g'], platformExceptions: [{ type: 'familly', name: 'X', access: 'allow' }] }),
  );
  const r = run([
    'plan',
    '--exchange',
    join(EXPORTS, 'get-mobiledevice.json'),
    '--mailboxes',
    join(EXPORTS, 'get-casmailbox.json'),
    '--intune',
    join(EXPORTS, 'managed-devices.json'),
    '--policy',
    p,
    '--groups',
    join(EXPORTS, 'groups.json'),
  ]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /policy\.json: platformExceptions\[0\]\.type/);
});

test('10,000 levels of nesting in an export, a policy, a group list or a config is exit 2 naming the file, never a stack trace', () => {
  const deep = '['.repeat(10000) + ']'.repeat(10000);
  const files = {
    policy: JSON.stringify({ enabled: true }).replace('true', `true, "includedGroups": ${deep}`),
    exchange: `[{"DeviceId": ${deep}}]`,
    intune: deep,
    groups: `{"g": ${deep}}`,
    config: `{"organization": ${'{"a":'.repeat(10000)}1${'}'.repeat(10000)}}`,
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, `deep-${name}.json`), text);
  const args = (over: Record<string, string>) => {
    const a: Record<string, string> = {
      exchange: join(EXPORTS, 'get-mobiledevice.json'),
      mailboxes: join(EXPORTS, 'get-casmailbox.json'),
      intune: join(EXPORTS, 'managed-devices.json'),
      policy: join(EXPORTS, 'policy.json'),
      groups: join(EXPORTS, 'groups.json'),
      ...over,
    };
    return ['plan', ...Object.entries(a).flatMap(([k, v]) => [`--${k}`, v])];
  };
  for (const name of ['policy', 'exchange', 'intune', 'groups']) {
    const r = run(args({ [name]: join(dir, `deep-${name}.json`) }));
    assert.is(r.code, 2, `${name}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`deep-${name}\\.json line 1 column \\d+: JSON nested deeper than 64 levels`));
    assert.not.match(r.stderr, /internal error|RangeError/);
  }
  const c = run(['sync', '--config', join(dir, 'deep-config.json')]);
  assert.is(c.code, 2);
  assert.match(c.stderr, /deep-config\.json line 1 column \d+: JSON nested deeper/);
});

test('a policy naming groups without --groups is a usage error', () => {
  const r = run(
    [
      'plan',
      '--exchange',
      'get-mobiledevice.json',
      '--mailboxes',
      'get-casmailbox.json',
      '--intune',
      'managed-devices.json',
      '--policy',
      'policy.json',
    ],
    EXPORTS,
  );
  assert.is(r.code, 2);
  assert.match(r.stderr, /--groups/);
});

test('every command answers --help, and unknown options are exit 2', () => {
  for (const c of ['demo', 'plan', 'replay']) {
    const r = run([c, '--help']);
    assert.is(r.code, 0);
    assert.match(r.stdout, new RegExp(`Usage: eas-sync ${c}`));
  }
  assert.is(run(['demo', '--devices', 'many']).code, 2);
  assert.is(run(['replay', LOG, '--frobnicate']).code, 2);
  assert.is(run(['frobnicate']).code, 2);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
