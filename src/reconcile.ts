// Crash reconciliation: an intent recorded without an outcome (the process
// died between the two) is judged by what Exchange reports now, so that nothing
// is applied twice and nothing is lost.
import type { CasMailbox, DeviceAccessRule, OrgSettings } from './facts.js';
import type { ExchangeCommand } from './commands.js';
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
  }
}
