// The engine's in-memory view of one organization: the connector state and
// every mailbox state, folded from the log, with each stream's revision for
// optimistic concurrency. Updated only by folding events that were appended.
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type { StoredEvent } from './ports.js';
import { decodeEvent, mailboxStreamPrefix, orgStream, type DomainEvent } from './events.js';
import { evolveConnector, initialConnectorState, type ConnectorState } from './connector.js';
import { evolveMailbox, initialMailboxState, type MailboxState } from './mailbox.js';
import { formatIssues } from './codec.js';

export interface OrgState {
  readonly organization: string;
  connector: ConnectorState;
  /** Keyed by mailbox stream name. */
  readonly mailboxes: Map<string, MailboxState>;
  /** Last revision per stream (absent: the stream does not exist). */
  readonly revisions: Map<string, number>;
}

export const emptyOrgState = (organization: string): OrgState => ({
  organization,
  connector: initialConnectorState,
  mailboxes: new Map(),
  revisions: new Map(),
});

export type Dated = DomainEvent & { readonly at?: string };

/** Folds events of one stream into the state (mutating the maps, not the states). */
export function foldInto(s: OrgState, stream: string, events: readonly Dated[], lastRevision?: number): void {
  if (stream === orgStream(s.organization)) {
    let c = s.connector;
    for (const e of events) c = evolveConnector(c, e);
    s.connector = c;
  } else {
    let m = s.mailboxes.get(stream) ?? initialMailboxState;
    for (const e of events) m = evolveMailbox(m, e);
    s.mailboxes.set(stream, m);
  }
  if (lastRevision !== undefined) s.revisions.set(stream, lastRevision);
}

export interface LoadError {
  readonly kind: 'invalidEvent';
  readonly message: string;
  readonly position: number;
}

/** Builds the state of `organization` from every event of a log (others' streams are skipped). */
export function loadOrgState(organization: string, events: readonly StoredEvent[]): Either<LoadError, OrgState> {
  const s = emptyOrgState(organization);
  const r = foldLog(s, events);
  return isLeft(r) ? r : right(s);
}

/** Folds events of a log into `s` (a snapshot's state, or an empty one), skipping other organizations' streams. */
export function foldLog(s: OrgState, events: readonly StoredEvent[]): Either<LoadError, OrgState> {
  const org = orgStream(s.organization);
  const prefix = mailboxStreamPrefix(s.organization);
  for (const raw of events) {
    if (raw.stream !== org && !raw.stream.startsWith(prefix)) continue;
    const d = decodeEvent(raw.type, raw.data);
    if (isLeft(d)) {
      return left({
        kind: 'invalidEvent',
        position: raw.position,
        message: `event at position ${raw.position} (${raw.stream} #${raw.revision}, ${raw.type}): ${formatIssues(d.left)}`,
      });
    }
    // Field by field, not `{ ...event, at }` (see src/mailbox/evolve.ts, deviceRecord).
    foldInto(s, raw.stream, [{ type: d.right.type, data: d.right.data, at: raw.at } as Dated], raw.revision);
  }
  return right(s);
}
