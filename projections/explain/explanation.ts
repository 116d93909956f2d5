// An explanation put together from the partnership chosen at the explained
// moment: its decision and facts, the command that enforced it, the lists,
// the policies, sentences and notes, and the device's other partnerships.
import type { SetCasMailbox } from '../../src/commands.js';
import { hasDeviceKey as hasId } from '../../src/mailbox.js';
import { effectOn, effectText } from './effect.js';
import { lastDecisionOf, lastPartnershipOf, type Decoded, type PolicyEntry } from './events.js';
import { RULE, sentences } from './sentences.js';
import { sameDecisionRules, withDefaults } from '../../src/policy.js';
import type { StreamView } from './timeline.js';
import type { EnforcingCommand, Explanation } from './types.js';
import { keyedGet } from '../../src/mailbox/keyed.js';

/** The partnership chosen to explain, and what the explanation is read from. */
export interface Chosen {
  /** The DeviceId asked for, and its key. */
  readonly deviceId: string;
  readonly k: string;
  /** The moment explained, and its time (Infinity: the end of the log). */
  readonly at: string;
  readonly atMs: number;
  /** The partnership explained and its organization. */
  readonly v: StreamView;
  readonly org: string;
  /** The organization's policy changes up to the moment. */
  readonly orgPolicies: readonly PolicyEntry[];
  /** Every stream of the device, decoded, and its view. */
  readonly byStream: ReadonlyMap<string, readonly Decoded[]>;
  readonly views: readonly StreamView[];
}

const deviceIn = (v: StreamView, k: string) => keyedGet(v.state.devices, k);
const decisionIn = (v: StreamView, k: string) => deviceIn(v, k)?.decision;
/** The partnership explained: present at that moment first, then the latest decision. */
export const rank = (v: StreamView, k: string) => (deviceIn(v, k) ? 2 : 0) + (decisionIn(v, k) ? 1 : 0);

/** The last Set-CasMailbox of the view that changed the device's entries, as of its moment. */
function enforcingCommand(v: StreamView, k: string): EnforcingCommand | null {
  if (v.lastCommand === null) return null;
  const c = v.commands.get(v.lastCommand)!;
  const o = c.outcome?.e;
  return {
    commandId: c.data.commandId,
    syncId: c.data.syncId,
    intendedAt: c.intended.raw.at,
    command: c.data.command as SetCasMailbox,
    effect: effectOn(c.data.command as SetCasMailbox, k)!,
    outcome: o === undefined ? 'pending' : o.type === 'CommandSucceeded' ? 'succeeded' : 'failed',
    ...(c.outcome ? { completedAt: c.outcome.raw.at } : {}),
    ...(o?.type === 'CommandFailed' ? { error: o.data.error } : {}),
    ...(o && (o.type === 'CommandFailed' || o.type === 'CommandSucceeded') && o.data.reconciled ? { reconciled: true } : {}),
  };
}

/** The explanation of the chosen partnership (see `Chosen`). */
export function explanationOf({ deviceId, k, at, atMs, v, org, orgPolicies, byStream, views }: Chosen): Explanation {
  const device = deviceIn(v, k);
  const decision = decisionIn(v, k);
  // A removed partnership: explain its last state (the fold dropped it; rebuild from the timeline).
  // A present one without a decision is new (discovered again after a removal): an older partnership's decision is not its own.
  const lastDecision = decision ?? (device ? undefined : lastDecisionOf(byStream.get(v.stream)!, k, atMs));
  const partnership = device ?? lastPartnershipOf(byStream.get(v.stream)!, k, atMs);
  const info = v.state.info;
  const policyOf = (rev: number | undefined) => (rev === undefined ? undefined : orgPolicies.find((p) => p.revision === rev));
  const inForce = orgPolicies[orgPolicies.length - 1];
  const decidedUnder = policyOf(lastDecision?.policyRevision);

  const command = enforcingCommand(v, k);

  const lists = { allowed: hasId(v.state.lists.allowedDeviceIds, k), blocked: hasId(v.state.lists.blockedDeviceIds, k) };
  const explanation: string[] = [];
  const notes: string[] = [];
  const mailboxName = info?.identity ?? v.stream;
  if (lastDecision) {
    explanation.push(...sentences(lastDecision, mailboxName, decidedUnder?.policy ?? null));
    if (lastDecision.governed) {
      if (lastDecision.access === 'quarantine') {
        explanation.push(
          "Enforced by keeping the device out of both lists: Exchange's default access level, which the engine keeps at Quarantine, or a Quarantine device access rule, applies.",
        );
      } else if (command) {
        explanation.push(
          `Enforced by ${command.commandId} (${effectText(command.effect)}): ${command.outcome}${command.completedAt ? ` at ${command.completedAt}` : ''}.`,
        );
      }
      const want = { allowed: lastDecision.access === 'allow', blocked: lastDecision.access === 'block' };
      const needsList = lastDecision.access !== 'quarantine' || lists.allowed || lists.blocked;
      if (device && needsList && (want.allowed !== lists.allowed || want.blocked !== lists.blocked)) {
        notes.push(
          `The mailbox's lists as the engine knew them (${lists.allowed ? 'allowed' : lists.blocked ? 'blocked' : 'in neither list'}) do not carry this decision yet${command?.outcome === 'failed' ? ': the command that should enforce it failed' : command?.outcome === 'pending' ? ': its command has no outcome yet' : ''}; Exchange may still apply the previous access.`,
        );
      }
    }
    if (device?.grandfathered && !lastDecision.governed) {
      explanation.push(
        "It was grandfathered: before the organization's default access level became stricter, the engine put it in the mailbox's allowed list so that this not-governed user keeps access.",
      );
    }
  } else {
    explanation.push('The partnership was discovered but no access decision was recorded for it yet.');
  }
  if (command?.outcome === 'pending')
    notes.push(
      `Command ${command.commandId} was intended but has no outcome: the sync was interrupted; the next full sync reconciles it by reading the mailbox back.`,
    );
  if (command?.outcome === 'failed')
    notes.push(`Command ${command.commandId} failed (${command.error?.message ?? 'unknown error'}); the next sync retries.`);
  if (v.removedAt !== null) notes.push(`The partnership was removed from Exchange at ${v.removedAt}; this was its last decision.`);
  // A later revision that left the decision rules as they were (notification, clean-up) decides nothing again.
  const rulesChanged =
    inForce !== undefined &&
    (decidedUnder === undefined || !sameDecisionRules(withDefaults(decidedUnder.policy), withDefaults(inForce.policy)));
  if (lastDecision && inForce && inForce.revision !== lastDecision.policyRevision && rulesChanged) {
    notes.push(
      `Policy revision ${inForce.revision} (changed at ${inForce.at}) is in force, but the device was decided under revision ${lastDecision.policyRevision}: the next sync decides it again.`,
    );
  }
  const grace = lastDecision?.facts.intune;
  if (lastDecision?.access === 'allow' && grace?.complianceState === 'inGracePeriod' && grace.graceDeadline !== undefined) {
    const deadline = Date.parse(grace.graceDeadline);
    const moment = atMs === Infinity ? Date.parse(at) : atMs;
    if (deadline <= moment)
      notes.push(
        `The grace deadline ${grace.graceDeadline} has passed since this decision: the next sync blocks the device unless it became compliant.`,
      );
  }

  const o = device?.override;
  const moment = atMs === Infinity ? Date.parse(at) : atMs;
  const override = o ? { ...o, notify: o.notify === true, inForce: Date.parse(o.until) > moment } : null;
  if (override && lastDecision) {
    const decidedBy = lastDecision.reason === 'adminOverride' ? lastDecision.facts.override?.overrideId : undefined;
    if (override.inForce && decidedBy !== override.overrideId)
      notes.push(
        `Override ${override.overrideId} (${override.access} until ${override.until}, by ${override.by}) was granted after this decision: the next sync enforces it.`,
      );
    if (!override.inForce && decidedBy !== undefined)
      notes.push(`The override ended at ${override.until}: the next sync decides the device by the policy again.`);
  }
  if (!o && lastDecision?.reason === 'adminOverride')
    notes.push('The override that decided this was revoked: the next sync decides the device by the policy again.');

  const w = device?.wipe;
  if (w?.stage === 'requested') notes.push(`Wipe ${w.wipeId} was requested by ${w.by} at ${w.requestedAt}: the next sync sends it.`);
  if (w?.stage === 'sent')
    notes.push(
      `Wipe ${w.wipeId} was sent at ${w.sentAt ?? '?'}: the phone is wiped at its next contact with Exchange, which later syncs record.`,
    );
  if (w?.stage === 'failed') notes.push(`Wipe ${w.wipeId} failed: ${w.error?.message ?? 'refused by Exchange'}.`);

  const others = views
    .filter((o) => o !== v && o.firstSeen !== '' && Date.parse(o.firstSeen) <= atMs)
    .map((o) => {
      const od = decisionIn(o, k) ?? lastDecisionOf(byStream.get(o.stream)!, k, atMs);
      return {
        mailbox: o.state.info?.identity ?? o.stream,
        stream: o.stream,
        present: deviceIn(o, k) !== undefined,
        access: od?.access ?? null,
        reason: od?.reason ?? null,
      };
    });

  return {
    deviceId: partnership?.deviceId ?? deviceId,
    organization: org,
    mailbox: mailboxName,
    stream: v.stream,
    at,
    present: device !== undefined,
    removedAt: device ? null : v.removedAt,
    access: lastDecision?.access ?? null,
    reason: lastDecision?.reason ?? null,
    governed: lastDecision?.governed ?? null,
    rule: lastDecision ? RULE[lastDecision.reason] : null,
    decidedAt: lastDecision?.at ?? null,
    syncId: lastDecision?.syncId ?? null,
    policyRevision: lastDecision?.policyRevision ?? null,
    facts: lastDecision?.facts ?? null,
    device: {
      identity: partnership?.identity ?? '',
      deviceType: partnership?.deviceType ?? '',
      deviceModel: partnership?.deviceModel ?? '',
      ...(partnership?.deviceOS !== undefined ? { deviceOS: partnership.deviceOS } : {}),
      ...(partnership?.deviceUserAgent !== undefined ? { deviceUserAgent: partnership.deviceUserAgent } : {}),
      ...(partnership?.friendlyName !== undefined ? { friendlyName: partnership.friendlyName } : {}),
      ...(partnership?.firstSyncTime !== undefined ? { firstSyncTime: partnership.firstSyncTime } : {}),
    },
    user: {
      addresses: info?.addresses ?? [],
      ...(info ? { primarySmtpAddress: info.primarySmtpAddress, activeSyncEnabled: info.activeSyncEnabled } : {}),
      ...(info?.userPrincipalName !== undefined ? { userPrincipalName: info.userPrincipalName } : {}),
      ...(info?.displayName !== undefined ? { displayName: info.displayName } : {}),
    },
    lists,
    command,
    policy: decidedUnder?.policy ?? null,
    policyInForce: inForce ? { revision: inForce.revision, changedAt: inForce.at, policy: inForce.policy } : null,
    explanation,
    notes,
    timeline: v.timeline,
    override,
    wipe: w ? { ...w } : null,
    otherPartnerships: others,
  };
}
