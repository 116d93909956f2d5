// eas-sync wipe: an administrator's remote wipe of one partnership. With
// --config, the connector's engine records the request and runs a quick sync
// that sends Clear-MobileDevice now; with a LOG no connector holds, the request
// is appended and the next sync sends it. Later syncs record the phone's
// acknowledgement. Refusals are exit 2 and append nothing.
import { isLeft } from 'fp-ts/lib/Either.js';
import { decideWipe, type ActionDecided } from '../../src/actions.js';
import type { ActionFailure } from '../../src/engine.js';
import { actOnLog, refuse } from './admin-log.js';
import { parse } from './args.js';
import { attributionOf } from './admin-args.js';
import { readConfig } from './config.js';
import { buildConnector } from './connector.js';
import { print, printJson, printRaw, UsageError } from './io.js';

export const WIPE_HELP = `Usage: eas-sync wipe (--config FILE | LOG) DEVICE_ID --confirm [--account-only] --reason TEXT --by NAME [--mailbox ID] [--json]

Remote wipe of one device partnership (Clear-MobileDevice): the phone erases
itself at its next contact with Exchange, or with --account-only (Exchange 2016
and later) erases only the mailbox's data. Nothing happens without --confirm.
With --config the connector records the request and sends it now (a quick
sync); with LOG (no connector may hold it) the request is appended and the next
sync sends it. Later syncs read Get-MobileDeviceStatistics and record the
phone's acknowledgement: explain and replay --devices show requested → sent →
acknowledged. A crash never sends a wipe twice: an interrupted one is sent again
only when Exchange shows it was not requested. The same request while one is
outstanding records nothing; a different one is refused until the first is
acknowledged or has failed. A device id under several mailboxes needs --mailbox.`;

const REFUSAL_EXIT: ReadonlySet<string> = new Set<ActionFailure['kind']>(['unknownDevice', 'ambiguousDevice', 'badText', 'wipeInProgress']);

export async function wipe(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      config: { type: 'string' },
      confirm: { type: 'boolean' },
      'account-only': { type: 'boolean' },
      reason: { type: 'string' },
      by: { type: 'string' },
      mailbox: { type: 'string' },
    },
    2,
  );
  if (values.help) {
    printRaw(WIPE_HELP);
    return 0;
  }
  const config = values.config as string | undefined;
  const [logArg, deviceId] = config !== undefined ? [undefined, positionals[0]] : [positionals[0], positionals[1]];
  if (config !== undefined && positionals.length > 1) throw new UsageError('give LOG or --config FILE, not both');
  if (config === undefined && !logArg) throw new UsageError('wipe needs --config FILE or LOG (see eas-sync wipe --help)');
  if (!deviceId) throw new UsageError('wipe needs a DEVICE_ID (see eas-sync wipe --help)');
  const who = attributionOf(values);
  if (values.confirm !== true) throw new UsageError('a remote wipe erases a phone: add --confirm to request it');
  const request = { deviceId, ...who, accountOnly: values['account-only'] === true };

  if (config !== undefined) {
    const cfg = await readConfig(config);
    const c = await buildConnector(cfg, {}, {});
    try {
      const r = await c.engine.requestWipe(request);
      if (isLeft(r)) refuse(r.left, REFUSAL_EXIT, () => c.engine.devices().map((d) => d.deviceId), deviceId);
      const report = await c.engine.quickSync();
      const device = c.engine
        .devices()
        .find((d) => d.deviceId.toLowerCase() === r.right.deviceId.toLowerCase() && d.mailbox === r.right.mailbox);
      const failure = report.errors.find((e) => e.deviceId?.toLowerCase() === r.right.deviceId.toLowerCase());
      return show(r.right, values.json === true, {
        syncId: report.syncId,
        stage: device?.wipe?.stage ?? null,
        ...(failure ? { error: failure.message } : {}),
      });
    } finally {
      await c.close();
    }
  }

  const now = Date.now();
  const d = await actOnLog(
    logArg!,
    'wipe',
    'a running eas-sync run holds it; use --config with its config file after stopping it, or its console (POST /api/wipes)',
    (state) => decideWipe(state, request, now),
    REFUSAL_EXIT,
    deviceId,
    new Date(now).toISOString(),
  );
  return show(d, values.json === true, { stage: 'requested' });
}

function show(d: ActionDecided, json: boolean, extra: { stage: string | null; syncId?: string; error?: string }): number {
  const out = {
    action: 'wipe',
    deviceId: d.deviceId,
    mailbox: d.mailbox,
    wipeId: d.wipeId ?? null,
    recorded: d.events.length > 0,
    ...extra,
  };
  if (json) printJson(out);
  else {
    print(
      d.events.length > 0
        ? `wipe ${d.wipeId ?? ''} of ${d.deviceId} (${d.mailbox}) requested`
        : `the same wipe ${d.wipeId ?? ''} of ${d.deviceId} is already outstanding: nothing recorded`,
    );
    if (extra.syncId === undefined) print('the next sync sends it');
    else if (extra.stage === 'sent') print(`sent by quick sync ${extra.syncId}: the phone is wiped at its next contact with Exchange`);
    else print(`not sent by quick sync ${extra.syncId} (stage ${String(extra.stage)})${extra.error ? `: ${extra.error}` : ''}`);
  }
  // A wipe Exchange refused is a failed action for scripts.
  return extra.stage === 'failed' ? 1 : 0;
}
