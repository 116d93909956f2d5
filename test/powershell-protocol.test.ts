// The PowerShell gateway's pure parts: the constant script and its tables, the
// wire encoding, frame parsing, the error mapping table, redaction, and the
// command -> request mapping.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { isLeft } from 'fp-ts/lib/Either.js';
import { SCRIPT, OPERATIONS, PROJECTIONS, ALLOWED_CMDLETS } from '../adapters/powershell/scripts.js';
import { ENCODED_SCRIPT, pwshArguments } from '../adapters/powershell/session.js';
import {
  asciiJson,
  formatFrame,
  fromWire,
  fromWireString,
  parseLine,
  toWire,
  toWireString,
  type PsErrorInfo,
} from '../adapters/powershell/protocol.js';
import { mapPsError, redact, secretForms } from '../adapters/powershell/errors.js';
import { commandRequest } from '../adapters/powershell/requests.js';
import { powershellGatewayFromConfig } from '../adapters/powershell/config.js';
import type { ExchangeError } from '../src/ports.js';

// ------------------------------------------------------------------ the script
test('the script is constant ASCII text with no dynamic code', () => {
  assert.not.match(SCRIPT, /[^\x00-\x7f]/, 'ASCII only');
  for (const banned of [
    /Invoke-Expression/i,
    /\biex\b/i,
    /\[scriptblock\]::Create/i,
    /Add-Type/i,
    /-EncodedCommand/i,
    /\$ExecutionContext/i,
    /NewScriptBlock/i,
  ]) {
    assert.not.match(SCRIPT, banned, `no ${banned}`);
  }
  const invocations = SCRIPT.match(/&\s*\$\w+/g) ?? [];
  assert.equal([...new Set(invocations)], ['& $op'], 'the only dynamic invocation is the allowlisted operation');
  assert.match(SCRIPT, /if \(\$Request\.t -ne 'call' -or -not \$Ops\.ContainsKey\(\$op\)\)/, 'operations are checked against $Ops first');
});

test("the script's operation and field tables are exactly OPERATIONS and PROJECTIONS; every operation is allowlisted", () => {
  const ops = SCRIPT.slice(SCRIPT.indexOf('$Ops = @{'), SCRIPT.indexOf('$Fields = @{'));
  const parsed: Record<string, unknown> = {};
  for (const m of ops.matchAll(/'([A-Za-z-]+)' = @\{ Params = @\(([^)]*)\)(?:; Select = '(\w+)')?(?:; Confirm = (\$true))? \}/g)) {
    const params = m[2]!
      .split(',')
      .map((p) => p.trim().replace(/'/g, ''))
      .filter(Boolean);
    parsed[m[1]!] = { params, ...(m[3] ? { select: m[3] } : {}), ...(m[4] ? { confirm: true } : {}) };
  }
  assert.equal(parsed, OPERATIONS);
  const fields = SCRIPT.slice(SCRIPT.indexOf('$Fields = @{'), SCRIPT.indexOf('function Send-Line'));
  const parsedFields = Object.fromEntries([...fields.matchAll(/^\s+(\w+) = '([^']*)'$/gm)].map((m) => [m[1], m[2]]));
  assert.equal(parsedFields, PROJECTIONS);
  for (const op of Object.keys(OPERATIONS)) assert.ok(ALLOWED_CMDLETS.includes(op), `${op} is allowlisted`);
  assert.ok(ALLOWED_CMDLETS.includes('Set-ADServerSettings'));
  for (const name of ['Get-MobileDevice', 'Get-MobileDeviceStatistics', 'Clear-MobileDevice', 'Remove-MobileDevice'])
    assert.ok(ALLOWED_CMDLETS.includes(name));
  // Wipes and removals are reachable (administrator actions, stale clean-up), each with -Confirm:$false and no other switch than -AccountOnly.
  const destructive = Object.entries(OPERATIONS).filter(([op]) => /^(Clear|Remove)-(Mobile|ActiveSync)Device$/.test(op));
  assert.equal(destructive.map(([op]) => op).sort(), [
    'Clear-ActiveSyncDevice',
    'Clear-MobileDevice',
    'Remove-ActiveSyncDevice',
    'Remove-MobileDevice',
  ]);
  for (const [op, spec] of destructive) {
    assert.ok(spec.confirm, `${op} runs with -Confirm:$false`);
    assert.equal(spec.params, op === 'Clear-MobileDevice' ? ['Identity', 'AccountOnly'] : ['Identity'], `${op} parameters`);
  }
});

test("the command line stays within Windows' 32,767 characters", () => {
  const line = ['C:\\Program Files\\PowerShell\\7\\pwsh.exe', ...pwshArguments()].join(' ');
  assert.ok(line.length < 32_000, `${line.length} characters`);
  assert.is(Buffer.from(ENCODED_SCRIPT, 'base64').toString('utf16le'), SCRIPT);
});

// ------------------------------------------------------------------ wire encoding and frames
test('wire strings keep every UTF-16 code unit, lone surrogates included (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 }), (units) => {
      const s = String.fromCharCode(...units);
      const w = toWireString(s);
      assert.match(w, /^[A-Za-z0-9+/=]*$/);
      assert.is(fromWireString(w), s);
    }),
    { numRuns: 2000 },
  );
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (s) => fromWireString(toWireString(s)) === s));
  assert.throws(() => fromWireString('abc'), /base64/);
  assert.throws(() => fromWireString('YQ=='), /whole UTF-16 code units/);
  const v = {
    Identity: "O'Brien",
    ActiveSyncAllowedDeviceIDs: { Add: ['a', '2026-01-01T00:00:00Z'], Remove: [] },
    Confirm: false,
    X: null,
  };
  assert.equal(fromWire(toWire(v)), v);
  assert.not.match(asciiJson({ a: 'é\u2028§' }), /[^\x00-\x7f]/);
  assert.equal(JSON.parse(asciiJson({ a: 'é\u2028§\uD800' })), { a: 'é\u2028§\uD800' });
});

test("frames: recognised only with the session's nonce and the right length; everything else is noise or corrupt", () => {
  const nonce = '0123456789abcdef0123456789abcdef';
  const line = (json: string) => formatFrame(nonce, json).trim();
  assert.equal(parseLine(line('{"t":"bye"}'), nonce), { kind: 'frame', frame: { t: 'bye' } });
  assert.equal(parseLine(line('{"t":"end","id":3,"ok":true,"count":2,"warnings":"one"}'), nonce), {
    kind: 'frame',
    frame: { t: 'end', id: 3, ok: true, open: true, count: 2, warnings: ['one'] },
  });
  assert.equal(parseLine(line('{"t":"end","id":3,"ok":false,"open":false,"error":{"message":"m"}}'), nonce), {
    kind: 'frame',
    frame: { t: 'end', id: 3, ok: false, open: false, error: { category: '', reason: '', fullyQualifiedErrorId: '', message: 'm' } },
  });
  for (const noise of [
    'WARNING: x',
    '',
    'EASF1 ffffffffffffffffffffffffffffffff 11 {"t":"bye"}',
    `xEASF1 ${nonce} 11 {"t":"bye"}`,
    '{"t":"bye"}',
  ]) {
    assert.equal(parseLine(noise, nonce), { kind: 'noise' }, noise);
  }
  assert.is(parseLine(`EASF1 ${nonce} 12 {"t":"bye"}`, nonce).kind, 'corrupt');
  assert.is(parseLine(`EASF1 ${nonce} x {"t":"bye"}`, nonce).kind, 'corrupt');
  assert.is(parseLine(`EASF1 ${nonce} 3 {"t`, nonce).kind, 'corrupt');
  assert.is(parseLine(line('{"t":"what"}'), nonce).kind, 'corrupt');
  assert.is(parseLine(line('{"t":"chunk","id":-1}'), nonce).kind, 'corrupt');
  assert.is(parseLine(line('[]'), nonce).kind, 'corrupt');
});

// ------------------------------------------------------------------ error mapping
const info = (message: string, o: Partial<PsErrorInfo> = {}): PsErrorInfo => ({
  category: '',
  reason: '',
  fullyQualifiedErrorId: '',
  message,
  ...o,
});
const kindOf = (e: ExchangeError) => (e.kind === 'throttled' ? `throttled:${e.waitMs}` : e.kind);

test('error mapping table', () => {
  const table: [PsErrorInfo, string][] = [
    [
      info(
        'Processing data from remote server cas01.contoso.com failed with the following error message: The user load quota of 1000 requests per 60 seconds has been exceeded. Send future requests at a slower rate or raise the quota for this user. The next request from this user will not be approved for at least 29364 milliseconds. For more information, see the about_Remote_Troubleshooting Help topic.',
        { category: 'OperationStopped', reason: 'PSRemotingTransportException', fullyQualifiedErrorId: 'JobFailure' },
      ),
      'throttled:29364',
    ],
    [
      info(
        'Connecting to remote server cas01 failed with the following error message : The WS-Management service cannot process the request. This user is allowed a maximum number of 18 concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user. For more information, see the about_Remote_Troubleshooting Help topic.',
        { category: 'OpenError', reason: 'PSRemotingTransportException', fullyQualifiedErrorId: '-2144108060,PSSessionOpenFailed' },
      ),
      'throttled:5000',
    ],
    [
      info(
        'The Windows Remote Shell cannot process the request. The server is already executing the maximum number of concurrent shells a user can remotely open.',
      ),
      'throttled:5000',
    ],
    [
      info('Fail to create a runspace because you have exceeded your budget to create runspace. Please wait for 30 seconds.'),
      'throttled:5000',
    ],
    [
      info(
        'Connecting to remote server cas01 failed with the following error message : Access is denied. For more information, see the about_Remote_Troubleshooting Help topic.',
        { category: 'OpenError', reason: 'PSRemotingTransportException', fullyQualifiedErrorId: 'AccessDenied,PSSessionOpenFailed' },
      ),
      'accessDenied',
    ],
    [
      info(
        'Connecting to remote server cas01 failed with the following error message : WinRM cannot process the request. The following error occurred while using Kerberos authentication: The user name or password is incorrect.',
        { category: 'OpenError' },
      ),
      'accessDenied',
    ],
    [
      info("The term 'Set-CasMailbox' is not recognized as the name of a cmdlet, function, script file, or operable program.", {
        category: 'ObjectNotFound',
        reason: 'CommandNotFoundException',
      }),
      'accessDenied',
    ],
    [
      info(
        'Active Directory operation failed on dc01.contoso.com. This error is not retriable. Additional information: Insufficient access rights to perform the operation.',
        { reason: 'ADOperationException' },
      ),
      'accessDenied',
    ],
    [info('x', { category: 'PermissionDenied' }), 'accessDenied'],
    [
      info("The operation couldn't be performed because object 'contoso.com/Users/Nobody' couldn't be found on 'dc01.contoso.com'.", {
        category: 'NotSpecified',
        reason: 'ManagementObjectNotFoundException',
        fullyQualifiedErrorId:
          '[Server=CAS01,RequestId=1,TimeStamp=1] [FailureCategory=Cmdlet-ManagementObjectNotFoundException] 5DB2E2D5,Microsoft.Exchange.Management.Tasks.SetCASMailbox',
      }),
      'notFound',
    ],
    [info('some text', { reason: 'ManagementObjectNotFoundException' }), 'notFound'],
    [
      info(
        'Processing data from remote server cas01.contoso.com failed with the following error message: The WinRM client cannot complete the operation within the time specified.',
        { category: 'OperationStopped', reason: 'PSRemotingTransportException', fullyQualifiedErrorId: 'JobFailure' },
      ),
      'connectionLost',
    ],
    [
      info(
        'Connecting to remote server cas02 failed with the following error message : WinRM cannot complete the operation. Verify that the specified computer name is valid.',
        { category: 'OpenError', fullyQualifiedErrorId: 'CannotConnect,PSSessionOpenFailed' },
      ),
      'connectionLost',
    ],
    [
      info(
        'Starting a command on the remote server failed with the following error message : The I/O operation has been aborted because of either a thread exit or an application request.',
        { fullyQualifiedErrorId: 'JobFailure' },
      ),
      'connectionLost',
    ],
    [
      info('Processing data from remote server cas01.contoso.com failed with the following error message: The session state is Broken.', {
        fullyQualifiedErrorId: 'JobFailure',
      }),
      'sessionBroken',
    ],
    [
      info('The state of the current PowerShell instance is not valid for this operation.', { reason: 'InvalidRunspaceStateException' }),
      'sessionBroken',
    ],
    [info('x', { fullyQualifiedErrorId: 'PSSessionStateBroken' }), 'sessionBroken'],
    [
      info('The ActiveSyncDeviceAccessRule "x (DeviceModel)" already exists.', { category: 'NotSpecified', reason: 'TaskException' }),
      'other',
    ],
    [info("Cannot bind parameter 'DefaultAccessLevel'. Invalid value 'Sometimes'."), 'other'],
    [info('', { category: 'NotSpecified', fullyQualifiedErrorId: 'X' }), 'other'],
  ];
  for (const [i, expected] of table) assert.is(kindOf(mapPsError(i)), expected, i.message);
  const lost = table.find(([i]) => /cannot complete the operation within/.test(i.message))![0];
  assert.equal(mapPsError(lost, { server: 'cas01' }), { kind: 'connectionLost', message: lost.message, server: 'cas01' });
  assert.is(kindOf(mapPsError(table[1]![0], { shellQuotaWaitMs: 777 })), 'throttled:777');
  assert.match(mapPsError(info('', { category: 'NotSpecified', fullyQualifiedErrorId: 'X' })).message, /NotSpecified \(X\)/);
});

test('redaction removes a secret in every form it travels in', () => {
  const secret = 'Pa$$\'w"0rd§';
  const forms = secretForms(secret);
  assert.ok(
    forms.includes(secret) &&
      forms.includes(Buffer.from(secret, 'utf16le').toString('base64')) &&
      forms.includes(JSON.stringify(secret).slice(1, -1)),
  );
  const text = `a ${secret} b ${Buffer.from(secret, 'utf16le').toString('base64')} c ${JSON.stringify(secret)}`;
  const out = redact(text, forms);
  for (const f of forms) assert.not.ok(out.includes(f));
  assert.equal(secretForms(''), []);
  assert.is(redact('nothing', []), 'nothing');
});

// ------------------------------------------------------------------ commands as requests
test("each command is one allowlisted operation whose parameters are the command's values", () => {
  const ok = <A>(e: ReturnType<typeof commandRequest>) => {
    if (isLeft(e)) throw new Error(e.left.message);
    return e.right as unknown as A;
  };
  assert.equal(
    ok(
      commandRequest({
        kind: 'setCasMailbox',
        mailbox: "m'1",
        allowedDeviceIds: { add: ['a'], remove: ['b'] },
        blockedDeviceIds: { add: [], remove: [] },
      }),
    ),
    {
      op: 'Set-CasMailbox',
      args: { Identity: "m'1", ActiveSyncAllowedDeviceIDs: { Add: ['a'], Remove: ['b'] } },
    },
  );
  assert.equal(
    ok(
      commandRequest({
        kind: 'setCasMailbox',
        mailbox: 'm',
        allowedDeviceIds: { add: [], remove: ['x'] },
        blockedDeviceIds: { add: ['x'], remove: [] },
      }),
    ),
    {
      op: 'Set-CasMailbox',
      args: { Identity: 'm', ActiveSyncAllowedDeviceIDs: { Remove: ['x'] }, ActiveSyncBlockedDeviceIDs: { Add: ['x'] } },
    },
  );
  assert.equal(ok(commandRequest({ kind: 'setOrgSettings', defaultAccessLevel: 'Quarantine', adminMailRecipients: [] })), {
    op: 'Set-ActiveSyncOrganizationSettings',
    args: { DefaultAccessLevel: 'Quarantine', AdminMailRecipients: null },
  });
  assert.equal(ok(commandRequest({ kind: 'newDeviceAccessRule', characteristic: 'DeviceType', queryString: 'q', accessLevel: 'Allow' })), {
    op: 'New-ActiveSyncDeviceAccessRule',
    args: { Characteristic: 'DeviceType', QueryString: 'q', AccessLevel: 'Allow' },
  });
  assert.equal(ok(commandRequest({ kind: 'setDeviceAccessRule', name: 'q (DeviceType)', accessLevel: 'Block' })), {
    op: 'Set-ActiveSyncDeviceAccessRule',
    args: { Identity: 'q (DeviceType)', AccessLevel: 'Block' },
  });
  assert.equal(ok(commandRequest({ kind: 'removeDeviceAccessRule', name: 'q (DeviceType)' })), {
    op: 'Remove-ActiveSyncDeviceAccessRule',
    args: { Identity: 'q (DeviceType)' },
  });
  const bad = commandRequest({ kind: 'wipeEverything' } as never);
  assert.ok(isLeft(bad) && bad.left.kind === 'other');
  for (const c of [
    'Set-CasMailbox',
    'Set-ActiveSyncOrganizationSettings',
    'New-ActiveSyncDeviceAccessRule',
    'Set-ActiveSyncDeviceAccessRule',
    'Remove-ActiveSyncDeviceAccessRule',
  ]) {
    assert.ok(OPERATIONS[c], `${c} is an operation`);
  }
});

test("the config file's powershell section becomes gateway options; problems are named, secrets are not", async () => {
  const env = { EAS_U: 'CONTOSO\\svc', EAS_P: 'hunter2-secret' };
  const good = powershellGatewayFromConfig(
    { kind: 'powershell', cas: 'cas01.contoso.com', usernameEnv: 'EAS_U', passwordEnv: 'EAS_P', parallelism: 2 },
    { env },
  );
  assert.ok(!isLeft(good) && good.right.currentServer() === 'cas01.contoso.com');
  if (!isLeft(good)) await good.right.close();
  const problems = [
    powershellGatewayFromConfig({ kind: 'powershell', cas: 'cas01', usernameEnv: 'EAS_U' }, { env }),
    powershellGatewayFromConfig({ kind: 'powershell', cas: 'cas01', authentication: 'Basic' }, { env }),
    powershellGatewayFromConfig({ kind: 'powershell', cas: 'cas01', usernameEnv: 'EAS_U', passwordEnv: 'EAS_MISSING' }, { env }),
    powershellGatewayFromConfig({ kind: 'powershell', cas: 'cas01; rm -rf /' }, { env }),
    powershellGatewayFromConfig({ kind: 'powershell', cas: 'cas01', maxConcurrency: 2 }, { env }),
  ].map((r) => (isLeft(r) ? r.left : 'ok'));
  assert.equal(problems, [
    'exchange.usernameEnv and exchange.passwordEnv go together',
    'exchange.authentication "Basic" needs exchange.usernameEnv and exchange.passwordEnv',
    'the environment variable EAS_MISSING (named by the config) is not set',
    'exchange: server must be a host name, got "cas01; rm -rf /"',
    'exchange: maxConcurrency must be an integer ≥ 3, got 2',
  ]);
  assert.not.ok(problems.join(' ').includes('hunter2'));
});

test.run();
