// A what-if judged in parts: the context every part judges with, and the
// whole log's result merged from the parts' judgements.
import type { ExchangeCommand } from '../../src/commands.js';
import type { Policy } from '../../src/policy.js';
import { rulesOfPolicy } from '../../src/access.js';
import { toExchangeLevel } from '../../src/exchange-evaluation.js';
import { reconcileOrg } from '../../src/connector.js';
import type { WhatIfContext, WhatIfOptions, WhatIfPart, WhatIfResult, WhatIfScan, WhatIfWarning } from './types.js';

/** What the parts of a log judge with: every organization's policies, the moment judged (default: the log's last event). */
export function whatIfContext(scans: readonly WhatIfScan[], options: WhatIfOptions = {}): WhatIfContext {
  let last: WhatIfScan['last'];
  for (const s of scans) if (s.last !== undefined && (last === undefined || s.last.position > last.position)) last = s.last;
  const at = options.at ?? last?.at ?? new Date(0).toISOString();
  if (Number.isNaN(Date.parse(at))) throw new RangeError(`whatIf: not an ISO-8601 date-time: "${at}"`);
  return { organizations: scans.flatMap((s) => s.organizations), at, invalid: scans.reduce((n, s) => n + s.invalid, 0) };
}

/** Items of several parts in the order of their mailboxes (those of one mailbox are of one part, in its order). */
function inMailboxOrder<T>(parts: ReadonlyArray<ReadonlyArray<T>>, mailboxOf: (t: T) => number): T[] {
  if (parts.length === 1) return [...parts[0]!];
  return parts
    .flatMap((items, p) => items.map((item, i) => ({ item, p, i })))
    .sort((a, b) => mailboxOf(a.item) - mailboxOf(b.item) || a.p - b.p || a.i - b.i)
    .map((x) => x.item);
}

/** The whole log's what-if from its parts' judgements (see `WhatIfScan`). */
export function mergeWhatIfParts(parts: readonly WhatIfPart[], context: WhatIfContext, policy: Policy): WhatIfResult {
  const orgs = new Map(context.organizations);
  const warnings: WhatIfWarning[] = [];
  if (orgs.size === 0)
    warnings.push({
      kind: 'noPolicyInLog',
      message: 'the log records no policy: every device is compared with its recorded decision only, and org commands cannot be derived',
    });
  if (policy.enabled && policy.includedGroups.length === 0) {
    warnings.push({
      kind: 'emptyIncludeList',
      message: 'the policy includes no group: every user is untargeted and no device is governed',
    });
  }
  let devices = 0;
  let unchanged = 0;
  let reasonChanges = 0;
  let notifications = 0;
  let undecided = 0;
  for (const p of parts) {
    devices += p.devices;
    unchanged += p.unchanged;
    reasonChanges += p.reasonChanges;
    notifications += p.notifications;
    undecided += p.undecided;
  }
  // Counts keyed in the order first met, as one judge over every mailbox would key them.
  const summary: Record<string, number> = {};
  for (const [key, count] of inMailboxOrder(
    parts.map((p) => p.transitions),
    (t) => t[2],
  ))
    summary[key] = (summary[key] ?? 0) + count;
  const unknownGroups = new Map<string, number>();
  for (const [g, count] of inMailboxOrder(
    parts.map((p) => p.unknownGroups),
    (u) => u[2],
  ))
    unknownGroups.set(g, (unknownGroups.get(g) ?? 0) + count);
  const commands = inMailboxOrder(
    parts.map((p) => p.commands),
    (c) => c.mailbox,
  ).map((c) => c.command);
  const changes = inMailboxOrder(
    parts.map((p) => p.changes),
    (c) => c.mailbox,
  ).map((c) => c.change);

  if (unknownGroups.size > 0) {
    const groups = [...unknownGroups.keys()];
    const affected = Math.max(...unknownGroups.values());
    warnings.push({
      kind: 'unknownGroupMembership',
      groups,
      devices: affected,
      message: `the log does not say who is in group(s) ${groups.join(', ')}: it records membership only of the groups the policy named when each device was decided. They are treated as having no members here; run \`eas-sync plan\` with a --groups export to judge them`,
    });
  }
  if (context.invalid > 0)
    warnings.push({
      kind: 'invalidEvents',
      message: `${context.invalid} event(s) of the log do not decode and were skipped (run eas-sync replay to see them)`,
    });

  // Org settings and rules: the current policy's are what the engine enforced at its last sync.
  let orgCommands: ExchangeCommand[] = [];
  const latest = [...orgs.values()]
    .map((o) => o.latest)
    .filter((x): x is NonNullable<typeof x> => !!x)
    .sort((a, b) => b.revision - a.revision)[0];
  if (latest) {
    const enforced = latest.policy;
    orgCommands = reconcileOrg({
      type: 'ReconcileOrg',
      syncId: 'what-if',
      policy,
      servers: [],
      settings: {
        defaultAccessLevel: toExchangeLevel(enforced.defaultAccessLevel),
        userMailInsert: enforced.notification.userMailInsert,
        adminMailRecipients: enforced.notification.adminRecipients,
      },
      rules: rulesOfPolicy(enforced),
    }).commands.map((c) => c.command);
  }
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  changes.sort((a, b) => cmp(a.mailbox, b.mailbox) || cmp(a.deviceId, b.deviceId));

  return {
    at: new Date(Date.parse(context.at)).toISOString(),
    policyRevision: latest?.revision ?? null,
    devices,
    changes,
    summary,
    unchanged,
    reasonChanges,
    commands,
    orgCommands,
    notifications,
    undecided,
    warnings,
  };
}
