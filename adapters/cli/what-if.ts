// eas-sync what-if LOG --policy FILE [--at ISO-8601]: which devices a different
// policy would treat differently, and the commands it would cause. Touches
// nothing: the log is only read, Exchange is not contacted. The reading is the
// library's `whatIfFile` (adapters/log): this is arguments and rendering.
import { isLeft } from 'fp-ts/lib/Either.js';
import { whatIfFile } from '../log/index.js';
import { commandToPowerShell } from '../powershell/quote.js';
import { policyFromFile } from './plan.js';
import { parse, instantOption } from './args.js';
import { print, printRaw, printJson, progressBar, InputFailure, UsageError } from './io.js';
import { logPath, readFailure } from './log-args.js';

export const WHAT_IF_HELP = `Usage: eas-sync what-if LOG --policy FILE [--at ISO-8601] [--json]

Decides every device of the log again under the policy in FILE, from the log's
latest facts (groups, mapped managed devices, compliance, grace deadlines,
partnerships, mailbox lists), and lists the devices whose access would change
(from -> to, the new reason), counts by transition, and the Set-CasMailbox and
org commands the change would cause. Read-only. Judged at --at (default: the
log's last event). Group membership is known only for the groups the logged
policies named: a group new to FILE is treated as empty, with a warning.`;

export async function whatIf(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { policy: { type: 'string' }, at: { type: 'string' } }, 1);
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
  if (values.json) {
    printJson(result);
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
  for (const w of result.warnings) print(`warning: ${w.message}`);
  return 0;
}
