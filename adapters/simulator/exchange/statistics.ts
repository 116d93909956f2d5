// Get-MobileDeviceStatistics, Clear-MobileDevice and Remove-MobileDevice: when
// each partnership last synced, and a remote wipe's life in Exchange — stamped
// when requested, sent at the phone's next contact, acknowledged by the phone.
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { MobileDeviceStatistics } from '../../../src/facts.js';
import type { ClearMobileDevice, RemoveMobileDevice } from '../../../src/commands.js';
import type { ExchangeError, MobileDeviceStatisticsQuery } from '../../../src/ports.js';
import { idKey, type DeviceEntry, type Directory } from './directory.js';
import { removePartnership } from './admin.js';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

// A partnership's identity, as -Identity finds it (either slash, any case).
const findByIdentity = (dir: Directory, identity: string): DeviceEntry | undefined => dir.devicesByIdentity.get(idKey(identity));

/**
 * The phone's view of a pending wipe at `now`: a phone in contact picks the wipe
 * up at its next sync (`ackDelayMs` after the request) and acknowledges it; an
 * offline one never does.
 */
function advanceWipe(d: DeviceEntry, now: number, ackDelayMs: number): void {
  const w = d.wipe;
  if (!w || w.ackMs !== undefined || d.offline) return;
  if (now >= w.requestMs + ackDelayMs) {
    w.sentMs = w.requestMs + Math.floor(ackDelayMs / 2);
    w.ackMs = w.requestMs + ackDelayMs;
    d.lastSuccessMs = w.ackMs;
  }
}

function statisticsOf(d: DeviceEntry): MobileDeviceStatistics {
  const w = d.wipe;
  const s: { -readonly [K in keyof MobileDeviceStatistics]: MobileDeviceStatistics[K] } = {
    identity: d.rec.identity,
    deviceId: d.rec.deviceId,
    status: w ? (w.ackMs !== undefined ? 'DeviceWipeSucceeded' : 'DeviceWipePending') : 'DeviceOk',
  };
  const last = iso(d.lastSuccessMs);
  if (last !== undefined) s.lastSuccessSync = last;
  if (w) {
    s.deviceWipeRequestTime = iso(w.requestMs)!;
    if (w.sentMs !== undefined) s.deviceWipeSentTime = iso(w.sentMs)!;
    if (w.ackMs !== undefined) s.deviceWipeAckTime = iso(w.ackMs)!;
  }
  return s;
}

export function getMobileDeviceStatistics(
  dir: Directory,
  query: MobileDeviceStatisticsQuery,
  now: number,
  ackDelayMs: number,
): Either<ExchangeError, MobileDeviceStatistics[]> {
  if ('identity' in query) {
    const d = findByIdentity(dir, query.identity);
    if (!d) return left(dir.notFound(query.identity));
    advanceWipe(d, now, ackDelayMs);
    return right([statisticsOf(d)]);
  }
  const m = dir.resolve(query.mailbox);
  if (!m) return left(dir.notFound(query.mailbox));
  const out: MobileDeviceStatistics[] = [];
  for (const key of m.devices) {
    const d = dir.devices.get(key)!;
    advanceWipe(d, now, ackDelayMs);
    out.push(statisticsOf(d));
  }
  return right(out);
}

export function clearMobileDevice(dir: Directory, c: ClearMobileDevice, now: number): Either<ExchangeError, void> {
  const d = findByIdentity(dir, c.identity);
  if (!d) return left(dir.notFound(c.identity));
  // Exchange refuses to queue a wipe for a phone that never completed a sync: nothing would ever pick it up.
  if (d.lastSuccessMs === undefined)
    return left({
      kind: 'other',
      message: `The mobile device '${c.identity}' has never synchronized successfully with the server. A remote wipe can't be sent to it.`,
    });
  if (c.accountOnly && !dir.supportsAccountOnly)
    return left({ kind: 'other', message: `A parameter cannot be found that matches parameter name 'AccountOnly'.` });
  d.wipe = { requestMs: now, accountOnly: c.accountOnly };
  return right(undefined);
}

export function removeMobileDevice(dir: Directory, c: RemoveMobileDevice): Either<ExchangeError, void> {
  const d = findByIdentity(dir, c.identity);
  if (!d) return left(dir.notFound(c.identity));
  removePartnership(dir, d.rec.deviceId);
  return right(undefined);
}
