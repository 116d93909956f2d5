// src/sync/devices-summary.ts: what a sync asks of a mailbox's devices (the
// latest first sync, the wipes sent), kept by the immutable devices record.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { laterInstant, latestFirstSync, wipesSent } from '../src/sync/devices-summary.js';
import type { DeviceState, MailboxState } from '../src/mailbox.js';

const stages = ['requested', 'sent', 'acknowledged', 'failed'] as const;
const deviceArb = fc.record({
  id: fc.constantFrom('A1', 'b2', 'C3', 'd4', 'E5'),
  first: fc.option(
    fc.constantFrom(
      '2026-01-01T00:00:00Z',
      '2026-03-01T10:00:00.000Z',
      '2025-12-31T23:59:59Z',
      // The first's instant written longer, one as long as the second's, and texts shaped like instants
      // that do not parse (one later as text than any other).
      '2026-01-01T00:00:00.000Z',
      '2026-02-01T00:00:00.000Z',
      // Later than the first, though less as text; the first's instant with an offset.
      '2026-01-01T00:00:00.500Z',
      '2026-01-01T09:00:00+09:00',
      '2027-99-99T99:99:99Z',
      '2025-13-01T00:00:00.000Z',
      'not a date',
      '',
    ),
    { nil: undefined },
  ),
  stage: fc.option(fc.constantFrom(...stages), { nil: undefined }),
});

const record = (ds: ReadonlyArray<{ id: string; first?: string | undefined; stage?: (typeof stages)[number] | undefined }>) => {
  const out: Record<string, DeviceState> = {};
  for (const d of ds)
    out[d.id.toLowerCase()] = {
      deviceId: d.id,
      identity: `kim/ExchangeActiveSyncDevices/${d.id}`,
      deviceType: 'iPhone',
      notified: false,
      ...(d.first !== undefined ? { firstSyncTime: d.first } : {}),
      ...(d.stage !== undefined ? { wipe: { wipeId: `w-${d.id}`, stage: d.stage } } : {}),
    } as DeviceState;
  return out as MailboxState['devices'];
};

/** Every device looked at: the latest parsable first sync (the first of equals), the identities of wipes sent. */
function reference(devices: MailboxState['devices']) {
  let latestText: string | undefined;
  let latestMs = -Infinity;
  const wipesSent: string[] = [];
  for (const d of Object.values(devices)) {
    const t = d.firstSyncTime ? Date.parse(d.firstSyncTime) : NaN;
    if (t > latestMs) [latestText, latestMs] = [d.firstSyncTime, t];
    if (d.wipe?.stage === 'sent') wipesSent.push(d.identity);
  }
  return { latestText, latestMs, wipesSent };
}

const summary = (devices: MailboxState['devices']) => {
  const latestText = latestFirstSync(devices);
  return { latestText, latestMs: latestText === undefined ? -Infinity : Date.parse(latestText), wipesSent: [...wipesSent(devices)] };
};

test('is what looking at every device gives, and a new record (a changed device) is looked at again (property)', () => {
  fc.assert(
    fc.property(fc.array(deviceArb, { maxLength: 6 }), fc.array(deviceArb, { maxLength: 6 }), (before, changed) => {
      const first = record(before);
      assert.equal(summary(first), reference(first));
      // Asked again for the same record: the same answer, not computed again.
      assert.is(wipesSent(first), wipesSent(first));
      const next = { ...first, ...record(changed) };
      assert.equal(summary(next), reference(next));
    }),
    { numRuns: 500 },
  );
});

test('tells the later of two instants as parsing both does, in any form they are written (property)', () => {
  const ms = fc.integer({ min: 0, max: 4_000_000_000_000 });
  const instant = fc.oneof(
    ms.map((t) => new Date(t).toISOString()),
    ms.map((t) => new Date(t - (t % 1000)).toISOString().replace('.000Z', 'Z')),
    ms.map((t) => new Date(t).toISOString().replace(/\.(\d)\d\dZ$/, '.$1Z')),
    ms.map((t) => new Date(t).toISOString().replace('Z', '+00:00')),
    ms.map((t) => new Date(t).toUTCString()),
    fc.constantFrom(
      '2026-01-01T09:00:00+09:00',
      '2026-01-01T09:00:00.000+09:00',
      '2026-01-01T08:30:00.000+00:00',
      '2026-01-01T00:00:00.000Z',
      '2025-12-31T23:59:59.999Z',
      '2026-01-01T00:00:00Z',
    ),
  );
  fc.assert(
    fc.property(instant, instant, (a, b) => {
      assert.is(laterInstant(a, b, Date.parse(b)), Date.parse(a) > Date.parse(b), `${a} after ${b}`);
    }),
    { numRuns: 2000 },
  );
});

test.run();
