// The console's administrator actions (under `eas-sync run`): a request body
// read as data into an override, its revocation or a remote wipe for the
// engine. Each answers a refusal as a status and message, or the engine's
// decision; the caller starts the quick sync that enforces or sends it.
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { parseDuration, parseInstant } from '../../src/codec.js';
import type { ActionDecided, ActionFailure } from '../../src/engine.js';
import type { ConsoleEngine } from './source.js';

export interface Refused {
  readonly status: number;
  readonly json: { readonly error: string; readonly kind?: string };
}

const bad = (error: string): Refused => ({ status: 400, json: { error } });

function objectOf(body: string | undefined): Either<Refused, Record<string, unknown>> {
  try {
    const parsed = JSON.parse(body ?? '') as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return left(bad('send a JSON object'));
    return right(parsed as Record<string, unknown>);
  } catch {
    return left(bad('send a JSON object'));
  }
}

/** Who acts on which partnership, and why: required of every action. */
function attribution(body: Record<string, unknown>): Either<Refused, { deviceId: string; by: string; reason: string; mailbox?: string }> {
  const str = (k: string) => (typeof body[k] === 'string' ? body[k] : undefined);
  const deviceId = str('deviceId');
  const by = str('by');
  const reason = str('reason');
  const mailbox = str('mailbox');
  if (!deviceId) return left(bad('deviceId is required'));
  if (!by || !reason) return left(bad('by and reason are required: every action records who took it and why'));
  return right({ deviceId, by, reason, ...(mailbox ? { mailbox } : {}) });
}

const refusal = (f: ActionFailure): Refused => ({
  status: f.kind === 'unknownDevice' ? 404 : f.kind === 'store' || f.kind === 'fenced' || f.kind === 'invalidLog' ? 503 : 400,
  json: { error: f.message, kind: f.kind },
});

/** POST /api/overrides: {deviceId, by, reason, mailbox?, action: allow|block|revoke, until?|for?, notify?}. */
export async function overrideAction(
  engine: ConsoleEngine,
  body: string | undefined,
  nowMs: number,
): Promise<Either<Refused, ActionDecided>> {
  const o = objectOf(body);
  if (isLeft(o)) return o;
  const who = attribution(o.right);
  if (isLeft(who)) return who;
  const action = o.right.action;
  let r;
  if (action === 'revoke') r = await engine.revokeOverride(who.right);
  else if (action === 'allow' || action === 'block') {
    const untilText = typeof o.right.until === 'string' ? o.right.until : undefined;
    const forText = typeof o.right.for === 'string' ? o.right.for : undefined;
    let untilMs: number;
    if (untilText !== undefined) {
      const u = parseInstant(untilText);
      if (isLeft(u)) return left(bad(`until: ${u.left}`));
      untilMs = u.right;
    } else {
      const ms = forText === undefined ? undefined : parseDuration(forText);
      if (ms === undefined || ms <= 0) return left(bad('give until (ISO-8601 with a zone) or for (e.g. 8h, 2d)'));
      untilMs = nowMs + ms;
    }
    r = await engine.grantOverride({ ...who.right, access: action, untilMs, ...(o.right.notify === true ? { notify: true } : {}) });
  } else return left(bad('action must be allow, block or revoke'));
  return isLeft(r) ? left(refusal(r.left)) : right(r.right);
}

/** POST /api/wipes: {deviceId, by, reason, mailbox?, accountOnly?, confirm: true}. */
export async function wipeAction(engine: ConsoleEngine, body: string | undefined): Promise<Either<Refused, ActionDecided>> {
  const o = objectOf(body);
  if (isLeft(o)) return o;
  if (o.right.confirm !== true) return left(bad('a remote wipe erases a phone: send confirm: true'));
  const who = attribution(o.right);
  if (isLeft(who)) return who;
  const r = await engine.requestWipe({ ...who.right, accountOnly: o.right.accountOnly === true });
  return isLeft(r) ? left(refusal(r.left)) : right(r.right);
}
