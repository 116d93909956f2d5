// What-if's clean-up dry run: which partnerships of a log a full sync would
// remove under a policy with removeStaleAfterDays, given the mailboxes'
// Get-MobileDeviceStatistics (the log does not record LastSuccessSync). The
// same choice as the sync's (src/cleanup.ts), from the log's mailbox states;
// group membership is what the logged decisions recorded (a group new to the
// policy is empty, as for what-if's decisions).
import type { CasMailbox, MobileDevice } from '../../src/facts.js';
import type { Policy } from '../../src/policy.js';
import type { MailboxState } from '../../src/mailbox.js';
import { selectStale, type StaleRemoval, type StaleSelection, type StatisticsByIdentity } from '../../src/cleanup.js';
import { mailboxStreamPrefix } from '../../src/events.js';
import { organizationOfStream } from '../device-access.js';

/** A mailbox as Get-CasMailbox would show it, from what the log recorded of it. */
function casMailboxOf(ms: MailboxState): CasMailbox | undefined {
  const i = ms.info;
  if (!i) return undefined;
  return {
    identity: i.identity,
    ...(i.distinguishedName !== undefined ? { distinguishedName: i.distinguishedName } : {}),
    ...(i.guid !== undefined ? { guid: i.guid } : {}),
    ...(i.displayName !== undefined ? { displayName: i.displayName } : {}),
    primarySmtpAddress: i.primarySmtpAddress,
    emailAddresses: i.addresses.map((a) => `smtp:${a}`),
    ...(i.userPrincipalName !== undefined ? { userPrincipalName: i.userPrincipalName } : {}),
    activeSyncEnabled: i.activeSyncEnabled,
    allowedDeviceIds: ms.lists.allowedDeviceIds,
    blockedDeviceIds: ms.lists.blockedDeviceIds,
  };
}

/** The removals a full sync at `atMs` would make, organization by organization (each capped on its own, as each connector is). */
export function whatIfRemovals(
  states: ReadonlyMap<string, MailboxState>,
  policy: Policy,
  atMs: number,
  statistics: StatisticsByIdentity,
): StaleSelection {
  const byOrg = new Map<string, Map<string, MailboxState>>();
  for (const [stream, ms] of states) {
    const org = organizationOfStream(stream);
    // A stream name cut at the wrong '-' (an organization with '-' in its name) would not round-trip: keep the prefix's.
    if (!stream.startsWith(mailboxStreamPrefix(org))) continue;
    let m = byOrg.get(org);
    if (!m) byOrg.set(org, (m = new Map()));
    m.set(stream, ms);
  }
  const chosen: StaleRemoval[] = [];
  let deferred = 0;
  let unknown = 0;
  const kept = { override: 0, excludedGroup: 0, wipe: 0 };
  for (const [organization, orgStates] of byOrg) {
    const mailboxes: CasMailbox[] = [];
    const devices: MobileDevice[] = [];
    const groups = new Map<string, Set<string>>();
    for (const ms of orgStates.values()) {
      const m = casMailboxOf(ms);
      if (!m) continue;
      mailboxes.push(m);
      for (const d of Object.values(ms.devices)) {
        const { decision, owned: _o, notified: _n, grandfathered: _g, override: _ov, wipe: _w, ...partnership } = d;
        devices.push(partnership);
        for (const g of [...(decision?.facts.groups.included ?? []), ...(decision?.facts.groups.excluded ?? [])]) {
          let set = groups.get(g);
          if (!set) groups.set(g, (set = new Set()));
          for (const a of ms.info!.addresses) set.add(a);
        }
      }
    }
    const s = selectStale({ organization, policy, atMs, devices, mailboxes, groups, statistics, state: orgStates });
    chosen.push(...s.chosen);
    deferred += s.deferred;
    unknown += s.unknown;
    kept.override += s.kept.override;
    kept.excludedGroup += s.kept.excludedGroup;
    kept.wipe += s.kept.wipe;
  }
  return { chosen, deferred, kept, unknown };
}
