// Exchange's own allow/block/quarantine evaluation for one partnership, in the
// order docs/domain.md gives. The simulator is built on it, and the engine uses it to
// predict what Exchange will do with devices it does not govern and to verify.
import type { AccessLevel, CasMailbox, DeviceAccessRule, ExchangeAccessLevel, MobileDevice, OrgSettings } from './facts.js';
import { deviceKey, hasDeviceKey } from './mailbox/rules.js';

export type ExchangeReason = 'activeSyncDisabled' | 'individual' | 'deviceRule' | 'global';

export interface ExchangeEvaluation {
  readonly access: AccessLevel;
  readonly reason: ExchangeReason;
  /** The rule that matched, for `deviceRule`. */
  readonly rule?: string;
}

export const toAccess = (l: ExchangeAccessLevel): AccessLevel => (l === 'Allow' ? 'allow' : l === 'Block' ? 'block' : 'quarantine');
export const toExchangeLevel = (a: AccessLevel): ExchangeAccessLevel => (a === 'allow' ? 'Allow' : a === 'block' ? 'Block' : 'Quarantine');

const eq = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();

export function characteristicValue(device: MobileDevice, c: DeviceAccessRule['characteristic']): string | undefined {
  switch (c) {
    case 'DeviceType':
      return device.deviceType;
    case 'DeviceModel':
      return device.deviceModel;
    case 'DeviceOS':
      return device.deviceOS;
    case 'UserAgent':
      return device.deviceUserAgent;
    case 'XMSWLHeader':
      return undefined; // not reported by Get-MobileDevice; never matches here
  }
}

const RANK: Record<ExchangeAccessLevel, number> = { Block: 3, Quarantine: 2, Allow: 1 };

/** The strongest device access rule that matches (Block > Quarantine > Allow), if any. */
export function matchingRule(device: MobileDevice, rules: readonly DeviceAccessRule[]): DeviceAccessRule | undefined {
  let best: DeviceAccessRule | undefined;
  for (const r of rules) {
    if (eq(characteristicValue(device, r.characteristic), r.queryString)) {
      if (!best || RANK[r.accessLevel] > RANK[best.accessLevel]) best = r;
    }
  }
  return best;
}

const inList = (list: readonly string[], id: string) => hasDeviceKey(list, deviceKey(id));

/**
 * Steps 1–5 of Exchange's evaluation (docs/domain.md). `mailbox` supplies ActiveSyncEnabled and the personal
 * exemption lists. `stickyBlockRule` is the Block rule that already blocked this
 * partnership (Exchange keeps it blocked until the partnership is removed).
 */
export function evaluateExchange(
  device: MobileDevice,
  mailbox: Pick<CasMailbox, 'activeSyncEnabled' | 'allowedDeviceIds' | 'blockedDeviceIds'>,
  org: Pick<OrgSettings, 'defaultAccessLevel'>,
  rules: readonly DeviceAccessRule[],
  stickyBlockRule?: string,
): ExchangeEvaluation {
  if (!mailbox.activeSyncEnabled) return { access: 'block', reason: 'activeSyncDisabled' };
  if (inList(mailbox.blockedDeviceIds, device.deviceId)) return { access: 'block', reason: 'individual' };
  if (inList(mailbox.allowedDeviceIds, device.deviceId)) return { access: 'allow', reason: 'individual' };
  if (stickyBlockRule !== undefined) return { access: 'block', reason: 'deviceRule', rule: stickyBlockRule };
  const rule = matchingRule(device, rules);
  if (rule) {
    return { access: toAccess(rule.accessLevel), reason: 'deviceRule', rule: rule.name ?? `${rule.queryString} (${rule.characteristic})` };
  }
  return { access: toAccess(org.defaultAccessLevel), reason: 'global' };
}
