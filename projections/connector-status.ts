// Connector status per organization (domain.md, Monitoring), folded from the
// organization streams with the connector decider's own evolve.
import { evolveConnector, initialConnectorState, type ConnectorState } from '../src/connector.js';
import type { DomainEvent } from '../src/events.js';

export interface ConnectorStatusProjection {
  /** Keyed by organization. */
  readonly organizations: Map<string, ConnectorState>;
  /** Pending intents per mailbox stream (org intents are in the connector state). */
  readonly pendingByStream: Map<string, Set<string>>;
}

export const emptyConnectorStatus = (): ConnectorStatusProjection => ({ organizations: new Map(), pendingByStream: new Map() });

export function foldConnectorStatus(p: ConnectorStatusProjection, stream: string, e: DomainEvent, at: string): void {
  if (stream.startsWith('eas-org-')) {
    const org = stream.slice('eas-org-'.length);
    p.organizations.set(org, evolveConnector(p.organizations.get(org) ?? initialConnectorState, { ...e, at } as DomainEvent & { at: string }));
    return;
  }
  if (e.type === 'CommandIntended') {
    const s = p.pendingByStream.get(stream) ?? new Set<string>();
    s.add(e.data.commandId);
    p.pendingByStream.set(stream, s);
  } else if (e.type === 'CommandSucceeded' || e.type === 'CommandFailed') {
    const s = p.pendingByStream.get(stream);
    if (s) { s.delete(e.data.commandId); if (s.size === 0) p.pendingByStream.delete(stream); }
  }
}

export function pendingIntents(p: ConnectorStatusProjection): number {
  let n = 0;
  for (const s of p.pendingByStream.values()) n += s.size;
  for (const c of p.organizations.values()) n += Object.keys(c.pending).length;
  return n;
}
