// A recorded organization: what a simulated Exchange organization and Intune
// tenant answer, read once before the clock starts, then served from arrays;
// commands are acknowledged at once. Timing a sync against it measures the
// engine, the store and the log, not the simulator.
import { right, type Either } from 'fp-ts/lib/Either.js';
import type { ExchangeError, ExchangeGateway, IntuneError, IntuneGateway } from '../src/ports.js';
import type {
  CasMailbox,
  DeviceAccessRule,
  ExchangeServer,
  GroupMembership,
  ManagedDevice,
  MobileDevice,
  OrgSettings,
} from '../src/facts.js';
import type { ExchangeCommand } from '../src/commands.js';
import type { Simulation } from '../adapters/simulator/index.js';

export interface Recording {
  readonly devices: MobileDevice[];
  readonly mailboxes: CasMailbox[];
  readonly settings: OrgSettings;
  readonly rules: DeviceAccessRule[];
  readonly servers: ExchangeServer[];
  readonly managed: ManagedDevice[];
  readonly groups: GroupMembership;
}

const get = <A>(e: Either<unknown, A>): A => {
  if (e._tag === 'Left') throw new Error(`recording: ${JSON.stringify(e.left)}`);
  return e.right;
};

/** Reads everything a full sync reads from the simulation (its cost is not the engine's). */
export async function record(sim: Simulation): Promise<Recording> {
  const ids = [...new Set([...sim.policy.includedGroups, ...sim.policy.excludedGroups])];
  return {
    devices: get(await sim.exchange.getMobileDevices()),
    mailboxes: get(await sim.exchange.getCasMailboxes()),
    settings: get(await sim.exchange.getOrgSettings()),
    rules: get(await sim.exchange.getDeviceAccessRules()),
    servers: get(await sim.exchange.getExchangeServers()),
    managed: get(await sim.intune.getManagedDevices()),
    groups: get(await sim.intune.getGroupMembers(ids)),
  };
}

/** Gateways that answer from the recording; executed commands are kept (to apply to the simulation afterwards). */
export function recordedGateways(r: Recording): { exchange: ExchangeGateway; intune: IntuneGateway; commands: ExchangeCommand[] } {
  const commands: ExchangeCommand[] = [];
  const byIdentity = new Map(r.mailboxes.map((m) => [m.identity.toLowerCase(), m]));
  const exchange: ExchangeGateway = {
    getMobileDevices: async () => right<ExchangeError, MobileDevice[]>(r.devices),
    getCasMailboxes: async (q) =>
      right(
        q?.identities
          ? q.identities.map((i) => byIdentity.get(i.toLowerCase())).filter((m): m is CasMailbox => m !== undefined)
          : r.mailboxes,
      ),
    getOrgSettings: async () => right(r.settings),
    getDeviceAccessRules: async () => right(r.rules),
    getExchangeServers: async () => right(r.servers),
    execute: async (c) => {
      commands.push(c);
      return right(undefined);
    },
  };
  const intune: IntuneGateway = {
    getManagedDevices: async () => right<IntuneError, ManagedDevice[]>(r.managed),
    getGroupMembers: async () => right(r.groups),
  };
  return { exchange, intune, commands };
}
