// The access decision for one device partnership (docs/domain.md, rules 0–8), pure
// and with its reason. Time enters only as `at` (the grace deadline).
import type { AccessLevel, DeviceAccessRule, ManagedDevice, MobileDevice } from './facts.js';
import type { Policy, PlatformException } from './policy.js';
import type { Mapping } from './mapping.js';
import type { DecisionFacts, Reason } from './events.js';
import { evaluateExchange, matchingRule, toExchangeLevel } from './exchange-evaluation.js';
import { isLowerCaseOf } from './case.js';

export interface DeviceContext {
  readonly device: Pick<MobileDevice, 'deviceId' | 'deviceType' | 'deviceModel' | 'deviceOS' | 'deviceUserAgent'>;
  /** ActiveSyncEnabled of the device's mailbox. */
  readonly activeSyncEnabled: boolean;
  /** The policy's groups that the user is a member of. */
  readonly groups: { readonly included: readonly string[]; readonly excluded: readonly string[] };
  readonly mapping: Mapping;
  /** An administrator's override of this partnership, if one was granted (valid or not: `atMs` decides). */
  readonly override?: AdminOverride;
}

/** What an administrator granted (OverrideGranted). */
export interface AdminOverride {
  readonly overrideId: string;
  readonly access: 'allow' | 'block';
  readonly until: string;
  readonly reason: string;
  readonly by: string;
  readonly notify?: boolean;
}

/** Whether an override is in force at `atMs` (it ends at `until`, exclusive). */
export const overrideInForce = (o: AdminOverride | undefined, atMs: number): o is AdminOverride =>
  o !== undefined && atMs < Date.parse(o.until);

export interface Decision {
  readonly access: AccessLevel;
  readonly reason: Reason;
  /** Whether the engine enforces this decision (writes the mailbox's lists). */
  readonly governed: boolean;
  /** The rule (docs/domain.md) that decided (0 = ActiveSync disabled on the mailbox; 9 = an administrator's override, evaluated second). */
  readonly rule: 0 | 1 | 2 | 3 | 5 | 6 | 7 | 8 | 9;
  readonly facts: DecisionFacts;
}

/**
 * The rule of docs/domain.md each reason comes from (0: ActiveSync disabled on
 * the mailbox); null for Exchange's own reasons, which no engine rule gives.
 */
export const RULE_OF_REASON: Readonly<Record<Reason, Decision['rule'] | null>> = {
  activeSyncDisabled: 0,
  policyDisabled: 1,
  excludedGroup: 2,
  notTargeted: 3,
  compliant: 5,
  notCompliant: 6,
  exchangeDeviceRule: 7,
  notEnrolled: 8,
  adminOverride: 9,
  exchangeGlobalRule: null,
  exchangeIndividualRule: null,
};

/** The device access rules the engine keeps in Exchange: one per platform exception. */
export function rulesOfPolicy(policy: Policy): DeviceAccessRule[] {
  return policy.platformExceptions.map((e) => {
    const characteristic = e.type === 'model' ? 'DeviceModel' : 'DeviceType';
    return { characteristic, queryString: e.name, accessLevel: toExchangeLevel(e.access), name: `${e.name} (${characteristic})` };
  });
}

// Each policy's exception names lower-cased once (policies are immutable values), not once a device.
const lowerNames = new WeakMap<readonly PlatformException[], readonly string[]>();
function lowerNamesOf(exceptions: readonly PlatformException[]): readonly string[] {
  let names = lowerNames.get(exceptions);
  if (names === undefined) {
    names = exceptions.map((e) => e.name.toLowerCase());
    lowerNames.set(exceptions, names);
  }
  return names;
}

/** Rule 7: model exceptions before family ones; names compare case-insensitively. */
export function matchingException(policy: Policy, device: DeviceContext['device']): PlatformException | undefined {
  const exceptions = policy.platformExceptions;
  if (exceptions.length === 0) return undefined;
  const names = lowerNamesOf(exceptions);
  let byFamily: PlatformException | undefined;
  for (let i = 0; i < exceptions.length; i++) {
    const e = exceptions[i]!;
    if (e.type === 'model' && isLowerCaseOf(device.deviceModel, names[i]!)) return e;
    if (e.type === 'family' && !byFamily && isLowerCaseOf(device.deviceType, names[i]!)) byFamily = e;
  }
  return byFamily;
}

const GRACE_OK = (d: ManagedDevice, atMs: number): { ok: boolean; expired: boolean } => {
  if (d.complianceState === 'compliant') return { ok: true, expired: false };
  if (d.complianceState !== 'inGracePeriod') return { ok: false, expired: false };
  // A grace period without a deadline cannot be shown to be running: treat it as over.
  const deadline = d.complianceGracePeriodExpirationDateTime;
  const ok = deadline !== undefined && Date.parse(deadline) > atMs;
  return { ok, expired: !ok };
};

// lastSyncDateTime is left out on purpose: it changes at every Intune check-in
// and would turn each sync into a new decision event.
function intuneFacts(d: ManagedDevice): NonNullable<DecisionFacts['intune']> {
  const { userPrincipalName, emailAddress, complianceGracePeriodExpirationDateTime: graceDeadline } = d;
  // The usual record has all three: one literal, every field inside the object (added one by one, they
  // went to a separate property array, ~16 bytes a decision more). The same keys in the same order.
  if (userPrincipalName !== undefined && emailAddress !== undefined && graceDeadline !== undefined)
    return {
      id: d.id,
      complianceState: d.complianceState,
      managementAgent: d.managementAgent,
      userPrincipalName,
      emailAddress,
      graceDeadline,
    };
  const f: { -readonly [K in keyof NonNullable<DecisionFacts['intune']>]: NonNullable<DecisionFacts['intune']>[K] } = {
    id: d.id,
    complianceState: d.complianceState,
    managementAgent: d.managementAgent,
  };
  if (d.userPrincipalName !== undefined) f.userPrincipalName = d.userPrincipalName;
  if (d.emailAddress !== undefined) f.emailAddress = d.emailAddress;
  if (d.complianceGracePeriodExpirationDateTime !== undefined) f.graceDeadline = d.complianceGracePeriodExpirationDateTime;
  return f;
}

// Typed as the schema's (mutable) array; frozen, so a write to it throws rather than reaching other decisions.
const NO_CONFLICTS = Object.freeze([]) as unknown as DecisionFacts['conflicts'];

/**
 * Decides one partnership. `atMs` is the decision's moment. Devices the engine
 * does not govern get Exchange's own evaluation under the org default and rules
 * the engine enforces, with the mailbox's lists as `exchangeLists` give them.
 */
export function decideAccess(
  ctx: DeviceContext,
  policy: Policy,
  atMs: number,
  exchangeLists: { readonly allowedDeviceIds: readonly string[]; readonly blockedDeviceIds: readonly string[] },
): Decision {
  // Facts with one more field are written out field by field, never `{ ...baseFacts, x }` (V8 keeps such
  // copies alive through young collections: see src/mailbox/evolve.ts, deviceRecord). Same key order.
  // The facts are kept by the device's state until its next decision: frozen groups (groupsOf's, shared
  // by every user in the same groups) and no conflicts are shared by every decision that has them, not
  // copied into each (docs/architecture.md, "Allocation in the hot paths").
  const groups = Object.isFrozen(ctx.groups) ? ctx.groups : { included: [...ctx.groups.included], excluded: [...ctx.groups.excluded] };
  const intune = ctx.mapping.mapped ? intuneFacts(ctx.mapping.mapped) : null;
  const conflicts =
    ctx.mapping.conflicts.length === 0
      ? NO_CONFLICTS
      : ctx.mapping.conflicts.map((d) => ({ id: d.id, user: d.userPrincipalName ?? d.emailAddress ?? '' }));
  const baseFacts = { groups, intune, conflicts };

  const notGoverned = (reason: Reason, rule: Decision['rule']): Decision => {
    const ev = evaluateExchange(
      ctx.device as MobileDevice,
      { activeSyncEnabled: ctx.activeSyncEnabled, ...exchangeLists },
      { defaultAccessLevel: toExchangeLevel(policy.defaultAccessLevel) },
      rulesOfPolicy(policy),
    );
    const exchange =
      ev.rule !== undefined ? { access: ev.access, reason: ev.reason, rule: ev.rule } : { access: ev.access, reason: ev.reason };
    return {
      access: ev.access,
      reason,
      governed: false,
      rule,
      facts: { groups, intune, conflicts, exchange },
    };
  };

  if (!ctx.activeSyncEnabled) return notGoverned('activeSyncDisabled', 0);
  // Rule 9, evaluated right after rule 0: numbered 9 so that rules 1–8 keep the original connector's numbers.
  if (overrideInForce(ctx.override, atMs)) {
    const o = ctx.override;
    const override = {
      overrideId: o.overrideId,
      access: o.access,
      until: o.until,
      reason: o.reason,
      by: o.by,
      ...(o.notify ? { notify: true } : {}),
    };
    return {
      access: o.access,
      reason: 'adminOverride',
      governed: true,
      rule: 9,
      facts: { groups, intune, conflicts, override },
    };
  }
  if (!policy.enabled) return notGoverned('policyDisabled', 1);
  if (ctx.groups.excluded.length > 0) return notGoverned('excludedGroup', 2);
  if (ctx.groups.included.length === 0) return notGoverned('notTargeted', 3);

  const mapped = ctx.mapping.mapped;
  if (mapped) {
    const g = GRACE_OK(mapped, atMs);
    if (g.ok) return { access: 'allow', reason: 'compliant', governed: true, rule: 5, facts: baseFacts };
    return {
      access: 'block',
      reason: 'notCompliant',
      governed: true,
      rule: 6,
      facts: g.expired ? { groups, intune, conflicts, graceExpired: true } : baseFacts,
    };
  }

  const exception = matchingException(policy, ctx.device);
  if (exception) {
    const exceptionFacts = { type: exception.type, name: exception.name, access: exception.access };
    const facts = { groups, intune, conflicts, exception: exceptionFacts };
    if (exception.access === 'quarantine') {
      // Quarantine is "in neither list", so Exchange's rules decide; if a Block
      // rule (a family exception) also matches, Exchange blocks: say so.
      const rule = matchingRule(ctx.device as MobileDevice, rulesOfPolicy(policy));
      if (rule && rule.accessLevel === 'Block') {
        return {
          access: 'block',
          reason: 'exchangeDeviceRule',
          governed: true,
          rule: 7,
          facts: { ...facts, overriddenBy: rule.name ?? rule.queryString }, // rare: a Quarantine exception under a Block rule
        };
      }
    }
    return { access: exception.access, reason: 'exchangeDeviceRule', governed: true, rule: 7, facts };
  }

  return {
    access: policy.defaultAccessLevel === 'quarantine' ? 'quarantine' : 'block',
    reason: 'notEnrolled',
    governed: true,
    rule: 8,
    facts: baseFacts,
  };
}

/** The lists a governed decision requires: allow → allowed list, block → blocked list, quarantine → neither. */
export function listsFor(access: AccessLevel): { allowed: boolean; blocked: boolean } {
  return { allowed: access === 'allow', blocked: access === 'block' };
}
