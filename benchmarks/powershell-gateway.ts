// Benchmark: the PowerShell gateway through real pwsh 7 against the Exchange
// stand-in (test/support/ExchangeStandIn.psm1, organization served from this
// process over loopback, zero added latency), in one run:
//   - commands/s with 1 session and with 8 sessions (Set-CasMailbox, one device id each)
//   - the same cmdlet called N times inside one pwsh (no gateway): the cost of the
//     cmdlet and the stand-in alone
//   - the gateway's own overhead per command = gateway ms/command (1 session) − in-pwsh
//     ms/command: framing, wire encoding, the script's dispatch, the pipe round trip
// A real Exchange cmdlet takes 20-500 ms; compare the overhead with that.
// Prints one JSON object per line. Compare within one run.
//   node dist/benchmarks/powershell-gateway.js [--commands 1500]
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { ExchangeCommand } from '../src/commands.js';
import { FakeExchange } from '../test/support/fake-exchange.js';
import { startStandInHost } from '../test/support/standin-host.js';
import { probePwsh, realSetup, STAND_IN_MODULE } from '../test/support/real-pwsh.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { benchArgs } from './args.js';

const USAGE = 'node dist/benchmarks/powershell-gateway.js [--commands 1500]';

const { values } = benchArgs(USAGE, { options: { commands: { type: 'string', default: '1500' } } });
const N = Number(values.commands);
const probe = probePwsh();
if (!probe.ok) {
  console.error(probe.reason);
  process.exit(2);
}
const common = { bench: 'powershell-gateway', pwsh: probe.version, cpus: cpus().length, commands: N };

const allow = (mailbox: string, id: string): ExchangeCommand => ({
  kind: 'setCasMailbox',
  mailbox,
  allowedDeviceIds: { add: [id], remove: [] },
  blockedDeviceIds: { add: [], remove: [] },
});

async function throughGateway(sessions: number): Promise<{ perSec: number; msPerCommand: number }> {
  const s = await realSetup({ devices: 200, seed: 3, gateway: { parallelism: sessions, maxConcurrency: 18 } });
  try {
    const mailboxes = s.sim.exchange.state().mailboxes.map((m) => m.identity);
    // warm up: every session started and its script compiled
    await Promise.all(
      Array.from({ length: sessions * 20 }, (_, i) => s.gateway.execute(allow(mailboxes[i % mailboxes.length]!, `Warm${i}`))),
    );
    let next = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: sessions }, async () => {
        while (next < N) {
          const i = next++;
          const r = await s.gateway.execute(allow(mailboxes[i % mailboxes.length]!, `Bench${i}`));
          if (isLeft(r)) throw new Error(JSON.stringify(r.left));
        }
      }),
    );
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    return { perSec: +(N / (ms / 1000)).toFixed(1), msPerCommand: +(ms / N).toFixed(3) };
  } finally {
    await s.close();
  }
}

// The same Set-CASMailbox N times inside one pwsh, through the stand-in's implicit-remoting proxies.
const IN_PWSH = [
  'Import-Module -Name $env:EAS_STANDIN_MODULE',
  '$s = New-PSSession -ConfigurationName Microsoft.Exchange -ConnectionUri http://cas01.contoso.com/PowerShell/ -Authentication Kerberos',
  '$null = Import-PSSession $s -DisableNameChecking -AllowClobber',
  '$n = [int]$env:EAS_BENCH_N; $id = $env:EAS_BENCH_MAILBOX',
  'for ($i = 0; $i -lt 50; $i++) { Set-CasMailbox -Identity $id -ActiveSyncAllowedDeviceIDs @{Add = "W$i"} -ErrorAction Stop }',
  '$sw = [Diagnostics.Stopwatch]::StartNew()',
  'for ($i = 0; $i -lt $n; $i++) { $p = @{ Identity = $id; ActiveSyncAllowedDeviceIDs = @{ Add = @("B$i") }; ErrorAction = "Stop" }; Set-CasMailbox @p }',
  '$sw.Stop(); [Console]::Out.WriteLine($sw.Elapsed.TotalMilliseconds.ToString([Globalization.CultureInfo]::InvariantCulture))',
  'Remove-PSSession $s',
].join('\n');

async function insidePwsh(): Promise<{ msPerCommand: number }> {
  const sim = simulateOrganization({ devices: 200, seed: 3 });
  const host = await startStandInHost(new FakeExchange(sim.exchange));
  try {
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(probe.ok ? probe.path : 'pwsh', ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', IN_PWSH], {
        env: {
          ...process.env,
          EAS_STANDIN_PORT: String(host.port),
          EAS_STANDIN_MODULE: STAND_IN_MODULE,
          EAS_BENCH_N: String(N),
          EAS_BENCH_MAILBOX: sim.exchange.state().mailboxes[0]!.identity,
        },
      });
      let text = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (text += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
      child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`pwsh exited ${code}: ${err}`))));
    });
    return { msPerCommand: +(Number(out.trim().split('\n').at(-1)) / N).toFixed(3) };
  } finally {
    await host.close();
  }
}

const one = await throughGateway(1);
process.stdout.write(`${JSON.stringify({ ...common, measure: 'gateway commands/s', sessions: 1, ...one })}\n`);
const eight = await throughGateway(8);
process.stdout.write(`${JSON.stringify({ ...common, measure: 'gateway commands/s', sessions: 8, ...eight })}\n`);
const inside = await insidePwsh();
process.stdout.write(`${JSON.stringify({ ...common, measure: 'Set-CasMailbox inside one pwsh (stand-in, no gateway)', ...inside })}\n`);
process.stdout.write(
  `${JSON.stringify({
    ...common,
    measure: 'gateway overhead per command (1 session − inside pwsh)',
    msPerCommand: +(one.msPerCommand - inside.msPerCommand).toFixed(3),
    ratio8to1: +(eight.perSec / one.perSec).toFixed(2),
  })}\n`,
);
