// The sync planner: observations + current state -> per-mailbox events and
// commands. Shared by the engine's sync and the offline `eas-sync plan`.
import type { CasMailbox, GroupMembership, ManagedDevice, MobileDevice } from './facts.js';
import type { MailboxCommandOf } from './commands.js';
import type { Policy } from './policy.js';
import type { DeviceContext, Decision } from './access.js';
import { mailboxStreamPrefix, type DomainEvent } from './events.js';
import {
  decideMailbox,
  deviceKey,
  initialMailboxState,
  needsNotification,
  type DeviceState,
  type MailboxState,
  type ReconcileMailbox,
} from './mailbox.js';
import { accepted } from './decider.js';
import { recordedDecision, unchangedKeys } from './mailbox/unchanged.js';
import { keyedGet } from './mailbox/keyed.js';
import { ManagedDeviceIndex } from './mapping.js';
import { MailboxIndex, userAddressesAsBefore } from './identity.js';
import { holdShape } from './shape.js';
import { groupsOf } from './groups.js';

export interface PlanIssue {
  readonly kind: 'orphanPartnership' | 'mappingConflict' | 'emptyIncludeList';
  readonly message: string;
  readonly deviceId?: string;
  readonly mailbox?: string;
}

export interface MailboxObservations {
  readonly devices: readonly MobileDevice[];
  readonly mailboxes: readonly CasMailbox[];
  /** Read once, in order (a sync hands over its cache's values without copying them). */
  readonly managed: Iterable<ManagedDevice>;
  readonly groups: GroupMembership;
}

export interface PlannedDevice {
  readonly stream: string;
  readonly device: DeviceState;
  readonly decision: Decision;
  readonly mailbox?: CasMailbox;
  readonly notify: boolean;
  /** Decided from fresh facts in this sync (a quick sync keeps the others' last decision). */
  readonly fresh: boolean;
}

export interface MailboxesPlan {
  readonly events: Map<string, DomainEvent[]>;
  readonly commands: Array<{ readonly stream: string; readonly commandId: string; readonly command: MailboxCommandOf }>;
  readonly devices: PlannedDevice[];
  readonly warnings: PlanIssue[];
  readonly mailboxes: number;
}

/** A partnership's group and mapping facts. */
type Context = Omit<DeviceContext, 'device' | 'activeSyncEnabled'>;
const NO_DEVICES: readonly MobileDevice[] = Object.freeze([]);
const NO_MAILBOXES: readonly CasMailbox[] = Object.freeze([]);
const NO_MANAGED: readonly ManagedDevice[] = Object.freeze([]);
const NO_OBSERVATIONS: MailboxObservations = Object.freeze({
  devices: NO_DEVICES,
  mailboxes: NO_MAILBOXES,
  managed: NO_MANAGED,
  groups: new Map(),
});
// The run's arguments as a twin needs them: nothing that holds the sync's data or its callbacks.
const twinArgs = (args: PlanArgs): PlanArgs => ({
  organization: args.organization,
  syncId: '',
  atMs: args.atMs,
  policy: args.policy,
  policyRevision: args.policyRevision,
  observations: NO_OBSERVATIONS,
});

/** A stream to plan: its state when the planner was made, and (observed) its mailbox and partnerships. */
interface Work {
  readonly stream: string;
  known: MailboxState | undefined;
  /** Undefined for a known stream no longer observed (its partnerships are gone). */
  mailbox: CasMailbox | undefined;
  /**
   * Replaced, not pushed to: a mailbox has one or two partnerships, and a push gave each list a
   * backing store of 17 slots, which lived (and was copied by the collector, then promoted) until the sync's end.
   */
  devices: readonly MobileDevice[];
}

export interface PlanArgs {
  readonly organization: string;
  readonly syncId: string;
  readonly atMs: number;
  readonly policy: Policy;
  readonly policyRevision: number;
  readonly observations: MailboxObservations;
  /** Current mailbox states by stream (empty for an offline plan). */
  readonly state?: ReadonlyMap<string, MailboxState>;
  /**
   * Full (default): the observations are every partnership; mailboxes absent from
   * them lost their partnerships. Quick: only the observed mailboxes are looked
   * at, and only the observed partnerships are decided again.
   */
  readonly complete?: boolean;
  readonly grandfather?: ReconcileMailbox['grandfather'];
  /** Stale partnerships to remove, by stream and device key (full syncs with clean-up; see cleanup.ts). */
  readonly removals?: ReadonlyMap<string, NonNullable<ReconcileMailbox['removals']>>;
  /** Partnerships decided so far of those observed (reported at the end of each `next`; `planMailboxes` plans 250 mailboxes a `next`). */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface MailboxPlanner {
  /** Warnings found so far (orphans at creation, mapping conflicts as mailboxes are planned). */
  readonly warnings: PlanIssue[];
  /** Mailboxes observed. */
  readonly mailboxes: number;
  /** Mailboxes left to plan. */
  remaining(): number;
  /** Plans the next `n` mailboxes, against their state when the planner was made (a sync's own appends change a mailbox's state only once it is planned). */
  next(n: number): Omit<MailboxesPlan, 'warnings' | 'mailboxes'>;
}

/**
 * Plans mailbox by mailbox, so that a sync can record and start executing the
 * first mailboxes' intents while it decides the rest.
 */
export function createMailboxPlanner(args: PlanArgs): MailboxPlanner {
  const { organization, policy, observations: obs } = args;
  const state = args.state ?? new Map<string, MailboxState>();
  const warnings: PlanIssue[] = [];
  if (policy.enabled && policy.includedGroups.length === 0) {
    warnings.push({
      kind: 'emptyIncludeList',
      message: 'the policy includes no group: every user is untargeted and no device is governed',
    });
  }
  // Partnerships by mailbox; a partnership without a mailbox is reported, never dropped silently.
  const index = new MailboxIndex(obs.mailboxes);
  const complete = args.complete ?? true;
  // One entry per stream, found by the mailbox's position in the observations (once per partnership:
  // no name to hash again). Two mailboxes with one stream share the entry, the last one's.
  const entryAt = new Array<Work>(obs.mailboxes.length);
  // What `next` walks: observed mailboxes in order, then (full syncs) known ones no longer observed.
  const work: Work[] = [];
  // Each stream's state is taken here, as it is now: a stream's state changes only once it is planned (a
  // sync's own appends; administrators' actions never run during a sync), so `next` needs no lookup.
  // A full sync walks the state beside the observed mailboxes: Exchange lists them in the same order from
  // one sync to the next, and the state holds them in the order first seen, so most observed mailboxes
  // are the known stream at hand (a string compare). Entries by stream name are made only once the two
  // are out of step (a known mailbox moved or reported twice; every mailbox of a quick sync).
  // The known streams and their states as arrays, walked by position (an iterator made an entry and a
  // result object per mailbox, garbage at every sync).
  const knownNames = complete ? Array.from(state.keys()) : undefined;
  const knownStates = complete ? Array.from(state.values()) : undefined;
  let at = 0;
  let byMailbox: Map<string, Work> | undefined;
  let added: Set<string> | undefined;
  const newEntry = (m: CasMailbox, stream: string, state: MailboxState | undefined): Work => {
    const entry: Work = { stream, known: state, mailbox: m, devices: NO_DEVICES };
    work.push(entry);
    return entry;
  };
  const prefix = mailboxStreamPrefix(organization);
  for (let i = 0; i < obs.mailboxes.length; i++) {
    const m = obs.mailboxes[i]!;
    if (byMailbox === undefined && knownNames !== undefined) {
      // In step: every earlier observed stream took a distinct known one before this, or is new (not
      // known at all), so this one was not observed before. The known name is compared in place and
      // used as it is: no name is made for the mailbox (a string each, for every mailbox of every sync).
      if (at < knownNames.length && isStreamOf(knownNames[at]!, prefix, m.identity)) {
        entryAt[i] = newEntry(m, knownNames[at]!, knownStates![at]);
        at++;
        continue;
      }
    }
    // Joined, not `prefix + m.identity`: one flat string. A concatenation is a pair of the two, flattened into a
    // third the first time a map hashes it, and that name is the key of three maps (state, revisions, the
    // store's heads) for as long as the mailbox lives: 32 bytes a mailbox more.
    const stream = [prefix, m.identity].join('');
    if (byMailbox === undefined && knownNames !== undefined) {
      // A mailbox new to the state, the first time: the walk stays in step.
      if (!state.has(stream) && !added?.has(stream)) {
        (added ??= new Set()).add(stream);
        entryAt[i] = newEntry(m, stream, undefined);
        continue;
      }
    }
    if (byMailbox === undefined) {
      byMailbox = new Map();
      for (const w of work) byMailbox.set(w.stream, w);
    }
    let entry = byMailbox.get(stream);
    if (entry) entry.mailbox = m;
    else {
      // A full sync's known state of it is found by the walk below; a quick sync's is looked up.
      entry = newEntry(m, stream, complete ? undefined : state.get(stream));
      byMailbox.set(stream, entry);
    }
    entryAt[i] = entry;
  }
  const observedStreams = work.length;
  if (knownNames !== undefined) {
    // The known streams the walk did not meet in step: observed out of step, or no longer observed
    // (their partnerships are gone).
    for (; at < knownNames.length; at++) {
      const s = knownNames[at]!;
      const ms = knownStates![at]!;
      const e = byMailbox?.get(s);
      if (e === undefined) work.push({ stream: s, known: ms, mailbox: undefined, devices: NO_DEVICES });
      else e.known = ms;
    }
  }
  for (const d of obs.devices) {
    const p = index.positionOf(d);
    if (p < 0) {
      warnings.push({
        kind: 'orphanPartnership',
        deviceId: d.deviceId,
        message: `partnership ${d.identity} has no mailbox among Get-CasMailbox's results; it was not decided`,
      });
      continue;
    }
    const entry = entryAt[p]!;
    entry.devices = entry.devices.length === 0 ? [d] : [...entry.devices, d];
  }
  let observed = 0;
  for (let i = 0; i < observedStreams; i++) observed += work[i]!.devices.length;
  const run = new PlannerRun(args, work, new ManagedDeviceIndex(obs.managed), warnings, complete);
  // Twins holding nothing of the sync (an empty index, a run with no work and no observations).
  holdShape('MailboxIndex', new MailboxIndex(NO_MAILBOXES));
  const managedTwin = new ManagedDeviceIndex(NO_MANAGED);
  holdShape('ManagedDeviceIndex', managedTwin);
  holdShape('PlannerRun', new PlannerRun(twinArgs(args), [], managedTwin, [], complete));
  // Progress is reported here, not in planNext: the caller's callback is made anew by each sync, and
  // a call to it compiled into planNext took planNext's code with it once the sync's callback was garbage.
  const { onProgress } = args;
  const next = (n: number) => {
    const planned = planNext(run, n);
    onProgress?.(run.decided, observed);
    return planned;
  };
  return { warnings, mailboxes: observedStreams, remaining: () => work.length - run.cursor, next };
}

/** Whether `stream` is `prefix` followed by `identity` (mailboxStream's name), without making that name. @internal */
export const isStreamOf = (stream: string, prefix: string, identity: string): boolean =>
  stream.length === prefix.length + identity.length && stream.endsWith(identity) && stream.startsWith(prefix);

/**
 * What planning the next mailboxes reads and advances (docs/architecture.md, "Compiled code that
 * outlives a sync"). A class, and `planNext` a function of the module, not a closure made by each
 * planner, whose optimized code V8 keeps only while that closure lives. The arguments it reads are
 * copied in: the caller's object, made by each sync with spread properties, has a hidden class that
 * dies with the sync (holding it instead had planNext's code dropped again, ~70 ms a sync).
 */
class PlannerRun {
  cursor = 0;
  commandNo = 0;
  decided = 0;
  readonly syncId: string;
  readonly atMs: number;
  readonly policy: Policy;
  readonly policyRevision: number;
  readonly groups: GroupMembership;
  readonly grandfather: PlanArgs['grandfather'];
  readonly removals: PlanArgs['removals'];
  constructor(
    args: PlanArgs,
    readonly work: readonly Work[],
    readonly managed: ManagedDeviceIndex,
    readonly warnings: PlanIssue[],
    readonly complete: boolean,
  ) {
    this.syncId = args.syncId;
    this.atMs = args.atMs;
    this.policy = args.policy;
    this.policyRevision = args.policyRevision;
    this.groups = args.observations.groups;
    this.grandfather = args.grandfather;
    this.removals = args.removals;
  }
}

function planNext(run: PlannerRun, n: number): Omit<MailboxesPlan, 'warnings' | 'mailboxes'> {
  const out: Omit<MailboxesPlan, 'warnings' | 'mailboxes'> = { events: new Map(), commands: [], devices: [] };
  const end = Math.min(run.work.length, run.cursor + n);
  // The loop alone: a mailbox is planned by a function of its own, compiled once as a whole. With the body
  // inline, a long slice had planNext compiled twice (on-stack, then as a whole) each time its code was dropped.
  for (; run.cursor < end; run.cursor++) planMailbox(run, run.work[run.cursor]!, out);
  return out;
}

/** Plans one stream of the run into `out`. */
function planMailbox(run: PlannerRun, w: Work, out: Omit<MailboxesPlan, 'warnings' | 'mailboxes'>): void {
  const { managed, warnings, complete, syncId, policy, policyRevision, atMs, groups: obsGroups, grandfather, removals: allRemovals } = run;
  const { events, commands, devices } = out;
  const { stream, known: ms, mailbox, devices: partnerships } = w;
  if (!mailbox && (!ms || Object.keys(ms.devices).length === 0)) return;
  const addresses = mailbox ? userAddressesAsBefore(mailbox, ms?.info?.addresses) : (ms?.info?.addresses ?? []);
  const groups = groupsOf(addresses, obsGroups, policy);
  // Each partnership's facts, by position (a map is made only for a mailbox that is reconciled).
  const facts = new Array<Context>(partnerships.length);
  // Each partnership's key, lower-cased once for the mapping, the unchanged check and the contexts.
  const keys = new Array<string>(partnerships.length);
  for (let i = 0; i < partnerships.length; i++) {
    const d = partnerships[i]!;
    const key = (keys[i] = deviceKey(d.deviceId));
    const mapping = managed.mapKey(key, addresses);
    if (mapping.conflicts.length > 0) {
      warnings.push({
        kind: 'mappingConflict',
        deviceId: d.deviceId,
        mailbox: mailbox!.identity,
        message: `managed device(s) ${mapping.conflicts.map((c) => c.id).join(', ')} carry EAS id ${d.deviceId} but belong to another user (${mapping.conflicts.map((c) => c.userPrincipalName ?? c.emailAddress ?? '?').join(', ')}); they do not unlock this partnership`,
      });
    }
    facts[i] = { groups, mapping };
  }
  const commandNo = run.commandNo++;
  const removals = allRemovals?.get(stream);
  // Nothing changed for this mailbox (the usual case of a nightly full sync): its recorded decisions stand.
  const unchanged =
    ms !== undefined && mailbox !== undefined && removals === undefined
      ? unchangedKeys(ms, { mailbox, partnerships, complete, grandfather, policyRevision, atMs }, facts, addresses, keys)
      : undefined;
  if (unchanged !== undefined) {
    // Its devices are exactly the ones observed, each decided as recorded.
    for (const key of unchanged) {
      const device = keyedGet(ms!.devices, key)!;
      const decision = recordedDecision(device);
      devices.push({ stream, device, decision, mailbox, notify: needsNotification(device, decision), fresh: true });
    }
  } else {
    const contexts = new Map<string, Context>();
    for (let i = 0; i < partnerships.length; i++) contexts.set(keys[i]!, facts[i]!);
    const command: ReconcileMailbox = {
      type: 'ReconcileMailbox',
      syncId,
      commandId: `${syncId}/${commandNo}`,
      atMs,
      policy,
      policyRevision,
      mailbox,
      partnerships,
      complete,
      contexts,
      ...(grandfather ? { grandfather } : {}),
      ...(removals !== undefined
        ? { removals, ...(policy.removeStaleAfterDays ? { staleAfterDays: policy.removeStaleAfterDays } : {}) }
        : {}),
    };
    const plan = accepted(decideMailbox(command, ms ?? initialMailboxState));
    if (plan.events.length > 0) events.set(stream, plan.events);
    for (const c of plan.commands) commands.push({ stream, commandId: c.commandId, command: c.command });
    for (const { device, decision } of plan.decisions) {
      devices.push({
        stream,
        device,
        decision,
        mailbox,
        notify: needsNotification(device, decision),
        fresh: contexts.has(deviceKey(device.deviceId)),
      });
    }
  }
  run.decided += partnerships.length;
}

/** Plans every mailbox at once (the offline `plan`, tests). */
export function planMailboxes(args: PlanArgs): MailboxesPlan {
  const planner = createMailboxPlanner(args);
  const events = new Map<string, DomainEvent[]>();
  const commands: MailboxesPlan['commands'] = [];
  const devices: PlannedDevice[] = [];
  // In slices, so that progress is reported every PROGRESS_EVERY mailboxes.
  do {
    const slice = planner.next(PROGRESS_EVERY);
    for (const [stream, evs] of slice.events) events.set(stream, evs);
    for (const c of slice.commands) commands.push(c);
    for (const d of slice.devices) devices.push(d);
  } while (planner.remaining() > 0);
  return { events, commands, devices, warnings: planner.warnings, mailboxes: planner.mailboxes };
}

const PROGRESS_EVERY = 250;
