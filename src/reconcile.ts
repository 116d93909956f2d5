// Crash reconciliation: an intent recorded without an outcome (the process
// died between the two) is judged by what Exchange reports now, so that nothing
// is applied twice and nothing is lost.
import type { CasMailbox, DeviceAccessRule, MobileDeviceStatistics, OrgSettings } from './facts.js';
import type { ClearMobileDevice, ExchangeCommand, RemoveMobileDevice } from './commands.js';
import { deviceKey, hasDeviceKey } from './mailbox/rules.js';

const lc = (s: string) => s.toLowerCase();

/** Whether a command's effect is visible in what Exchange reports now. */
export function commandApplied(
  command: ExchangeCommand,
  mailbox: CasMailbox | undefined,
  settings: OrgSettings,
  rules: readonly DeviceAccessRule[],
): boolean {
  const has = (list: readonly string[], id: string) => hasDeviceKey(list, deviceKey(id));
  switch (command.kind) {
    case 'setCasMailbox':
      if (!mailbox) return false;
      return (
        command.allowedDeviceIds.add.every((id) => has(mailbox.allowedDeviceIds, id)) &&
        command.allowedDeviceIds.remove.every((id) => !has(mailbox.allowedDeviceIds, id)) &&
        command.blockedDeviceIds.add.every((id) => has(mailbox.blockedDeviceIds, id)) &&
        command.blockedDeviceIds.remove.every((id) => !has(mailbox.blockedDeviceIds, id))
      );
    case 'setOrgSettings':
      return (
        (command.defaultAccessLevel === undefined || command.defaultAccessLevel === settings.defaultAccessLevel) &&
        (command.userMailInsert === undefined || command.userMailInsert === (settings.userMailInsert ?? ''))
      );
    case 'newDeviceAccessRule':
      return rules.some((r) => r.characteristic === command.characteristic && lc(r.queryString) === lc(command.queryString));
    case 'setDeviceAccessRule':
      return rules.some((r) => r.name === command.name && r.accessLevel === command.accessLevel);
    case 'removeDeviceAccessRule':
      return !rules.some((r) => r.name === command.name);
    case 'clearMobileDevice':
    case 'removeMobileDevice':
      // Judged on the partnership's statistics (partnershipCommandApplied), never on the lists.
      return false;
  }
}

// Exchange's clock and ours may differ a little; a wipe of the same phone minutes
// before this one cannot be (a second request is refused while one is outstanding).
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Whether a wipe or a removal was applied, from Get-MobileDeviceStatistics of the
 * partnership: `null` when Exchange no longer knows it. A wipe was applied when
 * Exchange stamped a request at or after the administrator's (so a crash never
 * sends it twice); a removal when the partnership is gone.
 */
export function partnershipCommandApplied(
  command: ClearMobileDevice | RemoveMobileDevice,
  statistics: MobileDeviceStatistics | null,
  requestedAtMs: number,
): boolean {
  if (command.kind === 'removeMobileDevice') return statistics === null;
  if (statistics === null || statistics.deviceWipeRequestTime === undefined) return false;
  const t = Date.parse(statistics.deviceWipeRequestTime);
  return !Number.isNaN(t) && t >= requestedAtMs - CLOCK_SKEW_MS;
}
