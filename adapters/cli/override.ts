// eas-sync override: an administrator's override of one partnership (rule 9),
// or its early end (--revoke). With a LOG, the event is appended to a log no
// connector holds and the next sync enforces it; with --config, the connector's
// engine records it and runs a quick sync so Exchange's lists change now.
// Refusals are exit 2 and append nothing.
import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import { decideOverride, decideRevoke, DEFAULT_MAX_OVERRIDE_DAYS, type ActionDecided, type ActionRefusal } from '../../src/actions.js';
import type { ActionFailure } from '../../src/engine.js';
import { actOnLog, refuse } from './admin-log.js';
import { parse, intOption } from './args.js';
import { attributionOf, untilOf } from './admin-args.js';
import { readConfig } from './config.js';
import { buildConnector } from './connector.js';
import { print, printJson, printRaw, UsageError } from './io.js';

export const OVERRIDE_HELP = `Usage: eas-sync override (LOG | --config FILE) DEVICE_ID (--allow | --block) (--until ISO-8601 | --for DURATION)
                         --reason TEXT --by NAME [--mailbox ID] [--notify] [--max-days N] [--json]
       eas-sync override (LOG | --config FILE) DEVICE_ID --revoke --reason TEXT --by NAME [--mailbox ID] [--json]

An administrator's override of one device partnership: it gets the access given
(reason adminOverride, rule 9, evaluated right after "ActiveSync disabled" and
before the policy's rules) until the end given; the first quick sync after the
end (or after --revoke) decides it by the policy again. Only a device the policy
governs can be overridden; an override lasts at most --max-days (30, or the
config's overrides.maxDays). A block tells the user only with --notify.
With LOG the override is appended to the log (no connector may hold it) and the
next sync enforces it; with --config the connector records it and runs a quick
sync now. DURATION: 30m, 8h, 2d, 1w, or ISO-8601 (PT8H, P2D). A device id under
several mailboxes needs --mailbox (Identity or primary SMTP address).`;

const REFUSAL_EXIT: ReadonlySet<string> = new Set<ActionFailure['kind']>([
  'unknownDevice',
  'ambiguousDevice',
  'notGoverned',
  'badUntil',
  'noOverride',
  'badText',
]);

export async function override(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      config: { type: 'string' },
      allow: { type: 'boolean' },
      block: { type: 'boolean' },
      revoke: { type: 'boolean' },
      until: { type: 'string' },
      for: { type: 'string' },
      reason: { type: 'string' },
      by: { type: 'string' },
      mailbox: { type: 'string' },
      notify: { type: 'boolean' },
      'max-days': { type: 'string' },
    },
    2,
  );
  if (values.help) {
    printRaw(OVERRIDE_HELP);
    return 0;
  }
  const config = values.config as string | undefined;
  const [logArg, deviceArg] = config !== undefined ? [undefined, positionals[0]] : [positionals[0], positionals[1]];
  if (config !== undefined && positionals.length > 1) throw new UsageError('give LOG or --config FILE, not both');
  if (config === undefined && !logArg) throw new UsageError('override needs LOG or --config FILE (see eas-sync override --help)');
  const deviceId = deviceArg;
  if (!deviceId) throw new UsageError('override needs a DEVICE_ID (see eas-sync override --help)');
  const modes = [values.allow, values.block, values.revoke].filter(Boolean).length;
  if (modes !== 1) throw new UsageError('give one of --allow, --block or --revoke');
  const who = attributionOf(values);
  const revoke = values.revoke === true;
  if (revoke && (values.until !== undefined || values.for !== undefined || values.notify))
    throw new UsageError('--revoke takes no --until, --for or --notify');
  if (values.notify && values.allow) throw new UsageError('--notify goes with --block (an allow never notifies)');
  const access = values.allow ? ('allow' as const) : ('block' as const);
  const now = Date.now();
  const untilMs = revoke ? 0 : untilOf(values, now);
  const request = { deviceId, ...who, access, untilMs, ...(values.notify ? { notify: true } : {}) };

  if (config !== undefined) {
    const cfg = await readConfig(config);
    const maxDays = intOption(values['max-days'], 'max-days', cfg.overrides?.maxDays ?? DEFAULT_MAX_OVERRIDE_DAYS, 1);
    const c = await buildConnector(cfg, values['max-days'] !== undefined ? { maxOverrideDays: maxDays } : {}, {});
    try {
      const r = revoke ? await c.engine.revokeOverride({ deviceId, ...who }) : await c.engine.grantOverride(request);
      if (isLeft(r)) refuse(r.left, REFUSAL_EXIT, () => c.engine.devices().map((d) => d.deviceId), deviceId);
      const report = await c.engine.quickSync();
      const device = c.engine
        .devices()
        .find((d) => d.deviceId.toLowerCase() === r.right.deviceId.toLowerCase() && d.mailbox === r.right.mailbox);
      return show(r.right, revoke, values.json === true, {
        enforced: report.success,
        syncId: report.syncId,
        ...(device ? { access: device.access, reason: device.reason } : {}),
        ...(report.success ? {} : { errors: report.errors.map((e) => e.message) }),
      });
    } finally {
      await c.close();
    }
  }

  const maxDays = intOption(values['max-days'], 'max-days', DEFAULT_MAX_OVERRIDE_DAYS, 1);
  const d = await actOnLog(
    logArg!,
    'override',
    'a running eas-sync run holds it; use --config with its config file after stopping it, or its console (POST /api/overrides)',
    (state): Either<ActionRefusal, ActionDecided> =>
      revoke ? decideRevoke(state, { deviceId, ...who }, now) : decideOverride(state, request, now, maxDays),
    REFUSAL_EXIT,
    deviceId,
    new Date(now).toISOString(),
  );
  return show(d, revoke, values.json === true, { enforced: false });
}

function show(d: ActionDecided, revoke: boolean, json: boolean, extra: Record<string, unknown>): number {
  const e = d.events[0];
  const data = (e?.data ?? {}) as Record<string, unknown>;
  const out = {
    action: revoke ? 'revoke' : 'override',
    deviceId: d.deviceId,
    mailbox: d.mailbox,
    overrideId: d.overrideId ?? null,
    recorded: d.events.length > 0,
    ...(revoke ? {} : { access: data.access ?? null, until: data.until ?? null }),
    ...extra,
  };
  if (json) printJson(out);
  else {
    print(
      revoke
        ? `override ${d.overrideId ?? ''} of ${d.deviceId} (${d.mailbox}) revoked`
        : d.events.length > 0
          ? `override ${d.overrideId ?? ''}: ${d.deviceId} (${d.mailbox}) ${String(data.access)} until ${String(data.until)}`
          : `the same override ${d.overrideId ?? ''} is already in force: nothing recorded`,
    );
    print(extra.enforced ? `enforced by quick sync ${String(extra.syncId)}` : 'the next sync enforces it');
  }
  return 0;
}
