import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { maxFirstSync } from '../src/sync/watermark.js';
import { emptyOrgState, type OrgState } from '../src/state.js';
import { initialMailboxState, type DeviceState, type MailboxState } from '../src/mailbox.js';

const test = suite('sync/watermark');

const device = (deviceId: string, firstSyncTime: string): DeviceState => ({
  deviceId,
  identity: deviceId,
  deviceType: 'iPhone',
  deviceModel: 'x',
  firstSyncTime,
  notified: false,
});

const mailbox = (devices: DeviceState[]): MailboxState => ({
  ...initialMailboxState,
  devices: Object.fromEntries(devices.map((d) => [d.deviceId.toLowerCase(), d])),
});

/** The watermark as first written: every instant parsed, the first of the latest kept. */
function reference(s: OrgState): string | undefined {
  let best: string | undefined;
  let bestMs = -Infinity;
  for (const ms of s.mailboxes.values())
    for (const k in ms.devices) {
      const f = ms.devices[k]!.firstSyncTime;
      if (!f) continue;
      const t = Date.parse(f);
      if (t > bestMs) {
        bestMs = t;
        best = f;
      }
    }
  return best;
}

test('is the latest first sync among every mailbox, whatever form the instant has', () => {
  const s = emptyOrgState('org');
  s.mailboxes.set('a', mailbox([device('A1', '2026-01-02T03:04:05.000Z'), device('A2', '2026-03-01T00:00:00Z')]));
  s.mailboxes.set('b', mailbox([device('B1', '2026-02-28T23:59:59.999+00:00'), device('B2', 'not a date')]));
  s.mailboxes.set('c', mailbox([]));
  assert.is(maxFirstSync(s), '2026-03-01T00:00:00Z');
  assert.is(maxFirstSync(emptyOrgState('org')), undefined);
});

test('follows a mailbox whose devices changed after it was computed (states are replaced, never edited)', () => {
  const s = emptyOrgState('org');
  const a = mailbox([device('A1', '2026-01-02T03:04:05.000Z')]);
  s.mailboxes.set('a', a);
  s.mailboxes.set('b', mailbox([device('B1', '2026-01-01T00:00:00.000Z')]));
  assert.is(maxFirstSync(s), '2026-01-02T03:04:05.000Z');
  // A later partnership in b, then a's latest removed: each answer follows the new states.
  s.mailboxes.set('b', mailbox([device('B1', '2026-01-01T00:00:00.000Z'), device('B2', '2026-05-05T05:05:05.005Z')]));
  assert.is(maxFirstSync(s), '2026-05-05T05:05:05.005Z');
  s.mailboxes.set('b', mailbox([device('B1', '2026-01-01T00:00:00.000Z')]));
  assert.is(maxFirstSync(s), '2026-01-02T03:04:05.000Z');
  // A mailbox state that keeps its devices record (an intent recorded) keeps its answer.
  s.mailboxes.set('a', { ...a, pending: {} });
  assert.is(maxFirstSync(s), '2026-01-02T03:04:05.000Z');
});

test('equals parsing every instant of every state, across successive changes to the states', () => {
  const instant = fc.oneof(
    fc.integer({ min: 0, max: 4_000_000_000_000 }).map((ms) => new Date(ms).toISOString()),
    fc.integer({ min: 0, max: 4_000_000_000 }).map((s) => new Date(s * 1000).toISOString().replace('.000Z', 'Z')),
    fc.constantFrom('', 'garbage', '2026-01-01T00:00:00+09:00', '2026-01-01T00:00:00.000Z'),
  );
  const mb = fc.array(instant, { maxLength: 4 }).map((xs) => mailbox(xs.map((f, i) => device(`D${i}`, f))));
  const step = fc.tuple(fc.integer({ min: 0, max: 5 }), fc.option(mb, { nil: undefined }));
  fc.assert(
    fc.property(fc.array(step, { minLength: 1, maxLength: 30 }), (steps) => {
      const s = emptyOrgState('org');
      for (const [slot, m] of steps) {
        if (m === undefined) s.mailboxes.delete(`m${slot}`);
        else s.mailboxes.set(`m${slot}`, m);
        assert.is(maxFirstSync(s), reference(s));
      }
    }),
    { numRuns: 300 },
  );
});

test.run();
