// Commands over parallel sessions under Exchange's limits.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createEngine } from '../src/engine.js';
import { asyncScheduler } from 'rxjs';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import { createExecutor, sessionCount, WorkQueue, type WorkItem } from '../src/executor.js';
import { CasFailover } from '../src/failover.js';
import type { ExchangeError, ExchangeGateway } from '../src/ports.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { memoryStore } from '../adapters/memory-store/index.js';

const test = suite('parallel sessions');

function agrees(sim: ReturnType<typeof simulateOrganization>, devices: { deviceId: string; access: string }[]): number {
  const decided = new Map(devices.map((d) => [d.deviceId.toLowerCase(), d.access]));
  let bad = 0;
  for (const [id, ev] of sim.evaluateAll()) if (decided.get(id) !== ev.access) bad++;
  return bad;
}

test('never more sessions than parallelism, nor than PowerShellMaxConcurrency − 2', () => {
  assert.is(sessionCount(8), 8);
  assert.is(sessionCount(40), 16);
  assert.is(sessionCount(40, 5), 3);
  assert.is(sessionCount(0), 1);
});

test('commands run over parallel sessions that stay within the shell limit', async () => {
  const sim = simulateOrganization({ devices: 800, seed: 31, latencyMs: 1, runspaces: 6 });
  const engine = createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store: memoryStore(),
    policy: sim.policy,
    parallelism: 12,
    maxConcurrency: 6,
  });
  const r = await engine.fullSync();
  assert.ok(r.success, JSON.stringify(r.errors.slice(0, 3)));
  assert.is(sim.counters.maxOpenSessions, 4);
  assert.is(r.sessions.opened, 4);
  assert.is(sim.exchange.sessionsOpen, 0, 'every session is closed after the sync');
  assert.is(agrees(sim, engine.devices()), 0);
});

test('sessions are recycled before Exchange breaks them at 1,000 commands', async () => {
  const sim = simulateOrganization({ devices: 5000, seed: 32, commandsPerShell: 1000 });
  const engine = createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store: memoryStore(),
    policy: sim.policy,
    parallelism: 1,
  });
  const r = await engine.fullSync();
  assert.ok(r.success);
  assert.ok(r.commands.issued > 2000, `enough commands to need recycling (${r.commands.issued})`);
  assert.is(sim.counters.sessionsBroken, 0);
  assert.ok(r.sessions.recycled >= 2);
  assert.is(agrees(sim, engine.devices()), 0);
});

test('a broken session is replaced and its command retried', async () => {
  const sim = simulateOrganization({ devices: 600, seed: 33, commandsPerShell: 50 });
  const engine = createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store: memoryStore(),
    policy: sim.policy,
    parallelism: 2,
  });
  const r = await engine.fullSync();
  assert.ok(r.success);
  assert.ok(sim.counters.sessionsBroken > 0);
  assert.is(r.sessions.replaced, sim.counters.sessionsBroken);
  assert.is(agrees(sim, engine.devices()), 0);
});

test('the user load quota slows the engine down for the time Exchange names, and never fails the sync', async () => {
  const sim = simulateOrganization({ devices: 400, seed: 34, quota: { requests: 60, perMs: 150 }, clock: () => Date.now() });
  const engine = createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store: memoryStore(),
    policy: sim.policy,
    parallelism: 4,
  });
  const r = await engine.fullSync();
  assert.ok(r.success, JSON.stringify(r.errors.slice(0, 3)));
  assert.ok(sim.counters.quotaRefusals > 0);
  assert.ok(r.commands.throttleWaits >= sim.counters.quotaRefusals - 5, 'reads refused at discovery are not command waits');
  assert.ok(r.commands.throttleWaitMs > 0);
  assert.is(agrees(sim, engine.devices()), 0);
});

const item = (i: number): WorkItem => ({ commandId: `c/${i}`, command: { kind: 'setOrgSettings', defaultAccessLevel: 'Allow' } });

test('the work queue hands items out in order, counts the ones pending and wakes a producer once it drains below a mark', async () => {
  const q = new WorkQueue();
  q.push(...Array.from({ length: 3000 }, (_, i) => item(i)));
  assert.is(q.pending, 3000);
  let woken = false;
  const below = q.below(100).then(() => (woken = true));
  const taken: string[] = [];
  for (let i = 0; i < 2900; i++) taken.push((await q.next())!.commandId);
  await Promise.resolve();
  assert.is(woken, false, 'still 100 pending');
  taken.push((await q.next())!.commandId);
  await below;
  assert.is(q.pending, 99);
  // Past the point where the taken part is dropped: the order holds.
  q.push(item(3000));
  for (let i = 0; i < 100; i++) taken.push((await q.next())!.commandId);
  assert.equal(
    taken,
    Array.from({ length: 3001 }, (_, i) => `c/${i}`),
  );
  assert.is(q.pending, 0);
  assert.is(await q.below(1), undefined, 'below a mark already: at once');
});

test('a producer waiting for the queue to drain is woken when it closes', async () => {
  const q = new WorkQueue();
  q.push(item(0), item(1));
  const below = q.below(1);
  q.close();
  await below;
  assert.is((await q.next())?.commandId, 'c/0', 'closing keeps what is queued');
  assert.is((await q.next())?.commandId, 'c/1');
  assert.is(await q.next(), undefined);
});

/**
 * A gateway whose sessions finish each command when the test says so, writing what happens
 * (`run c/0`, `closed`) to `log`; `answer` gives a command's result.
 */
function steppedGateway(log: string[], answer: (commandId: string) => Either<ExchangeError, void> = () => right(undefined)) {
  const waiting: Array<() => void> = [];
  const id = (c: { readonly kind: string; readonly defaultAccessLevel?: string }) => String(c.defaultAccessLevel);
  const gateway = {
    openSession: () =>
      Promise.resolve(
        right({
          execute: (c: WorkItem['command']) => {
            const commandId = id(c);
            log.push(`run ${commandId}`);
            return new Promise<Either<ExchangeError, void>>((res) => waiting.push(() => res(answer(commandId))));
          },
          close: () => {
            log.push('closed');
            return Promise.resolve();
          },
        }),
      ),
  } as unknown as ExchangeGateway;
  /** Finishes the oldest command under way, and lets what follows from it happen. */
  const finish = async () => {
    waiting.shift()!();
    for (let i = 0; i < 20; i++) await Promise.resolve();
  };
  return { gateway, finish, waiting };
}

// The stepped gateway names a command by its defaultAccessLevel field: the command id goes there.
const named = (i: number): WorkItem => ({
  commandId: `c/${i}`,
  command: { kind: 'setOrgSettings', defaultAccessLevel: `c/${i}` as never },
});

function executor(gateway: ExchangeGateway, onStep?: (step: 'beforeCommand' | 'afterCommand', id: string) => void) {
  return createExecutor({
    exchange: gateway,
    scheduler: asyncScheduler,
    now: () => 0,
    failover: new CasFailover(gateway, false, () => undefined),
    parallelism: 1,
    ...(onStep ? { onStep } : {}),
  });
}

test('a session takes its next queued command before the outcome of the one before is handed over', async () => {
  const log: string[] = [];
  const { gateway, finish } = steppedGateway(log);
  const running = executor(gateway).run([named(0), named(1), named(2)], (w) => log.push(`outcome ${w.commandId}`));
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await finish();
  await finish();
  await finish();
  await running;
  assert.equal(log, ['run c/0', 'run c/1', 'outcome c/0', 'run c/2', 'outcome c/1', 'outcome c/2', 'closed']);
});

test('with step hooks, each command has its outcome and after-step before the next one starts', async () => {
  const log: string[] = [];
  const { gateway, finish } = steppedGateway(log);
  const running = executor(gateway, (step, id) => void log.push(`${step} ${id}`)).run([named(0), named(1)], (w) =>
    log.push(`outcome ${w.commandId}`),
  );
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await finish();
  await finish();
  await running;
  assert.equal(log, [
    'beforeCommand c/0',
    'run c/0',
    'outcome c/0',
    'afterCommand c/0',
    'beforeCommand c/1',
    'run c/1',
    'outcome c/1',
    'afterCommand c/1',
    'closed',
  ]);
});

test('an outcome handler that throws: the command already under way ends before its session is closed, and nothing more starts', async () => {
  const log: string[] = [];
  const { gateway, finish, waiting } = steppedGateway(log);
  const running = executor(gateway).run([named(0), named(1), named(2)], (w) => {
    log.push(`outcome ${w.commandId}`);
    throw new Error('refused');
  });
  const failed = running.then(
    () => 'resolved',
    (e: Error) => e.message,
  );
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await finish();
  assert.equal(log, ['run c/0', 'run c/1', 'outcome c/0'], 'c/1 under way, its session still open');
  assert.is(waiting.length, 1);
  await finish();
  assert.is(await failed, 'refused');
  assert.equal(log, ['run c/0', 'run c/1', 'outcome c/0', 'closed'], 'closed once c/1 ended; c/2 never sent, c/1 never handed over');
});

test('a lost connection: the next command is not sent, and every one left gets the same error', async () => {
  const log: string[] = [];
  const lost: ExchangeError = { kind: 'connectionLost', message: 'WinRM cannot complete the operation', server: 'cas01' };
  const { gateway, finish } = steppedGateway(log, (id) => (id === 'c/0' ? left(lost) : right(undefined)));
  const outcomes: string[] = [];
  const running = executor(gateway).run([named(0), named(1), named(2)], (w, r) =>
    outcomes.push(`${w.commandId} ${r._tag === 'Left' ? r.left.kind : 'ok'}`),
  );
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await finish();
  const r = await running;
  assert.equal(r.disconnected, lost);
  assert.equal(log, ['run c/0', 'closed']);
  assert.equal(outcomes, ['c/0 connectionLost', 'c/1 connectionLost', 'c/2 connectionLost']);
});

test('a session the gateway reused is recycled by its own count and age, and retired, not kept', async () => {
  const log: string[] = [];
  let opened = 0;
  const gateway = {
    openSession: () => {
      const n = opened++;
      // The first session has run 985 commands before; the second is 14 minutes old; the third is new.
      const used = n === 0 ? { commands: 985, ageMs: 0 } : n === 1 ? { commands: 0, ageMs: 14 * 60_000 } : undefined;
      log.push(`open ${n}`);
      return Promise.resolve(
        right({
          ...(used ? { used } : {}),
          execute: () => {
            log.push(`run on ${n}`);
            return Promise.resolve(right(undefined));
          },
          close: (o?: { readonly retire?: boolean }) => {
            log.push(`close ${n}${o?.retire ? ' retire' : ''}`);
            return Promise.resolve();
          },
        }),
      );
    },
  } as unknown as ExchangeGateway;
  const ex = executor(gateway);
  await ex.run(
    Array.from({ length: 7 }, (_, i) => named(i)),
    () => undefined,
  );
  assert.equal(log, [
    'open 0',
    ...Array.from({ length: 5 }, () => 'run on 0'),
    'close 0 retire',
    'open 1',
    'close 1 retire',
    'open 2',
    'run on 2',
    'run on 2',
    'close 2',
  ]);
  assert.is(ex.counters.sessionsRecycled, 2);
});

test.run();
