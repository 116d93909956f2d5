// What every administrator action's CLI shares beyond its arguments: a refusal
// as its exit code (2 for the rules' refusals, with the closest known ids for
// an unknown device; 1 for a log that cannot be read or written), and the
// LOG mode — the action decided on the log's state and appended to a log no
// connector holds.
import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import type { ActionDecided, ActionRefusal } from '../../src/actions.js';
import type { ActionFailure } from '../../src/engine.js';
import { loadOrgState, type OrgState } from '../../src/state.js';
import { closestIds } from '../../projections/explain/closest-ids.js';
import { InputFailure, WorkFailure } from './io.js';
import { displaySpec, openStore } from './store.js';

/** Throws the failure as its exit: InputFailure (2) for `refusals` and an unknown device, WorkFailure (1) otherwise. */
export function refuse(f: ActionFailure, refusals: ReadonlySet<string>, knownIds: () => Iterable<string>, deviceId: string): never {
  if (f.kind === 'unknownDevice') {
    const near = closestIds(deviceId, knownIds());
    throw new InputFailure(`${f.message}${near.length ? `; closest known ids: ${near.map((c) => JSON.stringify(c)).join(', ')}` : ''}`);
  }
  if (refusals.has(f.kind)) throw new InputFailure(f.message);
  throw new WorkFailure(f.message);
}

/**
 * Decides an action on the state of the log at `spec` and appends its events
 * (nothing when it decides none). A log held by a running connector is exit 1
 * naming `heldHint` (where the action goes instead).
 */
export async function actOnLog(
  spec: string,
  command: 'override' | 'wipe',
  heldHint: string,
  decide: (state: OrgState) => Either<ActionRefusal, ActionDecided>,
  refusals: ReadonlySet<string>,
  deviceId: string,
  at: string,
): Promise<ActionDecided> {
  const store = await openStore(spec).catch((err: unknown) => {
    if (err instanceof WorkFailure && /locked by process/.test(err.message)) throw new WorkFailure(`${err.message}: ${heldHint}`);
    throw err;
  });
  try {
    const all = await store.readAll();
    if (isLeft(all)) throw new WorkFailure(`cannot read ${displaySpec(spec)}`);
    const orgs = [...new Set(all.right.filter((e) => e.stream.startsWith('eas-org-')).map((e) => e.stream.slice('eas-org-'.length)))];
    if (orgs.length !== 1)
      throw new InputFailure(
        `${displaySpec(spec)} holds ${orgs.length} organizations; ${command === 'wipe' ? 'a wipe' : 'an override'} needs a log of one`,
      );
    const state = loadOrgState(orgs[0]!, all.right);
    if (isLeft(state)) throw new InputFailure(`${displaySpec(spec)}: ${state.left.message}`);
    const d = decide(state.right);
    if (isLeft(d))
      refuse(
        d.left,
        refusals,
        () => [...state.right.mailboxes.values()].flatMap((m) => Object.values(m.devices).map((x) => x.deviceId)),
        deviceId,
      );
    if (d.right.events.length > 0) {
      const r = await store.append([
        {
          stream: d.right.stream,
          expected: state.right.revisions.get(d.right.stream) ?? 'noStream',
          events: d.right.events.map((e) => ({ type: e.type, data: e.data, at, meta: { schema: 1, connectorId: `eas-sync ${command}` } })),
        },
      ]);
      if (isLeft(r))
        throw new WorkFailure(
          `cannot append to ${displaySpec(spec)}: ${r.left.kind === 'conflict' ? 'another writer appended meanwhile; try again' : r.left.message}`,
        );
    }
    return d.right;
  } finally {
    await store.close();
  }
}
