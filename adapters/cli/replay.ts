// eas-sync replay LOG: folds a log; reports every invalid line; never writes.
import { isLeft } from 'fp-ts/lib/Either.js';
import { readLog } from '../file-store/index.js';
import { replay as replayEvents } from '../../projections/replay.js';
import { parse } from './args.js';
import { isEsdb, describeStoreError } from './store.js';
import { print, printJson, UsageError, InputFailure, progressBar } from './io.js';

export const REPLAY_HELP = `Usage: eas-sync replay LOG [--devices] [--json]

Folds an event log (read-only): connector status, access counts, last
successful syncs, pending intents, drift found. Every invalid line is reported;
a corrupted line is exit 2; a torn last line (a crash during append) is reported
but not fatal. --devices lists every device's state.`;

export async function replay(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { devices: { type: 'boolean' } }, 1);
  if (values.help) { print(REPLAY_HELP); return 0; }
  const path = positionals[0];
  if (!path) throw new UsageError('replay needs a LOG (see eas-sync replay --help)');
  if (isEsdb(path)) throw new UsageError(`"${path}": EventStoreDB stores are not available in this version; use a file path`);
  const bar = progressBar('replay');
  bar.update(0, 1);
  const scan = await readLog(path);
  if (isLeft(scan)) {
    if (scan.left.kind === 'corrupt') throw new InputFailure(describeStoreError(scan.left));
    throw new InputFailure(`${path}: ${describeStoreError(scan.left)}`);
  }
  const r = replayEvents(scan.right.events);
  bar.update(1, 1);
  bar.end();
  const errors = [
    ...scan.right.errors.map((e) => ({ line: e.line, message: e.message.replace(/^line \d+: /, '') })),
    ...r.invalid.map((i) => ({ line: i.position + 1, message: i.message })),
  ].sort((a, b) => a.line - b.line);
  const latest = [r.lastSuccessfulSync?.full, r.lastSuccessfulSync?.quick].filter((x): x is string => !!x).sort().pop() ?? null;
  const out = {
    log: path,
    events: r.events, streams: r.streams, devices: r.devices, access: r.access,
    lastSuccessfulSync: latest,
    lastSuccessful: { full: r.lastSuccessfulSync?.full ?? null, quick: r.lastSuccessfulSync?.quick ?? null },
    connector: r.connector,
    organizations: r.organizations,
    pendingIntents: r.pendingIntents,
    drift: r.drift,
    policy: r.policy,
    policyRevision: r.policyRevision,
    errors,
    tornTail: scan.right.tornTail ?? null,
    ...(values.devices ? { deviceStates: r.deviceStates } : {}),
  };
  if (values.json) printJson(out);
  else {
    print(`${path}: ${r.events} events in ${r.streams} streams`);
    print(`Connector ${r.connector.organization ?? '-'}: ${r.connector.status}; last successful full sync ${out.lastSuccessful.full ?? 'never'}, quick sync ${out.lastSuccessful.quick ?? 'never'}`);
    if (r.connector.lastError) print(`Last error (${r.connector.lastError.at}): ${r.connector.lastError.message}`);
    print(`Devices: ${r.devices} — ${r.access.allow} allow, ${r.access.block} block, ${r.access.quarantine} quarantine`);
    print(`Pending intents: ${r.pendingIntents}; drift found: ${r.drift}; policy revision ${r.policyRevision ?? '-'}`);
    if (out.tornTail) print(`Torn last line ${out.tornTail.line} (${out.tornTail.bytes} bytes): an append interrupted by a crash; it was never acknowledged`);
    for (const e of errors) print(`error: line ${e.line}: ${e.message}`);
    if (values.devices) for (const d of r.deviceStates) print(`${d.access.padEnd(10)} ${d.reason.padEnd(20)} ${d.deviceId.padEnd(28)} ${d.mailbox}`);
  }
  return errors.length > 0 ? 2 : 0;
}
