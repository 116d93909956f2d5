// What-if's clean-up dry run over a file log: the log's mailbox states folded
// (streamed, one thread: a dry run a person asks for now and then), then the
// partnerships a full sync would remove under the policy, given the mailboxes'
// Get-MobileDeviceStatistics.
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { StoreError } from '../../src/ports.js';
import type { Policy } from '../../src/policy.js';
import type { MailboxState } from '../../src/mailbox.js';
import type { StaleSelection, StatisticsByIdentity } from '../../src/cleanup.js';
import { decodeEvent } from '../../src/events.js';
import { emptyLeanMailbox, foldMailbox, materialize, type Folded } from '../../projections/what-if/lean-fold.js';
import { whatIfRemovals } from '../../projections/what-if/removals.js';
import { foldLogFile } from './fold.js';

/** The removals a full sync at `at` (default: the log's last event) would make under `policy`. */
export async function whatIfRemovalsFile(
  path: string,
  policy: Policy,
  statistics: StatisticsByIdentity,
  at?: string,
): Promise<Either<StoreError, StaleSelection>> {
  const folds = new Map<string, Folded>();
  let lastAt = '';
  const r = await foldLogFile(path, (raw) => {
    lastAt = raw.at;
    if (!raw.stream.startsWith('eas-mailbox-')) return;
    const d = decodeEvent(raw.type, raw.data);
    if (isLeft(d)) return; // what-if itself reports undecodable events, by line
    let f = folds.get(raw.stream);
    if (!f) folds.set(raw.stream, (f = { position: raw.position, lean: emptyLeanMailbox(), exact: undefined }));
    foldMailbox(f, d.right, raw.at);
  });
  if (isLeft(r)) return left(r.left);
  const states = new Map<string, MailboxState>();
  for (const [stream, f] of folds) states.set(stream, f.lean !== undefined ? materialize(f.lean) : f.exact!);
  const atMs = Date.parse(at ?? lastAt);
  return right(whatIfRemovals(states, policy, Number.isNaN(atMs) ? 0 : atMs, statistics));
}
