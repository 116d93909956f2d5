// Snapshots of the engine's state (src/snapshot.ts, src/start.ts): a start from
// a snapshot and the log after it gives the state a fold of the whole log gives.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { emptyOrgState, foldLog, loadOrgState } from '../src/state.js';
import { asciiJson, parseSnapshot, snapshotText, SNAPSHOT_FORMAT, SNAPSHOT_SCHEMA } from '../src/snapshot.js';
import type { OrgState } from '../src/state.js';
import { churnedLog, stateJson, type Churn } from './snapshot-log.js';

const test = suite('snapshot');

const OPS: Churn[] = ['full', 'quick', 'flip', 'add', 'remove', 'drift'];

test('a snapshot taken anywhere in a log, plus the events after it, folds to the state of the whole log', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 1000 }),
      fc.array(fc.constantFrom(...OPS), { minLength: 1, maxLength: 12 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      async (seed, ops, cutAt) => {
        const events = await churnedLog(seed, 24, ops);
        const whole = loadOrgState('contoso', events);
        assert.ok(isRight(whole));
        const k = 1 + Math.floor(cutAt * (events.length - 1));
        const prefix = loadOrgState('contoso', events.slice(0, k));
        assert.ok(isRight(prefix));
        const last = events[k - 1]!;
        const restored = parseSnapshot('contoso', snapshotText(prefix.right, { position: last.position, id: last.id }));
        assert.ok(isRight(restored));
        assert.equal(restored.right.at, { position: last.position, id: last.id });
        const resumed = foldLog(restored.right.state, events.slice(k));
        assert.ok(isRight(resumed));
        assert.equal(stateJson(resumed.right), stateJson(whole.right));
      },
    ),
    { numRuns: 12 },
  );
});

test('a snapshot restores the revisions and every mailbox, not only the counts', async () => {
  const events = await churnedLog(7, 30, ['flip', 'add', 'full', 'remove', 'drift', 'full']);
  const s = loadOrgState('contoso', events);
  assert.ok(isRight(s));
  const restored = parseSnapshot('contoso', snapshotText(s.right, { position: events.length - 1, id: events[events.length - 1]!.id }));
  assert.ok(isRight(restored));
  assert.is(restored.right.state.mailboxes.size, s.right.mailboxes.size);
  assert.is(restored.right.state.revisions.size, s.right.revisions.size);
  assert.ok(s.right.mailboxes.size > 0);
  assert.equal(stateJson(restored.right.state), stateJson(s.right));
});

const isAsciiText = (t: string) => /^[\x00-\x7f]*$/.test(t);

test('JSON text made ASCII parses to the same value, for any string (accents, CJK, emoji, lone surrogates)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }))),
      fc.dictionary(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })),
      (list, rec) => {
        const json = JSON.stringify({ list, rec });
        const ascii = asciiJson(json);
        assert.ok(isAsciiText(ascii));
        assert.equal(JSON.parse(ascii), JSON.parse(json));
        if (isAsciiText(json)) assert.is(ascii, json, 'ASCII text is left as it is');
      },
    ),
    { numRuns: 200 },
  );
});

test('a snapshot is ASCII text, and restores display names and identities written in any script', async () => {
  const events = await churnedLog(11, 12, ['full']);
  const s = loadOrgState('contoso', events);
  assert.ok(isRight(s));
  const [stream, m] = [...s.right.mailboxes].find(([, x]) => x.info !== undefined)!;
  const names = { displayName: 'Zoë Łukasz 山田太郎 🙂', identity: 'contoso.com/Users/Zoë' };
  s.right.mailboxes.set(stream, { ...m, info: { ...m.info!, ...names } });
  const text = snapshotText(s.right, { position: events.length - 1, id: events[events.length - 1]!.id });
  assert.ok(isAsciiText(text));
  const restored = parseSnapshot('contoso', text);
  assert.ok(isRight(restored));
  assert.equal(stateJson(restored.right.state), stateJson(s.right));
  assert.is(restored.right.state.mailboxes.get(stream)!.info!.displayName, names.displayName);
});

const valid = snapshotText(emptyOrgState('contoso'), { position: 3, id: 'e3' });
const edited = (f: (u: Record<string, unknown>) => void): string => {
  const u = JSON.parse(valid) as Record<string, unknown>;
  f(u);
  return JSON.stringify(u);
};

test('parseSnapshot refuses text that is not a snapshot of this schema and organization, saying why', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['not JSON', valid.slice(0, valid.length - 5), /not JSON/],
    ['foreign JSON', '{"hello":1}', /not a snapshot/],
    [
      'older schema',
      edited((u) => (u.schema = SNAPSHOT_SCHEMA - 1)),
      new RegExp(`schema ${SNAPSHOT_SCHEMA - 1}, this engine writes ${SNAPSHOT_SCHEMA}`),
    ],
    ['another organization', edited((u) => (u.organization = 'fabrikam')), /organization "fabrikam", not "contoso"/],
    ['no position', edited((u) => delete u.position), /position/],
    ['negative position', edited((u) => (u.position = -1)), /position/],
    ['malformed connector', edited((u) => (u.connector = 'x')), /connector state malformed/],
    ['malformed mailbox', edited((u) => (u.mailboxes = [['eas-mailbox-contoso-a', { devices: 1 }]])), /mailboxes\[0\]/],
    ['malformed revision', edited((u) => (u.revisions = [['eas-org-contoso', 'one']])), /revisions\[0\]/],
  ];
  for (const [name, text, why] of cases) {
    const r = parseSnapshot('contoso', text);
    assert.ok(isLeft(r), name);
    if (isLeft(r)) assert.match(r.left, why, name);
  }
  assert.ok(isRight(parseSnapshot('contoso', valid)));
});

test("making a snapshot's text leaves no copy of the state's JSON reachable (the legacy RegExp.input)", () => {
  const legacy = RegExp as unknown as { readonly input: string };
  const big = JSON.stringify({ name: 'Zoë Müller', filler: 'x'.repeat(100_000) });
  const out = asciiJson(big);
  assert.ok(out.includes('\\u00eb'), 'the text was escaped');
  assert.ok(legacy.input.length < 100, `RegExp.input holds ${legacy.input.length} characters`);
});

/** The snapshot's text as one JSON.stringify of the whole body made ASCII: what snapshotText writes piece by piece. */
const wholeText = (s: OrgState, at: { position: number; id: string }) =>
  asciiJson(
    JSON.stringify({
      format: SNAPSHOT_FORMAT,
      schema: SNAPSHOT_SCHEMA,
      organization: s.organization,
      position: at.position,
      id: at.id,
      connector: s.connector,
      mailboxes: [...s.mailboxes],
      revisions: [...s.revisions],
    }),
  );

test('the text written mailbox by mailbox is the text of the whole body, across chunks and in any script', async () => {
  const events = await churnedLog(5, 24, ['full', 'flip', 'add', 'remove', 'quick', 'full']);
  const folded = loadOrgState('contoso', events);
  assert.ok(isRight(folded));
  const at = { position: 7, id: 'e-7' };
  assert.is(snapshotText(folded.right, at), wholeText(folded.right, at));
  // Thousands of mailboxes (several chunks), names in several scripts, and none at all.
  const names = ['Zoë Müller', '田中 太郎', 'Ω \ud83d\ude00 "quoted"', 'plain'];
  for (const count of [0, 1, 999, 1000, 1001, 2500]) {
    const s: OrgState = { ...folded.right, mailboxes: new Map(), revisions: new Map() };
    for (let i = 0; i < count; i++) {
      const [stream, state] = [...folded.right.mailboxes][i % folded.right.mailboxes.size]!;
      const info = state.info ? { ...state.info, displayName: `${names[i % names.length]} ${i}` } : undefined;
      s.mailboxes.set(`${stream}-${i}-${names[i % names.length]}`, { ...state, ...(info ? { info } : {}) });
      s.revisions.set(`${stream}-${i}-${names[i % names.length]}`, i);
    }
    const text = snapshotText(s, at);
    assert.is(text, wholeText(s, at), `${count} mailboxes`);
    assert.ok(isAsciiText(text), 'ASCII');
  }
});

test.run();
