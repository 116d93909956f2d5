// `eas-sync explain` and `eas-sync what-if` as users run them: exit codes,
// one JSON document on stdout with --json, the log left untouched.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const test = suite('eas-sync explain and what-if');
const MAIN = fileURLToPath(new URL('../adapters/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'eas-cli-explain-'));
const LOG = join(dir, 'demo.ndjson');
const run = (args: string[]) => {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const json = (s: string) => JSON.parse(s) as Record<string, any>;

let states: Array<{ deviceId: string; access: string; reason: string; mailbox: string }>;
let policy: Record<string, unknown>;
let before: Buffer;

test.before(() => {
  const demo = run(['demo', '--devices', '1000', '--log', LOG, '--json']);
  assert.is(demo.code, 0, demo.stderr);
  const replay = json(run(['replay', LOG, '--json', '--devices']).stdout);
  states = replay.deviceStates;
  policy = replay.policy;
  before = readFileSync(LOG);
});

test('explain --json prints the decision, its facts, policy revision, command and timeline', () => {
  const blocked = states.find((d) => d.access === 'block' && d.reason === 'notCompliant')!;
  const r = run(['explain', LOG, blocked.deviceId, '--json']);
  assert.is(r.code, 0, r.stderr);
  const x = json(r.stdout);
  assert.is(x.deviceId, blocked.deviceId);
  assert.is(x.mailbox, blocked.mailbox);
  assert.is(x.access, 'block');
  assert.is(x.reason, 'notCompliant');
  assert.is(x.policyRevision, 1);
  assert.ok(Date.parse(x.decidedAt) > 0);
  assert.ok(x.facts.intune && x.facts.groups && Array.isArray(x.facts.conflicts));
  assert.ok(
    x.timeline.length >= 4 && x.timeline.every((t: { at: string; type: string }) => typeof t.at === 'string' && typeof t.type === 'string'),
  );
  assert.is(x.command.outcome, 'succeeded');
  assert.equal(x.command.command.blockedDeviceIds.add.map((s: string) => s.toLowerCase()).includes(blocked.deviceId.toLowerCase()), true);
  assert.equal(x.policy, policy);
});

test('explain prints a readable account and timeline; the id matches in any case', () => {
  const q = states.find((d) => d.access === 'quarantine' && d.reason === 'notEnrolled')!;
  const r = run(['explain', LOG, q.deviceId.toLowerCase()]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`Device ${q.deviceId} `));
  assert.match(r.stdout, /Access: QUARANTINE — notEnrolled \(rule 8\)/);
  assert.match(r.stdout, /Why:\n {2}- /);
  assert.match(r.stdout, /Timeline:\n.*PolicyChanged/);
});

test('explain --at before the first sync is exit 2; a bad --at is exit 2', () => {
  const d = states[0]!;
  const early = run(['explain', LOG, d.deviceId, '--at', '2000-01-01T00:00:00Z']);
  assert.is(early.code, 2);
  assert.match(early.stderr, /first seen/);
  assert.is(run(['explain', LOG, d.deviceId, '--at', 'soon']).code, 2);
});

test('explain --at refuses an impossible date and a date-time without a zone (exit 2), whatever TZ says', () => {
  const d = states[0]!;
  const impossible = run(['explain', LOG, d.deviceId, '--at', '2026-02-30T00:00:00Z']);
  assert.is(impossible.code, 2);
  assert.match(impossible.stderr, /day 30 does not exist/);
  for (const tz of ['UTC', 'Asia/Tokyo', 'America/New_York']) {
    const r = spawnSync(process.execPath, [MAIN, 'explain', LOG, d.deviceId, '--at', '2099-11-26T08:00:00'], {
      encoding: 'utf8',
      env: { ...process.env, TZ: tz },
    });
    assert.is(r.status, 2, `TZ=${tz}`);
    assert.match(r.stderr, /with a time zone/);
  }
});

test('explain of an unknown device id is exit 2 with the closest known ids, nothing on stdout', () => {
  const d = states[0]!;
  const r = run(['explain', LOG, d.deviceId.slice(0, -1), '--json']);
  assert.is(r.code, 2);
  assert.is(r.stdout, '');
  assert.match(r.stderr, /closest known ids: .*/);
  assert.ok(r.stderr.includes(d.deviceId), r.stderr);
  assert.is(run(['explain', LOG]).code, 2);
  assert.is(run(['explain', join(dir, 'missing.ndjson'), 'X']).code, 2);
});

test('what-if --json lists the changes a stricter policy makes, counted by transition, and its commands', () => {
  const file = join(dir, 'stricter.json');
  writeFileSync(file, JSON.stringify({ ...policy, defaultAccessLevel: 'block' }));
  const r = run(['what-if', LOG, '--policy', file, '--json']);
  assert.is(r.code, 0, r.stderr);
  const w = json(r.stdout);
  assert.ok(w.changes.length > 0);
  assert.ok(w.summary['quarantine->block'] > 0);
  assert.is(
    Object.values(w.summary as Record<string, number>).reduce((a, b) => a + b, 0),
    w.changes.length,
  );
  assert.is(w.unchanged + w.changes.length, 1000);
  for (const c of w.changes)
    assert.ok(typeof c.deviceId === 'string' && typeof c.mailbox === 'string' && c.from !== c.to && typeof c.reason === 'string');
  assert.ok(
    w.commands.length > 0 &&
      w.commands.every(
        (c: { mailbox: string; blockedDeviceIds: { add: string[] } }) =>
          typeof c.mailbox === 'string' && Array.isArray(c.blockedDeviceIds.add),
      ),
  );
  const text = run(['what-if', LOG, '--policy', file]);
  assert.is(text.code, 0);
  assert.match(text.stdout, /quarantine -> block\s+\d+/);
  assert.match(text.stdout, /Set-CasMailbox -Identity '/);
});

test('what-if with the policy in force changes nothing; a bad policy file is exit 2 naming its path', () => {
  const same = join(dir, 'same.json');
  writeFileSync(same, JSON.stringify(policy));
  const w = json(run(['what-if', LOG, '--policy', same, '--json']).stdout);
  assert.is(w.changes.length, 0);
  assert.is(w.commands.length, 0);
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, JSON.stringify({ ...policy, defaultAccessLevel: 'deny' }));
  const r = run(['what-if', LOG, '--policy', bad]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /bad\.json: defaultAccessLevel/);
  assert.is(run(['what-if', LOG]).code, 2);
});

test('explain and what-if answer --help and never write the log', () => {
  for (const c of ['explain', 'what-if']) {
    const r = run([c, '--help']);
    assert.is(r.code, 0);
    assert.match(r.stdout, new RegExp(`Usage: eas-sync ${c}`));
  }
  assert.ok(readFileSync(LOG).equals(before));
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
