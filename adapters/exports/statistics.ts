// Get-MobileDeviceStatistics records: one partnership's LastSuccessSync,
// Status and remote wipe times, as the gateway reads them and as an export
// (`Get-MobileDeviceStatistics -Mailbox … | ConvertTo-Json -Depth 4`, one file
// for many mailboxes: an array of them) gives them to `eas-sync plan`.
import * as t from 'io-ts';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { decodeWith, type Issue } from '../../src/codec.js';
import type { MobileDeviceStatistics } from '../../src/facts.js';
import { show, type InputError } from '../shared/input-errors.js';
import { compact, decodeRecords, psCodec, PsNonEmptyString, PsOptionalDate, PsOptionalIdentity } from './powershell.js';

/** Status is an enum: its name, or its number when the remote session serialized it as one (kept as text). */
const PsEnumText = psCodec('enum name | number | null', (u): Either<string, string | undefined> => {
  if (u === null || u === undefined) return right(undefined);
  if (typeof u === 'string') return right(u);
  if (typeof u === 'number' && Number.isInteger(u)) return right(String(u));
  return left(`expected an enum value, got ${show(u)}`);
});

const StatisticsRecordC = t.type({
  Identity: PsOptionalIdentity,
  DeviceId: PsNonEmptyString,
  LastSuccessSync: PsOptionalDate,
  Status: PsEnumText,
  DeviceWipeRequestTime: PsOptionalDate,
  DeviceWipeSentTime: PsOptionalDate,
  DeviceWipeAckTime: PsOptionalDate,
});

export function decodeStatistics(record: unknown): Either<Issue[], MobileDeviceStatistics> {
  const r = decodeWith(StatisticsRecordC, record);
  if (isLeft(r)) return r;
  const x = r.right;
  if (x.Identity === undefined) return left([{ path: 'Identity', message: 'expected the partnership identity, got null' }]);
  return right(
    compact<MobileDeviceStatistics>({
      identity: x.Identity,
      deviceId: x.DeviceId,
      lastSuccessSync: x.LastSuccessSync,
      status: x.Status,
      deviceWipeRequestTime: x.DeviceWipeRequestTime,
      deviceWipeSentTime: x.DeviceWipeSentTime,
      deviceWipeAckTime: x.DeviceWipeAckTime,
    }),
  );
}

export const decodeStatisticsExport = (json: unknown, file: string): Either<InputError[], MobileDeviceStatistics[]> =>
  decodeRecords(json, file, 'mobile device statistics', decodeStatistics);
