// Crash safety: the engine runs in a child process and is killed (SIGKILL) at
// every step of a sync in turn — after each append, before and after each
// command. After a restart on the same log and organization, Exchange's state
// equals the decisions, no command was applied twice, and no event is lost or
// duplicated.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRight } from 'fp-ts/lib/Either.js';
import { simulateOrganization, DEFAULT_NOW, type Simulation } from '../adapters/simulator/index.js';
import { readLog } from '../adapters/file-store/index.js';
import { replay } from '../projections/replay.js';
import type { ExchangeCommand } from '../src/commands.js';
import type { Policy } from '../src/policy.js';

const test = suite('crash safety');
const CHILD = fileURLToPath(new URL('./support/crash-child.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'eas-crash-'));
const DEVICES = 24;
const SEED = 71;

interface RunResult {
  killed: boolean;
  steps: number;
  success?: boolean;
}

/** Runs the child on `log` against `sim`; kills it when it announces step `killAt`. */
function runChild(sim: Simulation, log: string, killAt: number, action: string[] = [], policy: Policy = sim.policy): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [log, JSON.stringify(policy), String(DEFAULT_NOW), ...action], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let killed = false;
    let steps = 0;
    child.on('message', async (m: any) => {
      if (m.done) {
        resolve({ killed: false, steps: m.steps, success: m.success });
        return;
      }
      if (m.fatal) {
        reject(new Error(JSON.stringify(m.fatal)));
        return;
      }
      if (m.target === 'step') {
        steps = m.args[0];
        if (steps === killAt) {
          killed = true;
          child.kill('SIGKILL');
          return;
        }
        child.send({ id: m.id, result: undefined }, ignore);
        return;
      }
      const target = m.target === 'exchange' ? sim.exchange : m.target === 'intune' ? sim.intune : sim.notifier;
      let result = await (target as any)[m.method](...m.args);
      if (m.method === 'getGroupMembers' && result._tag === 'Right')
        result = { _tag: 'Right', right: [...result.right].map(([k, v]: [string, Set<string>]) => [k, [...v]]) };
      if (!killed && child.connected) child.send({ id: m.id, result }, ignore);
    });
    child.on('exit', () => {
      if (killed) resolve({ killed: true, steps });
    });
    // A reply racing the child's exit fails with EPIPE: that is the kill, not a fault.
    child.on('error', (err) => {
      if (!killed) reject(err);
    });
  });
}

const key = (c: ExchangeCommand) => JSON.stringify(c);
const ignore = () => {
  /* see the 'error' handler */
};

test('killed at every step of a sync, a restart leaves Exchange equal to the decisions, applies nothing twice and loses no event', async () => {
  // The reference: one uninterrupted run.
  const refSim = simulateOrganization({ devices: DEVICES, seed: SEED });
  const ref = await runChild(refSim, join(dir, 'ref.ndjson'), -1);
  assert.ok(ref.success);
  const totalSteps = ref.steps;
  const refCommands = refSim.exchange.commandLog.map(key).sort();
  assert.ok(totalSteps > 10, `a sync has steps to kill at (${totalSteps})`);

  // Group commit makes the number of appends vary a little from run to run:
  // go on killing at the next step until a run completes before reaching it.
  let exercised = 0;
  for (let k = 1; ; k++) {
    const sim = simulateOrganization({ devices: DEVICES, seed: SEED });
    const log = join(dir, `kill-${k}.ndjson`);
    const first = await runChild(sim, log, k);
    if (!first.killed) {
      assert.ok(first.steps < k);
      break;
    }
    const second = await runChild(sim, log, -1);
    assert.ok(second.success, `restart after a kill at step ${k} succeeds`);
    exercised++;

    // Exchange's own evaluation equals the decisions of the log.
    const scan = await readLog(log);
    assert.ok(isRight(scan));
    if (!isRight(scan)) return;
    assert.equal(scan.right.errors, [], `log valid after a kill at step ${k}`);
    const r = replay(scan.right.events);
    const ex = sim.evaluateAll();
    for (const d of r.deviceStates)
      assert.is(d.access, ex.get(d.deviceId.toLowerCase())?.access, `device ${d.deviceId} after a kill at step ${k}`);
    assert.is(r.deviceStates.length, DEVICES);
    assert.is(r.pendingIntents, 0);

    // No command applied twice: the same commands as the uninterrupted run, each once.
    assert.equal(sim.exchange.commandLog.map(key).sort(), refCommands, `commands applied after a kill at step ${k}`);

    // No event lost or duplicated: each intent has exactly one outcome; each partnership discovered once.
    const outcomes = new Map<string, number>();
    const discovered = new Map<string, number>();
    for (const e of scan.right.events) {
      if (e.type === 'CommandSucceeded' || e.type === 'CommandFailed') {
        const id = (e.data as { commandId: string }).commandId;
        outcomes.set(id, (outcomes.get(id) ?? 0) + 1);
      }
      if (e.type === 'PartnershipDiscovered') {
        const id = (e.data as { deviceId: string }).deviceId;
        discovered.set(id, (discovered.get(id) ?? 0) + 1);
      }
    }
    const intents = scan.right.events.filter((e) => e.type === 'CommandIntended').map((e) => (e.data as { commandId: string }).commandId);
    for (const id of intents) assert.is(outcomes.get(id), 1, `intent ${id} after a kill at step ${k}`);
    assert.ok([...discovered.values()].every((n) => n === 1));
    assert.is(discovered.size, DEVICES);
  }
  console.log(`crash safety: ${exercised} kill points exercised (the uninterrupted ${DEVICES}-device full sync had ${totalSteps} steps)`);
  // The loop ended with a run shorter than the next kill point: each of its steps was a kill point before.
  assert.ok(exercised > 20, `${exercised} kill points`);
});

for (const action of ['grant', 'revoke'] as const) {
  test(`killed at every step of an override ${action === 'grant' ? 'grant' : 'revoke'} and its quick sync, a retry records it once and Exchange ends as decided`, async () => {
    // The organization and log before the action: a full sync (and, to revoke, a granted and enforced override).
    const prepare = async (name: string) => {
      const sim = simulateOrganization({ devices: DEVICES, seed: SEED });
      const log = join(dir, `${action}-${name}.ndjson`);
      assert.ok((await runChild(sim, log, -1)).success);
      const scan = await readLog(log);
      if (!isRight(scan)) throw new Error('read');
      const target = replay(scan.right.events).deviceStates.find((d) => d.access === 'quarantine')!.deviceId;
      if (action === 'revoke') assert.ok((await runChild(sim, log, -1, ['grant', target])).success);
      return { sim, log, target, commandsBefore: sim.exchange.commandLog.length };
    };
    const ref = await prepare('ref');
    const refRun = await runChild(ref.sim, ref.log, -1, [action, ref.target]);
    assert.ok(refRun.success);
    const refCommands = ref.sim.exchange.commandLog.slice(ref.commandsBefore).map(key).sort();
    assert.is(refCommands.length, 1, 'the action changes one mailbox');
    let exercised = 0;
    for (let k = 1; ; k++) {
      const p = await prepare(`kill-${k}`);
      const first = await runChild(p.sim, p.log, k, [action, p.target]);
      if (!first.killed) break;
      assert.ok((await runChild(p.sim, p.log, -1, [action, p.target])).success, `restart after a kill at step ${k}`);
      exercised++;
      const scan = await readLog(p.log);
      if (!isRight(scan)) throw new Error('read');
      assert.equal(scan.right.errors, []);
      const type = action === 'grant' ? 'OverrideGranted' : 'OverrideRevoked';
      assert.is(scan.right.events.filter((e) => e.type === type).length, 1, `one ${type} after a kill at step ${k}`);
      const r = replay(scan.right.events);
      const d = r.deviceStates.find((x) => x.deviceId === p.target)!;
      assert.is(d.reason, action === 'grant' ? 'adminOverride' : 'notEnrolled', `decision after a kill at step ${k}`);
      const ex = p.sim.evaluateAll();
      for (const x of r.deviceStates)
        assert.is(x.access, ex.get(x.deviceId.toLowerCase())?.access, `device ${x.deviceId} after a kill at step ${k}`);
      assert.is(r.pendingIntents, 0);
      assert.equal(p.sim.exchange.commandLog.slice(p.commandsBefore).map(key).sort(), refCommands, `commands after a kill at step ${k}`);
    }
    console.log(`crash safety: override ${action}: ${exercised} kill points exercised`);
    assert.ok(exercised >= 3, `${exercised} kill points`);
  });
}

test('killed at every step of a wipe request and the quick sync that sends it, a retry sends Clear-MobileDevice once', async () => {
  const prepare = async (name: string) => {
    const sim = simulateOrganization({ devices: DEVICES, seed: SEED });
    const log = join(dir, `wipe-${name}.ndjson`);
    assert.ok((await runChild(sim, log, -1)).success);
    const scan = await readLog(log);
    if (!isRight(scan)) throw new Error('read');
    const target = replay(scan.right.events).deviceStates[3]!.deviceId;
    return { sim, log, target, commandsBefore: sim.exchange.commandLog.length };
  };
  const ref = await prepare('ref');
  assert.ok((await runChild(ref.sim, ref.log, -1, ['wipe', ref.target])).success);
  const refCommands = ref.sim.exchange.commandLog.slice(ref.commandsBefore).map(key);
  assert.equal(
    refCommands.map((c) => JSON.parse(c).kind),
    ['clearMobileDevice'],
    'the wipe is the only command',
  );
  let exercised = 0;
  for (let k = 1; ; k++) {
    const p = await prepare(`kill-${k}`);
    const first = await runChild(p.sim, p.log, k, ['wipe', p.target]);
    if (!first.killed) break;
    assert.ok((await runChild(p.sim, p.log, -1, ['wipe', p.target])).success, `restart after a kill at step ${k}`);
    exercised++;
    const scan = await readLog(p.log);
    if (!isRight(scan)) throw new Error('read');
    assert.equal(scan.right.errors, []);
    assert.is(scan.right.events.filter((e) => e.type === 'WipeRequested').length, 1, `one WipeRequested after a kill at step ${k}`);
    // Exchange saw exactly one wipe: a crash after it was applied is judged applied, never sent again.
    assert.equal(p.sim.exchange.commandLog.slice(p.commandsBefore).map(key), refCommands, `commands after a kill at step ${k}`);
    assert.ok(p.sim.exchange.statistics(p.target)?.deviceWipeRequestTime !== undefined);
    const r = replay(scan.right.events);
    assert.is(r.pendingIntents, 0);
    assert.is(r.deviceStates.find((d) => d.deviceId === p.target)?.wipe, 'sent', `wipe stage after a kill at step ${k}`);
  }
  console.log(`crash safety: wipe: ${exercised} kill points exercised`);
  assert.ok(exercised >= 3, `${exercised} kill points`);
});

test('killed at every step of a full sync that removes stale partnerships, a restart removes each once and records each removal once', async () => {
  const STALE = 3;
  const prepare = async (name: string) => {
    const sim = simulateOrganization({ devices: DEVICES, seed: SEED });
    const log = join(dir, `cleanup-${name}.ndjson`);
    assert.ok((await runChild(sim, log, -1)).success);
    // Every phone recent, then three idle for 200 days: two are removed now (the cap), one waits.
    const ids = sim.exchange.state().devices.map((d) => d.deviceId);
    for (const id of ids) sim.exchange.setLastSuccessSync(id, DEFAULT_NOW - 3_600_000);
    const stale = ids.slice(0, STALE);
    for (const id of stale) sim.exchange.setLastSuccessSync(id, DEFAULT_NOW - 200 * 86_400_000);
    return { sim, log, stale, commandsBefore: sim.exchange.commandLog.length };
  };
  const cleanupPolicy = (sim: Simulation): Policy => ({ ...sim.policy, removeStaleAfterDays: 90, maxRemovalsPerSync: 2 });
  const ref = await prepare('ref');
  assert.ok((await runChild(ref.sim, ref.log, -1, [], cleanupPolicy(ref.sim))).success);
  const refCommands = ref.sim.exchange.commandLog.slice(ref.commandsBefore).map(key).sort();
  const refRemovals = refCommands.filter((c) => JSON.parse(c).kind === 'removeMobileDevice');
  assert.is(refRemovals.length, 2, 'at most maxRemovalsPerSync removals');
  let exercised = 0;
  for (let k = 1; ; k++) {
    const p = await prepare(`kill-${k}`);
    const first = await runChild(p.sim, p.log, k, [], cleanupPolicy(p.sim));
    if (!first.killed) break;
    assert.ok((await runChild(p.sim, p.log, -1, [], cleanupPolicy(p.sim))).success, `restart after a kill at step ${k}`);
    exercised++;
    const scan = await readLog(p.log);
    if (!isRight(scan)) throw new Error('read');
    assert.equal(scan.right.errors, []);
    const removals = p.sim.exchange.commandLog.slice(p.commandsBefore).filter((c) => c.kind === 'removeMobileDevice');
    // Each partnership removed once; a kill after a removal was applied is judged by Exchange, so a restart may pick
    // the third stale phone once the first two are gone, but never removes one twice.
    const removedIds = removals.map((c) => (c as { deviceId: string }).deviceId);
    assert.is(new Set(removedIds).size, removedIds.length, `no partnership removed twice after a kill at step ${k}`);
    assert.ok(
      removedIds.every((id) => p.stale.includes(id)),
      'only stale ones',
    );
    const stale = scan.right.events.filter((e) => e.type === 'PartnershipStale').map((e) => (e.data as { deviceId: string }).deviceId);
    const gone = scan.right.events
      .filter((e) => e.type === 'PartnershipRemoved' && (e.data as { commandId?: string }).commandId !== undefined)
      .map((e) => (e.data as { deviceId: string }).deviceId);
    assert.equal([...gone].sort(), [...removedIds].sort(), `one PartnershipRemoved per removal after a kill at step ${k}`);
    assert.ok(
      removedIds.every((id) => stale.includes(id)),
      'each removal has its PartnershipStale',
    );
    const r = replay(scan.right.events);
    assert.is(r.pendingIntents, 0);
    const ex = p.sim.evaluateAll();
    for (const x of r.deviceStates)
      assert.is(x.access, ex.get(x.deviceId.toLowerCase())?.access, `device ${x.deviceId} after a kill at step ${k}`);
    assert.is(r.deviceStates.length, DEVICES - removedIds.length);
  }
  console.log(`crash safety: stale clean-up: ${exercised} kill points exercised`);
  assert.ok(exercised >= 5, `${exercised} kill points`);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
