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
  /** The device's own Clear-/Remove-MobileDevice intents (their outcomes are told by command id). */
  readonly deviceCommands: Map<string, string>;
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
    deviceCommands: new Map(),
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
          push(
            e.data.commandId !== undefined
              ? `partnership removed by the engine's Remove-MobileDevice (${e.data.commandId})`
              : 'partnership removed from Exchange',
          );
        }
        break;
      case 'PartnershipStale':
        if (mine)
          push(
            `stale: ${e.data.lastSuccessSync !== undefined ? `no successful sync since ${e.data.lastSuccessSync}` : 'never synced successfully'} (removed after ${e.data.afterDays} days); chosen for removal by ${e.data.syncId}`,
          );
        break;
      case 'WipeRequested':
        if (mine)
          push(
            `remote wipe${e.data.accountOnly ? ' (account only)' : ''} requested by ${e.data.by} ("${e.data.reason}", ${e.data.wipeId})`,
          );
        break;
      case 'WipeAcknowledged':
        if (mine) push(`the phone acknowledged wipe ${e.data.wipeId} at ${e.data.ackTime}${e.data.status ? ` (${e.data.status})` : ''}`);
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
        const c = e.data.command;
        if ((c.kind === 'clearMobileDevice' || c.kind === 'removeMobileDevice') && deviceKey(c.deviceId) === k) {
          const cmdlet =
            c.kind === 'clearMobileDevice' ? `Clear-MobileDevice${c.accountOnly ? ' -AccountOnly' : ''}` : 'Remove-MobileDevice';
          v.deviceCommands.set(e.data.commandId, cmdlet);
          push(`${cmdlet} intended (${e.data.commandId})`);
          break;
        }
        if (c.kind !== 'setCasMailbox') break;
        const ef = effectOn(c, k);
        if (!ef) break;
        v.commands.set(e.data.commandId, { intended: d, data: e.data });
        v.lastCommand = e.data.commandId;
        push(`Set-CasMailbox intended (${e.data.commandId}): ${effectText(ef)}`);
        break;
      }
      case 'CommandSucceeded':
      case 'CommandFailed': {
        const c = v.commands.get(e.data.commandId);
        if (!c) {
          const cmdlet = v.deviceCommands.get(e.data.commandId);
          if (cmdlet !== undefined)
            push(
              e.type === 'CommandSucceeded'
                ? `${cmdlet} ${e.data.commandId} accepted by Exchange${e.data.reconciled ? ' (reconciled after a crash)' : ''}`
                : `${cmdlet} ${e.data.commandId} failed: ${e.data.error.message}${e.data.reconciled ? ' (reconciled after a crash)' : ''}`,
            );
          break;
        }
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
