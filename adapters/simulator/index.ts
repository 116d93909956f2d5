// The simulator: an in-process Exchange organization + Intune tenant that
// behave like the real ones, for tests, the demo and benchmarks.
import type { AccessLevel } from '../../src/facts.js';
import type { ExchangeReason } from '../../src/exchange-evaluation.js';
import { DEFAULT_NOTIFICATION, type Policy } from '../../src/policy.js';
import { generateOrganization, type MixSummary } from './generate.js';
import { SimulatedExchange, type Cmdlet, type ExchangeCounters } from './exchange/index.js';
import { SimulatedIntune } from './intune.js';
import { RecordingNotifier } from './notifier.js';
import { RARE_MODEL } from './catalog.js';

export { SimulatedExchange, CMDLETS, copyCommand } from './exchange/index.js';
export type {
  Cmdlet,
  ExchangeCounters,
  ExchangeState,
  Evaluation,
  FailureOptions,
  NewPartnership,
  NewMailbox,
  DeviceChanges,
  RuleSpec,
} from './exchange/index.js';
export { SimulatedIntune } from './intune.js';
export type { Enrollment } from './intune.js';
export { RecordingNotifier } from './notifier.js';
export type { Category, MixSummary } from './generate.js';
export { NO_GRACE } from './generate.js';
export { escapeDnValue } from './identities.js';
export { Random } from './random.js';
export { RARE_MODEL } from './catalog.js';

export interface SimulationOptions {
  /** Number of EAS partnerships. */
  devices: number;
  /** Default 1; the same seed gives the same organization. */
  seed?: number;
  /** Per-cmdlet latency in ms (default 0: no timer at all). */
  latencyMs?: number | Partial<Record<Cmdlet, number>>;
  /** The account's PowerShellMaxConcurrency, default 18. */
  runspaces?: number;
  /** Exchange's user load quota: at most `requests` calls per `perMs` (none by default). */
  quota?: { requests: number; perMs: number };
  /** A shell breaks after this many commands; default 1,000. */
  commandsPerShell?: number;
  /** Default 'contoso' (domain contoso.com). */
  organization?: string;
  /** "Now" in ms since the epoch; default fixed 2026-11-26T08:00:00Z. Grace deadlines are relative to it. */
  clock?: () => number;
  /** How long after Clear-MobileDevice a phone in contact acknowledges the wipe; default 15 minutes. */
  wipeAckDelayMs?: number;
  /** Share of partnerships whose phone stopped syncing 60–420 days ago; default 0.03. */
  idleShare?: number;
  /** false: Exchange 2013 or earlier, whose Clear-MobileDevice has no -AccountOnly. */
  accountOnlyWipe?: boolean;
}

export interface Simulation {
  organization: string;
  exchange: SimulatedExchange;
  intune: SimulatedIntune;
  notifier: RecordingNotifier;
  /** Targets the simulated tenant's groups; quarantine by default; BlackBerry allowed, a rare model blocked. */
  policy: Policy;
  groups: { allUsers: string; excluded: string; pilot: string };
  /** Exchange's own evaluation of every partnership right now: deviceId (lower-cased) -> access, reason, mailbox. */
  evaluateAll(): Map<string, { access: AccessLevel; reason: ExchangeReason; mailbox: string }>;
  /** The Exchange side's call counters (the same object as `exchange.counters`). */
  counters: ExchangeCounters;
  /** What the generator intended (approximate shares); recount from the data when it matters. */
  mix: MixSummary;
}

export const DEFAULT_NOW = Date.parse('2026-11-26T08:00:00Z');

export function simulateOrganization(o: SimulationOptions): Simulation {
  const clock = o.clock ?? (() => DEFAULT_NOW);
  const organization = o.organization ?? 'contoso';
  const g = generateOrganization({ devices: o.devices, seed: o.seed ?? 1, organization, now: clock() });
  const exchange = new SimulatedExchange({
    domain: g.domain,
    mailboxes: g.mailboxes,
    devices: g.devices,
    orgSettings: g.orgSettings,
    rules: g.rules,
    latencyMs: o.latencyMs,
    runspaces: o.runspaces,
    quota: o.quota,
    commandsPerShell: o.commandsPerShell,
    clock,
    random: g.random,
    ...(o.wipeAckDelayMs !== undefined ? { wipeAckDelayMs: o.wipeAckDelayMs } : {}),
    ...(o.idleShare !== undefined ? { idleShare: o.idleShare } : {}),
    ...(o.accountOnlyWipe !== undefined ? { accountOnlyWipe: o.accountOnlyWipe } : {}),
  });
  const intune = new SimulatedIntune({
    managedDevices: g.managedDevices,
    groups: [g.groups.allUsers, g.groups.excluded, g.groups.pilot],
    clock,
    random: g.random,
  });
  const policy: Policy = {
    enabled: true,
    includedGroups: [g.groups.allUsers.id],
    excludedGroups: [g.groups.excluded.id],
    defaultAccessLevel: 'quarantine',
    platformExceptions: [
      { type: 'family', name: 'BlackBerry', access: 'allow' },
      { type: 'model', name: RARE_MODEL, access: 'block' },
    ],
    notification: {
      ...DEFAULT_NOTIFICATION,
      enabled: true,
      subject: 'Action needed: your {deviceType} cannot sync mail',
      bodyHtml:
        '<p>Hello {userDisplayName},</p><p>Your {deviceType} ({deviceModel}) cannot sync mail with ' +
        `${g.domain}: {reason}.</p><p>Enroll it in Intune and make it compliant: <a href="{enrollUrl}">{enrollUrl}</a></p>`,
      adminRecipients: [`helpdesk@${g.domain}`],
    },
  };
  return {
    organization,
    exchange,
    intune,
    notifier: new RecordingNotifier(),
    policy,
    groups: { allUsers: g.groups.allUsers.id, excluded: g.groups.excluded.id, pilot: g.groups.pilot.id },
    evaluateAll: () => exchange.evaluateAll(),
    counters: exchange.counters,
    mix: g.mix,
  };
}
