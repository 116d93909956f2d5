// decodeEvent's fast path accepts exactly what the io-ts codecs (the schema of
// record) accept, and its results — values and error paths — are the codecs'.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import type * as t from 'io-ts';
import { isRight } from 'fp-ts/lib/Either.js';
import { decodeEvent, decodeEventWithCodecs, eventCodecs, fastAccepts, type EventType } from '../src/events.js';
import { createEngine } from '../src/engine.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { memoryStore } from '../adapters/memory-store/index.js';

const test = suite('events: decodeEvent fast path');

type Tagged = t.Mixed & {
  _tag?: string;
  props?: t.Props;
  types?: t.Mixed[];
  type?: t.Mixed;
  keys?: Record<string, unknown>;
  value?: unknown;
};

/** A generator of values the codec accepts, derived from its structure. */
function arb(codec: t.Mixed): fc.Arbitrary<unknown> {
  const c = codec as Tagged;
  switch (c._tag) {
    case 'StringType':
      return fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('', 'allow', 'ApplC39GQ9UJDTDM', 'Ünïcødé §'));
    case 'NumberType':
      return fc.oneof(fc.integer(), fc.double({ noNaN: true }));
    case 'BooleanType':
      return fc.boolean();
    case 'NullType':
      return fc.constant(null);
    case 'UnknownType':
      return fc.jsonValue({ maxDepth: 2 });
    case 'LiteralType':
      return fc.constant(c.value);
    case 'KeyofType':
      return fc.constantFrom(...Object.keys(c.keys!));
    case 'InterfaceType':
      return fc.record(Object.fromEntries(Object.entries(c.props!).map(([k, v]) => [k, arb(v)])));
    case 'PartialType':
      return fc.record(Object.fromEntries(Object.entries(c.props!).map(([k, v]) => [k, arb(v)])), { requiredKeys: [] });
    case 'IntersectionType':
      return fc.tuple(...c.types!.map(arb)).map((parts) => Object.assign({}, ...(parts as object[])));
    case 'UnionType':
      return fc.oneof(...c.types!.map(arb));
    case 'ArrayType':
    case 'ReadonlyArrayType':
      return fc.array(arb(c.type!), { maxLength: 3 });
    default:
      throw new Error(`no generator for ${c.name}`);
  }
}

const typesWithFastPath = (Object.keys(eventCodecs) as EventType[]).filter((k) => fastAccepts(k, {}) !== undefined);

/** Every path (array of keys) to a value inside `v`. */
function paths(v: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
}

const WRONG: unknown[] = [null, 0, 1.5, '', 'x', true, [], {}, ['a'], { a: 1 }, 'allow', 'Block', 'setCasMailbox', -1];

/** A copy of `v` with one change at one path: removed, replaced, or given an extra key. */
function mutate(v: unknown, pick: number, how: number, replacement: unknown, extra: string): unknown {
  const copy = JSON.parse(JSON.stringify(v)) as unknown;
  const all = paths(copy);
  const path = all[pick % all.length]!;
  if (path.length === 0) return how % 2 === 0 ? replacement : WRONG[pick % WRONG.length];
  const parent = path.slice(0, -1).reduce<any>((o, k) => o[k], copy);
  const key = path[path.length - 1]!;
  switch (how % 4) {
    case 0:
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      break;
    case 1:
      parent[key] = replacement;
      break;
    case 2:
      parent[key] = WRONG[pick % WRONG.length];
      break;
    default: {
      const target = parent[key];
      if (target !== null && typeof target === 'object' && !Array.isArray(target)) target[extra] = replacement;
      else parent[key] = [target];
    }
  }
  return copy;
}

/**
 * decodeEvent gives exactly the codecs' result; a fast acceptance is always
 * right; a fast rejection of what the codec accepts happens only where io-ts
 * returns a transformed copy (a t.unknown key missing, set to undefined).
 */
const agree = (type: EventType, data: unknown) => {
  const fast = fastAccepts(type, data);
  const codec = decodeEventWithCodecs(type, data);
  assert.equal(decodeEvent(type, data), codec, `${type}: decodeEvent differs from the codecs for ${JSON.stringify(data)}`);
  if (fast === true) return isRight(codec) && codec.right.data === data;
  return !isRight(codec) || codec.right.data !== data;
};

test('every event type but PolicyChanged has a fast check', () => {
  assert.ok(typesWithFastPath.length >= Object.keys(eventCodecs).length - 1);
  assert.is(fastAccepts('PolicyChanged', {}), undefined);
  assert.is(fastAccepts('NoSuchEvent', {}), undefined);
});

test('the fast checks accept every value the codecs generate, and decode them to the same event', () => {
  for (const type of typesWithFastPath) {
    fc.assert(
      fc.property(arb(eventCodecs[type] as t.Mixed), (data) => {
        assert.is(fastAccepts(type, data), true, `${type} rejects ${JSON.stringify(data)}`);
        return agree(type, data);
      }),
      { numRuns: 150 },
    );
  }
});

test('on mutated events (a field removed, retyped, replaced, or an extra key) the fast checks and the codecs agree', () => {
  for (const type of typesWithFastPath) {
    fc.assert(
      fc.property(
        arb(eventCodecs[type] as t.Mixed),
        fc.nat(),
        fc.nat(),
        fc.jsonValue({ maxDepth: 2 }),
        fc.string({ minLength: 1, maxLength: 6 }),
        (data, pick, how, replacement, extra) => agree(type, mutate(data, pick, how, replacement, extra)),
      ),
      { numRuns: 300 },
    );
  }
});

test("a rejected event keeps the codecs' path and message", () => {
  const data = {
    syncId: 's',
    deviceId: 'D1',
    access: 'allow',
    reason: 'compliant',
    governed: true,
    policyRevision: 1,
    facts: { groups: { included: [], excluded: [] }, intune: { id: 'm', complianceState: 'compliant' }, conflicts: [] },
  };
  const r = decodeEvent('AccessDecided', data);
  assert.ok(!isRight(r));
  if (!isRight(r))
    assert.ok(
      r.left.some((i) => i.path === 'data.facts.intune.managementAgent'),
      JSON.stringify(r.left),
    );
  const bad = decodeEvent('CommandIntended', {
    syncId: 's',
    commandId: 'c',
    command: { kind: 'setCasMailbox', mailbox: 'm', allowedDeviceIds: { add: [1], remove: [] }, blockedDeviceIds: { add: [], remove: [] } },
  });
  assert.equal(
    bad,
    decodeEventWithCodecs('CommandIntended', {
      syncId: 's',
      commandId: 'c',
      command: {
        kind: 'setCasMailbox',
        mailbox: 'm',
        allowedDeviceIds: { add: [1], remove: [] },
        blockedDeviceIds: { add: [], remove: [] },
      },
    }),
  );
});

test('every event of a real engine log takes the fast path and decodes as the codecs decode it', async () => {
  const NOW = Date.parse('2026-11-26T08:00:00Z');
  const sim = simulateOrganization({ devices: 400, seed: 5, clock: () => NOW });
  const store = memoryStore();
  const engine = createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store,
    policy: sim.policy,
    notifier: sim.notifier,
    scheduler: { now: () => NOW } as never,
  });
  await engine.fullSync();
  const events = store.events();
  assert.ok(events.length > 1000);
  for (const e of events) {
    if (e.type !== 'PolicyChanged') assert.is(fastAccepts(e.type, e.data), true, e.type);
    assert.equal(decodeEvent(e.type, e.data), decodeEventWithCodecs(e.type, e.data));
  }
});

test.run();
