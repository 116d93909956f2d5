// The engine's state fold (src/state.ts): several events of one stream folded at
// once give the state folding them one by one gives, and leave every state seen
// before as it was (a state the engine has shared is never changed by a later fold).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { isRight } from 'fp-ts/lib/Either.js';
import { emptyOrgState, foldInto, type Dated } from '../src/state.js';
import { evolveMailbox, initialMailboxState, type MailboxState } from '../src/mailbox.js';
import { decodeEvent, orgStream } from '../src/events.js';
import type { StoredEvent } from '../src/ports.js';
import { churnedLog } from './snapshot-log.js';

const test = suite('state fold');

/** An engine's log through a first sync, compliance flips, removed partnerships, failed commands and two more syncs. */
const engineLog = () => churnedLog(7, 60, ['flip', 'flip', 'flip', 'remove', 'remove', 'full', 'fail', 'flip', 'remove', 'full']);

const dated = (e: StoredEvent): Dated => {
  const d = decodeEvent(e.type, e.data);
  if (!isRight(d)) throw new Error(`undecodable ${e.type}`);
  return { type: d.right.type, data: d.right.data, at: e.at } as Dated;
};

test('a stream folded in batches of any size gives the state of folding its events one by one, and changes no earlier state', async () => {
  const log = await engineLog();
  const organization = 'contoso';
  const byStream = new Map<string, Dated[]>();
  for (const e of log) {
    if (e.stream === orgStream(organization)) continue;
    const l = byStream.get(e.stream) ?? [];
    l.push(dated(e));
    byStream.set(e.stream, l);
  }
  // Mailboxes with several events (partnerships, decisions, intents, outcomes, removals) in one stream.
  const streams = [...byStream].filter(([, es]) => es.length >= 6);
  assert.ok(streams.length >= 10, `enough mailbox streams (${streams.length})`);
  const types = new Set<string>(streams.flatMap(([, es]) => es.map((e) => e.type)));
  for (const t of ['PartnershipDiscovered', 'AccessDecided', 'CommandIntended', 'CommandSucceeded', 'CommandFailed', 'PartnershipRemoved'])
    assert.ok(types.has(t), `the log has ${t}`);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 40 }), fc.nat(), (sizes, pick) => {
      const [stream, events] = streams[pick % streams.length]!;
      let one: MailboxState = initialMailboxState;
      for (const e of events) one = evolveMailbox(one, e);
      const s = emptyOrgState(organization);
      // Every state the batched fold went through, with its JSON when it was made.
      const seen: Array<{ state: MailboxState; json: string }> = [];
      let at = 0;
      for (let i = 0; at < events.length; i++) {
        const n = sizes[i % sizes.length]!;
        foldInto(s, stream, events.slice(at, at + n));
        at += n;
        const state = s.mailboxes.get(stream)!;
        seen.push({ state, json: JSON.stringify(state) });
      }
      assert.is(JSON.stringify(s.mailboxes.get(stream)), JSON.stringify(one));
      for (const [k, i] of seen.map((x, i) => [x, i] as const))
        assert.is(JSON.stringify(k.state), k.json, `state after batch ${i} unchanged`);
      // The key order of the devices and pending records too (JSON keeps it).
      assert.equal(Object.keys(s.mailboxes.get(stream)!.devices), Object.keys(one.devices));
    }),
    { numRuns: 400 },
  );
});

test('the records a fold made are copied, not changed, by the next fold', async () => {
  const log = await engineLog();
  const organization = 'contoso';
  const first = log.find((e) => e.type === 'CommandIntended' && e.stream !== orgStream(organization))!;
  const events = log.filter((e) => e.stream === first.stream).map(dated);
  const intended = events.findIndex((e) => e.type === 'CommandIntended');
  const s = emptyOrgState(organization);
  foldInto(s, first.stream, events.slice(0, intended + 1));
  const after = s.mailboxes.get(first.stream)!;
  const devices = JSON.stringify(after.devices);
  const pending = JSON.stringify(after.pending);
  foldInto(s, first.stream, events.slice(intended + 1));
  assert.is.not(s.mailboxes.get(first.stream), after);
  assert.is(JSON.stringify(after.devices), devices);
  assert.is(JSON.stringify(after.pending), pending);
  assert.ok(Object.keys(after.pending).length > 0, 'the intent was pending after the first batch');
});

test.run();
