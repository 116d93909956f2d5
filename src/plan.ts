// The sync planner: observations + current state -> per-mailbox events and
// commands. Shared by the engine's sync and the offline `eas-sync plan`.
import type { CasMailbox, GroupMembership, ManagedDevice, MobileDevice } from './facts.js';
import type { MailboxCommandOf } from './commands.js';
import type { Policy } from './policy.js';
import type { DeviceContext, Decision } from './access.js';
import { mailboxStream, type DomainEvent } from './events.js';
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
import { recordedDecisions, unchangedMailbox } from './mailbox/unchanged.js';
import { ManagedDeviceIndex } from './mapping.js';
import { MailboxIndex, userAddresses } from './identity.js';

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

/** The policy's groups the user is in, by any of their (lower-cased) addresses. */
export function groupsOf(addresses: readonly string[], groups: GroupMembership, policy: Policy): DeviceContext['groups'] {
  const inAny = (ids: readonly string[]) =>
    ids.filter((g) => {
      const m = groups.get(g);
      return !!m && addresses.some((a) => m.has(a));
    });
  return { included: inAny(policy.includedGroups), excluded: inAny(policy.excludedGroups) };
}

/** A stream's observed mailbox and its partnerships. */
interface Entry {
  mailbox: CasMailbox;
  readonly devices: MobileDevice[];
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
  /** Partnerships decided so far of those observed (reported every 250 mailboxes and at the end of each `next`). */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface MailboxPlanner {
  /** Warnings found so far (orphans at creation, mapping conflicts as mailboxes are planned). */
  readonly warnings: PlanIssue[];
  /** Mailboxes observed. */
  readonly mailboxes: number;
  /** Mailboxes left to plan. */
  remaining(): number;
  /** Plans the next `n` mailboxes (against the state as it is now). */
  next(n: number): Omit<MailboxesPlan, 'warnings' | 'mailboxes'>;
}

/**
 * Plans mailbox by mailbox, so that a sync can record and start executing the
 * first mailboxes' intents while it decides the rest.
 */
export function createMailboxPlanner(args: PlanArgs): MailboxPlanner {
  const { organization, syncId, policy, observations: obs } = args;
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
  // One entry per stream, found by stream name (once per mailbox) and by the mailbox object (once per
  // partnership: no stream name to hash again). Two mailboxes with one stream share the entry, the last one's.
  const byMailbox = new Map<string, Entry>();
  const entryOf = new Map<CasMailbox, Entry>();
  // What `next` walks: observed mailboxes in order, then (full syncs) known ones no longer observed.
  const work: Array<{ readonly stream: string; readonly entry: Entry | undefined }> = [];
  for (const m of obs.mailboxes) {
    const stream = mailboxStream(organization, m.identity);
    let entry = byMailbox.get(stream);
    if (entry) entry.mailbox = m;
    else {
      entry = { mailbox: m, devices: [] };
      byMailbox.set(stream, entry);
      work.push({ stream, entry });
    }
    entryOf.set(m, entry);
  }
  for (const d of obs.devices) {
    const m = index.mailboxOf(d);
    if (!m) {
      warnings.push({
        kind: 'orphanPartnership',
        deviceId: d.deviceId,
        message: `partnership ${d.identity} has no mailbox among Get-CasMailbox's results; it was not decided`,
      });
      continue;
    }
    entryOf.get(m)!.devices.push(d);
  }
  const managed = new ManagedDeviceIndex(obs.managed);
  const complete = args.complete ?? true;
  // Known mailboxes no longer observed lost their partnerships.
  if (complete) for (const s of state.keys()) if (!byMailbox.has(s)) work.push({ stream: s, entry: undefined });
  let cursor = 0;
  let k = 0;
  let decided = 0;
  let observed = 0;
  for (const e of byMailbox.values()) observed += e.devices.length;

  function next(n: number) {
    const events = new Map<string, DomainEvent[]>();
    const commands: MailboxesPlan['commands'] = [];
    const devices: PlannedDevice[] = [];
    const end = Math.min(work.length, cursor + n);
    for (; cursor < end; cursor++) {
      const { stream, entry } = work[cursor]!;
      const ms = state.get(stream);
      if (!entry && (!ms || Object.keys(ms.devices).length === 0)) continue;
      const addresses = entry ? userAddresses(entry.mailbox) : (ms?.info?.addresses ?? []);
      const groups = groupsOf(addresses, obs.groups, policy);
      const contexts = new Map<string, Omit<DeviceContext, 'device' | 'activeSyncEnabled'>>();
      for (const d of entry?.devices ?? []) {
        const mapping = managed.map(d.deviceId, addresses);
        if (mapping.conflicts.length > 0) {
          warnings.push({
            kind: 'mappingConflict',
            deviceId: d.deviceId,
            mailbox: entry!.mailbox.identity,
            message: `managed device(s) ${mapping.conflicts.map((c) => c.id).join(', ')} carry EAS id ${d.deviceId} but belong to another user (${mapping.conflicts.map((c) => c.userPrincipalName ?? c.emailAddress ?? '?').join(', ')}); they do not unlock this partnership`,
          });
        }
        contexts.set(deviceKey(d.deviceId), { groups, mapping });
      }
      const commandId = `${syncId}/${k++}`;
      const command: ReconcileMailbox = {
        type: 'ReconcileMailbox',
        syncId,
        commandId,
        atMs: args.atMs,
        policy,
        policyRevision: args.policyRevision,
        mailbox: entry?.mailbox,
        partnerships: entry?.devices ?? [],
        complete,
        contexts,
        ...(args.grandfather ? { grandfather: args.grandfather } : {}),
        ...(args.removals?.has(stream)
          ? {
              removals: args.removals.get(stream)!,
              ...(policy.removeStaleAfterDays ? { staleAfterDays: policy.removeStaleAfterDays } : {}),
            }
          : {}),
      };
      // Nothing changed for this mailbox (the usual case of a nightly full sync): its recorded decisions stand.
      const unchanged = ms !== undefined && unchangedMailbox(ms, command, entry ? addresses : undefined);
      const plan = unchanged
        ? { events: [], commands: [], decisions: recordedDecisions(ms) }
        : accepted(decideMailbox(command, ms ?? initialMailboxState));
      if (plan.events.length > 0) events.set(stream, plan.events);
      for (const c of plan.commands) commands.push({ stream, commandId: c.commandId, command: c.command });
      for (const { device, decision } of plan.decisions) {
        devices.push({
          stream,
          device,
          decision,
          mailbox: entry?.mailbox,
          notify: needsNotification(device, decision),
          // An unchanged mailbox's devices are exactly the ones observed.
          fresh: unchanged || contexts.has(deviceKey(device.deviceId)),
        });
      }
      decided += entry?.devices.length ?? 0;
      if (args.onProgress && (cursor + 1) % 250 === 0) args.onProgress(decided, observed);
    }
    args.onProgress?.(decided, observed);
    return { events, commands, devices };
  }

  return { warnings, mailboxes: byMailbox.size, remaining: () => work.length - cursor, next };
}

/** Plans every mailbox at once (the offline `plan`, tests). */
export function planMailboxes(args: PlanArgs): MailboxesPlan {
  const planner = createMailboxPlanner(args);
  const all = planner.next(Number.MAX_SAFE_INTEGER);
  return { ...all, warnings: planner.warnings, mailboxes: planner.mailboxes };
}
