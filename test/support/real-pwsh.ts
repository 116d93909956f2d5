// The real PowerShell (pwsh 7) for tests: where it is, whether it starts, and a
// PowerShell gateway wired to it, the Exchange stand-in module (connection kind
// "module") and a simulated organization served from this process.
//
// pwsh is looked for in EAS_PWSH_PATH, then the repository's .tools/pwsh/pwsh
// (where .ci/run installs it), then PATH. scripts/run-tests.mjs probes once and
// passes the answer on (EAS_PWSH / EAS_PWSH_SKIPPED), so a skip is said once per
// run. With EAS_REQUIRE_PWSH=1 (set by .ci/run) a pwsh that cannot start fails
// the tests instead of skipping them.
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import { simulateOrganization, type Simulation } from '../../adapters/simulator/index.js';
import { powershellGateway, type PowerShellGateway } from '../../adapters/powershell/gateway.js';
import type { PowerShellGatewayOptions } from '../../adapters/powershell/options.js';
import { staticCredentials } from '../../adapters/powershell/credentials.js';
import type { LogEntry } from '../../adapters/powershell/session.js';
import { FakeExchange, type FakeExchangeOptions } from './fake-exchange.js';
import { startStandInHost, type StandInHost } from './standin-host.js';
import { TEST_PASSWORD, TEST_USER, type Spawned } from './fake-pwsh-harness.js';

export const STAND_IN_MODULE = fileURLToPath(new URL('../../../test/support/ExchangeStandIn.psm1', import.meta.url));
const REPO_PWSH = fileURLToPath(new URL('../../../.tools/pwsh/pwsh', import.meta.url));

export type PwshProbe =
  { readonly ok: true; readonly path: string; readonly version: string } | { readonly ok: false; readonly reason: string };

/** Finds pwsh and checks that it starts (a version of 7 or later). */
export function probePwsh(env: NodeJS.ProcessEnv = process.env): PwshProbe {
  const candidates = [env['EAS_PWSH_PATH'], existsSync(REPO_PWSH) ? REPO_PWSH : undefined, 'pwsh'].filter((x): x is string => !!x);
  const why: string[] = [];
  for (const path of candidates) {
    const r = spawnSync(path, ['-NoLogo', '-NoProfile', '-NonInteractive', '-Command', '$PSVersionTable.PSVersion.ToString()'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (r.error) {
      why.push(`${path}: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}`);
      continue;
    }
    const version = r.stdout.trim();
    if (r.status !== 0 || !/^\d+\.\d+/.test(version)) {
      why.push(`${path}: exited ${r.status} ${r.stderr.trim().slice(0, 200)}`);
      continue;
    }
    if (Number(version.split('.')[0]) < 7) {
      why.push(`${path}: PowerShell ${version} is older than 7`);
      continue;
    }
    return { ok: true, path, version };
  }
  return {
    ok: false,
    reason: `no PowerShell 7 starts here (${why.join('; ')}); install it with .ci/run (dotnet tool install --tool-path .tools/pwsh PowerShell --version 7.6.10)`,
  };
}

let probed: PwshProbe | undefined;
/** The runner's answer if it gave one, else our own probe (once per process). */
export function pwsh(): PwshProbe {
  if (probed) return probed;
  const given = process.env['EAS_PWSH'];
  const skipped = process.env['EAS_PWSH_SKIPPED'];
  if (given) probed = { ok: true, path: given, version: process.env['EAS_PWSH_VERSION'] ?? '?' };
  else if (skipped) probed = { ok: false, reason: skipped };
  else probed = probePwsh();
  return probed;
}

export const pwshRequired = () => process.env['EAS_REQUIRE_PWSH'] === '1';

/**
 * `uvu`'s test when real pwsh is here; otherwise nothing is registered and one
 * test states why (and fails under EAS_REQUIRE_PWSH=1). Call once per file, with its name.
 */
export function realPwshTests(file: string): { readonly available: boolean; readonly path: string } {
  const p = pwsh();
  test(`real PowerShell is available to ${file}, or the reason it is not is stated`, () => {
    if (p.ok) return;
    if (pwshRequired()) throw new Error(`EAS_REQUIRE_PWSH=1 but ${p.reason}`);
    // said once by scripts/run-tests.mjs; run alone, the file says it
    if (!process.env['EAS_PWSH_SKIPPED']) console.log(`${file}: real-PowerShell tests skipped: ${p.reason}`);
  });
  return { available: p.ok, path: p.ok ? p.path : '' };
}

export interface RealSetup {
  readonly gateway: PowerShellGateway;
  readonly sim: Simulation;
  readonly fake: FakeExchange;
  readonly host: StandInHost;
  readonly spawned: Spawned[];
  readonly logs: LogEntry[];
  close(): Promise<void>;
}

export interface RealSetupOptions {
  readonly devices?: number;
  readonly seed?: number;
  readonly exchange?: FakeExchangeOptions;
  readonly gateway?: Partial<PowerShellGatewayOptions>;
  readonly sim?: Simulation;
  /** Extra environment for the pwsh children. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Children run in a time zone far from UTC and a culture with its own rules (Turkish dotless i, comma decimals). */
export const HOSTILE_LOCALE = { TZ: 'Pacific/Chatham', LANG: 'tr_TR.UTF-8', LC_ALL: 'tr_TR.UTF-8' } as const;

export async function realSetup(o: RealSetupOptions = {}): Promise<RealSetup> {
  const p = pwsh();
  if (!p.ok) throw new Error(p.reason);
  const sim = o.sim ?? simulateOrganization({ devices: o.devices ?? 24, seed: o.seed ?? 7 });
  const fake = new FakeExchange(sim.exchange, { expectUsername: TEST_USER, expectPassword: TEST_PASSWORD, ...o.exchange });
  const host = await startStandInHost(fake);
  const spawned: Spawned[] = [];
  const logs: LogEntry[] = [];
  const recordingSpawn = (command: string, args: readonly string[], options: SpawnOptions): ChildProcess => {
    const child = spawn(command, [...args], options);
    const stdin: string[] = [];
    const write = child.stdin!.write.bind(child.stdin!) as (chunk: unknown, ...rest: unknown[]) => boolean;
    (child.stdin as unknown as { write: typeof write }).write = (chunk: unknown, ...rest: unknown[]) => {
      stdin.push(String(chunk));
      return write(chunk, ...rest);
    };
    spawned.push({ command, args: [...args], env: { ...(options.env ?? {}) }, child, stdin });
    return child;
  };
  const gateway = powershellGateway({
    server: 'cas01.contoso.com',
    credentials: staticCredentials({ username: TEST_USER, password: TEST_PASSWORD }),
    pwshPath: p.path,
    connection: { kind: 'module', path: STAND_IN_MODULE },
    connectTimeoutMs: 60_000,
    commandTimeoutMs: 60_000,
    closeTimeoutMs: 15_000,
    spawn: recordingSpawn,
    logger: (e) => logs.push(e),
    ...o.gateway,
    env: {
      ...HOSTILE_LOCALE,
      POWERSHELL_TELEMETRY_OPTOUT: '1',
      POWERSHELL_UPDATECHECK: 'Off',
      ...o.env,
      ...o.gateway?.env,
      EAS_STANDIN_PORT: String(host.port),
    },
  });
  return {
    gateway,
    sim,
    fake,
    host,
    spawned,
    logs,
    close: async () => {
      await gateway.close();
      await host.close();
    },
  };
}

/** `pid` and its descendants, from /proc (pwsh installed as a .NET tool is a launcher whose child runs PowerShell). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

/** The process that runs PowerShell itself: the deepest of the tree. */
export const powershellPid = (pid: number): number => processTree(pid).at(-1)!;

/** Whether `pid` still runs (a zombie waiting for its reaper has ended). */
export function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
