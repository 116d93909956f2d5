// eas-sync plan: an offline dry run from real exports. Touches nothing.
import { isLeft } from 'fp-ts/lib/Either.js';
import { planMailboxes } from '../../src/plan.js';
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

export const PLAN_HELP = `Usage: eas-sync plan --exchange FILE --mailboxes FILE --intune FILE --policy FILE [--groups FILE] [--at ISO-8601] [--format json|powershell] [--json]

Offline dry run from real exports: every device's access and reason, and the
Set-CasMailbox commands that would be issued, judged at --at (default now).
  --exchange   Get-MobileDevice -ResultSize Unlimited | ConvertTo-Json -Depth 4
  --mailboxes  Get-CasMailbox -ResultSize Unlimited | ConvertTo-Json -Depth 4
  --intune     Graph /deviceManagement/managedDevices page(s) or a bare array
  --groups     { "<group id>": ["<upn>", ...] } (required when the policy names groups)
  --policy     the access policy (see README)
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
    commands: result.commands.map((c) => ({
      mailbox: c.command.mailbox,
      allowedDeviceIds: c.command.allowedDeviceIds,
      blockedDeviceIds: c.command.blockedDeviceIds,
    })),
    summary: { allow: 0, block: 0, quarantine: 0 },
    warnings: result.warnings,
  };
  for (const d of out.devices) out.summary[d.access]++;

  if (format === 'json') {
    printJson(out);
    return 0;
  }
  if (format === 'powershell') {
    print(`# eas-sync plan, judged at ${out.at}: ${out.commands.length} Set-CasMailbox command(s).`);
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
  print(`${out.commands.length} command(s):`);
  for (const c of result.commands) print(`  ${commandToPowerShell(c.command)}`);
  for (const w of out.warnings) print(`warning: ${w.message}`);
  return 0;
}
