// The events explain reads: which mailbox streams name a device (without
// decoding), those streams and every policy change decoded, and the last
// decision and partnership of a device the fold has dropped.
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { StoredEvent } from '../../src/ports.js';
import { decodeEvent, type DomainEvent, type EventData } from '../../src/events.js';
import { formatIssues } from '../../src/codec.js';
import type { PolicyDocument } from '../../src/policy.js';
import { decisionOf, deviceKey, type DecisionState } from '../../src/mailbox.js';
import type { ExplainError } from './types.js';

export const DEVICE_TYPES = new Set(['PartnershipDiscovered', 'PartnershipUpdated', 'PartnershipRemoved', 'AccessDecided']);

export const idOf = (data: unknown): string | undefined => {
  if (data === null || typeof data !== 'object') return undefined;
  const id = (data as { deviceId?: unknown }).deviceId;
  return typeof id === 'string' ? id : undefined;
};

export interface Decoded {
  readonly raw: StoredEvent;
  readonly e: DomainEvent;
  readonly ms: number;
}

/** A PolicyChanged of an organization's stream. */
export interface PolicyEntry {
  readonly revision: number;
  readonly policy: PolicyDocument;
  readonly at: string;
  readonly ms: number;
  readonly position: number;
}

/** The mailbox streams that hold a partnership with device key `k` (cheap: no decoding). */
export function streamsOf(events: readonly StoredEvent[], k: string): Set<string> {
  const streams = new Set<string>();
  for (const e of events) {
    if (DEVICE_TYPES.has(e.type) && e.stream.startsWith('eas-mailbox-')) {
      const id = idOf(e.data);
      if (id !== undefined && deviceKey(id) === k) streams.add(e.stream);
    }
  }
  return streams;
}

export interface DeviceEvents {
  /** Every organization's policy changes, in log order. */
  readonly policies: Map<string, PolicyEntry[]>;
  /** The events of each of the device's streams, in log order. */
  readonly byStream: Map<string, Decoded[]>;
  /** The log's last event's time. */
  readonly lastAt: string | undefined;
}

/** Decodes the device's streams and every policy change; the first event that does not decode fails it. */
export function decodeDeviceEvents(events: readonly StoredEvent[], streams: ReadonlySet<string>): Either<ExplainError, DeviceEvents> {
  const policies = new Map<string, PolicyEntry[]>();
  const byStream = new Map<string, Decoded[]>();
  let lastAt: string | undefined;
  for (const raw of events) {
    lastAt = raw.at;
    const policyEvent = raw.type === 'PolicyChanged' && raw.stream.startsWith('eas-org-');
    if (!policyEvent && !streams.has(raw.stream)) continue;
    const d = decodeEvent(raw.type, raw.data);
    if (isLeft(d)) {
      return left({
        kind: 'invalidEvent',
        position: raw.position,
        message: `event at position ${raw.position} (${raw.stream} #${raw.revision}, ${raw.type}): ${formatIssues(d.left)}`,
      });
    }
    const dec: Decoded = { raw, e: d.right, ms: Date.parse(raw.at) };
    if (d.right.type === 'PolicyChanged') {
      const org = raw.stream.slice('eas-org-'.length);
      const l = policies.get(org) ?? [];
      l.push({ revision: d.right.data.revision, policy: d.right.data.policy, at: raw.at, ms: dec.ms, position: raw.position });
      policies.set(org, l);
    } else {
      const l = byStream.get(raw.stream);
      if (l) l.push(dec);
      else byStream.set(raw.stream, [dec]);
    }
  }
  return right({ policies, byStream, lastAt });
}

/** The device's last decision in a stream up to `atMs` (the fold drops a removed partnership's). */
export function lastDecisionOf(list: readonly Decoded[], k: string, atMs: number): DecisionState | undefined {
  let last: DecisionState | undefined;
  for (const { raw, e, ms } of list) {
    if (!(ms <= atMs)) continue;
    if (e.type === 'AccessDecided' && deviceKey(e.data.deviceId) === k) last = decisionOf(e.data, raw.at);
  }
  return last;
}

/** The device's last partnership data in a stream up to `atMs`. */
export function lastPartnershipOf(list: readonly Decoded[], k: string, atMs: number): EventData<'PartnershipDiscovered'> | undefined {
  let last: EventData<'PartnershipDiscovered'> | undefined;
  for (const { e, ms } of list) {
    if (!(ms <= atMs)) continue;
    if ((e.type === 'PartnershipDiscovered' || e.type === 'PartnershipUpdated') && deviceKey(e.data.deviceId) === k) last = e.data;
  }
  return last;
}
