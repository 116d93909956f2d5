// The package's public surface is declared: each subpath of package.json's
// "exports" gives exactly the names listed here (imported by the package's own
// name, as an embedder imports them), and every index names what it exports.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isLeft } from 'fp-ts/lib/Either.js';

const test = suite('public surface');
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string; import: string }>;
};
const namesOf = async (specifier: string) => Object.keys(await import(specifier)).sort();

test('the package root gives the engine, the policy, events, plan and the clean-up choice, and no projection or internal helper', async () => {
  assert.equal(await namesOf('eas-access-sync'), [
    'DEFAULT_MAX_REMOVALS_PER_SYNC',
    'EngineFailure',
    'SCHEMA_VERSION',
    'createEngine',
    'decodeEvent',
    'isEventType',
    'mailboxStream',
    'mailboxStreamPrefix',
    'orgStream',
    'parsePolicy',
    'planMailboxes',
    'policyDocument',
    'selectStale',
  ]);
});

test('eas-access-sync/projections gives the folds of a log in memory, without their parts or lean folds', async () => {
  assert.equal(await namesOf('eas-access-sync/projections'), [
    'createReplay',
    'emptyConnectorStatus',
    'explain',
    'foldConnectorStatus',
    'replay',
    'toExchangeConnectorCollection',
    'toExchangeConnectorResource',
    'whatIf',
  ]);
});

test('eas-access-sync/log gives replay, what-if (and its clean-up dry run) and explain over a log file, a fold of its own and the policy file reader', async () => {
  assert.equal(await namesOf('eas-access-sync/log'), [
    'explainFile',
    'foldEventStoreDb',
    'foldLogFile',
    'readPolicyFile',
    'replayFile',
    'whatIfFile',
    'whatIfRemovalsFile',
  ]);
});

test('eas-access-sync/log reads a missing policy file as a Left naming it, not a throw', async () => {
  const { readPolicyFile } = await import('eas-access-sync/log');
  const r = await readPolicyFile(join(ROOT, 'no-such-policy.json'));
  assert.ok(isLeft(r));
  if (isLeft(r)) assert.match(r.left[0]!.message, /^cannot read \(ENOENT\)$/);
});

test('every subpath in package.json resolves to a built module and its declarations', () => {
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string') {
      assert.ok(existsSync(join(ROOT, target)), subpath);
      continue;
    }
    assert.ok(existsSync(join(ROOT, target.import)), `${subpath}: ${target.import}`);
    assert.ok(existsSync(join(ROOT, target.types)), `${subpath}: ${target.types}`);
  }
});

test('no index re-exports a whole module (export *): every public name is chosen', () => {
  const indexes: string[] = [];
  const walk = (dir: string) => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f === 'index.ts') indexes.push(p);
    }
  };
  for (const d of ['src', 'projections', 'adapters']) walk(join(ROOT, d));
  assert.ok(indexes.length >= 10, `found ${indexes.length} indexes`);
  for (const p of indexes) assert.not.match(readFileSync(p, 'utf8'), /^\s*export\s+\*/m, p);
});

test.run();
