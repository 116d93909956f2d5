// Group targeting (docs/domain.md): which of the policy's included and excluded
// groups a mailbox's user is in, by any of the user's addresses. Asked by the
// planner for every mailbox, by discovery (a quick sync's group changes) and by
// the stale partnership clean-up.
import type { GroupMembership } from './facts.js';
import type { Policy } from './policy.js';
import type { DeviceContext } from './access.js';

/** The policy's groups the user is in, by any of their (lower-cased) addresses. */
export function groupsOf(addresses: readonly string[], groups: GroupMembership, policy: Policy): DeviceContext['groups'] {
  return { included: memberOf(policy.includedGroups, addresses, groups), excluded: memberOf(policy.excludedGroups, addresses, groups) };
}

// Plain loops: asked for every mailbox of every sync, where filter and some made two closures each time.
function memberOf(ids: readonly string[], addresses: readonly string[], groups: GroupMembership): string[] {
  const out: string[] = [];
  for (const g of ids) {
    const members = groups.get(g);
    if (members === undefined) continue;
    for (const a of addresses) {
      if (members.has(a)) {
        out.push(g);
        break;
      }
    }
  }
  return out;
}
