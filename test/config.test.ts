// The connector config file: strict, and its errors are about what the file says.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfig } from '../adapters/cli/config.js';

const dir = mkdtempSync(join(tmpdir(), 'eas-config-'));
const base = { organization: 'contoso', store: './log.ndjson', policy: './policy.json', intune: { kind: 'simulator' } };
async function errorOf(doc: unknown): Promise<string> {
  const path = join(dir, `c-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(doc));
  try {
    await readConfig(path);
  } catch (err) {
    return (err as Error).message;
  }
  throw new assert.Assertion({ message: 'expected the config to be refused', operator: 'errorOf', expects: 'an error', actual: doc });
}

test("an error in a PowerShell exchange section names only its own keys, not the simulator kind's", async () => {
  const m = await errorOf({ ...base, exchange: { kind: 'powershell', cas: 'cas01', devices: 3 } });
  assert.match(m, /exchange\.devices: unknown key "devices"/);
  assert.not.match(m, /exchange\.cas/);
  assert.is(m.split('\n').length, 1);
  const s = await errorOf({ ...base, exchange: { kind: 'simulator', cas: 'cas01' } });
  assert.match(s, /exchange\.cas: unknown key "cas"/);
  assert.not.match(s, /required|missing/);
});

test('an unknown or missing kind lists the kinds there are', async () => {
  assert.match(
    await errorOf({ ...base, exchange: { kind: 'exchange2019' } }),
    /exchange\.kind: expected "simulator" or "powershell", got "exchange2019"/,
  );
  assert.match(await errorOf({ ...base, exchange: {} }), /exchange\.kind: expected "simulator" or "powershell"$/);
  assert.match(
    await errorOf({ ...base, exchange: { kind: 'simulator' }, intune: { kind: 'entra' } }),
    /intune\.kind: expected "simulator" or "graph", got "entra"/,
  );
});

test('a password variable without a user variable (or the reverse) names the missing key, never an empty variable', async () => {
  const smtp = { kind: 'smtp', host: 'mail.contoso.com', port: 587, from: 'helpdesk@contoso.com' };
  const a = await errorOf({ ...base, exchange: { kind: 'simulator' }, notifier: { ...smtp, passwordEnv: 'SMTP_PASSWORD' } });
  assert.is(a.split(': ').slice(1).join(': '), 'notifier.usernameEnv: missing; give usernameEnv and passwordEnv together (or neither)');
  const b = await errorOf({ ...base, exchange: { kind: 'powershell', cas: 'cas01', usernameEnv: 'EX_USER' } });
  assert.match(b, /exchange\.passwordEnv: missing/);
});

test('cleanup.mailboxesPerSync is read as a whole number and anything else is refused by its path', async () => {
  const path = join(dir, 'cleanup.json');
  writeFileSync(path, JSON.stringify({ ...base, exchange: { kind: 'simulator' }, cleanup: { mailboxesPerSync: 2500 } }));
  assert.is((await readConfig(path)).cleanup?.mailboxesPerSync, 2500);
  assert.match(await errorOf({ ...base, exchange: { kind: 'simulator' }, cleanup: { mailboxesPerSync: 0 } }), /cleanup\.mailboxesPerSync/);
  assert.match(await errorOf({ ...base, exchange: { kind: 'simulator' }, cleanup: { perSync: 10 } }), /cleanup\.perSync: unknown key/);
});

test.run();
