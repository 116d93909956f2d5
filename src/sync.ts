// One sync, full or quick, over the ports. Full: discover everything, correct
// org drift, decide every device. Quick: new partnerships since the watermark,
// Intune devices changed since the last look, group changes and grace periods
// that ran out; only those devices are decided, only their mailboxes read and
// written. Both: reconcile intents a crash left, record intents, execute, record
// outcomes, notify (as each mailbox's enforcement is done), complete.
//
// The phases, each over the run's explicit state (sync/run.ts): discovery
// (sync/discovery.ts, with sync/watermark.ts), crash recovery
// (sync/recovery.ts), the decide-and-execute pipeline (sync/pipeline.ts, the
// org's reconciliation in sync/org-plan.ts) with its notifications
// (sync/notify.ts), and the end and its report (sync/report.ts).
import type { SyncKind } from './connector.js';
import { discover } from './sync/discovery.js';
import { reconcileInterrupted } from './sync/recovery.js';
import { readStatistics, recordWipeAcks } from './sync/lifecycle.js';
import { decideAndExecute } from './sync/pipeline.js';
import { completeSync, failSync, type SyncReport } from './sync/report.js';
import { openSync, startSync, type SyncContext } from './sync/run.js';

export type { SyncIssue, SyncProgress, SyncReport } from './sync/report.js';
export type { SyncCaches, SyncContext } from './sync/run.js';

export async function runSync(ctx: SyncContext, requested: SyncKind): Promise<SyncReport> {
  const opening = openSync(ctx, requested);
  // Discovery only reads: it goes while the start is made durable (the first command then waits
  // for one fsync less). Its failure is awaited below, once the start has landed.
  const discovering = discover(opening);
  discovering.catch(() => undefined);
  let run;
  try {
    run = await startSync(opening);
  } catch (err) {
    await discovering.catch(() => undefined);
    throw err;
  }
  const found = await discovering;
  if ('kind' in found) return failSync(run, found);
  const statistics = await readStatistics(run, found);
  await reconcileInterrupted(run, found, statistics);
  const wipesAcknowledged = await recordWipeAcks(run, statistics);
  const executed = await decideAndExecute(run, found, statistics);
  const e = executed.disconnected;
  if (e) return failSync(run, { kind: `exchange.${e.kind}`, message: `Exchange: ${e.message}` });
  return completeSync(run, executed.decided, executed.mailboxes, {
    ...executed,
    lifecycle: { ...executed.lifecycle, wipesAcknowledged },
  });
}
