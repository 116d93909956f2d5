import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { parsePolicy, policyDocument, samePolicy } from '../src/policy.js';

const test = suite('policy');
const issues = (u: unknown) => {
  const r = parsePolicy(u);
  return isLeft(r) ? r.left : [];
};

test('fills defaults for a minimal policy', () => {
  const r = parsePolicy({ enabled: true, includedGroups: ['g'] });
  assert.ok(isRight(r));
  if (isRight(r)) {
    assert.is(r.right.defaultAccessLevel, 'quarantine');
    assert.equal(r.right.platformExceptions, []);
    assert.is(r.right.notification.enabled, true);
  }
});

test('rejects an unknown key with its path', () => {
  assert.equal(issues({ enabled: true, defaultAcessLevel: 'block' }), [
    { path: 'defaultAcessLevel', message: 'unknown key "defaultAcessLevel"' },
  ]);
  assert.equal(
    issues({ enabled: true, platformExceptions: [{ type: 'family', name: 'X', access: 'allow', extra: 1 }] })[0]?.path,
    'platformExceptions[0].extra',
  );
});

test('rejects a bad value with its path', () => {
  const found = issues({
    enabled: true,
    platformExceptions: [
      { type: 'family', name: 'A', access: 'allow' },
      { type: 'vendor', name: 'B', access: 'allow' },
    ],
  });
  assert.is(found[0]?.path, 'platformExceptions[1].type');
  assert.match(found[0]!.message, /family \| model/);
  assert.is(issues({ enabled: 'yes' })[0]?.path, 'enabled');
  assert.is(issues({ enabled: true, defaultAccessLevel: 'deny' })[0]?.path, 'defaultAccessLevel');
});

test('rejects a user mail insert longer than Exchange accepts (256)', () => {
  const found = issues({ enabled: true, notification: { userMailInsert: 'x'.repeat(257) } });
  assert.is(found[0]?.path, 'notification.userMailInsert');
});

test('rejects duplicate platform exceptions, whatever their case', () => {
  const found = issues({
    enabled: true,
    platformExceptions: [
      { type: 'family', name: 'Android', access: 'allow' },
      { type: 'family', name: 'android', access: 'block' },
    ],
  });
  assert.is(found[0]?.path, 'platformExceptions[1]');
});

test('rejects a missing required key', () => {
  assert.is(issues({})[0]?.path, 'enabled');
});

test('property: a valid policy round-trips through its document form', () => {
  fc.assert(
    fc.property(
      fc.record({
        enabled: fc.boolean(),
        includedGroups: fc.array(fc.uuid()),
        excludedGroups: fc.array(fc.uuid()),
        defaultAccessLevel: fc.constantFrom('allow', 'block', 'quarantine'),
        platformExceptions: fc.uniqueArray(
          fc.record({
            type: fc.constantFrom('family', 'model'),
            name: fc.string({ minLength: 1 }).filter((s) => s.trim() !== ''),
            access: fc.constantFrom('allow', 'block', 'quarantine'),
          }),
          { selector: (e) => `${e.type}:${e.name.toLowerCase()}` },
        ),
      }),
      (doc) => {
        const r = parsePolicy(doc);
        if (!isRight(r)) return false;
        const again = parsePolicy(JSON.parse(JSON.stringify(policyDocument(r.right))));
        return isRight(again) && samePolicy(r.right, again.right);
      },
    ),
    { numRuns: 300 },
  );
});

test.run();
