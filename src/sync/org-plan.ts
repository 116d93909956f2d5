// A full sync's org reconciliation (the connector's ReconcileOrg): its events, the org commands (device
// access rules, org settings), and whether devices are grandfathered; and what those commands change.
import type { DeviceAccessRule, OrgSettings } from '../facts.js';
import { decideConnector } from '../connector.js';
import { accepted } from '../decider.js';
import { type Batch, pushTo } from '../append.js';
import type { WorkItem } from '../executor.js';
import type { Discovered } from './discovery.js';
import type { SyncRun } from './run.js';

/** Whether an org command changes who may sync: a device access rule, or the default access level. */
export const changesAccess = (w: WorkItem): boolean => w.command.kind !== 'setOrgSettings' || w.command.defaultAccessLevel !== undefined;

/** Whether an org command makes Exchange's default restrictive (Quarantine or Block). */
export const tightensDefault = (w: WorkItem): boolean =>
  w.command.kind === 'setOrgSettings' && w.command.defaultAccessLevel !== undefined && w.command.defaultAccessLevel !== 'Allow';

export interface OrgPlan {
  readonly batch: Batch;
  readonly orgWork: WorkItem[];
  readonly drift: number;
  readonly grandfather?: { org: OrgSettings; rules: readonly DeviceAccessRule[] };
}

/** A full sync's org reconciliation: its events, its commands, and whether devices are grandfathered. */
export function planOrg(
  run: SyncRun,
  settings: OrgSettings,
  rules: DeviceAccessRule[],
  servers: NonNullable<Discovered['servers']>,
): OrgPlan {
  const { ctx, syncId, org } = run;
  const batch: Batch = new Map();
  const orgPlan = accepted(
    decideConnector({ type: 'ReconcileOrg', syncId, policy: ctx.policy, settings, rules, servers }, ctx.state().connector),
  );
  pushTo(batch, org, orgPlan.events);
  const drift = orgPlan.events.filter((e) => e.type === 'OrgDriftDetected').length;
  const orgWork = orgPlan.commands.map((c) => ({ commandId: c.commandId, command: c.command }));
  const restricts = orgWork.some(tightensDefault);
  // Exchange still allows by default and this sync makes it restrictive: keep what it allows.
  // Judged on Exchange's settings, not on a flag, so a crash before the change retries it.
  const grandfather = ctx.grandfathering && restricts && settings.defaultAccessLevel === 'Allow' ? { org: settings, rules } : undefined;
  return { batch, orgWork, drift, ...(grandfather ? { grandfather } : {}) };
}
