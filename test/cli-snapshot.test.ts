// `eas-sync sync` on a file log keeps `<log>.snapshot`; a snapshot it cannot use is said on stderr, never fatal.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { policyDocument } from '../src/policy.js';
import { isLeft } from 'fp-ts/lib/Either.js';
import { logIndexPath, openFileStore } from '../adapters/file-store/index.js';

const test = suite('eas-sync snapshot');
const MAIN = fileURLToPath(new URL('../adapters/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'eas-cli-snapshot-'));
writeFileSync(join(dir, 'policy.json'), JSON.stringify(policyDocument(simulateOrganization({ devices: 120, seed: 5 }).policy)));
const CONFIG = join(dir, 'config.json');
writeFileSync(
  CONFIG,
  JSON.stringify({
    organization: 'contoso',
    store: './log.ndjson',
    policy: './policy.json',
    exchange: { kind: 'simulator', devices: 120, seed: 5 },
    intune: { kind: 'simulator' },
  }),
);
const SNAPSHOT = join(dir, 'log.ndjson.snapshot');
const sync = (...extra: string[]) =>
  spawnSync(process.execPath, [MAIN, 'sync', '--config', CONFIG, '--json', ...extra], { encoding: 'utf8', cwd: dir, timeout: 60_000 });

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a full sync leaves a snapshot beside the log, and a damaged one is reported and not used', () => {
  const first = sync();
  assert.is(first.status, 0, first.stderr);
  assert.ok(existsSync(SNAPSHOT));
  assert.not.match(first.stderr, /snapshot/);
  const good = readFileSync(SNAPSHOT);
  writeFileSync(SNAPSHOT, good.subarray(0, good.length - 10));
  const quick = sync('--quick');
  assert.is(quick.status, 0, quick.stderr);
  assert.match(quick.stderr, /snapshot .*log\.ndjson\.snapshot not used \(.*truncated.*\); state folded from the log \(\d+ events\)/);
  assert.is(JSON.parse(quick.stdout).success, true);
  // The next full sync writes a whole one again, and the start after it uses it silently.
  assert.is(sync().status, 0);
  assert.ok(readFileSync(SNAPSHOT).length > good.length - 10);
  const again = sync('--quick');
  assert.is(again.status, 0, again.stderr);
  assert.not.match(again.stderr, /snapshot/);
});

test('an index beside the log that does not match it is said on stderr and not used; the sync goes on', async () => {
  const log = join(dir, 'log.ndjson');
  assert.is(sync().status, 0);
  // A tiny log has no index by default (100,000 events): make one, then damage it.
  const store = await openFileStore(log, { saveIndexEvery: 1 });
  if (isLeft(store)) throw new Error(store.left.kind);
  await store.right.close();
  assert.ok(existsSync(logIndexPath(log)));
  const quiet = sync('--quick');
  assert.is(quiet.status, 0, quiet.stderr);
  assert.not.match(quiet.stderr, /log index/);
  const index = readFileSync(logIndexPath(log));
  writeFileSync(logIndexPath(log), index.subarray(0, index.length - 10));
  const quick = sync('--quick');
  assert.is(quick.status, 0, quick.stderr);
  assert.match(quick.stderr, /log index .*log\.ndjson\.index not used \(.*truncated.*\); every line of the log checked \(\d+\)/);
  assert.is(JSON.parse(quick.stdout).success, true);
});

test.run();
