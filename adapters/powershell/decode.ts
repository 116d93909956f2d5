// Decoding the script's output records into facts. Device and CAS mailbox
// records use the decoders shared with `plan` (adapters/exports/powershell.ts);
// the few other cmdlets are decoded here with the same primitives, so every shape
// (5.1 `\/Date()\/` and ISO dates, enums as names or numbers, lone objects, the
// `{ value, Count }` wrapper) is accepted everywhere.
import * as t from 'io-ts';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { decodeWith, type Issue } from '../../src/codec.js';
import type { DeviceAccessRule, ExchangeServer, OrgSettings } from '../../src/facts.js';
import type { ExchangeError } from '../../src/ports.js';
import { show } from '../shared/input-errors.js';
import {
  AccessLevelC,
  CharacteristicC,
  PsMulti,
  PsNonEmptyString,
  PsOptionalBool,
  PsOptionalIdentity,
  PsOptionalString,
  PsString,
  psCodec,
  psRecords,
} from '../exports/powershell.js';

export { decodeMobileDevice, decodeCasMailbox } from '../exports/powershell.js';
export { decodeStatistics } from '../exports/statistics.js';

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

// --------------------------------------------------- Get-ActiveSyncOrganizationSettings
const OrgSettingsRecordC = t.type({
  DefaultAccessLevel: AccessLevelC,
  UserMailInsert: PsOptionalString,
  AdminMailRecipients: PsMulti,
});

export function decodeOrgSettings(record: unknown): Either<Issue[], OrgSettings> {
  const r = decodeWith(OrgSettingsRecordC, record);
  if (isLeft(r)) return r;
  return right(
    compact<OrgSettings>({
      defaultAccessLevel: r.right.DefaultAccessLevel,
      userMailInsert: r.right.UserMailInsert,
      adminMailRecipients: r.right.AdminMailRecipients,
    }),
  );
}

// ------------------------------------------------------- Get-ActiveSyncDeviceAccessRule
const RuleRecordC = t.type({
  Name: PsOptionalString,
  Identity: PsOptionalIdentity,
  Characteristic: CharacteristicC,
  QueryString: PsString,
  AccessLevel: AccessLevelC,
});

export function decodeDeviceAccessRule(record: unknown): Either<Issue[], DeviceAccessRule> {
  const r = decodeWith(RuleRecordC, record);
  if (isLeft(r)) return r;
  const x = r.right;
  return right(
    compact<DeviceAccessRule>({
      name: x.Name ?? x.Identity,
      characteristic: x.Characteristic,
      queryString: x.QueryString,
      accessLevel: x.AccessLevel,
    }),
  );
}

// ------------------------------------------------------------------ Get-ExchangeServer
/** ServerRole: "Mailbox, ClientAccess" (names) or the flags as a number (Mailbox 2, ClientAccess 4, Edge 64). */
const ServerRoleC = psCodec('ServerRole', (u): Either<string, string | undefined> => {
  if (u === null || u === undefined) return right(undefined);
  if (typeof u === 'string') return right(u);
  if (typeof u === 'number' && Number.isInteger(u) && u >= 0) {
    const names: [number, string][] = [
      [2, 'Mailbox'],
      [4, 'ClientAccess'],
      [16, 'UnifiedMessaging'],
      [32, 'HubTransport'],
      [64, 'Edge'],
    ];
    return right(
      names
        .filter(([bit]) => (u & bit) !== 0)
        .map(([, n]) => n)
        .join(', ') || 'None',
    );
  }
  return left(`expected server roles, got ${show(u)}`);
});

const ServerRecordC = t.type({
  Name: PsNonEmptyString,
  Fqdn: PsOptionalString,
  ServerRole: ServerRoleC,
  IsClientAccessServer: PsOptionalBool,
  AdminDisplayVersion: PsOptionalString,
});

export function decodeExchangeServer(record: unknown): Either<Issue[], ExchangeServer> {
  const r = decodeWith(ServerRecordC, record);
  if (isLeft(r)) return r;
  const x = r.right;
  const role = x.ServerRole ?? '';
  const cas = x.IsClientAccessServer === true || (/ClientAccess|Mailbox/i.test(role) && !/Edge/i.test(role));
  return right(
    compact<ExchangeServer>({
      name: x.Name,
      fqdn: x.Fqdn && x.Fqdn.trim() !== '' ? x.Fqdn : x.Name,
      isClientAccessServer: cas,
      version: x.AdminDisplayVersion,
    }),
  );
}

// ---------------------------------------------------------------------------- Get-User
export interface UserRecord {
  readonly identity?: string;
  readonly distinguishedName?: string;
  readonly guid?: string;
  readonly userPrincipalName?: string;
}

const UserRecordC = t.type({
  Identity: PsOptionalIdentity,
  DistinguishedName: PsOptionalString,
  Guid: PsOptionalString,
  UserPrincipalName: PsOptionalString,
});

export function decodeUser(record: unknown): Either<Issue[], UserRecord> {
  const r = decodeWith(UserRecordC, record);
  if (isLeft(r)) return r;
  const x = r.right;
  return right(
    compact<UserRecord>({
      identity: x.Identity,
      distinguishedName: x.DistinguishedName,
      guid: x.Guid,
      userPrincipalName: x.UserPrincipalName === '' ? undefined : x.UserPrincipalName,
    }),
  );
}

// ------------------------------------------------------------------------- all output
/**
 * Every record of one call's chunks. A record that cannot be decoded fails the
 * whole call (invalidOutput with its path), never silently dropped.
 */
export function decodeOutput<A>(
  op: string,
  chunks: readonly unknown[],
  decodeOne: (record: unknown) => Either<Issue[], A>,
): Either<ExchangeError, A[]> {
  const out: A[] = [];
  let n = 0;
  for (const chunk of chunks) {
    const recs = psRecords(chunk);
    if (isLeft(recs)) return left({ kind: 'invalidOutput', message: `${op} output: ${recs.left}`, path: `${op}[${n}]` });
    for (const item of recs.right.items) {
      if (!isRecord(item)) {
        return left({
          kind: 'invalidOutput',
          message: `${op} output record ${n}: expected an object, got ${show(item)}`,
          path: `${op}[${n}]`,
        });
      }
      const r = decodeOne(item);
      if (isLeft(r)) {
        const first = r.left[0] ?? { path: '', message: 'invalid record' };
        const path = first.path === '' || first.path === '(root)' ? `${op}[${n}]` : `${op}[${n}].${first.path}`;
        const more = r.left.length > 1 ? ` (and ${r.left.length - 1} more)` : '';
        return left({ kind: 'invalidOutput', message: `${path}: ${first.message}${more}`, path });
      }
      out.push(r.right);
      n++;
    }
  }
  return right(out);
}
