// The examples run as users run them (node dist/examples/<name>.js) and say what they should.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startEsdbServer } from './support/esdb-server.js';

const test = suite('examples');
const run = (name: string, args: string[] = []) => {
  const r = spawnSync(process.execPath, [fileURLToPath(new URL(`../examples/${name}.js`, import.meta.url)), ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

test('embed-engine: a full sync succeeds, then a second one finds nothing to do', () => {
  const r = run('embed-engine', ['600']);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /full sync sync-1: succeeded/);
  const m = /(\d+) devices in \d+ mailboxes: (\d+) allow, (\d+) block, (\d+) quarantine/.exec(r.out);
  assert.ok(m, r.out);
  assert.is(Number(m[1]), 600);
  assert.is(Number(m[2]) + Number(m[3]) + Number(m[4]), 600);
  assert.match(r.out, /second full sync sync-2: 0 commands, 2 events appended/);
  assert.match(r.out, /status: connected/);
});

test('why-blocked: explains a notCompliant block with its managed device, command and timeline', () => {
  const r = run('why-blocked');
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /access: block — notCompliant \(rule 6\)/);
  assert.match(r.out, /managed device [0-9a-f-]+: (noncompliant|inGracePeriod|unknown|error|conflict)/);
  assert.match(r.out, /enforced by sync-1\/\d+: succeeded/);
  assert.match(r.out, /Set-CasMailbox -Identity '.+' .*-ActiveSyncBlockedDeviceIDs @\{Add=/);
  assert.match(r.out, /PartnershipDiscovered[\s\S]*AccessDecided[\s\S]*CommandSucceeded/);
});

test('console-api: the console answers the counts, the blocked devices and a CSV export', () => {
  const r = run('console-api');
  assert.is(r.code, 0, r.err);
  const m = /connector connected: 200 devices — (\d+) allow, (\d+) block, (\d+) quarantine/.exec(r.out);
  assert.ok(m, r.out);
  assert.is(Number(m[1]) + Number(m[2]) + Number(m[3]), 200);
  assert.match(r.out, new RegExp(`${m[2]} blocked; the first \\d+ by user:`));
  assert.match(r.out, new RegExp(`CSV export of the quarantined devices: ${m[3]} rows`));
});

test('override: a quarantined phone is allowed by an override, then given back to the policy when it ends', () => {
  const r = run('override');
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /: quarantine \(notEnrolled\)\n/);
  assert.match(r.out, /override override-\S+ granted in /);
  assert.match(r.out, /after quick sync sync-2: allow \(adminOverride\), 1 command/);
  assert.match(r.out, /after the override ended, quick sync sync-3: quarantine \(notEnrolled\)/);
});

test('lifecycle: a wipe goes requested → sent → acknowledged, and full syncs remove stale partnerships ten at a time', () => {
  const r = run('lifecycle');
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /wipe wipe-\S+ of \S+: requested\n/);
  assert.match(r.out, /quick sync sync-2: 1 wipe sent, stage sent\n/);
  assert.match(r.out, /quick sync sync-3: 1 acknowledged, stage acknowledged\n/);
  const m = /full sync sync-4: (\d+) stale partnership\(s\) chosen, (\d+) removed, (\d+) left for later full syncs/.exec(r.out);
  assert.ok(m, r.out);
  assert.is(m[1], '10');
  assert.is(m[2], '10');
});

test('why-blocked: an unknown device id exits 2 naming the closest ids', () => {
  const r = run('why-blocked', ['NoSuchDevice']);
  assert.is(r.code, 2);
  assert.match(r.err, /no device partnership with id "NoSuchDevice"/);
});

test('policy-preview: a stricter policy blocks more, the policy in force changes nothing', () => {
  const r = run('policy-preview');
  assert.is(r.code, 0, r.err);
  const stricter = /stricter .*: (\d+) of 1000 devices would change/.exec(r.out);
  assert.ok(stricter && Number(stricter[1]) > 0, r.out);
  assert.match(r.out, /quarantine->block\s+\d+/);
  assert.match(r.out, /setOrgSettings/);
  assert.match(r.out, /unchanged policy: 0 of 1000 devices would change \(1000 unchanged\)/);
});

// Async: the in-process EventStoreDB must keep answering while the example runs.
const runAsync = (name: string, args: string[]) =>
  new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL(`../examples/${name}.js`, import.meta.url)), ...args]);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => resolve({ code, out, err }));
  });

function checkSnapshotRestart(r: { code: number | null; out: string; err: string }) {
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /no snapshot used \(none yet\)/);
  const written = /snapshot written: position (\d+)/.exec(r.out);
  const loaded = /snapshot loaded \(.+\): covers the log to position (\d+), (\d+) events folded after it/.exec(r.out);
  assert.ok(written && loaded, r.out);
  assert.is(loaded[1], written[1]);
  assert.ok(Number(loaded[2]) > 0, 'the quick sync after the snapshot is folded on top');
  assert.match(r.out, /after the restart, quick sync: succeeded, \d+ command\(s\); 401 devices known, NewPhone1: quarantine/);
}

test('start-from-snapshot: a restart on the file log loads the snapshot and folds the quick sync after it', () => {
  checkSnapshotRestart(run('start-from-snapshot', ['400']));
});

test('start-from-snapshot: the same on EventStoreDB, the snapshot in its own stream', async () => {
  const server = await startEsdbServer();
  try {
    const r = await runAsync('start-from-snapshot', ['400', server.connectionString]);
    checkSnapshotRestart(r);
    assert.match(r.out, /snapshot loaded \(EventStoreDB .+ stream "eas-snapshot-contoso"\)/);
  } finally {
    await server.stop();
  }
});

test.run();
