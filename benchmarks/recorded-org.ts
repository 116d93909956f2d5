// A recorded organization for benchmarks: Exchange's and Intune's answers read
// once from the simulator before the clock starts, replayed from arrays, and
// every command acknowledged at once. What a sync over it costs is the
// engine's, the store's and the log's own work, not the simulator's.
import { isLeft, right, type Either } from 'fp-ts/lib/Either.js';
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

export interface RecordedAnswers {
  readonly devices: MobileDevice[];
  readonly mailboxes: CasMailbox[];
  readonly settings: OrgSettings;
  readonly rules: DeviceAccessRule[];
  readonly servers: ExchangeServer[];
  readonly managed: ManagedDevice[];
  readonly groups: GroupMembership;
}

const must = <A>(what: string, r: Either<{ message: string }, A>): A => {
  if (isLeft(r)) throw new Error(`recording ${what}: ${r.left.message}`);
  return r.right;
};

/** Reads every answer a full sync asks for from the simulator (outside any measurement). */
export async function recordAnswers(sim: Simulation): Promise<RecordedAnswers> {
  const groupIds = [...new Set([...sim.policy.includedGroups, ...sim.policy.excludedGroups])];
  return {
    devices: must('Get-MobileDevice', await sim.exchange.getMobileDevices()),
    mailboxes: must('Get-CasMailbox', await sim.exchange.getCasMailboxes()),
    settings: must('Get-ActiveSyncOrganizationSettings', await sim.exchange.getOrgSettings()),
    rules: must('Get-ActiveSyncDeviceAccessRule', await sim.exchange.getDeviceAccessRules()),
    servers: must('Get-ExchangeServer', await sim.exchange.getExchangeServers()),
    managed: must('managed devices', await sim.intune.getManagedDevices()),
    groups: must('group members', await sim.intune.getGroupMembers(groupIds)),
  };
}

export interface RecordedOrganization {
  readonly exchange: ExchangeGateway;
  readonly intune: IntuneGateway;
  /** Every command the engine issued, in order (acknowledged without being applied). */
  readonly commands: ExchangeCommand[];
  /** Answers from now on (Exchange as commands left it, recorded again). */
  replace(answers: RecordedAnswers): void;
}

/**
 * Gateways that answer from `a`. Reads hand out the same arrays every time (the
 * engine never mutates what it reads); commands are appended to `commands` and
 * succeed at once, without sessions.
 */
export function recordedOrganization(answers: RecordedAnswers): RecordedOrganization {
  let a = answers;
  const commands: ExchangeCommand[] = [];
  const ok = <A>(x: A): Promise<Either<ExchangeError, A>> => Promise.resolve(right(x));
  const done: Promise<Either<ExchangeError, void>> = Promise.resolve(right<ExchangeError, void>(undefined));
  const exchange: ExchangeGateway = {
    getMobileDevices: () => ok(a.devices),
    getCasMailboxes: () => ok(a.mailboxes),
    getOrgSettings: () => ok(a.settings),
    getDeviceAccessRules: () => ok(a.rules),
    getExchangeServers: () => ok(a.servers),
    execute(c) {
      commands.push(c);
      return done;
    },
  };
  const intune: IntuneGateway = {
    getManagedDevices: () => Promise.resolve(right<IntuneError, ManagedDevice[]>(a.managed)),
    getGroupMembers: () => Promise.resolve(right<IntuneError, GroupMembership>(a.groups)),
  };
  return {
    exchange,
    intune,
    commands,
    replace(next) {
      a = next;
    },
  };
}

/** Applies recorded commands to the simulator (so that its next answers show them), outside any measurement. */
export async function applyToSimulator(sim: Simulation, commands: readonly ExchangeCommand[]): Promise<void> {
  for (const c of commands) must(`applying ${c.kind}`, await sim.exchange.execute(c));
}
