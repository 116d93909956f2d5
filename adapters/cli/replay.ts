// eas-sync replay LOG: folds a log; reports every invalid line; never writes.
// The reading is the library's (adapters/log): this is arguments and rendering.
import { replayFile } from '../log/index.js';
import * as store from './store.js';
import { parse } from './args.js';
import { print, printRaw, printJson, progressBar } from './io.js';
import { logPath, readFailure } from './log-args.js';

export const REPLAY_HELP = `Usage: eas-sync replay LOG [--devices] [--json]

Folds an event log (read-only): connector status, access counts, last
successful full and quick syncs, pending intents, drift found, the policy in
force. Every invalid line is reported; a corrupted line is exit 2; a torn last
line (a crash during append) is reported but not fatal. --devices lists every
device's state (deviceStates in the JSON). A progress bar goes to stderr when it
is a terminal.`;

export async function replay(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { devices: { type: 'boolean' } }, 1);
  if (values.help) {
    printRaw(REPLAY_HELP);
    return 0;
  }
  const path = logPath(positionals[0], 'replay', true);
  // A malformed connection string is a usage error (exit 2), before anything is contacted.
  await store.checkSpec(path);
  const bar = progressBar('replay MB');
  const scanned = await replayFile(path, {
    onProgress: (done, total) => bar.update(Math.round(done / 1e6), Math.max(1, Math.round(total / 1e6))),
  });
  bar.end();
  if (scanned._tag === 'Left') throw readFailure(path, scanned.left);
  const { replay: r, fold, errors } = scanned.right;
  const latest =
    [r.lastSuccessfulSync?.full, r.lastSuccessfulSync?.quick]
      .filter((x): x is string => !!x)
      .sort()
      .pop() ?? null;
  const out = {
    log: store.displaySpec(path),
    events: r.events,
    streams: r.streams,
    devices: r.devices,
    access: r.access,
    lastSuccessfulSync: latest,
    lastSuccessful: { full: r.lastSuccessfulSync?.full ?? null, quick: r.lastSuccessfulSync?.quick ?? null },
    connector: r.connector,
    organizations: r.organizations,
    pendingIntents: r.pendingIntents,
    drift: r.drift,
    policy: r.policy,
    policyRevision: r.policyRevision,
    errors,
    tornTail: fold.tornTail ?? null,
    ...(values.devices ? { deviceStates: r.deviceStates } : {}),
  };
  if (values.json) printJson(out);
  else {
    print(`${store.displaySpec(path)}: ${r.events} events in ${r.streams} streams`);
    print(
      `Connector ${r.connector.organization ?? '-'}: ${r.connector.status}; last successful full sync ${out.lastSuccessful.full ?? 'never'}, quick sync ${out.lastSuccessful.quick ?? 'never'}`,
    );
    if (r.connector.lastError) print(`Last error (${r.connector.lastError.at}): ${r.connector.lastError.message}`);
    print(`Devices: ${r.devices} — ${r.access.allow} allow, ${r.access.block} block, ${r.access.quarantine} quarantine`);
    print(`Pending intents: ${r.pendingIntents}; drift found: ${r.drift}; policy revision ${r.policyRevision ?? '-'}`);
    if (out.tornTail)
      print(
        `Torn last line ${out.tornTail.line} (${out.tornTail.bytes} bytes): an append interrupted by a crash; it was never acknowledged`,
      );
    for (const e of errors) print(`error: line ${e.line}: ${e.message}`);
    if (values.devices)
      for (const d of r.deviceStates)
        print(
          `${d.access.padEnd(10)} ${d.reason.padEnd(20)} ${d.deviceId.padEnd(28)} ${d.mailbox}${d.overrideUntil !== undefined ? `  (override until ${d.overrideUntil})` : ''}${d.wipe !== undefined ? `  (remote wipe ${d.wipe})` : ''}`,
        );
  }
  return errors.length > 0 ? 2 : 0;
}
