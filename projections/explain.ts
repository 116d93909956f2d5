// explain(events, deviceId, { at }): why a device has (had, at that moment) its
// access level — the decision, its reason, the facts and policy revision it was
// made from, the command that enforced it and its outcome, and the device's
// timeline. Pure: it reads only the events it is given. It needs the device's
// mailbox stream(s) and the organization's PolicyChanged events; any other event
// is skipped cheaply, so a caller may pass the whole log or just those events.
//
// The parts: reading the device's events (explain/events.ts), its history in
// each mailbox stream (explain/timeline.ts), the explanation of the partnership
// chosen (explain/explanation.ts, with explain/sentences.ts and
// explain/effect.ts), and the closest ids of an unknown one (explain/closest-ids.ts).
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { StoredEvent } from '../src/ports.js';
import { deviceKey } from '../src/mailbox.js';
import { organizationOfStream } from './device-access.js';
import { closestIds, knownDeviceIds } from './explain/closest-ids.js';
import { decodeDeviceEvents, streamsOf } from './explain/events.js';
import { explanationOf, rank } from './explain/explanation.js';
import { viewOf, type StreamView } from './explain/timeline.js';
import type { ExplainError, ExplainOptions, Explanation } from './explain/types.js';

export { closestIds, knownDeviceIds } from './explain/closest-ids.js';
export type { EnforcingCommand, ExplainError, ExplainOptions, Explanation, TimelineEntry } from './explain/types.js';

/**
 * Explains one device. `deviceId` is matched case-insensitively. Fails with
 * the closest known ids when no partnership has that id.
 */
export function explain(events: readonly StoredEvent[], deviceId: string, options: ExplainOptions = {}): Either<ExplainError, Explanation> {
  const k = deviceKey(deviceId);
  let atMs = Infinity;
  if (options.at !== undefined) {
    atMs = Date.parse(options.at);
    if (Number.isNaN(atMs)) return left({ kind: 'invalidTime', message: `not an ISO-8601 date-time: "${options.at}"` });
  }

  const streams = streamsOf(events, k);
  if (streams.size === 0) {
    const closest = closestIds(deviceId, knownDeviceIds(events));
    return left({
      kind: 'unknownDevice',
      deviceId,
      closest,
      message: `no device partnership with id "${deviceId}" in the log${closest.length ? ` (closest: ${closest.join(', ')})` : ''}`,
    });
  }

  const decoded = decodeDeviceEvents(events, streams);
  if (isLeft(decoded)) return decoded;
  const { policies, byStream, lastAt } = decoded.right;
  const at = options.at !== undefined ? new Date(atMs).toISOString() : (lastAt ?? new Date(0).toISOString());
  if (options.at === undefined) atMs = Infinity;

  const orgOf = (stream: string): string => {
    let best: string | undefined;
    for (const org of policies.keys()) if (stream.startsWith(`eas-mailbox-${org}-`) && (!best || org.length > best.length)) best = org;
    return best ?? organizationOfStream(stream);
  };

  const views: StreamView[] = [];
  let firstSeenAny: string | undefined;
  for (const [stream, list] of byStream) {
    const v = viewOf(stream, list, k, atMs, policies.get(orgOf(stream)) ?? []);
    if (v.firstSeen !== '' && (firstSeenAny === undefined || v.firstSeen < firstSeenAny)) firstSeenAny = v.firstSeen;
    views.push(v);
  }

  const seenAtMoment = views.filter((v) => v.firstSeen !== '' && Date.parse(v.firstSeen) <= atMs);
  if (seenAtMoment.length === 0) {
    return left({
      kind: 'notYetKnown',
      deviceId,
      firstSeen: firstSeenAny ?? '',
      message: `device ${deviceId} was first seen at ${firstSeenAny ?? '?'}, after ${at}`,
    });
  }
  seenAtMoment.sort((a, b) => rank(b, k) - rank(a, k) || b.decidedPosition - a.decidedPosition);
  const v = seenAtMoment[0]!;
  const org = orgOf(v.stream);
  const orgPolicies = (policies.get(org) ?? []).filter((p) => p.ms <= atMs);
  return right(explanationOf({ deviceId, k, at, atMs, v, org, orgPolicies, byStream, views }));
}
