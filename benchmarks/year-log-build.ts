// Builds the log of an organization after a year of operation (benchmarks/year-log.ts).
//
// Days 0 and 1 are real: the engine runs against the simulator (zero latency)
// through the file store: the first full sync, then each day 96 quick syncs
// (every 15 minutes) and one full sync (02:00), with churn applied to the
// simulated tenant between syncs: new partnerships (half of them enrolled in
// Intune), removed partnerships, compliance flips. Day 1 also changes the
// policy (the BlackBerry exception goes from allow to block: a new engine with
// the new policy, as a restart with an edited policy file would be).
//
// Days 2..N are synthesized from the real days: each is a copy of day 0's
// events (day 1's on the policy days), appended through the file store's
// append with every sync id and command id renamed, `at` moved to the day, and
// the policy revision numbered on (PolicyChanged, and AccessDecided's
// policyRevision). Same event types, shapes and sizes as the engine writes;
// the devices named are the real days' (so the year's final population is
// the real days', not a year of growth). Each synthesized day is one append
// (one fsync); the log format does not record batches.
import { isLeft } from 'fp-ts/lib/Either.js';
import { createEngine } from '../src/engine.js';
import type { AppendRequest, NewEvent, StoredEvent } from '../src/ports.js';
import type { Policy } from '../src/policy.js';
import { simulateOrganization, type Simulation } from '../adapters/simulator/index.js';
import { openFileStore, type FileStore } from '../adapters/file-store/index.js';

export interface YearOptions {
  readonly path: string;
  readonly devices: number;
  readonly days: number;
  /** Churn per day, as shares of the devices. */
  readonly churn?: { readonly added: number; readonly removed: number; readonly flips: number };
  /** Days (1-based after the first) on which the policy changes (day 1 is always one). */
  readonly policyDays?: readonly number[];
  /** After each day (-1: after the first full sync), with the day's events. */
  readonly onDay?: (day: number, events: number) => void;
}

export interface YearLog {
  readonly events: number;
  /** Events and positions of the first full sync (day 0's start), and where each day ends. */
  readonly firstSyncEvents: number;
  readonly dayEnds: number[];
  /** Position of the last event of the year's last full sync: where the daily snapshot would be. */
  readonly lastFullSyncEnd: number;
}

const DAY = 86_400_000;
export const DEFAULT_CHURN = { added: 0.0012, removed: 0.001, flips: 0.005 };

async function must<A>(what: string, p: Promise<import('fp-ts/lib/Either.js').Either<{ kind: string }, A>>): Promise<A> {
  const r = await p;
  if (isLeft(r)) throw new Error(`${what}: ${JSON.stringify(r.left)}`);
  return r.right;
}

/** One real day: 96 quick syncs and the 02:00 full sync, churn spread over the day. */
async function realDay(
  sim: Simulation,
  engine: ReturnType<typeof createEngine>,
  clock: { now: number },
  day: number,
  churn: typeof DEFAULT_CHURN,
) {
  const devices = [...sim.evaluateAll().entries()];
  const per = (share: number) => Math.round(share * devices.length);
  const [added, removed, flips] = [per(churn.added), per(churn.removed), per(churn.flips)];
  const managed = sim.intune.devices();
  for (let slot = 0; slot < 96; slot++) {
    clock.now += 900_000;
    // A slot's share of the day's churn.
    const share = (n: number) => Math.floor((n * (slot + 1)) / 96) - Math.floor((n * slot) / 96);
    for (let i = 0; i < share(flips); i++) {
      const m = managed[(day * 7919 + slot * 131 + i * 17) % managed.length]!;
      sim.intune.setCompliance(m.id, m.complianceState === 'compliant' ? 'noncompliant' : 'compliant');
    }
    for (let i = 0; i < share(removed); i++) {
      const [id] = devices[(day * 104_729 + slot * 977 + i * 31) % devices.length]!;
      sim.exchange.removePartnership(id);
    }
    for (let i = 0; i < share(added); i++) {
      const mailbox = devices[(day * 3571 + slot * 61 + i * 7) % devices.length]![1].mailbox;
      const deviceId = `Year${day}s${slot}n${i}`;
      sim.exchange.addPartnership({ mailbox, deviceId, firstSyncTime: new Date(clock.now - 60_000).toISOString() });
      const upn = sim.exchange.mailbox(mailbox)?.userPrincipalName;
      if (i % 2 === 0 && upn) sim.intune.enroll({ userPrincipalName: upn, easDeviceId: deviceId });
    }
    const r = slot === 8 ? await engine.fullSync() : await engine.quickSync();
    if (!r.success) throw new Error(`day ${day} slot ${slot}: ${JSON.stringify(r.errors)}`);
  }
}

const engineOver = (sim: Simulation, store: FileStore, clock: { now: number }, policy: Policy) =>
  createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store,
    policy,
    notifier: sim.notifier,
    clock: { now: () => clock.now },
  });

/** A day's events again, as day `day`: fresh sync and command ids, times moved, policy revision numbered on. */
function copyDay(
  template: readonly StoredEvent[],
  day: number,
  shiftDays: number,
  revisions: ReadonlyMap<number, number>,
): AppendRequest[] {
  const requests: AppendRequest[] = [];
  const suffix = `-y${day}`;
  for (const e of template) {
    let data = e.data as Record<string, unknown>;
    if ('syncId' in data || 'commandId' in data || e.type === 'PolicyChanged' || 'policyRevision' in data) {
      data = { ...data };
      if (typeof data.syncId === 'string') data.syncId += suffix;
      if (typeof data.commandId === 'string') data.commandId += suffix;
      if (e.type === 'PolicyChanged') data.revision = revisions.get(data.revision as number) ?? data.revision;
      if (typeof data.policyRevision === 'number') data.policyRevision = revisions.get(data.policyRevision) ?? data.policyRevision;
    }
    const ev: NewEvent = { type: e.type, data, at: new Date(Date.parse(e.at) + shiftDays * DAY).toISOString(), meta: e.meta };
    const last = requests[requests.length - 1];
    if (last && last.stream === e.stream) (last.events as NewEvent[]).push(ev);
    else requests.push({ stream: e.stream, expected: 'any', events: [ev] });
  }
  return requests;
}

export async function buildYearLog(o: YearOptions): Promise<YearLog> {
  const churn = o.churn ?? DEFAULT_CHURN;
  const policyDays = new Set(o.policyDays ?? [91, 182, 273]);
  const clock = { now: Date.parse('2026-01-01T00:00:00Z') };
  const sim = simulateOrganization({ devices: o.devices, seed: 1, clock: () => clock.now });
  const store = await must('open', openFileStore(o.path, { replace: true }));
  const count = async () => (await must('read', store.readAll())).length;
  let engine = engineOver(sim, store, clock, sim.policy);
  const first = await engine.fullSync();
  if (!first.success) throw new Error(`first full sync: ${JSON.stringify(first.errors)}`);
  const firstSyncEvents = await count();
  o.onDay?.(-1, firstSyncEvents);
  const dayEnds: number[] = [];
  // Day 0: an ordinary day.
  await realDay(sim, engine, clock, 0, churn);
  dayEnds.push(await count());
  o.onDay?.(0, dayEnds[0]! - firstSyncEvents);
  // Day 1: the policy changes (a restart with the edited policy), then an ordinary day.
  const changed: Policy = {
    ...sim.policy,
    platformExceptions: sim.policy.platformExceptions.map((x) => (x.name === 'BlackBerry' ? { ...x, access: 'block' as const } : x)),
  };
  engine = engineOver(sim, store, clock, changed);
  await realDay(sim, engine, clock, 1, churn);
  dayEnds.push(await count());
  o.onDay?.(1, dayEnds[1]! - dayEnds[0]!);
  const all = await must('read', store.readAll());
  const ordinary = all.slice(firstSyncEvents, dayEnds[0]);
  const policy = all.slice(dayEnds[0], dayEnds[1]);
  const revisionOf = (events: readonly StoredEvent[]) =>
    ([...events].reverse().find((e) => e.type === 'PolicyChanged')?.data as { revision: number } | undefined)?.revision;
  const initialRevision = revisionOf(all.slice(0, firstSyncEvents)) ?? 0;
  const policyRevision = revisionOf(policy) ?? initialRevision + 1;
  let revision = policyRevision;
  for (let day = 2; day < o.days; day++) {
    const isPolicyDay = policyDays.has(day);
    if (isPolicyDay) revision++;
    // Decisions carry the revision in force: the template's revisions renumbered.
    const revisions = isPolicyDay
      ? new Map([
          [initialRevision, revision - 1],
          [policyRevision, revision],
        ])
      : new Map([[initialRevision, revision]]);
    const requests = copyDay(isPolicyDay ? policy : ordinary, day, day - (isPolicyDay ? 1 : 0), revisions);
    await must(`append day ${day}`, store.append(requests));
    dayEnds.push(dayEnds[dayEnds.length - 1]! + requests.reduce((n, r) => n + r.events.length, 0));
    o.onDay?.(day, dayEnds[day]! - dayEnds[day - 1]!);
  }
  // The last day's full sync ends where its SyncCompleted (kind full) is.
  const tail = await must('read', store.readAll({ from: dayEnds[dayEnds.length - 2] ?? 0 }));
  const fullEnd = tail.find((e) => e.type === 'SyncCompleted' && (e.data as { kind?: string }).kind === 'full');
  await store.close();
  return {
    events: dayEnds[dayEnds.length - 1]!,
    firstSyncEvents,
    dayEnds,
    lastFullSyncEnd: fullEnd?.position ?? dayEnds[dayEnds.length - 1]! - 1,
  };
}
