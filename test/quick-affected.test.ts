// A quick sync's affected partnerships (src/sync/quick-affected.ts) against the plain
// walk over every device of every mailbox that it replaces.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { quickAffected, type QuickInput } from '../src/sync/quick-affected.js';
import { deviceKey, type DeviceState, type MailboxState } from '../src/mailbox.js';
import { groupsOf } from '../src/groups.js';
import { mailboxStream } from '../src/events.js';
import { keyedCopy, keyedGet } from '../src/mailbox/keyed.js';
import type { GroupMembership, ManagedDevice, MobileDevice } from '../src/facts.js';
import type { Policy } from '../src/policy.js';

const test = suite('quick sync: affected partnerships');

const ORG = 'contoso';
const T0 = Date.parse('2026-12-01T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The rule as a quick sync applied it before the summaries, written as a specification: every
 * partnership of every mailbox listed, every one of them asked, the marks grouped by stream in the
 * order they were made (Intune's changes first, then mailbox by mailbox).
 */
function plainWalk({ mailboxes, reported, changed, groups, policy, atMs }: QuickInput) {
  const known = [...mailboxes].flatMap(([stream, ms]) => Object.keys(ms.devices).map((key) => ({ stream, key })));
  // A key under two mailboxes is either user's partnership: Intune's change is asked of both.
  const streamsOf = (key: string) => known.filter((p) => p.key === key).map((p) => p.stream);
  const marks: Array<{ stream: string; key?: string }> = [];
  for (const m of changed) {
    if (!m.easDeviceId) continue;
    for (const stream of streamsOf(deviceKey(m.easDeviceId))) marks.push({ stream, key: deviceKey(m.easDeviceId) });
  }
  for (const [stream, ms] of mailboxes) {
    const now = groupsOf(ms.info?.addresses ?? [], groups, policy);
    const sameGroups = (was: { included: readonly string[]; excluded: readonly string[] }) =>
      now.included.length === was.included.length &&
      now.excluded.length === was.excluded.length &&
      now.included.every((x) => was.included.includes(x)) &&
      now.excluded.every((x) => was.excluded.includes(x));
    const devices = Object.entries(ms.devices);
    for (const [key, dev] of devices) {
      const dec = dev.decision;
      const overrideInForce = dev.override !== undefined && Date.parse(dev.override.until) > atMs;
      const graceOver =
        dec !== undefined &&
        dec.governed &&
        dec.access === 'allow' &&
        dec.facts.intune?.complianceState === 'inGracePeriod' &&
        dec.facts.intune.graceDeadline !== undefined &&
        Date.parse(dec.facts.intune.graceDeadline) <= atMs;
      if (
        dec === undefined ||
        !sameGroups(dec.facts.groups) ||
        (overrideInForce ? dec.facts.override?.overrideId !== dev.override.overrideId : dec.reason === 'adminOverride') ||
        graceOver
      )
        marks.push({ stream, key });
    }
    if (Object.keys(ms.pending).length > 0 || devices.some(([, d]) => d.wipe?.stage === 'requested')) marks.push({ stream });
  }
  const affected = new Map<string, Set<string>>();
  for (const { stream, key } of marks) {
    const set = affected.get(stream) ?? new Set<string>();
    if (key !== undefined) set.add(key);
    affected.set(stream, set);
  }
  const fresh = reported.filter((dev) => streamsOf(deviceKey(dev.deviceId)).length === 0);
  return { affected, fresh };
}

const flat = (r: { affected: Map<string, Set<string>>; fresh: MobileDevice[] }) => ({
  affected: [...r.affected].map(([s, keys]) => [s, [...keys]]),
  fresh: r.fresh.map((d) => d.identity),
});

const GROUPS = ['g-sales', 'g-eng', 'g-byod'];
const policy = { includedGroups: ['g-sales', 'g-eng'], excludedGroups: ['g-byod'] } as unknown as Policy;
const USERS = ['ann', 'bo', 'cy', 'di'];
const DEVICE_IDS = ['ApplA1', 'appla1', 'SEC9', 'WP77', '12345', '__proto__', 'constructor'];

/** Instants around T0 (and one that does not parse), as override ends and grace deadlines. */
const instant = fc.oneof(
  fc.integer({ min: -3, max: 3 }).map((h) => iso(T0 + h * 3_600_000)),
  fc.constant('not a date'),
);
const groupsArb = fc.record({
  included: fc.subarray(['g-sales', 'g-eng']),
  excluded: fc.subarray(['g-byod']),
});
const decisionArb = fc.record({
  access: fc.constantFrom('allow', 'block', 'quarantine'),
  reason: fc.constantFrom('compliant', 'notEnrolled', 'adminOverride', 'inGracePeriod'),
  governed: fc.boolean(),
  groups: groupsArb,
  grace: fc.option(instant, { nil: undefined }),
  inGrace: fc.boolean(),
  overrideId: fc.option(fc.constantFrom('ov-1', 'ov-2'), { nil: undefined }),
});
const deviceArb = fc.record({
  id: fc.constantFrom(...DEVICE_IDS),
  decision: fc.option(decisionArb, { nil: undefined }),
  override: fc.option(fc.record({ overrideId: fc.constantFrom('ov-1', 'ov-2'), until: instant }), { nil: undefined }),
  wipe: fc.option(fc.constantFrom('requested', 'sent'), { nil: undefined }),
});
const mailboxArb = fc.record({
  user: fc.constantFrom(...USERS),
  devices: fc.array(deviceArb, { maxLength: 4 }),
  pending: fc.boolean(),
});

type DeviceInput = typeof deviceArb extends fc.Arbitrary<infer T> ? T : never;
type Input = typeof inputArb extends fc.Arbitrary<infer T> ? T : never;

function deviceState(user: string, x: DeviceInput): DeviceState {
  return {
    deviceId: x.id,
    identity: `contoso.com/Users/${user}/ExchangeActiveSyncDevices/${x.id}`,
    deviceType: 'iPhone',
    deviceModel: 'iPhone15,2',
    notified: false,
    ...(x.decision
      ? {
          decision: {
            access: x.decision.access,
            reason: x.decision.reason,
            governed: x.decision.governed,
            policyRevision: 1,
            syncId: 'sync-1',
            at: iso(T0),
            facts: {
              groups: x.decision.groups,
              intune: {
                id: `m-${x.id}`,
                complianceState: x.decision.inGrace ? 'inGracePeriod' : 'compliant',
                managementAgent: 'mdm',
                ...(x.decision.grace !== undefined ? { graceDeadline: x.decision.grace } : {}),
              },
              conflicts: [],
              ...(x.decision.overrideId
                ? { override: { overrideId: x.decision.overrideId, access: 'allow', until: iso(T0), reason: 'r', by: 'admin' } }
                : {}),
            },
          },
        }
      : {}),
    ...(x.override ? { override: { ...x.override, access: 'allow', reason: 'r', by: 'admin' } } : {}),
    ...(x.wipe ? { wipe: { stage: x.wipe } } : {}),
  } as unknown as DeviceState;
}

const inputArb = fc.record({
  mailboxes: fc.array(mailboxArb, { maxLength: 5 }),
  members: fc.array(fc.tuple(fc.constantFrom(...GROUPS), fc.constantFrom(...USERS)), { maxLength: 8 }),
  reported: fc.array(fc.tuple(fc.constantFrom(...USERS, 'eve'), fc.constantFrom(...DEVICE_IDS, 'NEW1')), { maxLength: 4 }),
  changed: fc.array(fc.option(fc.constantFrom(...DEVICE_IDS, 'NEW2', 'APPLA1'), { nil: undefined }), { maxLength: 4 }),
  hours: fc.array(fc.integer({ min: -4, max: 4 }), { minLength: 1, maxLength: 3 }),
});

function build(x: Input) {
  const mailboxes = new Map<string, MailboxState>();
  for (const m of x.mailboxes) {
    const devices: Record<string, DeviceState> = keyedCopy({});
    for (const d of m.devices) {
      const s = deviceState(m.user, d);
      // keyedCopy/keyedPut semantics: a key set once, later devices of the same key replace it.
      Object.defineProperty(devices, deviceKey(s.deviceId), { value: s, writable: true, enumerable: true, configurable: true });
    }
    const identity = `contoso.com/Users/${m.user}`;
    mailboxes.set(mailboxStream(ORG, identity), {
      info: { identity, primarySmtpAddress: `${m.user}@contoso.com`, addresses: [`${m.user}@contoso.com`], activeSyncEnabled: true },
      lists: { allowedDeviceIds: [], blockedDeviceIds: [] },
      devices,
      pending: m.pending ? { 'cmd-1': {} as never } : {},
    });
  }
  const members = new Map<string, Set<string>>();
  for (const [g, u] of x.members) {
    const s = members.get(g) ?? new Set<string>();
    s.add(`${u}@contoso.com`);
    members.set(g, s);
  }
  const groups: GroupMembership = members;
  const reported: MobileDevice[] = x.reported.map(([u, id]) => ({
    identity: `contoso.com/Users/${u}/ExchangeActiveSyncDevices/${id}`,
    deviceId: id,
    deviceType: 'iPhone',
    deviceModel: 'iPhone15,2',
  }));
  const changed = x.changed.map((id, i): ManagedDevice => ({
    id: `m${i}`,
    easDeviceId: id,
    complianceState: 'compliant',
    managementAgent: 'mdm',
  }));
  return { mailboxes, groups, reported, changed, instants: x.hours.map((h) => T0 + h * 3_600_000 - 1 + (h % 2)) };
}

test('marks exactly the partnerships the plain walk marks, in its order, at any instant and with any groups', () => {
  fc.assert(
    fc.property(inputArb, (v) => {
      const { mailboxes, groups, reported, changed, instants } = build(v);
      // The same states asked at several instants: the summaries are kept by the devices records in between.
      for (const atMs of instants) {
        const input: QuickInput = { organization: ORG, mailboxes, reported, changed, groups, policy, atMs };
        assert.equal(flat(quickAffected(input)), flat(plainWalk(input)));
      }
    }),
    { numRuns: 1500 },
  );
});

test('a device whose override runs out is decided again from the instant it ends, not before', () => {
  const { mailboxes, groups } = build({
    mailboxes: [
      {
        user: 'ann',
        devices: [
          {
            id: 'ApplA1',
            decision: {
              access: 'allow',
              reason: 'adminOverride',
              governed: true,
              groups: { included: [], excluded: [] },
              inGrace: false,
              overrideId: 'ov-1',
            },
            override: { overrideId: 'ov-1', until: iso(T0) },
          },
        ],
        pending: false,
      },
    ],
    members: [],
    reported: [],
    changed: [],
    hours: [0],
  } as never);
  const at = (atMs: number) => flat(quickAffected({ organization: ORG, mailboxes, reported: [], changed: [], groups, policy, atMs }));
  const stream = mailboxStream(ORG, 'contoso.com/Users/ann');
  assert.equal(at(T0 - 1), { affected: [], fresh: [] });
  assert.equal(at(T0), { affected: [[stream, ['appla1']]], fresh: [] });
  assert.equal(at(T0 - 1), { affected: [], fresh: [] }, 'the same record asked again earlier');
});

const decided = { access: 'allow', reason: 'compliant', governed: true, groups: { included: [], excluded: [] }, inGrace: false };

test('an Intune change to a device two mailboxes know marks it in both, whichever user it maps to', () => {
  const { mailboxes, groups } = build({
    mailboxes: [
      { user: 'ann', devices: [{ id: 'ApplA1', decision: decided }], pending: false },
      {
        user: 'bo',
        devices: [
          { id: 'APPLA1', decision: decided },
          { id: 'SEC9', decision: decided },
        ],
        pending: false,
      },
      { user: 'cy', devices: [{ id: 'WP77', decision: decided }], pending: false },
    ],
    members: [],
    reported: [],
    changed: [],
    hours: [0],
  } as never);
  const affected = (changed: ManagedDevice[]) =>
    flat(quickAffected({ organization: ORG, mailboxes, reported: [], changed, groups, policy, atMs: T0 })).affected;
  const ann = mailboxStream(ORG, 'contoso.com/Users/ann');
  const bo = mailboxStream(ORG, 'contoso.com/Users/bo');
  assert.equal(affected([]), [], 'decided under the same groups: nothing to decide without a change');
  assert.equal(affected([{ id: 'm1', easDeviceId: 'appLA1', complianceState: 'noncompliant', managementAgent: 'mdm' }]), [
    [ann, ['appla1']],
    [bo, ['appla1']],
  ]);
});

test('a partnership reported again under its own mailbox is known; one under no mailbox is new', () => {
  const { mailboxes, groups } = build({
    mailboxes: [{ user: 'ann', devices: [{ id: 'ApplA1' }], pending: false }],
    members: [],
    reported: [],
    changed: [],
    hours: [0],
  } as never);
  const dev = (user: string, id: string): MobileDevice => ({
    identity: `contoso.com/Users/${user}/ExchangeActiveSyncDevices/${id}`,
    deviceId: id,
    deviceType: 'iPhone',
    deviceModel: 'x',
  });
  const r = quickAffected({
    organization: ORG,
    mailboxes,
    reported: [dev('ann', 'APPLA1'), dev('bo', 'ApplA1'), dev('bo', 'SEC9')],
    changed: [],
    groups,
    policy,
    atMs: T0,
  });
  assert.equal(
    r.fresh.map((d) => d.identity),
    ['contoso.com/Users/bo/ExchangeActiveSyncDevices/SEC9'],
    'ApplA1 is known (under ann) whichever mailbox reports it',
  );
  assert.ok(keyedGet(mailboxes.get(mailboxStream(ORG, 'contoso.com/Users/ann'))!.devices, 'appla1'));
});

test.run();
