// A log for tests: a simulated organization after one full sync (and
// optionally hostile device values), written by the real engine to a file log.
import { isLeft } from 'fp-ts/lib/Either.js';
import { createEngine } from '../../src/engine.js';
import { simulateOrganization } from '../../adapters/simulator/index.js';
import { openFileStore } from '../../adapters/file-store/index.js';

export interface HostileDevice {
  readonly deviceId: string;
  readonly deviceType?: string;
  readonly deviceModel?: string;
  readonly deviceOS?: string;
}

export async function writeDemoLog(path: string, devices: number, hostile: readonly HostileDevice[] = [], seed = 5): Promise<void> {
  const sim = simulateOrganization({ devices, seed, clock: () => Date.parse('2026-11-26T08:00:00Z') });
  const mailboxes = sim.exchange.state().mailboxes;
  hostile.forEach((d, i) => sim.exchange.addPartnership({ mailbox: mailboxes[i % mailboxes.length]!.identity, ...d }));
  const opened = await openFileStore(path);
  if (isLeft(opened)) throw new Error(JSON.stringify(opened.left));
  const engine = createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store: opened.right,
    policy: sim.policy,
    notifier: sim.notifier,
  });
  const report = await engine.fullSync();
  await opened.right.close();
  if (!report.success) throw new Error(JSON.stringify(report.errors));
}
