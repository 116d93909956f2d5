// runSync's own contract, beside the engine tests: what it does when a
// decider refuses what the sync asks of it.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isRight } from 'fp-ts/lib/Either.js';
import { asyncScheduler } from 'rxjs';
import { createEngine } from '../src/engine.js';
import { runSync } from '../src/sync.js';
import { createAppender, EngineFailure } from '../src/append.js';
import { CasFailover } from '../src/failover.js';
import { loadOrgState } from '../src/state.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { memoryStore } from '../adapters/memory-store/index.js';

const test = suite('sync');
const NOW = Date.parse('2026-11-26T08:00:00Z');

test('a decider refusing a command of the sync ends it as a typed engine failure (refused), not a plain Error', async () => {
  const sim = simulateOrganization({ devices: 20, seed: 3, clock: () => NOW });
  const store = memoryStore();
  const first = await createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store,
    policy: sim.policy,
    clock: { now: () => NOW },
  }).fullSync();
  assert.ok(first.success);
  const events = await store.readAll();
  if (!isRight(events)) throw new Error('read');
  // The sync decides from one state while its appends land in another: the
  // connector state it completes from never saw this sync start.
  const decidedFrom = loadOrgState(sim.organization, events.right);
  const recordedInto = loadOrgState(sim.organization, events.right);
  if (!isRight(decidedFrom) || !isRight(recordedInto)) throw new Error('load');
  const failure = await runSync(
    {
      organization: sim.organization,
      connectorId: `${sim.organization}-connector`,
      exchange: sim.exchange,
      intune: sim.intune,
      policy: sim.policy,
      scheduler: asyncScheduler,
      now: () => NOW,
      parallelism: 1,
      maxConcurrency: 18,
      grandfathering: true,
      failover: new CasFailover(sim.exchange, false, () => undefined),
      appender: createAppender(store, () => recordedInto.right, { schema: 1 }),
      state: () => decidedFrom.right,
      caches: {},
      switches: [],
      emitStatus: () => undefined,
    },
    'full',
  ).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.instance(failure, EngineFailure);
  assert.equal((failure as EngineFailure).error, {
    kind: 'refused',
    refusal: { kind: 'noSync', message: 'sync sync-2 is not in progress' },
    message: 'CompleteSync refused: sync sync-2 is not in progress',
  });
});

test.run();
