// Connection strings shown without credentials, in one place every command uses.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { isRight } from 'fp-ts/lib/Either.js';
import { hasInlineCredentials, redactConnectionString, scrub, withCredentials } from '../adapters/shared/connection-string.js';
import { parseConnection } from '../adapters/eventstoredb/connection.js';
import { storeSpecOf, type ConnectorConfig } from '../adapters/cli/config.js';

const host = fc.constantFrom('127.0.0.1:2113', 'node1.contoso.com:2113,node2.contoso.com:2113', 'esdb.local');
// Long enough not to occur by chance in the rest of a message.
const secret = fc.string({ minLength: 8, maxLength: 24 }).filter((s) => !/[\s]/.test(s));

test('a redacted connection string and a scrubbed message hold no trace of the credentials', () => {
  fc.assert(
    fc.property(fc.constantFrom('esdb', 'esdb+discover', 'kurrentdb', 'KDB'), host, secret, secret, (scheme, h, user, pass) => {
      const cs = `${scheme}://${encodeURIComponent(user)}:${encodeURIComponent(pass)}@${h}?tls=false`;
      assert.ok(hasInlineCredentials(cs));
      const shown = redactConnectionString(cs);
      assert.is(shown, `${scheme.toLowerCase()}://${h}?tls=false`);
      const message = scrub(
        `failed to reach ${cs}: auth ${encodeURIComponent(pass)} / ${pass} / ${Buffer.from(`${encodeURIComponent(user)}:${encodeURIComponent(pass)}`).toString('base64')}`,
        cs,
      );
      assert.not.ok(message.includes(pass), message);
      assert.not.ok(message.includes(encodeURIComponent(pass)), message);
      assert.ok(message.includes(shown));
    }),
    { numRuns: 500 },
  );
});

test('a user without a password is user information too: redacted and refused inline', () => {
  assert.ok(hasInlineCredentials('esdb://admin@127.0.0.1:2113'));
  assert.is(redactConnectionString('esdb://admin@127.0.0.1:2113'), 'esdb://127.0.0.1:2113');
  assert.not.ok(hasInlineCredentials('esdb://127.0.0.1:2113?tls=false'));
  assert.not.ok(hasInlineCredentials('./logs/eas@contoso.ndjson'));
  assert.is(redactConnectionString('./logs/eas@contoso.ndjson'), './logs/eas@contoso.ndjson');
  assert.is(redactConnectionString('http://admin:hunter22@host'), 'http://host', 'a mistyped scheme is redacted too');
});

test('storeSpecOf puts the credentials from the environment into the connection string the client parses', () => {
  process.env.EAS_T_USER = 'ops admin';
  process.env.EAS_T_PASS = 'p@ss:w/rd?#';
  const c = {
    store: 'esdb://127.0.0.1:2113?tls=false',
    storeCredentials: { usernameEnv: 'EAS_T_USER', passwordEnv: 'EAS_T_PASS' },
  } as unknown as ConnectorConfig;
  const spec = storeSpecOf(c);
  const parsed = parseConnection(spec);
  assert.ok(isRight(parsed) && parsed.right.hasCredentials);
  assert.is(redactConnectionString(spec), 'esdb://127.0.0.1:2113?tls=false');
  assert.is(withCredentials('esdb://a:b@h:1', 'u', 'p'), 'esdb://u:p@h:1');
  delete process.env.EAS_T_PASS;
  assert.throws(() => storeSpecOf(c), /EAS_T_PASS is not set/);
});

test.run();
