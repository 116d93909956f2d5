import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { isLeft, isRight, type Either } from 'fp-ts/lib/Either.js';
import { decodeGroups } from '../adapters/exports/groups.js';
import { formatInputError, type InputError } from '../adapters/shared/input-errors.js';
import { readExportFile } from '../adapters/exports/read.js';
import type { GroupMembership } from '../src/facts.js';
import { parsePolicy } from '../src/policy.js';
import { decodeText, parseJsonText } from '../adapters/exports/text.js';
import { readFileSync } from 'node:fs';

const samples = (name: string) => fileURLToPath(new URL(`../../examples/exports/${name}`, import.meta.url));

function ok<A>(r: Either<InputError[], A>): A {
  if (isLeft(r)) throw new Error('expected success, got ' + r.left.map(formatInputError).join('; '));
  return r.right;
}
function errs<A>(r: Either<InputError[], A>): string[] {
  if (isRight(r)) throw new Error('expected errors');
  return r.left.map(formatInputError);
}
const plain = (g: GroupMembership) => Object.fromEntries([...g].map(([k, v]) => [k, [...v]]));

test('group id → UPN set, UPNs lower-cased and trimmed', () => {
  const g = ok(decodeGroups({ g1: ['Kim@Contoso.com', ' ben@contoso.com '], g2: [] }, 'groups.json'));
  assert.equal(plain(g), { g1: ['kim@contoso.com', 'ben@contoso.com'], g2: [] });
  assert.ok(g.get('g1')!.has('kim@contoso.com'));
});

test('members as Graph user objects are accepted; null members is an empty group', () => {
  const g = ok(decodeGroups({ g1: [{ id: 'u1', userPrincipalName: 'Kim@contoso.com' }], g2: null }, 'groups.json'));
  assert.equal(plain(g), { g1: ['kim@contoso.com'], g2: [] });
});

test('an empty file (parsed as []) is no groups', () => {
  assert.is(ok(decodeGroups([], 'groups.json')).size, 0);
});

test('bad members and groups are all reported with their paths', () => {
  assert.equal(errs(decodeGroups({ 'a-1': ['kim@contoso.com', 3, ''], 'b 2': 'kim@contoso.com' }, 'groups.json')), [
    'groups.json: a-1[1]: expected a user principal name, got 3',
    'groups.json: a-1[2]: expected a user principal name, got ""',
    'groups.json: "b 2": expected an array of user principal names, got "kim@contoso.com"',
  ]);
});

test('a root that is not an object is an error', () => {
  assert.equal(errs(decodeGroups(['kim@contoso.com'], 'groups.json')), [
    'groups.json: (root): expected an object of group id → user principal names, got ["kim@contoso.com"]',
  ]);
});

test('sample groups.json: the included and the excluded group', async () => {
  const g = ok(await readExportFile(samples('groups.json'), decodeGroups));
  assert.equal([...g.keys()], ['8c5b1f7e-2d4a-4e61-9f3b-6a2c1d0e9b47', 'e1a90c3d-7b25-4f8e-a6d4-0f9b2c7e5a13']);
  assert.is(g.get('8c5b1f7e-2d4a-4e61-9f3b-6a2c1d0e9b47')!.size, 7);
  assert.ok(g.get('8c5b1f7e-2d4a-4e61-9f3b-6a2c1d0e9b47')!.has('sean.obrien@contoso.com'));
  assert.not.ok(g.get('8c5b1f7e-2d4a-4e61-9f3b-6a2c1d0e9b47')!.has('lidia@contoso.com'));
  assert.equal([...g.get('e1a90c3d-7b25-4f8e-a6d4-0f9b2c7e5a13')!], ['chris.preston@contoso.com']);
});

test('sample policy.json is a valid policy naming the sample groups', async () => {
  const g = ok(await readExportFile(samples('groups.json'), decodeGroups));
  const json = parseJsonText(decodeText(readFileSync(samples('policy.json'))), 'policy.json');
  assert.ok(isRight(json));
  if (!isRight(json)) return;
  const p = parsePolicy(json.right);
  assert.ok(isRight(p), JSON.stringify(p));
  if (!isRight(p)) return;
  assert.is(p.right.defaultAccessLevel, 'quarantine');
  assert.equal(p.right.platformExceptions, [{ type: 'family', name: 'BlackBerry', access: 'allow' }]);
  for (const id of [...p.right.includedGroups, ...p.right.excludedGroups]) assert.ok(g.has(id), id);
});

test.run();
