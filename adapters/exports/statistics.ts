// A Get-MobileDeviceStatistics export (`Get-MobileDeviceStatistics -Mailbox … |
// ConvertTo-Json -Depth 4`, one file for many mailboxes: an array of them) for
// the clean-up dry run of `eas-sync plan`.
import type { Either } from 'fp-ts/lib/Either.js';
import type { MobileDeviceStatistics } from '../../src/facts.js';
import type { InputError } from '../shared/input-errors.js';
import { decodeRecords } from './powershell.js';
import { decodeStatistics } from '../powershell/decode.js';

export const decodeStatisticsExport = (json: unknown, file: string): Either<InputError[], MobileDeviceStatistics[]> =>
  decodeRecords(json, file, 'mobile device statistics', decodeStatistics);
