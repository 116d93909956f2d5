// Connector status per organization, folded from the organization streams with
// the connector decider's own evolve, and the mailboxes' pending intents by the
// mailbox rules (src/mailbox/rules.ts).
import { evolveConnector, initialConnectorState, type ConnectorState } from '../src/connector.js';
import type { DomainEvent } from '../src/events.js';
import { mailboxIntent } from '../src/mailbox.js';

export interface ConnectorStatusProjection {
  /** Keyed by organization. */
  readonly organizations: Map<string, ConnectorState>;
  /** Mailbox intents without an outcome yet: command id -> mailbox stream (org intents are in the connector state). */
  readonly pendingMailboxIntents: Map<string, string>;
}

export const emptyConnectorStatus = (): ConnectorStatusProjection => ({ organizations: new Map(), pendingMailboxIntents: new Map() });

export function foldConnectorStatus(p: ConnectorStatusProjection, stream: string, e: DomainEvent, at: string): void {
  if (stream.startsWith('eas-org-')) {
    const org = stream.slice('eas-org-'.length);
    p.organizations.set(org, evolveConnector(p.organizations.get(org) ?? initialConnectorState, { ...e, at }));
    return;
  }
  if (e.type === 'CommandIntended') {
    if (mailboxIntent(e.data.command)) p.pendingMailboxIntents.set(e.data.commandId, stream);
  } else if (e.type === 'CommandSucceeded' || e.type === 'CommandFailed') p.pendingMailboxIntents.delete(e.data.commandId);
}

/** Pending intents per mailbox stream. */
export function pendingByStream(p: ConnectorStatusProjection): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [id, stream] of p.pendingMailboxIntents) out.set(stream, [...(out.get(stream) ?? []), id]);
  return out;
}

export function pendingIntents(p: ConnectorStatusProjection): number {
  let n = p.pendingMailboxIntents.size;
  for (const c of p.organizations.values()) n += Object.keys(c.pending).length;
  return n;
}
