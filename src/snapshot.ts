// Snapshots: a checkpoint of the engine's state (connector, mailboxes,
// revisions) as of one event of the log, so a start folds only what came after
// it. A snapshot is a cache, never the source of truth: it is used only when it
// parses, has this schema, is this organization's, and the log still holds, at
// the position it covers, the event it names; otherwise the state is folded
// from the log. States are serialized generically (JSON of the whole state, not
// field by field), so a field added to a state needs no change here; a change
// of meaning needs SNAPSHOT_SCHEMA raised, which retires older snapshots.
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { ConnectorState } from './connector.js';
import type { MailboxState } from './mailbox.js';
import type { OrgState } from './state.js';

/** Raise whenever a state's meaning changes: older snapshots are then rebuilt from the log. */
// 2: the connector's policy carries its decisionRevision.
export const SNAPSHOT_SCHEMA = 2;
/** The `format` every snapshot carries, so a foreign JSON document is never taken for one. */
export const SNAPSHOT_FORMAT = 'eas-access-sync/snapshot';

/** The last event a snapshot covers: its position in the log and its id. */
export interface Checkpoint {
  readonly position: number;
  readonly id: string;
}

interface SnapshotBody {
  readonly format: string;
  readonly schema: number;
  readonly organization: string;
  readonly position: number;
  readonly id: string;
  readonly connector: ConnectorState;
  readonly mailboxes: ReadonlyArray<readonly [string, MailboxState]>;
  readonly revisions: ReadonlyArray<readonly [string, number]>;
}

/**
 * The snapshot of `s` as of `at`, as JSON text (keys whose value is undefined are dropped, as the states
 * treat them as absent). Every character outside ASCII is written as a `\uXXXX` escape: the same JSON,
 * but a reader decodes ASCII bytes at copy speed into a one-byte string, where one accented display
 * name made the whole text a two-byte string, decoded as UTF-8 at a fraction of the speed (docs/log-format.md).
 */
export function snapshotText(s: OrgState, at: Checkpoint): string {
  return snapshotPieces(s, at).join('');
}

/**
 * `snapshotText` as pieces that join to it, for a store that writes them one after the other
 * (SnapshotStore.savePieces): the text is then never one string either.
 */
export function snapshotPieces(s: OrgState, at: Checkpoint): string[] {
  // The text of `JSON.stringify(body)` made ASCII, written MAILBOX_CHUNK mailboxes at a time: the whole
  // body's JSON is never one string (at 200,000 devices, ~570 MB as a two-byte string when one display
  // name has an accent, beside the ~285 MB text it is made into). An array's JSON is its items' JSON
  // between brackets, joined by commas, so the pieces join to exactly that text.
  const head: Omit<SnapshotBody, 'mailboxes' | 'revisions'> = {
    format: SNAPSHOT_FORMAT,
    schema: SNAPSHOT_SCHEMA,
    organization: s.organization,
    position: at.position,
    id: at.id,
    connector: s.connector,
  };
  const headJson = JSON.stringify(head);
  const parts = [asciiJson(headJson.slice(0, -1)), ',"mailboxes":['];
  const pairs = [...s.mailboxes];
  for (let i = 0; i < pairs.length; i += MAILBOX_CHUNK) {
    if (i > 0) parts.push(',');
    parts.push(asciiJson(JSON.stringify(pairs.slice(i, i + MAILBOX_CHUNK)).slice(1, -1)));
  }
  parts.push('],"revisions":', asciiJson(JSON.stringify([...s.revisions])), '}');
  return parts;
}

const MAILBOX_CHUNK = 1000;

const NON_ASCII = /[\u0080-\uffff]/g;
const escaped = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
const EMPTY_MATCH = /^/;

/** JSON text with every non-ASCII UTF-16 unit escaped (a surrogate pair becomes two escapes, as JSON allows). @internal */
export function asciiJson(json: string): string {
  const out = json.replace(NON_ASCII, escaped);
  // A match leaves its subject reachable as the legacy `RegExp.input` until the next match anywhere in the
  // process: here the JSON of the whole state (~2.7 KB a device), kept after the snapshot is written, often
  // until the next sync. A match on the empty string lets it go.
  EMPTY_MATCH.exec('');
  return out;
}

export interface RestoredSnapshot {
  readonly state: OrgState;
  readonly at: Checkpoint;
}

const isRec = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

function pairs<V>(u: unknown, what: string, isValue: (v: unknown) => v is V): Either<string, Array<[string, V]>> {
  if (!Array.isArray(u)) return left(`${what} is not a list`);
  const out: Array<[string, V]> = [];
  for (let i = 0; i < u.length; i++) {
    const p: unknown = u[i];
    if (!Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'string' || !isValue(p[1]))
      return left(`${what}[${i}] is not a [stream, value] pair`);
    out.push([p[0], p[1]]);
  }
  return right(out);
}

const isMailbox = (u: unknown): u is MailboxState => isRec(u) && isRec(u.lists) && isRec(u.devices) && isRec(u.pending);
const isRevision = (u: unknown): u is number => typeof u === 'number' && Number.isInteger(u) && u >= 0;

/**
 * Reads a snapshot's text for `organization`: Left with the reason when it is
 * not JSON, not a snapshot, of another schema or organization, or malformed.
 * Whether it still matches the log is the caller's check (`covers`).
 */
export function parseSnapshot(organization: string, text: string): Either<string, RestoredSnapshot> {
  let u: unknown;
  try {
    u = JSON.parse(text);
  } catch (err) {
    return left(`not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!isRec(u) || u.format !== SNAPSHOT_FORMAT) return left('not a snapshot of this engine');
  if (u.schema !== SNAPSHOT_SCHEMA) return left(`schema ${JSON.stringify(u.schema)}, this engine writes ${SNAPSHOT_SCHEMA}`);
  if (u.organization !== organization) return left(`organization ${JSON.stringify(u.organization)}, not ${JSON.stringify(organization)}`);
  if (!isRevision(u.position) || typeof u.id !== 'string') return left('no valid position and event id');
  const c = u.connector;
  if (!isRec(c) || typeof c.status !== 'string' || !isRec(c.pending) || !isRec(c.lastSuccessful) || !Array.isArray(c.servers))
    return left('connector state malformed');
  const mailboxes = pairs(u.mailboxes, 'mailboxes', isMailbox);
  if (mailboxes._tag === 'Left') return mailboxes;
  const revisions = pairs(u.revisions, 'revisions', isRevision);
  if (revisions._tag === 'Left') return revisions;
  return right({
    state: {
      organization,
      connector: c as unknown as ConnectorState,
      mailboxes: new Map(mailboxes.right),
      revisions: new Map(revisions.right),
    },
    at: { position: u.position, id: u.id },
  });
}
