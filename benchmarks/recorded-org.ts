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
 * The answers as JSON texts, one per read (group members as lists), in UTF-8 buffers: outside the JS
 * heap. Held as strings (two-byte where a name is not Latin-1), 200,000 devices' answers were ~450 MB
 * of the heap before the sync, and V8, sizing its old generation after the heap it found, let the sync's
 * garbage grow to a peak RSS of ~2.9 GB; a gateway holds no such texts.
 */
export interface AnswerTexts {
  readonly devices: Buffer;
  readonly mailboxes: Buffer;
  readonly settings: Buffer;
  readonly rules: Buffer;
  readonly servers: Buffer;
  readonly managed: Buffer;
  readonly groups: Buffer;
}

const text = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');

export function answerTexts(a: RecordedAnswers): AnswerTexts {
  return {
    devices: text(a.devices),
    mailboxes: text(a.mailboxes),
    settings: text(a.settings),
    rules: text(a.rules),
    servers: text(a.servers),
    managed: text(a.managed),
    groups: text([...a.groups].map(([id, members]) => [id, [...members]])),
  };
}

/** One answer parsed from its text, as a gateway parses what Exchange and Intune send: every object and string new. */
function parsed<K extends keyof RecordedAnswers>(t: AnswerTexts, k: K): RecordedAnswers[K] {
  if (k !== 'groups') return JSON.parse(t[k].toString('utf8')) as RecordedAnswers[K];
  const groups: GroupMembership = new Map(
    (JSON.parse(t.groups.toString('utf8')) as Array<[string, string[]]>).map(([id, members]) => [id, new Set(members)]),
  );
  return groups as RecordedAnswers[K];
}

/**
 * Gateways that answer from `a`. Reads hand out the same arrays every time (the
 * engine never mutates what it reads); commands are appended to `commands` and
 * succeed at once, without sessions. From texts (`answerTexts`), every read is
 * parsed anew, as a real gateway's: what the engine keeps of an answer is then
 * the engine's own memory, and the rest is garbage once the sync is done.
 */
export function recordedOrganization(answers: RecordedAnswers | AnswerTexts): RecordedOrganization {
  const texts = Buffer.isBuffer(answers.devices) ? (answers as AnswerTexts) : undefined;
  let a = texts === undefined ? (answers as RecordedAnswers) : undefined;
  const read = <K extends keyof RecordedAnswers>(k: K): RecordedAnswers[K] => (a !== undefined ? a[k] : parsed(texts!, k));
  const commands: ExchangeCommand[] = [];
  const ok = <A>(x: A): Promise<Either<ExchangeError, A>> => Promise.resolve(right(x));
  const done: Promise<Either<ExchangeError, void>> = Promise.resolve(right<ExchangeError, void>(undefined));
  const exchange: ExchangeGateway = {
    getMobileDevices: () => ok(read('devices')),
    getCasMailboxes: () => ok(read('mailboxes')),
    getOrgSettings: () => ok(read('settings')),
    getDeviceAccessRules: () => ok(read('rules')),
    getExchangeServers: () => ok(read('servers')),
    execute(c) {
      commands.push(c);
      return done;
    },
  };
  const intune: IntuneGateway = {
    getManagedDevices: () => Promise.resolve(right<IntuneError, ManagedDevice[]>(read('managed'))),
    getGroupMembers: () => Promise.resolve(right<IntuneError, GroupMembership>(read('groups'))),
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
