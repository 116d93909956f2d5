// eas-sync explain LOG DEVICE_ID [--at ISO-8601]: why a device has (had) its
// access level. Read-only. The reading is the library's `explainFile`
// (adapters/log): this is arguments and rendering.
import { isLeft } from 'fp-ts/lib/Either.js';
import type { Explanation } from '../../projections/explain.js';
import { explainFile } from '../log/index.js';
import { commandToPowerShell } from '../powershell/quote.js';
import { parse, instantOption } from './args.js';
import { print, printRaw, printJson, InputFailure, UsageError } from './io.js';
import { logPath, readFailure } from './log-args.js';

export const EXPLAIN_HELP = `Usage: eas-sync explain LOG DEVICE_ID [--at ISO-8601] [--json]

Why a device has its access level (read-only): the decision, its reason and
rule, the facts it was made from (groups, mapped managed device, compliance and
grace deadline, platform exception, conflicts), the policy revision, the
Set-CasMailbox that enforced it and its outcome, and the device's timeline.
--at explains the state at that moment instead of at the end of the log.
DEVICE_ID is matched case-insensitively; an unknown id is exit 2 with the
closest known ids.`;

function render(x: Explanation): string[] {
  const out: string[] = [];
  const d = x.device;
  out.push(`Device ${x.deviceId} — ${[d.deviceType, d.deviceModel, d.deviceOS].filter(Boolean).join(' / ')}`);
  out.push(
    `Mailbox ${x.mailbox}${x.user.primarySmtpAddress ? ` <${x.user.primarySmtpAddress}>` : ''}${x.user.userPrincipalName && x.user.userPrincipalName !== x.user.primarySmtpAddress ? ` (UPN ${x.user.userPrincipalName})` : ''}, organization ${x.organization}`,
  );
  out.push(`As of ${x.at}${x.present ? '' : ` — partnership removed at ${x.removedAt ?? '?'}`}`);
  out.push('');
  if (x.access) {
    out.push(
      `Access: ${x.access.toUpperCase()} — ${x.reason}${x.rule !== null ? ` (rule ${x.rule})` : ''}${x.governed ? '' : ', not governed by the engine'}`,
    );
    out.push(`Decided ${x.decidedAt} by ${x.syncId} under policy revision ${x.policyRevision}`);
  } else out.push('Access: not decided yet');
  out.push('');
  out.push('Why:');
  for (const s of x.explanation) if (!(x.command && s.startsWith('Enforced by '))) out.push(`  - ${s}`);
  if (x.facts) {
    const f = x.facts;
    out.push('');
    out.push('Facts used:');
    out.push(
      `  groups           included: ${f.groups.included.join(', ') || '(none)'}; excluded: ${f.groups.excluded.join(', ') || '(none)'}`,
    );
    out.push(
      `  managed device   ${f.intune ? `${f.intune.id} (${f.intune.managementAgent}) user ${f.intune.userPrincipalName ?? f.intune.emailAddress ?? '?'}` : '(none mapped)'}`,
    );
    if (f.intune)
      out.push(
        `  compliance       ${f.intune.complianceState}${f.intune.graceDeadline ? `, grace deadline ${f.intune.graceDeadline}${f.graceExpired ? ' (passed)' : ''}` : ''}`,
      );
    if (f.conflicts.length) out.push(`  conflicts        ${f.conflicts.map((c) => `${c.id} (${c.user})`).join(', ')}`);
    if (f.exception)
      out.push(
        `  exception        ${f.exception.type} "${f.exception.name}" → ${f.exception.access}${f.overriddenBy ? ` (overridden by ${f.overriddenBy})` : ''}`,
      );
    if (f.exchange)
      out.push(`  exchange         ${f.exchange.access} (${f.exchange.reason}${f.exchange.rule ? `, ${f.exchange.rule}` : ''})`);
    out.push(
      `  policy           revision ${x.policyRevision}${x.policy ? `: ${x.policy.enabled ? 'enabled' : 'disabled'}, default ${x.policy.defaultAccessLevel ?? 'quarantine'}, ${(x.policy.platformExceptions ?? []).length} platform exception(s)` : ''}`,
    );
  }
  if (x.override)
    out.push(
      `  override         ${x.override.overrideId}: ${x.override.access} until ${x.override.until} (${x.override.inForce ? 'in force' : 'ended'}), by ${x.override.by}: "${x.override.reason}"${x.override.notify ? ', user told of a block' : ''}`,
    );
  if (x.wipe) {
    const w = x.wipe;
    const when = w.stage === 'acknowledged' ? `, acknowledged ${w.ackTime}` : w.stage === 'sent' ? `, sent ${w.sentAt}` : '';
    out.push(
      `  remote wipe      ${w.wipeId}${w.accountOnly ? ' (account only)' : ''}: ${w.stage}${when}; requested ${w.requestedAt} by ${w.by}: "${w.reason}"${w.error ? `; ${w.error.message}` : ''}`,
    );
  }
  out.push(
    `  lists            ${x.lists.allowed ? 'in the allowed list' : x.lists.blocked ? 'in the blocked list' : 'in neither list'} (as the engine knew them)`,
  );
  out.push('');
  if (x.command) {
    out.push(
      `${x.governed === false ? 'Last list change by' : 'Enforced by'} ${x.command.commandId} (${x.command.syncId}), intended ${x.command.intendedAt}: ${x.command.outcome}${x.command.completedAt ? ` at ${x.command.completedAt}` : ''}${x.command.error ? ` — ${x.command.error.message}` : ''}`,
    );
    out.push(`  ${commandToPowerShell(x.command.command)}`);
  } else
    out.push(
      x.access === 'quarantine' && x.governed
        ? 'Enforced by: the default access level (no list entry; no Set-CasMailbox named this device)'
        : 'Enforced by: no Set-CasMailbox named this device',
    );
  for (const n of x.notes) out.push(`Note: ${n}`);
  for (const o of x.otherPartnerships)
    out.push(`Also in mailbox ${o.mailbox}: ${o.access ?? 'undecided'}${o.reason ? ` (${o.reason})` : ''}${o.present ? '' : ', removed'}`);
  out.push('');
  out.push('Timeline:');
  for (const t of x.timeline) out.push(`  ${t.at}  ${t.type.padEnd(22)} ${t.summary}`);
  return out;
}

export async function explain(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { at: { type: 'string' } }, 2);
  if (values.help) {
    printRaw(EXPLAIN_HELP);
    return 0;
  }
  const path = logPath(positionals[0], 'explain');
  const deviceId = positionals[1];
  if (!deviceId) throw new UsageError('explain needs a DEVICE_ID (see eas-sync explain --help)');
  const atMs = instantOption(values.at, 'at');
  const r = await explainFile(path, deviceId, atMs === undefined ? {} : { at: new Date(atMs).toISOString() });
  if (isLeft(r)) {
    const e = r.left;
    switch (e.kind) {
      case 'io':
        throw readFailure(path, { kind: 'io', message: e.message });
      case 'invalidLog':
        throw new InputFailure(
          e.errors
            .slice(0, 20)
            .map((x) => `${path} line ${x.line}: ${x.message}`)
            .join('\n'),
        );
      case 'unknownDevice':
        throw new InputFailure(
          `${path}: no device partnership with id ${JSON.stringify(deviceId)}${e.closest.length ? `; closest known ids: ${e.closest.map((c) => JSON.stringify(c)).join(', ')}` : ''}`,
        );
      default:
        throw new InputFailure(`${path}: ${e.message}`);
    }
  }
  const x = r.right.explanation;
  if (values.json) printJson(x);
  else for (const line of render(x)) print(line);
  return 0;
}
