// Opt-in: the PowerShell gateway against a real Exchange server with a real pwsh.
// Off unless EAS_PWSH_INTEGRATION=1 and the connection variables are set (see
// adapters/powershell/README.md); then it reads (org settings, servers, devices,
// mailboxes) and, only with EAS_EXCHANGE_TEST_MAILBOX, adds and removes one
// made-up device id on that mailbox's allowed list.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import { powershellGateway } from '../adapters/powershell/gateway.js';
import type { PowerShellGatewayOptions } from '../adapters/powershell/options.js';
import { envCredentials } from '../adapters/powershell/credentials.js';
import type { ExchangeError } from '../src/ports.js';

type Config =
  | { readonly enabled: true; readonly options: PowerShellGatewayOptions; readonly testMailbox?: string }
  | { readonly enabled: false; readonly reason: string };

/** Reads the switches; says exactly what is missing. */
function integrationConfig(env: NodeJS.ProcessEnv): Config {
  if (env['EAS_PWSH_INTEGRATION'] !== '1') return { enabled: false, reason: 'EAS_PWSH_INTEGRATION is not 1' };
  const server = env['EAS_EXCHANGE_SERVER'];
  if (!server) return { enabled: false, reason: 'EAS_EXCHANGE_SERVER is not set' };
  const authentication = (env['EAS_EXCHANGE_AUTH'] ?? 'Kerberos') as PowerShellGatewayOptions['authentication'];
  const hasCredential = Boolean(env['EAS_EXCHANGE_USERNAME'] && env['EAS_EXCHANGE_PASSWORD']);
  if (authentication === 'Basic' && !hasCredential) {
    return { enabled: false, reason: 'EAS_EXCHANGE_AUTH=Basic needs EAS_EXCHANGE_USERNAME and EAS_EXCHANGE_PASSWORD' };
  }
  const scheme = env['EAS_EXCHANGE_SCHEME'] === 'https' ? 'https' : 'http';
  return {
    enabled: true,
    options: {
      server,
      scheme,
      authentication,
      ...(hasCredential ? { credentials: envCredentials({}, env) } : {}),
      pwshPath: env['EAS_PWSH_PATH'] ?? 'pwsh',
      skipCertificateCheck: env['EAS_EXCHANGE_SKIP_CERT_CHECK'] === '1',
      allowRedirection: authentication === 'Basic',
    },
    ...(env['EAS_EXCHANGE_TEST_MAILBOX'] ? { testMailbox: env['EAS_EXCHANGE_TEST_MAILBOX'] } : {}),
  };
}

test('the integration test is switched on only by EAS_PWSH_INTEGRATION=1 plus a server (and a credential for Basic)', () => {
  assert.equal(integrationConfig({}), { enabled: false, reason: 'EAS_PWSH_INTEGRATION is not 1' });
  assert.equal(integrationConfig({ EAS_PWSH_INTEGRATION: 'true' }), { enabled: false, reason: 'EAS_PWSH_INTEGRATION is not 1' });
  assert.equal(integrationConfig({ EAS_PWSH_INTEGRATION: '1' }), { enabled: false, reason: 'EAS_EXCHANGE_SERVER is not set' });
  const basic = integrationConfig({ EAS_PWSH_INTEGRATION: '1', EAS_EXCHANGE_SERVER: 'cas01.contoso.com', EAS_EXCHANGE_AUTH: 'Basic' });
  assert.is(basic.enabled, false);
  const kerberos = integrationConfig({ EAS_PWSH_INTEGRATION: '1', EAS_EXCHANGE_SERVER: 'cas01.contoso.com' });
  assert.ok(kerberos.enabled && kerberos.options.authentication === 'Kerberos' && kerberos.options.credentials === undefined);
  const here = integrationConfig(process.env);
  if (!here.enabled) {
    console.log(`powershell-integration: skipped (${here.reason}). To run it against a real Exchange, see adapters/powershell/README.md.`);
  } else {
    console.log(`powershell-integration: running against ${here.options.server} with ${here.options.pwshPath}`);
  }
});

const config = integrationConfig(process.env);
// Registered only when switched on (uvu's skip count would upset scripts/run-tests.mjs, which
// takes Total to include skipped tests); when off, the test above says so.
const noop = (_name: string, _fn: () => Promise<void>) => undefined;
const live = config.enabled ? test : noop;

function ok<A>(e: Either<ExchangeError, A>, what: string): A {
  if (isLeft(e)) throw new Error(`${what} failed: ${e.left.kind}: ${e.left.message}`);
  return e.right;
}

live('reads from the real Exchange: org settings, servers, rules, partnerships, mailboxes', async () => {
  if (!config.enabled) return;
  const g = powershellGateway(config.options);
  try {
    const org = ok(await g.getOrgSettings(), 'getOrgSettings');
    assert.ok(['Allow', 'Block', 'Quarantine'].includes(org.defaultAccessLevel));
    const servers = ok(await g.getExchangeServers(), 'getExchangeServers');
    assert.ok(
      servers.some((s) => s.isClientAccessServer),
      'a Client Access server',
    );
    ok(await g.getDeviceAccessRules(), 'getDeviceAccessRules');
    const devices = ok(await g.getMobileDevices(), 'getMobileDevices');
    const recent = ok(
      await g.getMobileDevices({ firstSyncAfter: new Date(Date.now() - 7 * 86_400_000).toISOString() }),
      'getMobileDevices (last 7 days)',
    );
    assert.ok(recent.length <= devices.length);
    ok(await g.getCasMailboxes(), 'getCasMailboxes');
    console.log(
      `powershell-integration: ${devices.length} partnerships, ${servers.length} servers, DefaultAccessLevel ${org.defaultAccessLevel}`,
    );
  } finally {
    await g.close();
  }
  assert.is(g.stats().processes, 0);
});

const writes = config.enabled && config.testMailbox ? test : noop;
writes('adds and removes a made-up device id on EAS_EXCHANGE_TEST_MAILBOX', async () => {
  if (!config.enabled || !config.testMailbox) return;
  const g = powershellGateway(config.options);
  const id = `EasSyncTest${Date.now()}`;
  try {
    const [before] = ok(await g.getCasMailboxes({ identities: [config.testMailbox] }), 'read the test mailbox');
    assert.ok(before, 'the test mailbox exists');
    ok(
      await g.execute({
        kind: 'setCasMailbox',
        mailbox: before.identity,
        allowedDeviceIds: { add: [id], remove: [] },
        blockedDeviceIds: { add: [], remove: [] },
      }),
      'add',
    );
    const [during] = ok(await g.getCasMailboxes({ identities: [before.identity] }), 'read back');
    assert.ok(during!.allowedDeviceIds.includes(id));
    ok(
      await g.execute({
        kind: 'setCasMailbox',
        mailbox: before.identity,
        allowedDeviceIds: { add: [], remove: [id] },
        blockedDeviceIds: { add: [], remove: [] },
      }),
      'remove',
    );
    const [after] = ok(await g.getCasMailboxes({ identities: [before.identity] }), 'read back');
    assert.equal(after!.allowedDeviceIds, before.allowedDeviceIds);
  } finally {
    await g.close();
  }
});

test.run();
