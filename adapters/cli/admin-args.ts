// Arguments every administrator action shares: who (--by), why (--reason),
// which partnership (DEVICE_ID, --mailbox), and for overrides until when
// (--until ISO-8601 with a zone, or --for a duration). Text is checked again by
// the decider; here the shapes.
import { UsageError } from './io.js';
import { instantOption } from './args.js';
import { parseDuration } from '../../src/codec.js';

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
