// eas-sync override: with a LOG (appended, enforced by the next sync) and with
// --config (recorded and enforced now); every refusal is exit 2 and leaves the
// log byte for byte as it was.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isLeft } from 'fp-ts/lib/Either.js';
import { openFileStore } from '../adapters/file-store/index.js';
import { policyDocument } from '../src/policy.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { writeDemoLog } from './support/demo-log.js';

const test = suite('eas-sync override');
const MAIN = fileURLToPath(new URL('../adapters/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'eas-override-'));
const LOG = join(dir, 'demo.ndjson');
const run = (args: string[]) => {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const states = () =>
  JSON.parse(run(['replay', LOG, '--devices', '--json']).stdout).deviceStates as Array<{
    deviceId: string;
    access: string;
    reason: string;
    overrideUntil?: string;
  }>;

test.before(async () => {
  await writeDemoLog(LOG, 200);
});

test('every refusal is exit 2 with its reason and appends nothing', () => {
  const before = readFileSync(LOG);
  const q = states().find((d) => d.access === 'quarantine')!.deviceId;
  const ungoverned = states().find((d) => d.reason === 'excludedGroup' || d.reason === 'notTargeted')!.deviceId;
  const cases: Array<[string[], RegExp]> = [
    [
      [LOG, `${q}X`, '--allow', '--for', '8h', '--reason', 'r', '--by', 'a'],
      new RegExp(`no device partnership with id "${q}X"; closest known ids: "${q}"`),
    ],
    [
      [LOG, q, '--allow', '--until', '2020-01-01T00:00:00Z', '--reason', 'r', '--by', 'a'],
      /--until 2020-01-01T00:00:00\.000Z is not in the future/,
    ],
    [[LOG, q, '--allow', '--for', '31d', '--reason', 'r', '--by', 'a'], /beyond the longest override allowed \(30 days\)/],
    [[LOG, q, '--allow', '--for', '3d', '--max-days', '2', '--reason', 'r', '--by', 'a'], /beyond the longest override allowed \(2 days\)/],
    [
      [LOG, ungoverned, '--block', '--for', '8h', '--reason', 'r', '--by', 'a'],
      /the policy does not govern .* an override applies only to devices the engine enforces/,
    ],
    [[LOG, q, '--allow', '--for', '8h', '--reason', 'r'], /--by NAME is required/],
    [[LOG, q, '--allow', '--for', '8h', '--by', 'a'], /--reason TEXT is required/],
    [[LOG, q, '--allow', '--reason', 'r', '--by', 'a'], /--until ISO-8601 or --for DURATION/],
    [[LOG, q, '--allow', '--for', '8 hours', '--reason', 'r', '--by', 'a'], /not a duration/],
    [[LOG, q, '--allow', '--until', '2030-02-30T00:00:00Z', '--reason', 'r', '--by', 'a'], /--until/],
    [[LOG, q, '--allow', '--block', '--for', '8h', '--reason', 'r', '--by', 'a'], /one of --allow, --block or --revoke/],
    [[LOG, q, '--revoke', '--reason', 'r', '--by', 'a'], /has no override in force/],
    [[LOG, q, '--allow', '--for', '8h', '--reason', 'r\u001b[2J', '--by', 'a'], /--reason holds a control or formatting character/],
  ];
  for (const [args, message] of cases) {
    const r = run(['override', ...args]);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  assert.ok(readFileSync(LOG).equals(before), 'the log is unchanged');
});

test('with a LOG, an override is appended, shown by replay --devices and explain, and revoked the same way', () => {
  const q = states().find((d) => d.access === 'quarantine')!.deviceId;
  const r = run([
    'override',
    LOG,
    q.toLowerCase(),
    '--allow',
    '--for',
    'PT8H',
    '--reason',
    'CEO; enrolls tomorrow',
    '--by',
    'alice',
    '--json',
  ]);
  assert.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.is(out.deviceId, q);
  assert.is(out.recorded, true);
  assert.is(out.enforced, false);
  assert.is(out.access, 'allow');
  // The same request again records nothing.
  const again = run(['override', LOG, q, '--allow', '--until', out.until, '--reason', 'CEO; enrolls tomorrow', '--by', 'alice', '--json']);
  assert.is(JSON.parse(again.stdout).recorded, false);
  const x = JSON.parse(run(['explain', LOG, q, '--json']).stdout);
  assert.is(x.override.by, 'alice');
  assert.is(x.override.inForce, true);
  assert.ok(x.notes.some((n: string) => n.includes('the next sync enforces it')));
  const text = run(['explain', LOG, q]).stdout;
  assert.match(text, /override {9}override-\S+: allow until .* \(in force\), by alice: "CEO; enrolls tomorrow"/);
  const rv = run(['override', LOG, q, '--revoke', '--reason', 'enrolled early', '--by', 'alice']);
  assert.is(rv.code, 0, rv.stderr);
  assert.match(rv.stdout, /revoked/);
  assert.is(JSON.parse(run(['explain', LOG, q, '--json']).stdout).override, null);
});

test('a log held by a running connector is not written: exit 1 naming what to do', async () => {
  const held = await openFileStore(LOG);
  if (isLeft(held)) throw new Error(held.left.kind);
  try {
    const before = readFileSync(LOG);
    const q = states().find((d) => d.access === 'quarantine')!.deviceId;
    const r = run(['override', LOG, q, '--allow', '--for', '8h', '--reason', 'r', '--by', 'a']);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, /locked by process \d+.*POST \/api\/overrides/);
    assert.ok(readFileSync(LOG).equals(before));
  } finally {
    await held.right.close();
  }
});

test('with --config, the override is recorded and enforced by a quick sync at once; the log shows rule 9', () => {
  const sim = simulateOrganization({ devices: 200, seed: 3 });
  writeFileSync(join(dir, 'policy.json'), JSON.stringify(policyDocument(sim.policy)));
  const config = join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      organization: 'contoso',
      store: './connector.ndjson',
      policy: './policy.json',
      exchange: { kind: 'simulator', devices: 200, seed: 3 },
      intune: { kind: 'simulator' },
      overrides: { maxDays: 7 },
    }),
  );
  assert.is(run(['sync', '--config', config]).code, 0);
  const log = join(dir, 'connector.ndjson');
  const replay = JSON.parse(run(['replay', log, '--devices', '--json']).stdout);
  const allowed = replay.deviceStates.find((d: any) => d.access === 'allow' && d.reason === 'compliant').deviceId as string;
  const tooLong = run(['override', '--config', config, allowed, '--block', '--for', '8d', '--reason', 'lost', '--by', 'bob']);
  assert.is(tooLong.code, 2);
  assert.match(tooLong.stderr, /\(7 days\)/);
  const r = run(['override', '--config', config, allowed, '--block', '--for', '2d', '--reason', 'lost phone', '--by', 'bob', '--json']);
  assert.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.is(out.enforced, true);
  assert.is(out.access, 'block');
  assert.is(out.reason, 'adminOverride');
  const x = JSON.parse(run(['explain', log, allowed, '--json']).stdout);
  assert.is(x.rule, 9);
  assert.is(x.reason, 'adminOverride');
  assert.match(x.command.command.blockedDeviceIds.add.join(','), new RegExp(allowed));
  const after = JSON.parse(run(['replay', log, '--devices', '--json']).stdout).deviceStates.find((d: any) => d.deviceId === allowed);
  assert.is(after.overrideUntil, out.until);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
