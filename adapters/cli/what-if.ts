// eas-sync what-if LOG --policy FILE [--at ISO-8601]: which devices a different
// policy would treat differently, and the commands it would cause. Touches
// nothing: the log is only read, Exchange is not contacted. The reading is the
// library's `whatIfFile` (adapters/log): this is arguments and rendering.
import { isLeft } from 'fp-ts/lib/Either.js';
import { whatIfFile, whatIfRemovalsFile } from '../log/index.js';
import { identityKey } from '../../src/cleanup.js';
import { readExportFile } from '../exports/read.js';
import { decodeStatisticsExport } from '../exports/statistics.js';
import { formatInputError } from '../shared/input-errors.js';
import { commandToPowerShell } from '../powershell/quote.js';
import { policyFromFile } from './plan.js';
import { parse, instantOption } from './args.js';
import { print, printRaw, printJson, progressBar, InputFailure, UsageError } from './io.js';
import { logPath, readFailure } from './log-args.js';

export const WHAT_IF_HELP = `Usage: eas-sync what-if LOG --policy FILE [--statistics FILE] [--at ISO-8601] [--json]

Decides every device of the log again under the policy in FILE, from the log's
latest facts (groups, mapped managed devices, compliance, grace deadlines,
partnerships, mailbox lists), and lists the devices whose access would change
(from -> to, the new reason), counts by transition, and the Set-CasMailbox and
org commands the change would cause. Read-only. Judged at --at (default: the
log's last event). Group membership is known only for the groups the logged
policies named: a group new to FILE is treated as empty, with a warning.
With removeStaleAfterDays in the policy, --statistics FILE (every mailbox's
Get-MobileDeviceStatistics -Mailbox … | ConvertTo-Json -Depth 4, in one array)
lists the partnerships a full sync would remove (the log does not record
LastSuccessSync).`;

export async function whatIf(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { policy: { type: 'string' }, at: { type: 'string' }, statistics: { type: 'string' } }, 1);
  if (values.help) {
    printRaw(WHAT_IF_HELP);
    return 0;
  }
  const path = logPath(positionals[0], 'what-if');
  if (!values.policy) throw new UsageError('--policy FILE is required (see eas-sync what-if --help)');
  const atMs = instantOption(values.at, 'at');
  const policy = await policyFromFile(values.policy as string);
  const bar = progressBar('what-if MB');
  const r = await whatIfFile(path, policy, {
    ...(atMs === undefined ? {} : { at: new Date(atMs).toISOString() }),
    onProgress: (d, t) => bar.update(Math.round(d / 1e6), Math.max(1, Math.round(t / 1e6))),
  });
  bar.end();
  if (isLeft(r)) throw readFailure(path, r.left);
  const { result, errors } = r.right;
  if (errors.length > 0) {
    // A corrupt log: the facts after the bad line cannot be trusted to be complete.
    throw new InputFailure(
      errors
        .slice(0, 20)
        .map((e) => `${path} line ${e.line}: ${e.message}`)
        .join('\n'),
    );
  }
  // The clean-up's dry run, when the policy removes stale partnerships and the statistics are given.
  let cleanup: Record<string, unknown> | undefined;
  if (policy.removeStaleAfterDays !== undefined && values.statistics) {
    const stats = await readExportFile(values.statistics as string, decodeStatisticsExport);
    if (isLeft(stats)) throw new InputFailure(stats.left.slice(0, 20).map(formatInputError).join('\n'));
    const s = await whatIfRemovalsFile(path, policy, new Map(stats.right.map((x) => [identityKey(x.identity), x])), result.at);
    if (isLeft(s)) throw readFailure(path, s.left);
    cleanup = {
      afterDays: policy.removeStaleAfterDays,
      removals: s.right.chosen.map((x) => ({
        deviceId: x.deviceId,
        mailbox: x.mailbox,
        identity: x.identity,
        lastSuccessSync: x.lastSuccessSync ?? null,
        idleDays: x.idleDays,
      })),
      deferred: s.right.deferred,
      kept: s.right.kept,
      withoutStatistics: s.right.unknown,
    };
  }
  const note =
    policy.removeStaleAfterDays !== undefined && !values.statistics
      ? 'the policy removes stale partnerships: pass --statistics FILE to see which (the log does not record LastSuccessSync)'
      : undefined;
  if (values.json) {
    printJson({ ...result, ...(cleanup ? { cleanup } : {}), ...(note ? { cleanupNote: note } : {}) });
    return 0;
  }

  print(`What-if against policy revision ${result.policyRevision ?? '-'} of ${path}, judged at ${result.at}: ${result.devices} devices`);
  print(
    `${result.changes.length} would change, ${result.unchanged} unchanged${result.reasonChanges ? ` (${result.reasonChanges} with another reason)` : ''}${result.undecided ? `; ${result.undecided} never decided` : ''}`,
  );
  const transitions = Object.entries(result.summary).sort((a, b) => b[1] - a[1]);
  for (const [t, n] of transitions) print(`  ${t.replace('->', ' -> ').padEnd(24)} ${n}`);
  if (result.changes.length) {
    print('');
    for (const c of result.changes) {
      print(
        `${`${c.from} -> ${c.to}`.padEnd(24)} ${c.reason.padEnd(20)} ${c.deviceId.padEnd(28)} ${c.mailbox}${c.cause === 'elapsed' ? '  (time: the current policy would do the same now)' : ''}`,
      );
    }
  }
  print('');
  print(
    `${result.commands.length} Set-CasMailbox command(s)${result.orgCommands.length ? ` and ${result.orgCommands.length} org command(s)` : ''} would be issued; ${result.notifications} user(s) notified`,
  );
  for (const c of result.orgCommands) print(`  ${commandToPowerShell(c)}`);
  for (const c of result.commands) print(`  ${commandToPowerShell({ kind: 'setCasMailbox', ...c })}`);
  if (cleanup) {
    const removals = cleanup.removals as Array<{ deviceId: string; mailbox: string; idleDays: number; identity: string }>;
    print('');
    print(
      `clean-up: ${removals.length} stale partnership(s) would be removed (no sync for ${policy.removeStaleAfterDays} days or more); ${String(cleanup.deferred)} more wait for later full syncs`,
    );
    for (const x of removals) print(`  ${`${x.idleDays} days`.padEnd(10)} ${x.deviceId.padEnd(28)} ${x.mailbox}`);
  }
  if (note) print(`note: ${note}`);
  for (const w of result.warnings) print(`warning: ${w.message}`);
  return 0;
}
