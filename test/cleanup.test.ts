// Stale partnership clean-up: which partnerships a full sync removes
// (properties of selectStale), the removals end to end through the engine and
// the simulated Exchange, the cap, the exclusions, churn that never makes the
// engine's state grow, and the dry run of `eas-sync plan --statistics`.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { selectStale, identityKey, mailboxesToRead } from '../src/cleanup.js';
import { createEngine } from '../src/engine.js';
import { evolveMailbox, initialMailboxState, type MailboxState } from '../src/mailbox.js';
import { event, mailboxStream } from '../src/events.js';
import { simulateOrganization, DEFAULT_NOW, type Simulation } from '../adapters/simulator/index.js';
import { memoryStore } from '../adapters/memory-store/index.js';
import { openFileStore } from '../adapters/file-store/index.js';
import { policyDocument } from '../src/policy.js';
import { explain, replay } from '../projections/index.js';
import { device, mailbox, policy as testPolicy } from './support/builders.js';
import { SAMPLE_PLAN } from './support/sample-plan.js';
import type { MobileDeviceStatistics } from '../src/facts.js';
import type { Policy } from '../src/policy.js';

const test = suite('stale partnership clean-up');
const DAY = 86_400_000;
const AT = DEFAULT_NOW;

// ------------------------------------------------------------------ the choice (pure)
const mailboxes = ['Kim Akers', 'Pilar Ackerman', 'Ben Andrews'].map((n) => mailbox(n));
const candidate = fc.record({
  owner: fc.nat({ max: 2 }),
  idleDays: fc.option(fc.integer({ min: 0, max: 800 }), { nil: undefined }),
  // Days between the first sync and the last successful one (a phone syncs after its first sync).
  activeDays: fc.integer({ min: 0, max: 1200 }),
  override: fc.constantFrom(false, false, false, true),
  wipe: fc.constantFrom(false, false, false, true),
});

test('never removes a device under an override, of an excluded user, or with a wipe outstanding; at most the maximum, the longest idle first (property)', () => {
  fc.assert(
    fc.property(
      fc.array(candidate, { minLength: 1, maxLength: 30 }),
      fc.integer({ min: 7, max: 400 }),
      fc.integer({ min: 0, max: 10 }),
      fc.nat({ max: 2 }),
      (cands, afterDays, max, excludedOwner) => {
        const firstSyncDaysAgo = (c: (typeof cands)[number]) => (c.idleDays ?? 0) + c.activeDays;
        const devices = cands.map((c, i) =>
          device(mailboxes[c.owner]!, `Dev${i}`, { firstSyncTime: new Date(AT - firstSyncDaysAgo(c) * DAY).toISOString() }),
        );
        const statistics = new Map<string, MobileDeviceStatistics>(
          devices.map((d, i) => [
            identityKey(d.identity),
            {
              identity: d.identity,
              deviceId: d.deviceId,
              ...(cands[i]!.idleDays !== undefined ? { lastSuccessSync: new Date(AT - cands[i]!.idleDays * DAY).toISOString() } : {}),
            },
          ]),
        );
        // The engine's state: overrides in force and wipes outstanding where the candidate says so.
        const state = new Map<string, MailboxState>();
        devices.forEach((d, i) => {
          const stream = mailboxStream('contoso', mailboxes[cands[i]!.owner]!.identity);
          let s = state.get(stream) ?? initialMailboxState;
          s = evolveMailbox(
            s,
            event('PartnershipDiscovered', {
              deviceId: d.deviceId,
              identity: d.identity,
              deviceType: d.deviceType,
              deviceModel: d.deviceModel,
            }),
          );
          if (cands[i]!.override)
            s = evolveMailbox(
              s,
              event('OverrideGranted', {
                overrideId: `o${i}`,
                deviceId: d.deviceId,
                access: 'allow',
                from: '',
                until: new Date(AT + DAY).toISOString(),
                reason: 'r',
                by: 'b',
              }),
            );
          if (cands[i]!.wipe)
            s = evolveMailbox(s, {
              ...event('WipeRequested', { wipeId: `w${i}`, deviceId: d.deviceId, accountOnly: false, reason: 'r', by: 'b' }),
              at: '',
            } as never);
          state.set(stream, s);
        });
        const excludedUser = mailboxes[excludedOwner]!.primarySmtpAddress;
        const policy: Policy = { ...testPolicy({ excludedGroups: ['g-x'] }), removeStaleAfterDays: afterDays, maxRemovalsPerSync: max };
        const groups = new Map([
          ['g-all', new Set(mailboxes.map((m) => m.primarySmtpAddress))],
          ['g-x', new Set([excludedUser])],
        ]);
        const sel = selectStale({ organization: 'contoso', policy, atMs: AT, devices, mailboxes, groups, statistics, state });
        const idle = (i: number) => cands[i]!.idleDays ?? firstSyncDaysAgo(cands[i]!);
        const eligible = cands
          .map((c, i) => i)
          .filter((i) => idle(i) >= afterDays && !cands[i]!.override && !cands[i]!.wipe && cands[i]!.owner !== excludedOwner);
        const chosen = sel.chosen.map((r) => Number(r.deviceId.slice(3)));
        assert.ok(chosen.length <= max);
        assert.is(chosen.length, Math.min(max, eligible.length));
        assert.is(sel.deferred, eligible.length - chosen.length);
        for (const i of chosen) assert.ok(eligible.includes(i), `Dev${i} may be removed`);
        const minChosen = Math.min(...chosen.map(idle));
        for (const i of eligible) if (!chosen.includes(i)) assert.ok(idle(i) <= minChosen, 'the longest idle first');
        const stale = cands.map((c, i) => i).filter((i) => idle(i) >= afterDays);
        assert.is(sel.kept.override + sel.kept.wipe + sel.kept.excludedGroup + eligible.length, stale.length);
      },
    ),
    { numRuns: 300 },
  );
});

test('removes nothing unless the policy asks, and judges nothing without statistics', () => {
  const d = device(mailboxes[0]!, 'Old1', { firstSyncTime: new Date(AT - 900 * DAY).toISOString() });
  const args = { organization: 'contoso', atMs: AT, devices: [d], mailboxes, groups: new Map(), state: new Map() };
  assert.equal(
    selectStale({
      ...args,
      policy: testPolicy(),
      statistics: new Map([[identityKey(d.identity), { identity: d.identity, deviceId: d.deviceId }]]),
    }).chosen,
    [],
  );
  const sel = selectStale({ ...args, policy: { ...testPolicy(), removeStaleAfterDays: 30 }, statistics: new Map() });
  assert.equal({ chosen: sel.chosen.length, unknown: sel.unknown }, { chosen: 0, unknown: 1 });
});

test("a full sync reads at most its share of the mailboxes' statistics: a different share each day, every mailbox within ceil(n / share) days (property)", () => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 300 }),
      fc.integer({ min: 1, max: 120 }),
      fc.nat({ max: 5000 }),
      (names, perSync, day) => {
        const shares = Math.max(1, Math.ceil(names.length / perSync));
        const seen = new Set<string>();
        for (let d = day; d < day + shares; d++) {
          const today = mailboxesToRead(names, perSync, d * DAY + 3_600_000);
          assert.ok(today.length <= perSync);
          assert.equal(
            mailboxesToRead([...names].reverse(), perSync, d * DAY + 7_200_000).sort(),
            [...today].sort(),
            'the same share all day, whatever the order given',
          );
          for (const n of today) {
            assert.not.ok(seen.has(n), 'each mailbox once per round');
            seen.add(n);
          }
        }
        assert.is(seen.size, names.length);
      },
    ),
    { numRuns: 200 },
  );
});

// ------------------------------------------------------------------ end to end
async function org(devices: number, o: { idleShare?: number; policy?: Partial<Policy> } = {}) {
  const clock = { now: AT };
  const sim = simulateOrganization({
    devices,
    seed: 21,
    clock: () => clock.now,
    ...(o.idleShare !== undefined ? { idleShare: o.idleShare } : {}),
  });
  const store = memoryStore();
  const policy: Policy = { ...sim.policy, ...o.policy };
  const engine = createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store,
    policy,
    clock: { now: () => clock.now },
  });
  const log = async () => {
    const r = await store.readAll();
    if (isLeft(r)) throw new Error('read');
    return r.right;
  };
  return { sim, engine, store, clock, log, policy };
}

/** The partnerships of the simulation that are stale at AT for `days`, and whether their user is excluded. */
function staleOf(sim: Simulation, days: number) {
  return sim.exchange
    .state()
    .devices.filter((d) => {
      const s = sim.exchange.statistics(d.deviceId)!;
      return Date.parse(s.lastSuccessSync ?? d.firstSyncTime!) <= AT - days * DAY;
    })
    .map((d) => d.deviceId);
}

test('a full sync removes the stale partnerships with Remove-MobileDevice, one PartnershipStale and one removal each, their engine-written entries released', async () => {
  const r = await org(400, { idleShare: 0.08, policy: { removeStaleAfterDays: 90 } });
  const members = await r.sim.intune.getGroupMembers([r.sim.groups.excluded]);
  if (isLeft(members)) throw new Error('groups');
  const excluded = members.right.get(r.sim.groups.excluded)!;
  const stale = staleOf(r.sim, 90);
  const byId = new Map(r.sim.exchange.state().devices.map((d) => [d.deviceId, d]));
  const userOf = (id: string) => r.sim.exchange.state().mailboxes.find((m) => byId.get(id)!.identity.startsWith(m.identity))!;
  const removable = stale.filter((id) => !excluded.has(userOf(id).primarySmtpAddress.toLowerCase()));
  assert.ok(removable.length >= 10, `the simulation has stale partnerships (${removable.length})`);

  // A first sync without clean-up decides and enforces them (list entries the engine then owns).
  const engine0 = createEngine({
    organization: r.sim.organization,
    exchange: r.sim.exchange,
    intune: r.sim.intune,
    store: r.store,
    policy: r.sim.policy,
    clock: { now: () => r.clock.now },
  });
  assert.ok((await engine0.fullSync()).success);
  // The entries the engine wrote (and still owns) before the clean-up.
  const written = new Set<string>();
  for (const c of r.sim.exchange.commandLog) {
    if (c.kind !== 'setCasMailbox') continue;
    for (const id of [...c.allowedDeviceIds.remove, ...c.blockedDeviceIds.remove]) written.delete(id.toLowerCase());
    for (const id of [...c.allowedDeviceIds.add, ...c.blockedDeviceIds.add]) written.add(id.toLowerCase());
  }
  const releasable = removable.filter((id) => written.has(id.toLowerCase()));
  assert.ok(releasable.length > 0, 'some stale partnerships have entries the engine wrote');

  const report = await r.engine.fullSync();
  assert.ok(report.success, JSON.stringify(report.errors));
  assert.equal(
    { stale: report.lifecycle.stale, removed: report.lifecycle.removed, deferred: report.lifecycle.deferred },
    { stale: removable.length, removed: removable.length, deferred: 0 },
  );
  const removedCommands = r.sim.exchange.commandLog
    .filter((c) => c.kind === 'removeMobileDevice')
    .map((c) => (c as { deviceId: string }).deviceId);
  assert.equal([...removedCommands].sort(), [...removable].sort());
  for (const id of removable) assert.is(r.sim.exchange.device(id), undefined, `${id} gone from Exchange`);
  const log = await r.log();
  const ids = (type: string) =>
    log
      .filter((e) => e.type === type)
      .map((e) => (e.data as { deviceId: string }).deviceId)
      .sort();
  assert.equal(ids('PartnershipStale'), [...removable].sort());
  assert.equal(
    log
      .filter((e) => e.type === 'PartnershipRemoved' && (e.data as { commandId?: string }).commandId)
      .map((e) => (e.data as { deviceId: string }).deviceId)
      .sort(),
    [...removable].sort(),
  );
  // No removed partnership keeps an entry the engine wrote (the user's own entries are not the engine's to remove).
  const lists = r.sim.exchange
    .state()
    .mailboxes.flatMap((m) => [...m.allowedDeviceIds, ...m.blockedDeviceIds])
    .map((x) => x.toLowerCase());
  for (const id of releasable) assert.not.ok(lists.includes(id.toLowerCase()), `${id}'s entries released`);
  assert.is(r.engine.devices().length, 400 - removable.length);
  assert.is(replay(log).deviceStates.length, 400 - removable.length);
  // explain tells the removal: why (stale since when), the command, and that the partnership is gone.
  const x = explain(log, removable[0]!);
  if (isLeft(x)) throw new Error(x.left.message);
  assert.is(x.right.present, false);
  const lines = x.right.timeline.map((t) => t.summary).join('\n');
  assert.match(
    lines,
    /stale: (no successful sync since \S+|never synced successfully) \(removed after 90 days\); chosen for removal by sync-2/,
  );
  assert.match(lines, /Remove-MobileDevice sync-2\/\d+\/remove-\d+ accepted by Exchange/);
  assert.match(lines, /partnership removed by the engine's Remove-MobileDevice/);
  // Excluded users' stale phones are kept.
  for (const id of stale.filter((x) => !removable.includes(x))) assert.ok(r.sim.exchange.device(id), `${id} kept`);
  // The next full sync finds nothing more to remove; a quick sync never removes.
  assert.is((await r.engine.fullSync()).lifecycle.removed, 0);
});

test('at most maxRemovalsPerSync per full sync: the rest wait (a warning says how many), the longest idle go first', async () => {
  const r = await org(300, { idleShare: 0.1, policy: { removeStaleAfterDays: 60, maxRemovalsPerSync: 5, excludedGroups: [] } });
  const stale = staleOf(r.sim, 60);
  assert.ok(stale.length > 10);
  const first = await r.engine.fullSync();
  assert.is(first.lifecycle.removed, 5);
  assert.is(first.lifecycle.deferred, stale.length - 5);
  assert.ok(first.warnings.some((w) => w.kind === 'removalsDeferred'));
  const q = await r.engine.quickSync();
  assert.is(q.lifecycle.removed, 0, 'a quick sync never removes');
  let total = 5;
  while (total < stale.length) {
    const f = await r.engine.fullSync();
    assert.ok(f.lifecycle.removed > 0 && f.lifecycle.removed <= 5);
    total += f.lifecycle.removed;
  }
  assert.is(total, stale.length);
});

test('a device under an override in force is never removed, however idle', async () => {
  const r = await org(120, { idleShare: 0.2, policy: { removeStaleAfterDays: 60, excludedGroups: [] } });
  // Decided first without clean-up (an override needs a decision), then the connector's policy removes stale phones.
  const engine0 = createEngine({
    organization: r.sim.organization,
    exchange: r.sim.exchange,
    intune: r.sim.intune,
    store: r.store,
    policy: { ...r.sim.policy, excludedGroups: [] },
    clock: { now: () => r.clock.now },
  });
  assert.ok((await engine0.fullSync()).success);
  const stale = staleOf(r.sim, 60);
  const governed = engine0.devices().filter((d) => d.governed && stale.includes(d.deviceId));
  assert.ok(governed.length > 1, 'stale governed phones');
  const keep = governed[0]!.deviceId;
  const g = await r.engine.grantOverride({ deviceId: keep, access: 'allow', untilMs: AT + 5 * DAY, reason: 'on sabbatical', by: 'alice' });
  assert.ok(isRight(g));
  await r.engine.fullSync();
  assert.ok(r.sim.exchange.device(keep), 'kept');
  assert.ok(
    stale.filter((x) => x !== keep).every((x) => r.sim.exchange.device(x) === undefined),
    'the others are gone',
  );
});

test('churn: thousands of phones reset under new ids, the old partnerships aged out — the engine keeps as many partnerships as Exchange has', async () => {
  const r = await org(200, { idleShare: 0, policy: { removeStaleAfterDays: 30, maxRemovalsPerSync: 2000, excludedGroups: [] } });
  assert.ok((await r.engine.fullSync()).success);
  const mailboxIds = r.sim.exchange.state().mailboxes.map((m) => m.identity);
  for (let round = 0; round < 10; round++) {
    // Every phone resets: a new DeviceId syncs from then on, the old one never again.
    const fresh = r.sim.exchange
      .state()
      .devices.map(
        (_, i) => r.sim.exchange.addPartnership({ mailbox: mailboxIds[i % mailboxIds.length]!, deviceId: `Appl${round}R${i}X` }).deviceId,
      );
    r.clock.now += 31 * DAY;
    for (const id of fresh) r.sim.exchange.deviceSynced(id, r.clock.now - 3_600_000);
    assert.ok((await r.engine.quickSync()).success);
    const f = await r.engine.fullSync();
    assert.ok(f.success, JSON.stringify(f.errors.slice(0, 3)));
    assert.is(f.lifecycle.removed, fresh.length, `round ${round}: every old partnership aged out`);
    assert.is(r.sim.exchange.state().devices.length, fresh.length);
    assert.is(r.engine.devices().length, fresh.length, `round ${round}: the engine keeps Exchange's partnerships, no more`);
  }
  const log = await r.log();
  const rp = replay(log);
  assert.is(rp.deviceStates.length, r.sim.exchange.state().devices.length, 'replay keeps no record of removed partnerships');
  assert.ok(log.filter((e) => e.type === 'PartnershipRemoved').length >= 2000, 'thousands of ids churned');
  assert.is(rp.pendingIntents, 0, 'no intent left pending');
});

// ------------------------------------------------------------------ the dry run
const MAIN = fileURLToPath(new URL('../adapters/cli/main.js', import.meta.url));
const EXPORTS = fileURLToPath(new URL('../../examples/exports/', import.meta.url));

test('plan --statistics lists the partnerships a full sync would remove and prints Remove-MobileDevice for review, touching nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eas-cleanup-plan-'));
  try {
    for (const f of ['get-mobiledevice.json', 'get-casmailbox.json', 'managed-devices.json', 'groups.json'])
      copyFileSync(join(EXPORTS, f), join(dir, f));
    const policy = JSON.parse(readFileSync(join(EXPORTS, 'policy.json'), 'utf8'));
    writeFileSync(join(dir, 'policy.json'), JSON.stringify({ ...policy, removeStaleAfterDays: 90 }));
    const at = Date.parse('2026-11-26T08:00:00Z');
    const date = (ms: number | null) => (ms === null ? null : `/Date(${ms})/`);
    const recent = at - 2 * 3_600_000;
    const last: Record<string, number | null> = {
      ApplC39GQ9UJDTDM: at - 200 * DAY, // Kim: stale
      BB2A61F0C7: null, // Ben's BlackBerry: never synced since 2019
      ApplZ9X8C7V6B5N4: at - 300 * DAY, // Chris Preston: stale, but in the excluded group
    };
    const devices = JSON.parse(
      readFileSync(join(EXPORTS, 'get-mobiledevice.json'))
        .toString('utf16le')
        .replace(/^\uFEFF/, ''),
    ) as Array<{ Identity: string; DeviceId: string }>;
    writeFileSync(
      join(dir, 'stats.json'),
      JSON.stringify(
        devices.map((d) => ({
          Identity: d.Identity,
          DeviceId: d.DeviceId,
          LastSuccessSync: date(d.DeviceId in last ? last[d.DeviceId]! : recent),
          Status: 'DeviceOk',
        })),
      ),
    );
    const run = (...extra: string[]) =>
      spawnSync(process.execPath, [MAIN, ...SAMPLE_PLAN, ...extra], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    const missing = run('--json');
    assert.is(missing.status, 2, 'removeStaleAfterDays without --statistics is a usage error');
    assert.match(missing.stderr, /--statistics/);
    const j = run('--statistics', 'stats.json', '--json');
    assert.is(j.status, 0, j.stderr);
    const out = JSON.parse(j.stdout);
    assert.equal(
      out.removals.map((x: { deviceId: string }) => x.deviceId),
      ['BB2A61F0C7', 'ApplC39GQ9UJDTDM'],
      'the longest idle first; the excluded user kept',
    );
    assert.is(out.cleanup.kept.excludedGroup, 1);
    assert.not.ok(
      out.devices.some((d: { deviceId: string }) => d.deviceId === 'ApplC39GQ9UJDTDM'),
      'a removed partnership is not decided',
    );
    const ps = run('--statistics', 'stats.json', '--format', 'powershell');
    assert.is(ps.status, 0, ps.stderr);
    assert.match(
      ps.stdout,
      /Remove-MobileDevice -Identity 'contoso\.com\/Users\/Kim Akers\/ExchangeActiveSyncDevices\/iPhone§ApplC39GQ9UJDTDM' -Confirm:\$false/,
    );
    // A malformed statistics record is named by file and path.
    writeFileSync(join(dir, 'bad.json'), JSON.stringify([{ Identity: 'x', DeviceId: 'y', LastSuccessSync: 'yesterday' }]));
    const bad = run('--statistics', 'bad.json', '--json');
    assert.is(bad.status, 2);
    assert.match(bad.stderr, /bad\.json.*LastSuccessSync/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('what-if --statistics over a log lists exactly the partnerships the next full sync removes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'eas-cleanup-whatif-'));
  try {
    const log = join(dir, 'log.ndjson');
    const sim = simulateOrganization({ devices: 300, seed: 33, idleShare: 0.1 });
    const engineOn = async (policy: Policy) => {
      const opened = await openFileStore(log);
      if (isLeft(opened)) throw new Error(opened.left.kind);
      const engine = createEngine({
        organization: sim.organization,
        exchange: sim.exchange,
        intune: sim.intune,
        store: opened.right,
        policy,
        clock: { now: () => AT },
      });
      return { engine, close: () => opened.right.close() };
    };
    const first = await engineOn(sim.policy);
    assert.ok((await first.engine.fullSync()).success);
    await first.close();
    const cleanup: Policy = { ...sim.policy, removeStaleAfterDays: 90, maxRemovalsPerSync: 12 };
    writeFileSync(join(dir, 'policy.json'), JSON.stringify(policyDocument(cleanup)));
    const stats = sim.exchange.state().devices.map((d) => {
      const x = sim.exchange.statistics(d.deviceId)!;
      return { Identity: x.identity, DeviceId: x.deviceId, LastSuccessSync: x.lastSuccessSync ?? null, Status: x.status ?? null };
    });
    writeFileSync(join(dir, 'stats.json'), JSON.stringify(stats));
    const w = spawnSync(
      process.execPath,
      [MAIN, 'what-if', log, '--policy', 'policy.json', '--statistics', 'stats.json', '--at', new Date(AT).toISOString(), '--json'],
      { cwd: dir, encoding: 'utf8', timeout: 60_000 },
    );
    assert.is(w.status, 0, w.stderr);
    const predicted = (JSON.parse(w.stdout).cleanup.removals as Array<{ deviceId: string }>).map((x) => x.deviceId);
    assert.is(predicted.length, 12, 'capped as the sync is');
    const noStats = spawnSync(process.execPath, [MAIN, 'what-if', log, '--policy', 'policy.json'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.match(noStats.stdout, /pass --statistics FILE to see which/);

    const second = await engineOn(cleanup);
    const r = await second.engine.fullSync();
    await second.close();
    assert.ok(r.success);
    const removed = sim.exchange.commandLog.filter((c) => c.kind === 'removeMobileDevice').map((c) => (c as { deviceId: string }).deviceId);
    assert.equal([...removed].sort(), [...predicted].sort());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
