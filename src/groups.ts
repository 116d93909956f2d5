// Group targeting (docs/domain.md): which of the policy's included and excluded
// groups a mailbox's user is in, by any of the user's addresses. Asked by the
// planner for every mailbox, by discovery (a quick sync's group changes) and by
// the stale partnership clean-up.
import type { GroupMembership } from './facts.js';
import type { Policy } from './policy.js';
import type { DeviceContext } from './access.js';

type Groups = DeviceContext['groups'];

// A user's groups are a subset of the policy's lists, named by one bit per list entry: users in the same
// groups share one result, made once per policy (a result object and two arrays per mailbox of every sync
// were garbage at once). Lists longer than this are answered with a result of their own each time.
const SHARED_BITS = 15;
const sharedByPolicy = new WeakMap<Policy, Map<number, Groups>>();

/** The policy's groups the user is in, by any of their (lower-cased) addresses. Frozen: it may be shared. */
export function groupsOf(addresses: readonly string[], groups: GroupMembership, policy: Policy): Groups {
  const inc = policy.includedGroups;
  const exc = policy.excludedGroups;
  if (inc.length > SHARED_BITS || exc.length > SHARED_BITS)
    return frozen(memberOf(inc, addresses, groups), memberOf(exc, addresses, groups));
  const key = memberBits(inc, addresses, groups) * 2 ** SHARED_BITS + memberBits(exc, addresses, groups);
  let shared = sharedByPolicy.get(policy);
  if (shared === undefined) sharedByPolicy.set(policy, (shared = new Map()));
  let g = shared.get(key);
  if (g === undefined) {
    g = frozen(listed(inc, Math.floor(key / 2 ** SHARED_BITS)), listed(exc, key % 2 ** SHARED_BITS));
    shared.set(key, g);
  }
  return g;
}

// Frozen: a decision keeps the result itself as its facts' groups (access.ts), so no holder can change another's.
const frozen = (included: string[], excluded: string[]): Groups =>
  Object.freeze({ included: Object.freeze(included), excluded: Object.freeze(excluded) });

// Plain loops: asked for every mailbox of every sync, where filter and some made two closures each time.
function memberOf(ids: readonly string[], addresses: readonly string[], groups: GroupMembership): string[] {
  const out: string[] = [];
  for (const g of ids) if (isMember(g, addresses, groups)) out.push(g);
  return out;
}

/** `memberOf` as bits: bit i for `ids[i]` (at most SHARED_BITS ids). */
function memberBits(ids: readonly string[], addresses: readonly string[], groups: GroupMembership): number {
  let bits = 0;
  for (let i = 0; i < ids.length; i++) if (isMember(ids[i]!, addresses, groups)) bits |= 1 << i;
  return bits;
}

/** The ids whose bits are set, in the list's order. */
function listed(ids: readonly string[], bits: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < ids.length; i++) if (bits & (1 << i)) out.push(ids[i]!);
  return out;
}

function isMember(g: string, addresses: readonly string[], groups: GroupMembership): boolean {
  const members = groups.get(g);
  if (members === undefined) return false;
  for (let i = 0; i < addresses.length; i++) if (members.has(addresses[i]!)) return true;
  return false;
}
