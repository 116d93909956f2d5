// eas-sync wipe: refusals are exit 2 and leave the log byte for byte as it was;
// with a LOG the request is appended (the next sync sends it); with --config
// the connector records it and sends Clear-MobileDevice now.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { policyDocument } from '../src/policy.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { writeDemoLog } from './support/demo-log.js';

const test = suite('eas-sync wipe');
const MAIN = fileURLToPath(new URL('../adapters/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'eas-wipe-'));
const LOG = join(dir, 'demo.ndjson');
const run = (args: string[]) => {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const deviceStates = (log: string) =>
  JSON.parse(run(['replay', log, '--devices', '--json']).stdout).deviceStates as Array<{ deviceId: string; wipe?: string }>;

test.before(async () => {
  await writeDemoLog(LOG, 60);
});

test('every refusal is exit 2 with its reason and appends nothing', () => {
  const before = readFileSync(LOG);
  const id = deviceStates(LOG)[0]!.deviceId;
  const cases: Array<[string[], RegExp]> = [
    [['wipe', LOG, id, '--reason', 'lost', '--by', 'alice'], /add --confirm/],
    [['wipe', LOG, id, '--confirm', '--reason', 'lost'], /--by NAME is required/],
    [['wipe', LOG, id, '--confirm', '--by', 'alice'], /--reason TEXT is required/],
    [['wipe', LOG, `${id}Z`, '--confirm', '--reason', 'lost', '--by', 'alice'], new RegExp(`closest known ids: "${id}"`)],
    [['wipe', LOG, id, '--confirm', '--reason', 'lost\u202Egnp.exe', '--by', 'alice'], /control or formatting character/],
    [['wipe', LOG, '--confirm', '--reason', 'lost', '--by', 'alice'], /needs a DEVICE_ID/],
  ];
  for (const [args, re] of cases) {
    const r = run(args);
    assert.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  assert.ok(readFileSync(LOG).equals(before), 'the log is byte for byte as it was');
});

test('with a LOG the request is appended once (a retry records nothing); a different one is refused while it is outstanding', () => {
  const id = deviceStates(LOG)[1]!.deviceId;
  const r = run(['wipe', LOG, id, '--confirm', '--account-only', '--reason', 'leaver: company data only', '--by', 'alice', '--json']);
  assert.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal({ recorded: out.recorded, stage: out.stage, deviceId: out.deviceId }, { recorded: true, stage: 'requested', deviceId: id });
  const again = JSON.parse(
    run(['wipe', LOG, id, '--confirm', '--account-only', '--reason', 'leaver: company data only', '--by', 'alice', '--json']).stdout,
  );
  assert.equal({ recorded: again.recorded, wipeId: again.wipeId }, { recorded: false, wipeId: out.wipeId });
  const other = run(['wipe', LOG, id, '--confirm', '--reason', 'lost', '--by', 'bob']);
  assert.is(other.code, 2);
  assert.match(other.stderr, /already requested/);
  assert.is(deviceStates(LOG).find((d) => d.deviceId === id)?.wipe, 'requested');
  assert.match(run(['replay', LOG, '--devices']).stdout, new RegExp(`${id} .*\\(remote wipe requested\\)`));
  const x = JSON.parse(run(['explain', LOG, id, '--json']).stdout);
  assert.equal(
    { stage: x.wipe.stage, accountOnly: x.wipe.accountOnly, by: x.wipe.by },
    { stage: 'requested', accountOnly: true, by: 'alice' },
  );
  assert.ok(x.notes.some((n: string) => /the next sync sends it/.test(n)));
});

test('with --config the wipe is recorded and sent by a quick sync at once', () => {
  const sim = simulateOrganization({ devices: 60, seed: 3 });
  writeFileSync(join(dir, 'policy.json'), JSON.stringify(policyDocument(sim.policy)));
  const config = join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      organization: 'contoso',
      store: './connector.ndjson',
      policy: './policy.json',
      exchange: { kind: 'simulator', devices: 60, seed: 3 },
      intune: { kind: 'simulator' },
    }),
  );
  assert.is(run(['sync', '--config', config]).code, 0);
  const log = join(dir, 'connector.ndjson');
  const id = deviceStates(log)[4]!.deviceId;
  const r = run(['wipe', '--config', config, id, '--confirm', '--reason', 'phone stolen', '--by', 'alice', '--json']);
  assert.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal({ recorded: out.recorded, stage: out.stage }, { recorded: true, stage: 'sent' });
  const x = JSON.parse(run(['explain', log, id, '--json']).stdout);
  assert.is(x.wipe.stage, 'sent');
  assert.ok(x.timeline.some((t: { summary: string }) => /Clear-MobileDevice .* accepted by Exchange/.test(t.summary)));
  const text = run(['explain', log, id]);
  assert.match(text.stdout, /remote wipe requested by alice/);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
