// What a Set-CasMailbox does to one device's list entries, as data and in words.
import type { SetCasMailbox } from '../../src/commands.js';
import { hasDeviceKey as hasId } from '../../src/mailbox.js';
import type { EnforcingCommand } from './types.js';

/** The command's effect on the entries of device key `k`; undefined when it touches none of them. */
export function effectOn(c: SetCasMailbox, k: string): EnforcingCommand['effect'] | undefined {
  const one = (ch: { add: readonly string[]; remove: readonly string[] }) =>
    hasId(ch.add, k) ? ('add' as const) : hasId(ch.remove, k) ? ('remove' as const) : null;
  const effect = { allowed: one(c.allowedDeviceIds), blocked: one(c.blockedDeviceIds) };
  return effect.allowed === null && effect.blocked === null ? undefined : effect;
}

/** The effect in words ("added to the allowed list, removed from the blocked list"). */
export const effectText = (ef: EnforcingCommand['effect']) =>
  [
    ef.allowed === 'add' ? 'added to the allowed list' : ef.allowed === 'remove' ? 'removed from the allowed list' : '',
    ef.blocked === 'add' ? 'added to the blocked list' : ef.blocked === 'remove' ? 'removed from the blocked list' : '',
  ]
    .filter(Boolean)
    .join(', ');
