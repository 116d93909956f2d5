// src/sync/devices-summary.ts: what a sync asks of a mailbox's devices (the
// latest first sync, the wipes sent), kept by the immutable devices record.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { devicesSummary } from '../src/sync/devices-summary.js';
import type { DeviceState, MailboxState } from '../src/mailbox.js';

const stages = ['requested', 'sent', 'acknowledged', 'failed'] as const;
const deviceArb = fc.record({
  id: fc.constantFrom('A1', 'b2', 'C3', 'd4', 'E5'),
  first: fc.option(fc.constantFrom('2026-01-01T00:00:00Z', '2026-03-01T10:00:00.000Z', '2025-12-31T23:59:59Z', 'not a date', ''), {
    nil: undefined,
  }),
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

test('is what looking at every device gives, and a new record (a changed device) is looked at again (property)', () => {
  fc.assert(
    fc.property(fc.array(deviceArb, { maxLength: 6 }), fc.array(deviceArb, { maxLength: 6 }), (before, changed) => {
      const first = record(before);
      assert.equal({ ...devicesSummary(first) }, reference(first));
      // Asked again for the same record: the same answer, not computed again.
      assert.is(devicesSummary(first), devicesSummary(first));
      const next = { ...first, ...record(changed) };
      assert.equal({ ...devicesSummary(next) }, reference(next));
    }),
    { numRuns: 500 },
  );
});

test.run();
