// The gateway's script must also run on Windows PowerShell 5.1 (Exchange servers'
// hosts, powershell.exe). PowerShell's own parser (System.Management.Automation.
// Language.Parser, in real pwsh) reads it, and every node is checked against what
// 5.1 lacks: the syntax PowerShell 6/7 added, the cmdlets and parameters 7 added,
// 6+ automatic variables, escapes and .NET Core types. ConvertTo-Json always gets
// -Depth and -Compress (5.1's default depth is 2). A sample of each forbidden
// thing proves the check fires.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCRIPT } from '../adapters/powershell/scripts.js';
import { realPwshTests } from './support/real-pwsh.js';

const real = realPwshTests('pwsh-compat');
const AST_DUMP = fileURLToPath(new URL('../../test/support/ast-dump.ps1', import.meta.url));

interface Node {
  type: string;
  line: number;
  text: string;
  name?: string;
  parameters?: string[];
  splatted?: string[];
  operator?: string;
  nullConditional?: boolean;
  static?: boolean;
  member?: string;
  target?: string;
  background?: boolean;
  typeName?: string;
  clean?: boolean;
}
interface Dump {
  errors: string[];
  nodes: Node[];
  expandable: string[];
}

/** Syntax nodes PowerShell 6/7 added. */
const NODES_7 = new Set(['TernaryExpressionAst', 'PipelineChainAst']);
/** Automatic variables 5.1 does not have. */
const VARIABLES_7 = new Set([
  'IsWindows',
  'IsLinux',
  'IsMacOS',
  'IsCoreCLR',
  'PSStyle',
  'PSNativeCommandArgumentPassing',
  'PSNativeCommandUseErrorActionPreference',
  'EnabledExperimentalFeatures',
]);
/** Cmdlets 5.1 does not have. */
const COMMANDS_7 = new Set([
  'join-string',
  'get-error',
  'test-json',
  'convertfrom-markdown',
  'show-markdown',
  'get-markdownoption',
  'set-markdownoption',
  'get-uptime',
  'remove-alias',
  'remove-service',
  'get-securerandom',
  'convertto-clixml',
  'convertfrom-clixml',
  'start-threadjob',
  'get-experimentalfeature',
  'enable-experimentalfeature',
  'disable-experimentalfeature',
]);
/** Parameters 7 added to cmdlets 5.1 has. */
const PARAMETERS_7: Record<string, readonly string[]> = {
  'convertfrom-json': ['AsHashtable', 'Depth', 'NoEnumerate', 'DateKind'],
  'convertto-json': ['EscapeHandling', 'EnumsAsStrings', 'AsArray'],
  'foreach-object': ['Parallel', 'ThrottleLimit', 'TimeoutSeconds', 'AsJob', 'UseNewRunspace'],
  'get-date': ['AsUTC', 'UnixTimeSeconds', 'FromUnixTime'],
  'invoke-restmethod': [
    'SkipCertificateCheck',
    'Authentication',
    'Token',
    'SslProtocol',
    'ResponseHeadersVariable',
    'StatusCodeVariable',
    'SkipHttpErrorCheck',
    'Resume',
    'HttpVersion',
    'Form',
    'ConnectionTimeoutSeconds',
    'OperationTimeoutSeconds',
    'AllowInsecureRedirect',
    'PreserveHttpMethodOnRedirect',
    'SkipHeaderValidation',
  ],
  'invoke-webrequest': [
    'SkipCertificateCheck',
    'Authentication',
    'Token',
    'SslProtocol',
    'SkipHttpErrorCheck',
    'Resume',
    'HttpVersion',
    'Form',
    'ConnectionTimeoutSeconds',
    'OperationTimeoutSeconds',
    'SkipHeaderValidation',
  ],
  'new-pssession': [
    'HostName',
    'UserName',
    'KeyFilePath',
    'SSHTransport',
    'Subsystem',
    'SSHConnection',
    'UseWindowsPowerShell',
    'Options',
    'ConnectingTimeout',
  ],
  'import-module': ['UseWindowsPowerShell'],
  'select-object': ['SkipIndex'],
  'get-content': ['AsByteStream'],
  'set-content': ['AsByteStream'],
  'add-content': ['AsByteStream'],
  'split-path': ['LeafBase', 'Extension'],
  'sort-object': ['Top', 'Bottom', 'Stable'],
  'get-childitem': ['FollowSymlink'],
  'out-string': ['NoNewline'],
  'get-random': ['Shuffle'],
  'start-sleep': ['Duration'],
  'test-connection': ['TargetName', 'Ping', 'Traceroute', 'MtuSize', 'TcpPort', 'Repeat'],
};
/** .NET types and static members only .NET Core has. */
const TYPES_7 = [/^System\.Text\.Json/i, /^(System\.)?(Range|Index|Half|DateOnly|TimeOnly)$/i, /PSStyle$/i];
const MEMBERS_7 = new Set(['tohexstring', 'fromhexstring', 'replacelineendings', 'throwifnull']);

/** A parameter name matches a 7-only one when it is that one or a prefix PowerShell would expand to it. */
const matches = (used: string, forbidden: string) => forbidden.toLowerCase().startsWith(used.toLowerCase()) && used.length >= 2;

/** What 5.1 would not run, with the line. */
export function violations(d: Dump): string[] {
  const out = d.errors.map((e) => `parse error: ${e}`);
  for (const n of d.nodes) {
    const at = `line ${n.line}: ${n.text.split('\n')[0]}`;
    if (NODES_7.has(n.type)) out.push(`${n.type} (7 only) at ${at}`);
    if (n.type === 'BinaryExpressionAst' && n.operator === 'QuestionQuestion') out.push(`?? (7 only) at ${at}`);
    if (n.type === 'AssignmentStatementAst' && n.operator === 'QuestionQuestionEquals') out.push(`??= (7 only) at ${at}`);
    if (n.nullConditional) out.push(`?. or ?[] (7 only) at ${at}`);
    if (n.type === 'PipelineAst' && n.background) out.push(`& background operator (6+) at ${at}`);
    if (n.type === 'ScriptBlockAst' && n.clean) out.push(`clean block (7.3+) at ${at}`);
    if (n.type === 'VariableExpressionAst' && n.name && VARIABLES_7.has(n.name)) out.push(`$${n.name} (6+) at ${at}`);
    if (n.typeName && TYPES_7.some((re) => re.test(n.typeName!))) out.push(`type ${n.typeName} (.NET Core) at ${at}`);
    if (n.type === 'InvokeMemberExpressionAst' && n.member && MEMBERS_7.has(n.member.toLowerCase()))
      out.push(`${n.member} (.NET Core) at ${at}`);
    if (n.type === 'CommandAst' && n.name) {
      const cmd = n.name.toLowerCase();
      if (COMMANDS_7.has(cmd)) out.push(`${n.name} (7 only) at ${at}`);
      for (const p of n.parameters ?? []) {
        const bad = (PARAMETERS_7[cmd] ?? []).find((f) => matches(p, f));
        if (bad) out.push(`${n.name} -${bad} (7 only) at ${at}`);
      }
      if (cmd === 'convertto-json') {
        for (const need of ['Depth', 'Compress']) {
          if (!(n.parameters ?? []).some((p) => matches(p, need))) out.push(`ConvertTo-Json without -${need} at ${at}`);
        }
      }
    }
  }
  for (const s of d.expandable) if (/`u\{|`e/.test(s)) out.push(`escape \`u{…} or \`e (6+) in ${s.slice(0, 60)}`);
  return out;
}

function dump(path: string, script: string): Promise<Dump> {
  const dir = mkdtempSync(join(tmpdir(), 'eas-ast-'));
  const file = join(dir, 'script.ps1');
  writeFileSync(file, script, 'utf8');
  return new Promise((resolve, reject) => {
    const child = spawn(path, ['-NoLogo', '-NoProfile', '-NonInteractive', '-File', AST_DUMP], {
      env: { ...process.env, EAS_AST_SCRIPT: file },
    });
    let out = '';
    let errText = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (errText += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      if (code !== 0) reject(new Error(`ast-dump exited ${code}: ${errText}`));
      else resolve(JSON.parse(out) as Dump);
    });
  });
}

if (real.available) {
  const t = suite('the gateway script and Windows PowerShell 5.1');

  t("PowerShell's parser finds nothing in the script that Windows PowerShell 5.1 lacks", async () => {
    const d = await dump(real.path, SCRIPT);
    assert.ok(d.nodes.length > 500, 'the whole script was parsed');
    assert.ok(
      d.nodes.filter((n) => n.type === 'CommandAst' && n.name?.toLowerCase() === 'convertto-json').length >= 5,
      'its ConvertTo-Json calls were seen',
    );
    assert.equal(violations(d), []);
    // the splat given to New-PSSession holds only parameters 5.1's New-PSSession has
    const keys = [...SCRIPT.matchAll(/\$sessionArgs\['(\w+)'\]/g)].map((m) => m[1]!);
    const literal = /\$sessionArgs = @\{([^}]*)\}/
      .exec(SCRIPT)![1]!
      .split(';')
      .map((x) => x.split('=')[0]!.trim());
    for (const k of [...keys, ...literal])
      assert.not.ok(
        PARAMETERS_7['new-pssession']!.some((f) => matches(k, f)),
        `New-PSSession -${k}`,
      );
    assert.equal([...new Set([...literal, ...keys])].sort(), [
      'AllowRedirection',
      'Authentication',
      'ConfigurationName',
      'ConnectionUri',
      'Credential',
      'ErrorAction',
      'SessionOption',
    ]);
  });

  t('the check fires on each thing 5.1 lacks', async () => {
    const samples = [
      '$a = $b ? 1 : 2',
      'Get-Item x && Get-Item y',
      '$a = $b ?? 1',
      '$a ??= 1',
      '$a = ${b}?.c',
      '$a = ${b}?[0]',
      'Start-Sleep 1 &',
      'function f { process { } clean { } }',
      '$IsLinux',
      '$x = [System.Text.Json.JsonSerializer]',
      '$x = [Convert]::ToHexString($b)',
      'Join-String',
      'ConvertFrom-Json $x -AsHashtable',
      'ConvertFrom-Json $x -AsHash',
      'ConvertTo-Json $x -Depth 2 -Compress -EscapeHandling Default',
      '1..2 | ForEach-Object -Parallel { $_ }',
      'Get-Date -AsUTC',
      'New-PSSession -HostName h',
      'ConvertTo-Json $x -Compress',
      'ConvertTo-Json $x -Depth 3',
      '"`u{1F600}"',
      '"`e[0m"',
    ];
    const d = await dump(real.path, samples.join('\n'));
    const found = violations(d);
    for (let i = 0; i < samples.length; i++) {
      assert.ok(
        found.some((v) => v.includes(`line ${i + 1}:`) || (samples[i]!.includes('`') && v.includes(samples[i]!.slice(1, 6)))),
        `flagged: ${samples[i]}\n${found.join('\n')}`,
      );
    }
    assert.equal(
      violations(
        await dump(real.path, 'ConvertTo-Json -InputObject $x -Depth 4 -Compress\n$a = if ($b) { 1 } else { 2 }\n[string]::new($c)'),
      ),
      [],
      'and not on 5.1 code',
    );
  });

  t.run();
}

import { test } from 'uvu';
test.run();
