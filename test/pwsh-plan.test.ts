// The reviewable script of `eas-sync plan --format powershell`, run in real pwsh
// against the Exchange stand-in: it leaves every mailbox's lists exactly as the
// plan (--json) said, for hostile device ids too (quotes of every kind, $(…),
// control, bidi and zero-width characters, lone surrogates). And psQuote's
// values, evaluated by PowerShell itself, are the original strings.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isLeft } from 'fp-ts/lib/Either.js';
import { decodeText } from '../adapters/exports/text.js';
import { toPs51Json, toUtf16LeWithBom } from '../adapters/exports/ps-json.js';
import { psQuote, INVISIBLE } from '../adapters/powershell/quote.js';
import { fromWireString } from '../adapters/powershell/protocol.js';
import { simulateOrganization, type Simulation } from '../adapters/simulator/index.js';
import { FakeExchange } from './support/fake-exchange.js';
import { startStandInHost } from './support/standin-host.js';
import { realPwshTests, STAND_IN_MODULE, HOSTILE_LOCALE } from './support/real-pwsh.js';

const real = realPwshTests('pwsh-plan');
const MAIN = fileURLToPath(new URL('../adapters/cli/main.js', import.meta.url));
const EXPORTS = fileURLToPath(new URL('../../examples/exports/', import.meta.url));
const RAW_INVISIBLE = new RegExp(INVISIBLE.source);

/** Suffixes that make each sample DeviceId hostile. */
const HOSTILE_SUFFIXES = [
  "'; Remove-Mailbox -Identity * -Confirm:$false; '",
  '\u2019$(Remove-Mailbox x)\u2018',
  '\u001B[31mred\u001B[0m',
  'a\r\nSet-CasMailbox x',
  '\u202Egpj.exe',
  '\u200B\u200D\uFEFF',
  '\u0000nul\u0085',
  '\u0007bell\u009B',
  '`"@{Add=1}"`',
  '\u2028\u2029\u2066x\u2069',
];

type Doc = unknown;
const readDoc = (name: string): Doc => JSON.parse(decodeText(readFileSync(join(EXPORTS, name))));

/** Every string equal (case-insensitively) to a key of `map` replaced by its value. */
function replaceIds(doc: Doc, map: Map<string, string>): Doc {
  if (typeof doc === 'string') return map.get(doc.toLowerCase()) ?? doc;
  if (Array.isArray(doc)) return doc.map((x) => replaceIds(x, map));
  if (doc && typeof doc === 'object') return Object.fromEntries(Object.entries(doc).map(([k, v]) => [k, replaceIds(v, map)]));
  return doc;
}

interface MailboxDoc {
  Identity: string;
  ActiveSyncAllowedDeviceIDs: string[] | null;
  ActiveSyncBlockedDeviceIDs: string[] | null;
}

/** A simulated Exchange holding the export's mailboxes with their lists. */
function organizationOf(mailboxes: MailboxDoc[]): Simulation {
  const sim = simulateOrganization({ devices: 1, seed: 1 });
  for (const m of mailboxes) {
    const name = m.Identity.split('/').at(-1)!;
    const identity = sim.exchange.mailbox(m.Identity)?.identity ?? sim.exchange.addMailbox({ displayName: name }).identity;
    assert.is(identity, m.Identity);
    sim.exchange.setMailboxLists(identity, { allowed: m.ActiveSyncAllowedDeviceIDs ?? [], blocked: m.ActiveSyncBlockedDeviceIDs ?? [] });
  }
  return sim;
}

const lists = (sim: Simulation, ids: string[]) =>
  ids.map((id) => {
    const m = sim.exchange.mailbox(id)!;
    return { id, allowed: [...m.allowedDeviceIds], blocked: [...m.blockedDeviceIds] };
  });

// The wrapper is constant: the paths arrive in the environment.
const RUN_PLAN = [
  '$ErrorActionPreference = "Stop"',
  'Import-Module -Name $env:EAS_STANDIN_MODULE',
  '$s = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri http://cas01.contoso.com/PowerShell/ -Authentication Kerberos',
  '$null = Import-PSSession $s -DisableNameChecking -AllowClobber',
  '& $env:EAS_PLAN_SCRIPT',
  'Remove-PSSession $s',
].join('\n');

function runAsync(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

if (real.available) {
  const t = suite('plan --format powershell in real pwsh');

  t("the plan's script, run in pwsh against the stand-in, leaves the lists exactly as --json said, hostile ids included", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eas-plan-pwsh-'));
    try {
      const devices = readDoc('get-mobiledevice.json') as { DeviceId: string }[];
      const map = new Map(devices.map((d, i) => [d.DeviceId.toLowerCase(), d.DeviceId + HOSTILE_SUFFIXES[i % HOSTILE_SUFFIXES.length]!]));
      const mailboxes = replaceIds(readDoc('get-casmailbox.json'), map) as MailboxDoc[];
      writeFileSync(join(dir, 'get-mobiledevice.json'), toUtf16LeWithBom(toPs51Json(replaceIds(devices, map))));
      writeFileSync(join(dir, 'get-casmailbox.json'), toUtf16LeWithBom(toPs51Json(mailboxes)));
      writeFileSync(join(dir, 'managed-devices.json'), JSON.stringify(replaceIds(readDoc('managed-devices.json'), map)));
      for (const f of ['policy.json', 'groups.json']) writeFileSync(join(dir, f), readFileSync(join(EXPORTS, f)));
      const args = [...SAMPLE_PLAN];
      const run = (extra: string[]) => spawnSync(process.execPath, [MAIN, ...args, ...extra], { cwd: dir, encoding: 'utf8' });
      const asJson = run(['--json']);
      const asScript = run(['--format', 'powershell']);
      assert.is(asJson.status, 0, asJson.stderr);
      assert.is(asScript.status, 0, asScript.stderr);
      const plan = JSON.parse(asJson.stdout) as {
        commands: {
          mailbox: string;
          allowedDeviceIds: { add: string[]; remove: string[] };
          blockedDeviceIds: { add: string[]; remove: string[] };
        }[];
      };
      const hostileIds = [...map.values()];
      const touched = plan.commands.flatMap((c) => [
        ...c.allowedDeviceIds.add,
        ...c.allowedDeviceIds.remove,
        ...c.blockedDeviceIds.add,
        ...c.blockedDeviceIds.remove,
      ]);
      assert.ok(
        touched.filter((x) => hostileIds.includes(x)).length >= 3,
        `the plan moves several hostile ids: ${JSON.stringify(plan.commands)}`,
      );
      for (const line of asScript.stdout.split('\n'))
        assert.not.ok(RAW_INVISIBLE.test(line), `no raw control or invisible character in ${JSON.stringify(line)}`);

      // what the plan says, applied by the simulator itself
      const expected = organizationOf(mailboxes);
      for (const c of plan.commands) {
        const r = await expected.exchange.execute({ kind: 'setCasMailbox', ...c });
        assert.ok(!isLeft(r), JSON.stringify(r));
      }
      // the script, run by PowerShell
      const actual = organizationOf(mailboxes);
      const fake = new FakeExchange(actual.exchange);
      const host = await startStandInHost(fake);
      try {
        writeFileSync(join(dir, 'plan.ps1'), asScript.stdout, 'utf8');
        // asynchronously: the stand-in's Exchange is served by this process
        const ps = await runAsync(real.path, ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', RUN_PLAN], {
          ...process.env,
          ...HOSTILE_LOCALE,
          EAS_STANDIN_PORT: String(host.port),
          EAS_STANDIN_MODULE: STAND_IN_MODULE,
          EAS_PLAN_SCRIPT: join(dir, 'plan.ps1'),
        });
        assert.is(ps.status, 0, `pwsh: ${ps.stderr}${ps.stdout}`);
      } finally {
        await host.close();
      }
      assert.equal(fake.violations, []);
      assert.is(fake.calls.filter((c) => c.op === 'Set-CasMailbox').length, plan.commands.length, 'one Set-CasMailbox per planned command');
      const ids = mailboxes.map((m) => m.Identity);
      assert.equal(lists(actual, ids), lists(expected, ids));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  t("psQuote's text, evaluated by PowerShell, is exactly the original string (2,000 hostile values)", () => {
    const piece = fc.oneof(
      fc.constantFrom(
        "'",
        '\u2018',
        '\u2019',
        '\u201A',
        '\u201B',
        '"',
        '`',
        '$(',
        '@{',
        ')',
        ';',
        '#',
        ' + ',
        '[char]0x0041',
        '\u001B',
        '\r\n',
        '\t',
        '\u0000',
        '\u0085',
        '\u009B',
        '\u00AD',
        '\u2028',
        '\u2029',
        '\u202A',
        '\u202E',
        '\u2066',
        '\u2069',
        '\u200B',
        '\u200F',
        '\uFEFF',
        '\uD800',
        '\uDFFF',
        '\u{1F4F1}',
        'é',
        '§',
      ),
      fc.string({ unit: 'binary', maxLength: 4 }),
    );
    const values = fc.sample(
      fc.array(piece, { maxLength: 8 }).map((a) => a.join('')),
      { numRuns: 2000, seed: 42 },
    );
    const script = [
      '$out = New-Object System.Collections.Generic.List[string]',
      ...values.map((v) => `$out.Add(${psQuote(v)})`),
      'foreach ($v in $out) { $c = $v.ToCharArray(); $b = New-Object byte[] ($c.Length * 2); [Buffer]::BlockCopy($c, 0, $b, 0, $b.Length); [Console]::Out.WriteLine([Convert]::ToBase64String($b)) }',
    ].join('\n');
    assert.not.ok(RAW_INVISIBLE.test(values.map(psQuote).join('')), 'the generated values are clean text');
    const dir = mkdtempSync(join(tmpdir(), 'eas-quote-pwsh-'));
    try {
      // UTF-8 cannot carry a lone surrogate: the file holds them only as [char] codes
      writeFileSync(join(dir, 'values.ps1'), script, 'utf8');
      const ps = spawnSync(real.path, ['-NoLogo', '-NoProfile', '-NonInteractive', '-File', join(dir, 'values.ps1')], {
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, ...HOSTILE_LOCALE },
      });
      assert.is(ps.status, 0, ps.stderr);
      const got = ps.stdout
        .replace(/\n$/, '')
        .split('\n')
        .map((l) => fromWireString(l));
      assert.is(got.length, values.length);
      for (let i = 0; i < values.length; i++)
        assert.is(got[i], values[i], `value ${i}: ${JSON.stringify(values[i])} written as ${psQuote(values[i]!)}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  t.run();
}

import { test } from 'uvu';
import { SAMPLE_PLAN } from './support/sample-plan.js';
test.run();
