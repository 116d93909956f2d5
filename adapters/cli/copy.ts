// eas-sync copy FROM TO: copies a log between stores (a file path or an
// esdb://… connection string, in either direction), preserving order, ids,
// revisions and positions. The target must be empty (an absent or empty file,
// or a node without any of our events); each run of one stream's events is
// appended with expected revision = its first source revision − 1, so a target
// that gained events meanwhile fails with a conflict instead of interleaving.
import { statSync } from 'node:fs';
import { isLeft } from 'fp-ts/lib/Either.js';
import type { AppendRequest, EventStore, StoredEvent } from '../../src/ports.js';
import { eventStoreDbStore, type CopiedEvent } from '../eventstoredb/index.js';
import { parse } from './args.js';
import { checkSpec, describeStoreError, displaySpec, isEsdb, openStore, readAllFromSpec } from './store.js';
import { InputFailure, print, printRaw, printJson, progressBar, UsageError, WorkFailure } from './io.js';

export const COPY_HELP = `Usage: eas-sync copy FROM TO [--json]

Copies an event log from one store to another, in either direction between the
embedded log file and EventStoreDB (file -> file and esdb -> esdb work too).
FROM and TO are each a file path or an esdb://… connection string. Every event
keeps its order, id, stream revision and position; on EventStoreDB the original
position and revision are also kept in each event's metadata.

TO must be empty: an absent or empty file, or a node holding none of our events
(anything else is exit 2). FROM is never modified; a corrupt line in it is
exit 2, a torn last line (an append cut by a crash) is left out and reported.
A conflict while writing (someone else writing to TO) is exit 1.`;

const BATCH_EVENTS = 5_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function copy(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {}, 2);
  if (values.help) {
    printRaw(COPY_HELP);
    return 0;
  }
  const [from, to] = positionals;
  if (from === undefined || to === undefined) throw new UsageError('copy needs FROM and TO (see eas-sync copy --help)');
  await checkSpec(from);
  await checkSpec(to);
  if (from.trim() === to.trim()) throw new UsageError('FROM and TO are the same store');
  const started = Date.now();

  // The target first: refusing it costs nothing, reading the source may cost a lot.
  await refuseNonEmptyTarget(to);

  const source = await readAllFromSpec(from);
  if (isLeft(source)) {
    // A FROM file that is missing or unreadable is bad input; a node that fails is the work failing.
    if (isEsdb(from)) throw new WorkFailure(describeStoreError(source.left));
    throw new InputFailure(describeStoreError(source.left));
  }
  const { events, errors, tornTail } = source.right;
  const bad = errors[0];
  if (bad !== undefined) {
    throw new InputFailure(
      `${displaySpec(from)}: ${bad.message}${errors.length > 1 ? ` (and ${errors.length - 1} more invalid lines)` : ''}; nothing copied`,
    );
  }
  events.forEach((e, i) => {
    if (e.position !== i)
      throw new InputFailure(`${displaySpec(from)}: event ${i} has position ${e.position}: the log is not contiguous; nothing copied`);
  });
  if (isEsdb(to)) {
    // What EventStoreDB would refuse, named by source line before anything is written.
    for (const e of events) {
      const where = `${displaySpec(from)} ${isEsdb(from) ? 'position' : 'line'} ${isEsdb(from) ? e.position : e.position + 1}`;
      if (!UUID.test(e.id))
        throw new InputFailure(`${where}: field "id": ${JSON.stringify(e.id)} is not a UUID, which EventStoreDB requires; nothing copied`);
      if (e.stream.startsWith('$') || e.stream === '')
        throw new InputFailure(`${where}: field "stream": ${JSON.stringify(e.stream)} is reserved on EventStoreDB; nothing copied`);
      if (e.type.startsWith('$') || e.type === '')
        throw new InputFailure(`${where}: field "type": ${JSON.stringify(e.type)} is reserved on EventStoreDB; nothing copied`);
    }
  }

  const target = await openStore(to);
  const bar = progressBar('copy');
  let streams = 0;
  try {
    streams = await write(target, events, isEsdb(to), (done) => bar.update(done, events.length));
  } finally {
    bar.end();
    await target.close();
  }
  const out = {
    from: displaySpec(from),
    to: displaySpec(to),
    events: events.length,
    streams,
    tornTail: tornTail ?? null,
    durationMs: Date.now() - started,
  };
  if (values.json) printJson(out);
  else {
    print(`Copied ${events.length} events in ${streams} streams from ${out.from} to ${out.to} (${out.durationMs} ms)`);
    if (tornTail)
      print(
        `Left out the torn last line ${tornTail.line} of ${out.from} (${tornTail.bytes} bytes): an append interrupted by a crash; it was never acknowledged`,
      );
  }
  return 0;
}

async function refuseNonEmptyTarget(to: string): Promise<void> {
  if (!isEsdb(to)) {
    let size: number | undefined;
    try {
      size = statSync(to).size;
    } catch {
      size = undefined; // absent: it will be created
    }
    if (size !== undefined && size > 0)
      throw new InputFailure(`${to} is not empty (${size} bytes): copy writes only into an absent or empty log`);
    return;
  }
  const opened = await eventStoreDbStore(to);
  if (isLeft(opened)) throw new WorkFailure(describeStoreError(opened.left));
  try {
    const empty = await opened.right.isEmpty();
    if (isLeft(empty)) throw new WorkFailure(describeStoreError(empty.left));
    if (!empty.right) throw new InputFailure(`${displaySpec(to)} already holds events: copy writes only into a store without any`);
  } finally {
    await opened.right.close();
  }
}

/**
 * Appends the events in order: each run of consecutive events of one stream is
 * one request expecting the revision before its first event. On a file many
 * requests go in one append (one fsync); on EventStoreDB each request is its
 * own append (one stream, checked by the server). Every result must land on
 * the source's revision and position. Returns the number of streams.
 */
async function write(target: EventStore, events: readonly StoredEvent[], esdb: boolean, progress: (done: number) => void): Promise<number> {
  const streams = new Set<string>();
  const runs: { request: AppendRequest; last: StoredEvent }[] = [];
  for (let i = 0; i < events.length;) {
    const first = events[i]!;
    let j = i;
    const batch: CopiedEvent[] = [];
    while (j < events.length && events[j]!.stream === first.stream && batch.length < BATCH_EVENTS) {
      const e = events[j]!;
      batch.push({
        id: e.id,
        type: e.type,
        data: e.data,
        at: e.at,
        meta: e.meta,
        ...(esdb ? { origin: { position: e.position, revision: e.revision } } : {}),
      });
      j++;
    }
    streams.add(first.stream);
    runs.push({
      request: { stream: first.stream, expected: first.revision === 0 ? 'noStream' : first.revision - 1, events: batch },
      last: events[j - 1]!,
    });
    i = j;
  }
  let done = 0;
  for (let k = 0; k < runs.length;) {
    // A group of runs for one append: one run on EventStoreDB, up to BATCH_EVENTS events on a file.
    const group: typeof runs = [runs[k]!];
    let size = runs[k]!.request.events.length;
    k++;
    while (!esdb && k < runs.length && size + runs[k]!.request.events.length <= BATCH_EVENTS) {
      size += runs[k]!.request.events.length;
      group.push(runs[k]!);
      k++;
    }
    const r = await target.append(group.map((g) => g.request));
    if (isLeft(r)) {
      const e = r.left;
      const at = group[0]!.request;
      throw new WorkFailure(
        e.kind === 'conflict'
          ? `${describeStoreError(e)}: the target changed while copying (after ${done} events); it is left partly written`
          : `cannot write ${at.stream}: ${describeStoreError(e)} (after ${done} events)`,
      );
    }
    r.right.forEach((res, n) => {
      const want = group[n]!.last;
      if (res.revision !== want.revision || res.position !== want.position) {
        throw new WorkFailure(
          `the target numbered ${want.stream} revision ${want.revision} (position ${want.position}) as revision ${res.revision}, position ${res.position}: it is not the empty store it was`,
        );
      }
    });
    done += size;
    progress(done);
  }
  return streams.size;
}
