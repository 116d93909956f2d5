// A PowerShell gateway wired to the fake-pwsh stand-in and a simulated organization
// served from this process (FakeExchange over a socket), with every spawn recorded.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { simulateOrganization, type Simulation } from '../../adapters/simulator/index.js';
import { powershellGateway, type PowerShellGateway } from '../../adapters/powershell/gateway.js';
import type { PowerShellGatewayOptions } from '../../adapters/powershell/options.js';
import { staticCredentials } from '../../adapters/powershell/credentials.js';
import type { LogEntry } from '../../adapters/powershell/session.js';
import { FakeExchange, startFakeExchangeHost, type FakeExchangeHost, type FakeExchangeOptions } from './fake-exchange.js';

export const FAKE_PWSH = fileURLToPath(new URL('./fake-pwsh.js', import.meta.url));
export const TEST_USER = 'CONTOSO\\svc-eas';
export const TEST_PASSWORD = 'Pa$$w0rd\'`"; Remove-Mailbox -Identity * -Confirm:$false #§';

export interface Spawned {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly child: ChildProcess;
  /** Every line written to the child's stdin. */
  readonly stdin: string[];
}

export interface FakeSetup {
  readonly gateway: PowerShellGateway;
  readonly sim: Simulation;
  readonly fake: FakeExchange;
  readonly host: FakeExchangeHost;
  readonly spawned: Spawned[];
  readonly logs: LogEntry[];
  /** Closes the gateway and the host. */
  close(): Promise<void>;
}

export interface FakeSetupOptions {
  readonly devices?: number;
  readonly seed?: number;
  readonly exchange?: FakeExchangeOptions;
  readonly gateway?: Partial<PowerShellGatewayOptions>;
  /** Environment for the fake-pwsh children (FAKE_PWSH_*). */
  readonly env?: Readonly<Record<string, string>>;
  /** An existing simulation (shared between gateways). */
  readonly sim?: Simulation;
}

export async function fakeSetup(o: FakeSetupOptions = {}): Promise<FakeSetup> {
  const sim = o.sim ?? simulateOrganization({ devices: o.devices ?? 24, seed: o.seed ?? 7 });
  const fake = new FakeExchange(sim.exchange, { expectUsername: TEST_USER, expectPassword: TEST_PASSWORD, ...o.exchange });
  const host = await startFakeExchangeHost(fake);
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
    pwshPath: process.execPath,
    pwshArgsPrefix: [FAKE_PWSH],
    connectTimeoutMs: 30_000,
    commandTimeoutMs: 30_000,
    closeTimeoutMs: 10_000,
    spawn: recordingSpawn,
    logger: (e) => logs.push(e),
    ...o.gateway,
    env: { FAKE_PWSH_HOST: host.socketPath, ...o.env, ...o.gateway?.env },
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

/**
 * Whether a process id still runs once it had up to `withinMs` to end: a
 * recycled session is closed in the background (Remove-PSSession, then exit),
 * so a check right after the command that retired it can come too early on a
 * loaded machine.
 */
export async function aliveAfter(pid: number | undefined, withinMs: number): Promise<boolean> {
  const until = Date.now() + withinMs;
  while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  return alive(pid);
}

/** Whether a process id still runs. */
export function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
