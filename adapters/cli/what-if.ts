// eas-sync what-if LOG --policy FILE [--at ISO-8601]: which devices a different
// policy would treat differently, and the commands it would cause. Touches
// nothing: the log is only read, Exchange is not contacted.
import { isLeft, right, type Either } from 'fp-ts/lib/Either.js';
import type { StoreError } from '../../src/ports.js';
import type { Policy } from '../../src/policy.js';
import { stat } from 'node:fs/promises';
import { createWhatIf, mergeWhatIfParts, whatIfContext, type WhatIfContext, type WhatIfPart, type WhatIfResult, type WhatIfScan } from '../../projections/what-if.js';
import { commandToPowerShell } from '../powershell/quote.js';
import { readPolicyFile } from './plan.js';
import { parse, instantOption } from './args.js';
import { print, printRaw, printJson, progressBar, InputFailure, UsageError } from './io.js';
import { foldInParts, foldLogFile, logPath, readFailure, threadsFor, type FoldLogOptions, type LogFold, type WhatIfJudgement } from './replay.js';

export const WHAT_IF_HELP = `Usage: eas-sync what-if LOG --policy FILE [--at ISO-8601] [--json]

Decides every device of the log again under the policy in FILE, from the log's
latest facts (groups, mapped managed devices, compliance, grace deadlines,
partnerships, mailbox lists), and lists the devices whose access would change
(from -> to, the new reason), counts by transition, and the Set-CasMailbox and
org commands the change would cause. Read-only. Judged at --at (default: the
log's last event). Group membership is known only for the groups the logged
policies named: a group new to FILE is treated as empty, with a warning.`;

export interface WhatIfFileResult {
  readonly result: WhatIfResult;
  readonly errors: ReadonlyArray<{ line: number; message: string }>;
  readonly tornTail: { line: number; bytes: number } | null;
  /** Threads that folded the log. */
  readonly threads: number;
}

/** `whatIf` over the log at `path`, streamed (the log is never held in memory; on two threads when it is large). */
export async function whatIfFile(path: string, policy: Policy, options: { at?: string } & FoldLogOptions = {}): Promise<Either<StoreError, WhatIfFileResult>> {
  const at = options.at === undefined ? {} : { at: options.at };
  const size = await stat(path).then((s) => s.size, () => 0);
  const threads = threadsFor(size, options);
  let folded: Either<StoreError, LogFold>;
  let result: WhatIfResult;
  // In parts: every part's mailboxes are judged in it, with the organizations and the last event of all.
  let context: WhatIfContext | undefined;
  // Events that do not decode make the answer incomplete: they are errors, like corrupt lines.
  let invalidEvents: WhatIfScan['invalidEvents'] = [];
  const next = (parts: unknown[]): WhatIfJudgement => {
    invalidEvents = (parts as WhatIfScan[]).flatMap((p) => p.invalidEvents).sort((a, b) => a.position - b.position);
    return { policy, context: context = whatIfContext(parts as WhatIfScan[], at) };
  };
  const inParts = threads > 1 ? await foldInParts(path, 'what-if', threads, size, options, next) : undefined;
  if (inParts !== undefined) {
    folded = right(inParts.fold);
    result = mergeWhatIfParts(inParts.results as WhatIfPart[], context!, policy);
  } else {
    const fold = createWhatIf();
    folded = await foldLogFile(path, (e, stream) => fold.push(e, stream), options);
    if (isLeft(folded)) return folded;
    invalidEvents = fold.scanned().invalidEvents;
    result = fold.result(policy, at);
  }
  if (isLeft(folded)) return folded;
  const errors = [
    ...folded.right.errors.map((e) => ({ line: e.line, message: e.message.replace(/^line \d+: /, '') })),
    // A valid envelope's position is its line index.
    ...invalidEvents.map((i) => ({ line: i.position + 1, message: i.message })),
  ].sort((a, b) => a.line - b.line);
  return right({ result, errors, tornTail: folded.right.tornTail ?? null, threads: inParts !== undefined ? threads : 1 });
}

export async function whatIf(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { policy: { type: 'string' }, at: { type: 'string' } }, 1);
  if (values.help) { printRaw(WHAT_IF_HELP); return 0; }
  const path = logPath(positionals[0], 'what-if');
  if (!values.policy) throw new UsageError('--policy FILE is required (see eas-sync what-if --help)');
  const atMs = instantOption(values.at, 'at');
  const policy = await readPolicyFile(values.policy as string);
  const bar = progressBar('what-if MB');
  const r = await whatIfFile(path, policy, { ...(atMs === undefined ? {} : { at: new Date(atMs).toISOString() }), onProgress: (d, t) => bar.update(Math.round(d / 1e6), Math.max(1, Math.round(t / 1e6))) });
  bar.end();
  if (isLeft(r)) throw readFailure(path, r.left);
  const { result, errors } = r.right;
  if (errors.length > 0) {
    // A corrupt log: the facts after the bad line cannot be trusted to be complete.
    throw new InputFailure(errors.slice(0, 20).map((e) => `${path} line ${e.line}: ${e.message}`).join('\n'));
  }
  if (values.json) { printJson(result); return 0; }

  print(`What-if against policy revision ${result.policyRevision ?? '-'} of ${path}, judged at ${result.at}: ${result.devices} devices`);
  print(`${result.changes.length} would change, ${result.unchanged} unchanged${result.reasonChanges ? ` (${result.reasonChanges} with another reason)` : ''}${result.undecided ? `; ${result.undecided} never decided` : ''}`);
  const transitions = Object.entries(result.summary).sort((a, b) => b[1] - a[1]);
  for (const [t, n] of transitions) print(`  ${t.replace('->', ' -> ').padEnd(24)} ${n}`);
  if (result.changes.length) {
    print('');
    for (const c of result.changes) {
      print(`${`${c.from} -> ${c.to}`.padEnd(24)} ${c.reason.padEnd(20)} ${c.deviceId.padEnd(28)} ${c.mailbox}${c.cause === 'elapsed' ? '  (time: the current policy would do the same now)' : ''}`);
    }
  }
  print('');
  print(`${result.commands.length} Set-CasMailbox command(s)${result.orgCommands.length ? ` and ${result.orgCommands.length} org command(s)` : ''} would be issued; ${result.notifications} user(s) notified`);
  for (const c of result.orgCommands) print(`  ${commandToPowerShell(c)}`);
  for (const c of result.commands) print(`  ${commandToPowerShell({ kind: 'setCasMailbox', ...c })}`);
  for (const w of result.warnings) print(`warning: ${w.message}`);
  return 0;
}
