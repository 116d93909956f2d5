// A device's history in one mailbox stream up to a moment: the mailbox state
// folded by evolveMailbox, the commands that touched the device's entries, and
// the timeline a reader sees (with the organization's policy changes).
import type { DomainEvent, EventData } from '../../src/events.js';
import { deviceKey, evolveMailbox, hasDeviceKey as hasId, initialMailboxState, type MailboxState } from '../../src/mailbox.js';
import { effectOn, effectText } from './effect.js';
import { DEVICE_TYPES, idOf, type Decoded, type PolicyEntry } from './events.js';
import type { TimelineEntry } from './types.js';

export interface StreamView {
  readonly stream: string;
  state: MailboxState;
  /** The device's first event in this stream, whatever the moment. */
  firstSeen: string;
  removedAt: string | null;
  decidedPosition: number;
  readonly commands: Map<string, { intended: Decoded; data: EventData<'CommandIntended'>; outcome?: Decoded }>;
  lastCommand: string | null;
  readonly timeline: TimelineEntry[];
}

/**
 * Folds the events of one stream (`list`) for device key `k` up to `atMs`;
 * `policies` are the changes of the stream's organization.
 */
export function viewOf(stream: string, list: readonly Decoded[], k: string, atMs: number, policies: readonly PolicyEntry[]): StreamView {
  const v: StreamView = {
    stream,
    state: initialMailboxState,
    firstSeen: '',
    removedAt: null,
    decidedPosition: -1,
    commands: new Map(),
    lastCommand: null,
    timeline: [],
  };
  let firstPosition = -1;
  for (const d of list) {
    const { raw, e } = d;
    const mine = idOf(e.data) !== undefined && deviceKey(idOf(e.data)!) === k;
    if (mine && DEVICE_TYPES.has(e.type) && v.firstSeen === '') v.firstSeen = raw.at;
    if (!(d.ms <= atMs)) continue;
    if (mine && firstPosition < 0) firstPosition = raw.position;
    v.state = evolveMailbox(v.state, { ...e, at: raw.at } as unknown as DomainEvent);
    const push = (summary: string) => v.timeline.push({ at: raw.at, type: e.type, position: raw.position, summary });
    switch (e.type) {
      case 'MailboxDiscovered':
      case 'MailboxUpdated': {
        const inLists =
          e.type === 'MailboxDiscovered'
            ? [
                hasId(e.data.allowedDeviceIds, k) ? 'in its allowed list' : '',
                hasId(e.data.blockedDeviceIds, k) ? 'in its blocked list' : '',
              ].filter(Boolean)
            : [];
        if (e.type === 'MailboxDiscovered' || firstPosition >= 0) {
          push(
            `mailbox ${e.data.identity}: ActiveSync ${e.data.activeSyncEnabled ? 'enabled' : 'disabled'}${inLists.length ? `; the device is ${inLists.join(' and ')}` : ''}`,
          );
        }
        break;
      }
      case 'PartnershipDiscovered':
      case 'PartnershipUpdated':
        if (mine) {
          v.removedAt = null;
          push(`${e.data.deviceType} ${e.data.deviceModel}${e.data.deviceOS ? ` (${e.data.deviceOS})` : ''}`);
        }
        break;
      case 'PartnershipRemoved':
        if (mine) {
          v.removedAt = raw.at;
          push('partnership removed from Exchange');
        }
        break;
      case 'AccessDecided':
        if (mine) {
          v.decidedPosition = raw.position;
          push(
            `${e.data.access} — ${e.data.reason}${e.data.governed ? '' : ' (not governed)'}; policy revision ${e.data.policyRevision}, ${e.data.syncId}`,
          );
        }
        break;
      case 'ListsDriftDetected': {
        const was = (l: { allowedDeviceIds: readonly string[]; blockedDeviceIds: readonly string[] }) =>
          `${hasId(l.allowedDeviceIds, k) ? 'allowed' : ''}${hasId(l.blockedDeviceIds, k) ? 'blocked' : ''}` || 'in neither list';
        const a = was(e.data.expected);
        const b = was(e.data.actual);
        if (a !== b) push(`drift found by ${e.data.syncId}: the engine expected ${a}, Exchange had ${b}`);
        break;
      }
      case 'CommandIntended': {
        if (e.data.command.kind !== 'setCasMailbox') break;
        const ef = effectOn(e.data.command, k);
        if (!ef) break;
        v.commands.set(e.data.commandId, { intended: d, data: e.data });
        v.lastCommand = e.data.commandId;
        push(`Set-CasMailbox intended (${e.data.commandId}): ${effectText(ef)}`);
        break;
      }
      case 'CommandSucceeded':
      case 'CommandFailed': {
        const c = v.commands.get(e.data.commandId);
        if (!c) break;
        c.outcome = d;
        push(
          e.type === 'CommandSucceeded'
            ? `${e.data.commandId} succeeded${e.data.reconciled ? ' (reconciled after a crash)' : ''}`
            : `${e.data.commandId} failed: ${e.data.error.message}${e.data.reconciled ? ' (reconciled after a crash)' : ''}`,
        );
        break;
      }
      case 'DeviceGrandfathered':
        if (mine) push(`kept allowed (grandfathered by ${e.data.syncId}) before the organization's default access level became stricter`);
        break;
      case 'NotificationSent':
        if (mine) push(`user notified at ${e.data.to} (${e.data.reason})`);
        break;
      case 'NotificationFailed':
        if (mine) push(`notification to ${e.data.to} failed: ${e.data.error.message}`);
        break;
      case 'OverrideGranted':
        if (mine)
          push(
            `override by ${e.data.by}: ${e.data.access} until ${e.data.until} ("${e.data.reason}", ${e.data.overrideId})${e.data.notify ? ', the user told of a block' : ''}`,
          );
        break;
      case 'OverrideRevoked':
        if (mine) push(`override ${e.data.overrideId} revoked by ${e.data.by} ("${e.data.reason}")`);
        break;
      default:
    }
  }
  // The policy in force when the device was first seen, and every change since.
  if (firstPosition >= 0) {
    const changes = policies.filter((p) => p.ms <= atMs);
    let from = 0;
    changes.forEach((p, i) => {
      if (p.position < firstPosition) from = i;
    });
    for (const p of changes.slice(from))
      v.timeline.push({ at: p.at, type: 'PolicyChanged', position: p.position, summary: `policy revision ${p.revision}` });
    v.timeline.sort((a, b) => a.position - b.position);
  }
  return v;
}
