// A decision in sentences: why it was made, from its recorded facts and the
// policy of its revision, with the rule of docs/domain.md that decided.
import type { AccessLevel } from '../../src/facts.js';
import type { DecisionFacts, Reason } from '../../src/events.js';
import type { PolicyDocument } from '../../src/policy.js';
import { RULE_OF_REASON } from '../../src/access.js';

/** The rule of docs/domain.md each reason comes from (0: ActiveSync disabled on the mailbox). */
export const RULE: Readonly<Record<Reason, number | null>> = RULE_OF_REASON;

function exchangeText(f: DecisionFacts): string {
  const ex = f.exchange;
  if (!ex) return '';
  const why =
    ex.reason === 'individual'
      ? "the mailbox's own allowed/blocked lists"
      : ex.reason === 'deviceRule'
        ? `device access rule ${ex.rule ?? ''}`.trim()
        : ex.reason === 'global'
          ? "the organization's default access level"
          : ex.reason === 'activeSyncDisabled'
            ? 'ActiveSync disabled on the mailbox'
            : ex.reason;
  return ` Exchange's own evaluation gives ${ex.access} (${why}).`;
}

/** The decision explained, one sentence per fact that decided it. */
export function sentences(
  d: { access: AccessLevel; reason: Reason; facts: DecisionFacts; policyRevision: number },
  mailbox: string,
  policy: PolicyDocument | null,
): string[] {
  const f = d.facts;
  const out: string[] = [];
  const groups = f.groups.included.length
    ? `the user is in included group(s) ${f.groups.included.join(', ')} and in no excluded group`
    : '';
  const intune = f.intune;
  const conflicts = f.conflicts.length
    ? ` Managed device(s) ${f.conflicts.map((c) => `${c.id} (${c.user || 'unknown user'})`).join(', ')} carry this EAS device id but belong to another user: they do not count.`
    : '';
  switch (d.reason) {
    case 'adminOverride': {
      const o = f.override;
      out.push(
        o
          ? `An administrator's override (rule 9, evaluated before the policy's rules): ${o.access} until ${o.until}, granted by ${o.by} because "${o.reason}" (${o.overrideId})${o.notify ? '; the user is told of the block' : ''}. When it ends, the next sync decides the device by the policy again.`
          : "An administrator's override (rule 9) decided.",
      );
      break;
    }
    case 'activeSyncDisabled':
      out.push(`ActiveSync is disabled on mailbox ${mailbox}: Exchange blocks every device of it, and the engine does not govern it.`);
      break;
    case 'policyDisabled':
      out.push(`The policy (revision ${d.policyRevision}) is disabled: the engine governs no device.${exchangeText(f)}`);
      break;
    case 'excludedGroup':
      out.push(
        `The user is in excluded group(s) ${f.groups.excluded.join(', ')}: not governed (exclusion wins over inclusion).${exchangeText(f)}`,
      );
      break;
    case 'notTargeted': {
      const inc = policy?.includedGroups ?? [];
      out.push(
        inc.length === 0
          ? `The policy includes no group, so it targets nobody: not governed.${exchangeText(f)}`
          : `The user is in none of the policy's included groups (${inc.join(', ')}): not governed.${exchangeText(f)}`,
      );
      break;
    }
    case 'compliant':
    case 'notCompliant': {
      if (groups) out.push(`Governed: ${groups}.`);
      if (intune) {
        const who = intune.userPrincipalName ?? intune.emailAddress ?? 'unknown user';
        out.push(
          `Managed device ${intune.id} (${intune.managementAgent}, ${who}) maps to this partnership: same EAS device id and same user.${conflicts}`,
        );
        const st = intune.complianceState;
        if (d.reason === 'compliant') {
          out.push(
            st === 'inGracePeriod'
              ? `Its compliance state is inGracePeriod with the grace deadline ${intune.graceDeadline ?? '(none)'} not passed when decided → allow (rule 5).`
              : `Its compliance state is ${st} → allow (rule 5).`,
          );
        } else {
          out.push(
            f.graceExpired
              ? `Its compliance state is inGracePeriod but the grace deadline ${intune.graceDeadline ?? '(none)'} had passed when decided → block (rule 6).`
              : `Its compliance state is ${st} → block (rule 6).`,
          );
        }
      }
      break;
    }
    case 'exchangeDeviceRule': {
      if (groups) out.push(`Governed: ${groups}.`);
      const x = f.exception;
      out.push(`No managed device maps to this partnership.${conflicts}`);
      if (x) out.push(`The platform exception ${x.type} "${x.name}" matches → ${x.access} (rule 7).`);
      if (f.overriddenBy)
        out.push(`Quarantine cannot be expressed for it: the Block rule ${f.overriddenBy} also matches, so Exchange blocks it.`);
      break;
    }
    case 'notEnrolled': {
      if (groups) out.push(`Governed: ${groups}.`);
      out.push(`No managed device maps to this partnership (not enrolled in Intune, or enrolled by another user).${conflicts}`);
      out.push(
        `No platform exception matches; the policy's default access level is ${policy?.defaultAccessLevel ?? 'quarantine'} → ${d.access} (rule 8).`,
      );
      break;
    }
    default:
      out.push(`${d.access} (${d.reason}).${exchangeText(f)}`);
  }
  return out;
}
