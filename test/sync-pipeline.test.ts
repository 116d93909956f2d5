// The decide-and-execute pipeline (src/sync/pipeline.ts), on its org commands:
// after every mailbox command, the device access rules run side by side on the
// sessions, and the org settings only once every rule has its outcome; a
// stricter default is not sent when a rule failed, and quarantine notices wait
// until the org commands that enforce quarantines have all succeeded.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { Either } from 'fp-ts/lib/Either.js';
import { createEngine, type Engine } from '../src/engine.js';
import type { ExchangeCommand } from '../src/commands.js';
import type { EventStore, ExchangeError, ExchangeGateway, ExchangeSession } from '../src/ports.js';
import type { Policy } from '../src/policy.js';
import { simulateOrganization, type Simulation } from '../adapters/simulator/index.js';
import { memoryStore } from '../adapters/memory-store/index.js';
import { simulatedEngine } from './support/simulated-engine.js';
import { withAppend } from './support/wrapped-store.js';

const test = suite('sync pipeline');

interface Span {
  readonly kind: ExchangeCommand['kind'];
  readonly start: number;
  end: number;
  ok?: boolean;
}

/** The simulator's gateway, with every session command's span on one counter (start and end order). */
function timed(sim: Simulation): { exchange: ExchangeGateway; spans: Span[] } {
  const spans: Span[] = [];
  let tick = 0;
  const inner = sim.exchange;
  const exchange = Object.create(inner) as ExchangeGateway;
  exchange.openSession = async () => {
    const r = await inner.openSession();
    if (r._tag === 'Left') return r;
    const s = r.right;
    const session: ExchangeSession = {
      server: s.server,
      close: () => s.close(),
      async execute(c: ExchangeCommand): Promise<Either<ExchangeError, void>> {
        const span: Span = { kind: c.kind, start: tick++, end: -1 };
        spans.push(span);
        const out = await s.execute(c);
        span.end = tick++;
        span.ok = out._tag === 'Right';
        return out;
      },
    };
    return { _tag: 'Right', right: session };
  };
  return { exchange, spans };
}

const isRule = (k: Span['kind']) => k === 'newDeviceAccessRule' || k === 'setDeviceAccessRule' || k === 'removeDeviceAccessRule';

/**
 * Eight exceptions, none of them in Exchange yet, where an administrator's rule the policy does not name is,
 * and a default Exchange does not have: nine rule commands (eight made, one removed), then one settings command.
 */
const EXCEPTIONS: Policy['platformExceptions'] = [
  { type: 'family', name: 'BlackBerry', access: 'allow' },
  { type: 'family', name: 'WindowsPhone', access: 'block' },
  { type: 'family', name: 'Palm', access: 'block' },
  { type: 'family', name: 'Nokia', access: 'block' },
  { type: 'model', name: 'Lumia 950', access: 'allow' },
  { type: 'model', name: 'Treo 680', access: 'block' },
  { type: 'model', name: 'N95', access: 'quarantine' },
  { type: 'model', name: 'E71', access: 'quarantine' },
];

function setup(parallelism: number) {
  const sim = simulateOrganization({ devices: 60, seed: 5, latencyMs: 2 });
  const { exchange, spans } = timed(sim);
  const policy: Policy = { ...sim.policy, platformExceptions: EXCEPTIONS };
  const engine = createEngine({
    organization: sim.organization,
    exchange,
    intune: sim.intune,
    store: memoryStore(),
    policy,
    notifier: sim.notifier,
    parallelism,
  });
  return { sim, spans, engine };
}

test('runs the device access rules side by side, after every mailbox command and before the org settings', async () => {
  const { sim, spans, engine } = setup(4);
  const r = await engine.fullSync();
  assert.ok(r.success, JSON.stringify(r.errors));
  const rules = spans.filter((s) => isRule(s.kind));
  const settings = spans.filter((s) => s.kind === 'setOrgSettings');
  const mailboxes = spans.filter((s) => s.kind === 'setCasMailbox');
  assert.is(rules.length, 9);
  assert.is(settings.length, 1);
  assert.ok(mailboxes.length > 0);
  // Side by side: some rule starts before another ends, never more at once than the sessions.
  let most = 0;
  for (const a of rules) most = Math.max(most, rules.filter((b) => b.start <= a.start && a.start < b.end).length);
  assert.is(most, 4, 'four sessions, four rules at once');
  const firstRule = Math.min(...rules.map((s) => s.start));
  const lastRule = Math.max(...rules.map((s) => s.end));
  assert.ok(Math.max(...mailboxes.map((s) => s.end)) < firstRule, 'the rules wait for every mailbox command');
  assert.ok(lastRule < settings[0]!.start, 'the settings wait for every rule');
  // What Exchange has in the end is what the policy asks.
  const exchange = sim.exchange.state();
  assert.is(exchange.rules.length, 8);
  assert.is(exchange.orgSettings.defaultAccessLevel, 'Quarantine');
});

test('runs the rules one after another on one session when the sync has one', async () => {
  const { spans, engine } = setup(1);
  assert.ok((await engine.fullSync()).success);
  const rules = spans.filter((s) => isRule(s.kind));
  assert.is(rules.length, 9);
  for (let i = 1; i < rules.length; i++) assert.ok(rules[i - 1]!.end < rules[i]!.start);
});

const HELD = /^setOrgSettings: not sent: a device access rule command of this sync failed/;
/** Notices sent so far to users of devices the engine quarantines. */
function quarantineNotices(sim: Simulation, engine: Engine): number {
  const quarantined = new Set(
    engine
      .devices()
      .filter((d) => d.access === 'quarantine')
      .map((d) => d.deviceId),
  );
  return sim.notifier.sent.filter((n) => quarantined.has(n.deviceId)).length;
}

test('a rule that fails holds back a stricter default and the quarantine notices; the next full sync sends both', async () => {
  const { sim, spans, engine } = setup(4);
  sim.exchange.failNext(1, { kind: 'other', message: 'the rule could not be created' }, { cmdlet: 'New-ActiveSyncDeviceAccessRule' });
  const r = await engine.fullSync();
  assert.not.ok(r.success);
  assert.is(r.commands.failed, 2, 'the rule, and the settings not sent');
  assert.equal(
    r.errors.map((e) => e.kind),
    ['command.other', 'command.other'],
  );
  assert.match(r.errors[1]!.message, HELD);
  const rules = spans.filter((s) => isRule(s.kind));
  assert.is(rules.filter((s) => s.ok === false).length, 1);
  assert.is(rules.filter((s) => s.ok === true).length, 8);
  assert.not.ok(
    spans.some((s) => s.kind === 'setOrgSettings'),
    'the stricter default was not sent',
  );
  assert.is(sim.exchange.state().orgSettings.defaultAccessLevel, 'Allow');
  assert.ok(r.access.quarantine > 0);
  assert.is(quarantineNotices(sim, engine), 0, 'no one is told of a quarantine that is not in force');
  // The next full sync makes the missing rule, then the default; the quarantined are told now.
  const before = spans.length;
  const again = await engine.fullSync();
  assert.ok(again.success, JSON.stringify(again.errors));
  assert.equal(
    spans.slice(before).map((s) => s.kind),
    ['newDeviceAccessRule', 'setOrgSettings'],
  );
  assert.is(sim.exchange.state().orgSettings.defaultAccessLevel, 'Quarantine');
  assert.is(quarantineNotices(sim, engine), r.access.quarantine);
});

test('a rule that fails does not hold back settings that leave the default as it is', async () => {
  const { sim, spans, engine } = setup(4);
  // Exchange quarantines by default already: the settings command only corrects the notification fields.
  sim.exchange.setOrgSettings({ defaultAccessLevel: 'Quarantine' });
  sim.exchange.failNext(1, { kind: 'other', message: 'the rule could not be created' }, { cmdlet: 'New-ActiveSyncDeviceAccessRule' });
  const r = await engine.fullSync();
  assert.is(r.commands.failed, 1);
  assert.ok(spans.some((s) => s.kind === 'setOrgSettings' && s.ok === true));
  assert.not.match(r.errors.map((e) => e.message).join('\n'), 'not sent');
});

/** `exchange` with each session's commands run by `execute` (given the session). */
function sessionsWith(
  exchange: ExchangeGateway,
  execute: (s: ExchangeSession, c: ExchangeCommand) => Promise<Either<ExchangeError, void>>,
) {
  const open = exchange.openSession!.bind(exchange);
  exchange.openSession = async () => {
    const r = await open();
    if (r._tag === 'Left') return r;
    const s = r.right;
    return { _tag: 'Right', right: { server: s.server, close: () => s.close(), execute: (c: ExchangeCommand) => execute(s, c) } };
  };
}

/** One session, the loop let run between slices of deciding (as the CLI runs a sync). */
const oneSession = (sim: Simulation, exchange: ExchangeGateway, store: EventStore) =>
  createEngine({
    organization: sim.organization,
    exchange,
    intune: sim.intune,
    store,
    policy: sim.policy,
    parallelism: 1,
    yieldToLoop: () => new Promise<void>((r) => setImmediate(r)),
  });

test('deciding runs no further ahead of the sessions than 16 commands a session and one chunk', async () => {
  // One session, 2 ms a command, ~300 mailbox commands: unchecked, every mailbox was decided and its
  // intent recorded long before most commands ran.
  const sim = simulateOrganization({ devices: 400, seed: 7, latencyMs: 2 });
  const { exchange, spans } = timed(sim);
  const store = memoryStore();
  let intended = 0;
  const append = store.append.bind(store);
  store.append = (requests) => {
    for (const r of requests) for (const e of r.events) if (e.type === 'CommandIntended') intended++;
    return append(requests);
  };
  // Intents recorded and not yet started, seen as each command starts.
  let most = 0;
  sessionsWith(exchange, (s, c) => {
    most = Math.max(most, intended - spans.length);
    return s.execute(c);
  });
  const r = await oneSession(sim, exchange, store).fullSync();
  assert.ok(r.success, JSON.stringify(r.errors));
  const mailboxCommands = spans.filter((s) => s.kind === 'setCasMailbox').length;
  assert.ok(mailboxCommands > 200, `${mailboxCommands} mailbox commands`);
  // A chunk is at most 50 mailboxes, each with one Set-CasMailbox.
  assert.ok(most <= 16 + 50, `${most} commands decided ahead of the session`);
});

test('a sync whose sessions all fail with an exception ends, even with decisions waiting for the sessions', async () => {
  const sim = simulateOrganization({ devices: 400, seed: 7, latencyMs: 1 });
  const exchange = Object.create(sim.exchange) as ExchangeGateway;
  sessionsWith(exchange, () => Promise.reject(new Error('the adapter broke')));
  // Not a timing bound: a hang turns into a failure here instead of stopping the test run.
  let guard: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((r) => (guard = setTimeout(() => r('hung'), 60_000)));
  const outcome = await Promise.race([
    oneSession(sim, exchange, memoryStore())
      .fullSync()
      .then(
        (r) => r,
        (err: unknown) => err,
      ),
    hung,
  ]);
  clearTimeout(guard);
  assert.is.not(outcome, 'hung');
  const text = outcome instanceof Error ? outcome.message : JSON.stringify(outcome);
  assert.match(text, 'the adapter broke');
});

test("command outcomes recorded while mailboxes are decided go out in the next chunk's append, not one append each", async () => {
  const sim = simulateOrganization({ devices: 800, seed: 3, latencyMs: 1 });
  const inner = memoryStore();
  // Each append's event types, in order.
  const appends: string[][] = [];
  const store = withAppend(inner, (requests, next) => {
    appends.push(requests.flatMap((r) => r.events.map((e) => e.type)));
    return next(requests);
  });
  const engine = simulatedEngine(sim, { store, parallelism: 8, yieldToLoop: () => new Promise<void>((r) => setImmediate(r)) });
  const r = await engine.fullSync();
  assert.ok(r.success, JSON.stringify(r.errors));
  const isOutcome = (t: string) => t === 'CommandSucceeded' || t === 'CommandFailed';
  let lastIntents = -1;
  appends.forEach((a, i) => {
    if (a.includes('CommandIntended')) lastIntents = i;
  });
  const whileDeciding = appends.slice(0, lastIntents + 1);
  assert.ok(
    whileDeciding.some((a) => a.includes('CommandIntended') && a.some(isOutcome)),
    "outcomes went out with a later chunk's intents",
  );
  assert.equal(
    whileDeciding.filter((a) => a.length > 0 && a.every(isOutcome)).length,
    0,
    'no append of outcomes alone while mailboxes were decided',
  );
  // Every command's outcome is in the log once the sync is done.
  const outcomes = appends.flat().filter(isOutcome).length;
  assert.is(outcomes, r.commands.issued);
});

test.run();
