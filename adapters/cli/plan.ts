// eas-sync plan: an offline dry run from real exports. Touches nothing.
import { isLeft } from 'fp-ts/lib/Either.js';
import { planMailboxes } from '../../src/plan.js';
import { identityKey, removalsByStream, selectStale } from '../../src/cleanup.js';
import { decodeStatisticsExport } from '../exports/statistics.js';
import type { Policy } from '../../src/policy.js';
import type { GroupMembership } from '../../src/facts.js';
import { readExportFile } from '../exports/read.js';
import { decodeMobileDevices, decodeCasMailboxes } from '../exports/powershell.js';
import { decodeManagedDevices } from '../exports/graph.js';
import { decodeGroups } from '../exports/groups.js';
import { formatInputError, type InputError } from '../shared/input-errors.js';
import { commandToPowerShell } from '../powershell/quote.js';
import { readPolicyFile } from '../log/index.js';
import { parse, instantOption } from './args.js';
import { phaseProgress } from './progress.js';
import { print, printRaw, printJson, InputFailure, UsageError } from './io.js';

export const PLAN_HELP = `Usage: eas-sync plan --exchange FILE --mailboxes FILE --intune FILE --policy FILE [--groups FILE] [--statistics FILE] [--at ISO-8601] [--format json|powershell] [--json]

Offline dry run from real exports: every device's access and reason, and the
Set-CasMailbox commands that would be issued, judged at --at (default now).
  --exchange   Get-MobileDevice -ResultSize Unlimited | ConvertTo-Json -Depth 4
  --mailboxes  Get-CasMailbox -ResultSize Unlimited | ConvertTo-Json -Depth 4
  --intune     Graph /deviceManagement/managedDevices page(s) or a bare array
  --groups     { "<group id>": ["<upn>", ...] } (required when the policy names groups)
  --policy     the access policy (see README)
  --statistics Get-MobileDeviceStatistics -Mailbox … | ConvertTo-Json -Depth 4 (every mailbox's, in one array):
               with removeStaleAfterDays in the policy, lists the partnerships a full sync would remove
  --format powershell prints the commands as a script an Exchange admin can review.`;

const fail = (errors: readonly InputError[]) => new InputFailure(errors.slice(0, 20).map(formatInputError).join('\n'));

async function must<A>(p: Promise<import('fp-ts/lib/Either.js').Either<InputError[], A>>): Promise<A> {
  const r = await p;
  if (isLeft(r)) throw fail(r.left);
  return r.right;
}

/** The policy in the file at `path`, or an InputFailure (exit 2) naming what is wrong. */
export async function policyFromFile(path: string): Promise<Policy> {
  const policy = await readPolicyFile(path);
  if (isLeft(policy)) throw fail(policy.left);
  return policy.right;
}

export async function plan(argv: string[]): Promise<number> {
  const { values } = parse(argv, {
    exchange: { type: 'string' },
    mailboxes: { type: 'string' },
    intune: { type: 'string' },
    policy: { type: 'string' },
    groups: { type: 'string' },
    statistics: { type: 'string' },
    at: { type: 'string' },
    format: { type: 'string' },
  });
  if (values.help) {
    printRaw(PLAN_HELP);
    return 0;
  }
  for (const k of ['exchange', 'mailboxes', 'intune', 'policy'] as const) {
    if (!values[k]) throw new UsageError(`--${k} FILE is required (see eas-sync plan --help)`);
  }
  const format = (values.format as string | undefined) ?? (values.json ? 'json' : 'text');
  if (!['json', 'powershell', 'text'].includes(format)) throw new UsageError(`--format must be json or powershell, got "${format}"`);
  const atMs = instantOption(values.at, 'at') ?? Date.now();

  const policy = await policyFromFile(values.policy as string);
  const [devices, mailboxes, managed] = await Promise.all([
    must(readExportFile(values.exchange as string, decodeMobileDevices)),
    must(readExportFile(values.mailboxes as string, decodeCasMailboxes)),
    must(readExportFile(values.intune as string, decodeManagedDevices)),
  ]);
  const named = [...policy.includedGroups, ...policy.excludedGroups];
  let groups: GroupMembership = new Map();
  if (values.groups) groups = await must(readExportFile(values.groups as string, decodeGroups));
  else if (named.length > 0)
    throw new UsageError(
      `${values.policy as string}: the policy names groups (${named.join(', ')}); pass --groups FILE with their members`,
    );
  const unknown = named.filter((g) => !groups.has(g));
  if (unknown.length > 0)
    throw new InputFailure(
      `${values.groups as string}: no members listed for group(s) ${unknown.join(', ')} named by ${values.policy as string}`,
    );

  if (policy.removeStaleAfterDays !== undefined && !values.statistics)
    throw new UsageError(
      `${values.policy as string}: the policy removes stale partnerships (removeStaleAfterDays); pass --statistics FILE to see which`,
    );
  const statistics = values.statistics ? await must(readExportFile(values.statistics as string, decodeStatisticsExport)) : [];
  const stale = selectStale({
    organization: 'plan',
    policy,
    atMs,
    devices,
    mailboxes,
    groups,
    statistics: new Map(statistics.map((x) => [identityKey(x.identity), x])),
    state: new Map(),
  });

  // Shown once the exports are read and checked, so an input error is never printed on a progress line.
  const bar = phaseProgress();
  bar.update({
    phase: 'discover',
    done: 1,
    total: 1,
    final: true,
    found: { partnerships: devices.length, mailboxes: mailboxes.length, managedDevices: managed.length },
  });
  const result = planMailboxes({
    organization: 'plan',
    syncId: 'plan',
    atMs,
    policy,
    policyRevision: 0,
    observations: { devices, mailboxes, managed, groups },
    removals: removalsByStream(stale.chosen),
    onProgress: (done, total) => bar.update({ phase: 'decide', done, total, final: true }),
  });
  bar.end();
  const out = {
    at: new Date(atMs).toISOString(),
    devices: result.devices.map((d) => ({
      deviceId: d.device.deviceId,
      mailbox: d.mailbox?.identity ?? '',
      access: d.decision.access,
      reason: d.decision.reason,
      intuneDeviceId: d.decision.facts.intune?.id ?? null,
      governed: d.decision.governed,
      deviceType: d.device.deviceType,
      deviceModel: d.device.deviceModel,
    })),
    commands: result.commands.flatMap((c) =>
      c.command.kind === 'setCasMailbox'
        ? [{ mailbox: c.command.mailbox, allowedDeviceIds: c.command.allowedDeviceIds, blockedDeviceIds: c.command.blockedDeviceIds }]
        : [],
    ),
    // The clean-up's dry run: what a full sync would remove (present only when the policy asks for it).
    ...(policy.removeStaleAfterDays !== undefined
      ? {
          removals: stale.chosen.map((r) => ({
            deviceId: r.deviceId,
            mailbox: r.mailbox,
            identity: r.identity,
            lastSuccessSync: r.lastSuccessSync ?? null,
            idleDays: r.idleDays,
          })),
          cleanup: { afterDays: policy.removeStaleAfterDays, deferred: stale.deferred, kept: stale.kept, withoutStatistics: stale.unknown },
        }
      : {}),
    summary: { allow: 0, block: 0, quarantine: 0 },
    warnings: result.warnings,
  };
  for (const d of out.devices) out.summary[d.access]++;

  if (format === 'json') {
    printJson(out);
    return 0;
  }
  if (format === 'powershell') {
    const removals = result.commands.length - out.commands.length;
    print(
      `# eas-sync plan, judged at ${out.at}: ${out.commands.length} Set-CasMailbox command(s)${removals ? `, ${removals} Remove-MobileDevice` : ''}.`,
    );
    print(
      '# Review, then run in an Exchange Management Shell. Every value is a single-quoted literal; invisible and control characters are [char] codes.',
    );
    // psQuote writes no hidden character raw, so the script is printed as built (escaping it would change its values).
    for (const c of result.commands) printRaw(commandToPowerShell(c.command));
    return 0;
  }
  print(
    `Plan judged at ${out.at}: ${out.devices.length} devices — ${out.summary.allow} allow, ${out.summary.block} block, ${out.summary.quarantine} quarantine`,
  );
  print('');
  for (const d of out.devices) print(`${d.access.padEnd(10)} ${d.reason.padEnd(20)} ${d.deviceId.padEnd(28)} ${d.mailbox}`);
  print('');
  if (out.removals)
    print(
      `clean-up: ${out.removals.length} stale partnership(s) would be removed (no sync for ${policy.removeStaleAfterDays} days or more); ${stale.deferred} more wait for later full syncs`,
    );
  print(`${result.commands.length} command(s):`);
  for (const c of result.commands) print(`  ${commandToPowerShell(c.command)}`);
  for (const w of out.warnings) print(`warning: ${w.message}`);
  return 0;
}
