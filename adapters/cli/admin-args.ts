// Arguments every administrator action shares: who (--by), why (--reason),
// which partnership (DEVICE_ID, --mailbox), and for overrides until when
// (--until ISO-8601 with a zone, or --for a duration). Text is checked again by
// the decider; here the shapes.
import { UsageError } from './io.js';
import { instantOption } from './args.js';

export interface Attribution {
  readonly by: string;
  readonly reason: string;
  readonly mailbox?: string;
}

export function attributionOf(values: Record<string, unknown>): Attribution {
  const by = values.by as string | undefined;
  const reason = values.reason as string | undefined;
  if (!by) throw new UsageError('--by NAME is required: every action records who took it');
  if (!reason) throw new UsageError('--reason TEXT is required: every action records why');
  const mailbox = values.mailbox as string | undefined;
  return { by, reason, ...(mailbox !== undefined ? { mailbox } : {}) };
}

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/**
 * A duration: ISO-8601 (`PT8H`, `P2D`, `P1DT12H`, `PT90M`; weeks `P1W`) or a
 * short form (`30m`, `8h`, `2d`, `1w`). Months and years are refused: their
 * length depends on the calendar.
 */
export function parseDuration(text: string): number | undefined {
  const short = /^(\d{1,6})([mhdw])$/i.exec(text.trim());
  if (short) return Number(short[1]) * UNIT_MS[short[2]!.toLowerCase()]!;
  const iso = /^P(?:(\d{1,6})W)?(?:(\d{1,6})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,6})M)?(?:(\d{1,6})S)?)?$/i.exec(text.trim());
  if (!iso || text.trim().toUpperCase() === 'P' || /T$/i.test(text.trim())) return undefined;
  const [, w, d, h, m, s] = iso.map((x) => (x === undefined ? 0 : Number(x)));
  const ms = w! * UNIT_MS.w! + d! * UNIT_MS.d! + h! * UNIT_MS.h! + m! * UNIT_MS.m! + s! * 1000;
  return ms > 0 ? ms : undefined;
}

/** The end of an override from --until or --for (exactly one). */
export function untilOf(values: Record<string, unknown>, nowMs: number): number {
  const until = values.until as string | undefined;
  const span = values.for as string | undefined;
  if ((until === undefined) === (span === undefined))
    throw new UsageError('give the end of the override: --until ISO-8601 or --for DURATION (one of them)');
  if (until !== undefined) return instantOption(until, 'until')!;
  const ms = parseDuration(span!);
  if (ms === undefined) throw new UsageError(`--for ${JSON.stringify(span)}: not a duration (e.g. 8h, 2d, PT8H, P2D)`);
  return nowMs + ms;
}
