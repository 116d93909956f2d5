// Decoders of PowerShell ConvertTo-Json output (Windows PowerShell 5.1 and
// PowerShell 7), for export files and
// for the PowerShell gateway alike. Lenient on shape (dates, enums, lone
// objects, scalar multi-valued properties, extra properties) but strict on
// what the engine needs: a record that cannot be decoded is an error with its
// path, never silently dropped.
import * as t from 'io-ts';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { decodeWith, type Issue } from '../../src/codec.js';
import type { CasMailbox, Characteristic, ExchangeAccessLevel, MobileDevice } from '../../src/facts.js';
import { capErrors, issuesToInputErrors, show, type InputError } from '../shared/input-errors.js';

// ---------------------------------------------------------------- primitives

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

const PS_DATE = /^\\?\/Date\((-?\d+)(?:[+-]\d{4})?\)\\?\/$/;
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i;
const ISO_NO_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/;
/** .NET DateTime.MinValue (0001-01-01), what both Exchange and Graph write for "never". */
const MIN_VALUE_MS = -62135596800000;

/**
 * A PowerShell date: `/Date(ms)/` (5.1; the `\/` escapes are gone after
 * JSON.parse; ms are UTC, an offset suffix only says how to display it) or an
 * ISO-8601 string with a zone (7). Returns the ISO UTC form.
 */
export function decodePsDate(value: unknown): Either<string, string> {
  if (typeof value !== 'string') return left(`expected a date, got ${show(value)}`);
  const m = PS_DATE.exec(value);
  let ms: number;
  if (m) {
    ms = Number(m[1]);
  } else if (ISO_WITH_ZONE.test(value)) {
    ms = Date.parse(value);
  } else if (ISO_NO_ZONE.test(value)) {
    return left(`expected a date-time with a time zone, got ${show(value)}`);
  } else {
    return left(`expected a date (\\/Date(ms)\\/ or ISO-8601), got ${show(value)}`);
  }
  if (!Number.isFinite(ms) || Number.isNaN(new Date(ms).getTime())) return left(`not a valid date: ${show(value)}`);
  return right(new Date(ms).toISOString());
}

/** Like decodePsDate, but null, absent and DateTime.MinValue mean "no date". */
export function decodePsOptionalDate(value: unknown): Either<string, string | undefined> {
  if (value === null || value === undefined || value === '') return right(undefined);
  const r = decodePsDate(value);
  if (isLeft(r)) return r;
  return Date.parse(r.right) <= MIN_VALUE_MS + 86_400_000 ? right(undefined) : r;
}

/** true/false, or the strings "True"/"False" (any case) that some pipelines produce. */
export function decodePsBool(value: unknown): Either<string, boolean> {
  if (typeof value === 'boolean') return right(value);
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (v === 'true') return right(true);
    if (v === 'false') return right(false);
  }
  return left(`expected true or false, got ${show(value)}`);
}

/**
 * 5.1 writes an array that carries extra PowerShell properties as
 * `{ "value": [...], "Count": n }`; this unwraps it.
 */
export function unwrapPsArray(value: unknown): unknown {
  if (isRecord(value) && Array.isArray(value['value'])) {
    const keys = Object.keys(value);
    if (keys.every((k) => k === 'value' || k === 'Count' || k === 'count')) return value['value'];
  }
  return value;
}

/**
 * What ConvertTo-Json writes for a value deeper than -Depth: its .NET type
 * name, e.g. `Microsoft.Exchange.Data.MultiValuedProperty`1[System.String]`.
 */
export const looksLikeTypeName = (u: unknown): u is string =>
  typeof u === 'string' && /^(?:Microsoft|System)\.[\w.`+]+(?:\[[\w.`+,\[\] ]*\])?$/.test(u);

const depthHint = (u: string) => `got the type name ${show(u)}: export again with ConvertTo-Json -Depth 4`;

/** A multi-valued property: an array, a single value, or null/absent (→ []). */
export function decodePsMultiOf<A>(item: (u: unknown) => Either<string, A>): (value: unknown) => Either<string, A[]> {
  return (value) => {
    const v = unwrapPsArray(value);
    if (v === null || v === undefined) return right([]);
    // a single type-name string is a truncated collection, not one value
    if (looksLikeTypeName(v)) return left(depthHint(v));
    const items = Array.isArray(v) ? v : [v];
    const out: A[] = [];
    for (let i = 0; i < items.length; i++) {
      const r = item(items[i]);
      if (isLeft(r)) return left(Array.isArray(v) ? `[${i}]: ${r.left}` : r.left);
      out.push(r.right);
    }
    return right(out);
  };
}

const str = (u: unknown): Either<string, string> => (typeof u === 'string' ? right(u) : left(`expected a string, got ${show(u)}`));

/** Multi-valued strings (ActiveSyncAllowedDeviceIDs …): array, single string or null. */
export const decodePsMulti: (value: unknown) => Either<string, string[]> = decodePsMultiOf(str);

/** A PowerShell enum, by name (any case) or by number. */
export function decodePsEnum<N extends string>(names: readonly N[], value: unknown): Either<string, N> {
  const expected = () => `expected one of ${names.join(', ')} (or 0-${names.length - 1}), got ${show(value)}`;
  let n: number | undefined;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string') {
    const byName = names.find((x) => x.toLowerCase() === value.trim().toLowerCase());
    if (byName !== undefined) return right(byName);
    if (/^\s*\d+\s*$/.test(value)) n = Number(value);
  }
  if (n !== undefined && Number.isInteger(n) && n >= 0 && n < names.length) return right(names[n]!);
  return left(expected());
}

export const DEVICE_ACCESS_STATES = ['Unknown', 'Allowed', 'Blocked', 'Quarantined', 'DeviceDiscovery'] as const;
export type DeviceAccessState = (typeof DEVICE_ACCESS_STATES)[number];
/** Get-ActiveSyncOrganizationSettings DefaultAccessLevel, Get-ActiveSyncDeviceAccessRule AccessLevel. */
export const ACCESS_LEVELS: readonly ExchangeAccessLevel[] = ['Allow', 'Block', 'Quarantine'];
export const CHARACTERISTICS: readonly Characteristic[] = ['DeviceType', 'DeviceModel', 'DeviceOS', 'UserAgent', 'XMSWLHeader'];

export const decodeDeviceAccessState = (u: unknown) => decodePsEnum(DEVICE_ACCESS_STATES, u);
export const decodeAccessLevel = (u: unknown) => decodePsEnum(ACCESS_LEVELS, u);
export const decodeCharacteristic = (u: unknown) => decodePsEnum(CHARACTERISTICS, u);

/**
 * An Exchange identity. Over a remote session it is a string; a local
 * Exchange Management Shell writes the ADObjectId object, whose
 * DistinguishedName every cmdlet's -Identity accepts.
 */
export function decodePsIdentity(value: unknown): Either<string, string> {
  if (typeof value === 'string') {
    return value.trim() === '' ? left('must not be empty') : right(value);
  }
  if (isRecord(value)) {
    for (const k of ['DistinguishedName', 'ObjectGuid', 'Guid', 'Name']) {
      const v = value[k];
      if (typeof v === 'string' && v.trim() !== '') return right(v);
    }
    return left(`expected an identity string, got an object without DistinguishedName, ObjectGuid or Name: ${show(value)}`);
  }
  return left(`expected an identity string, got ${show(value)}`);
}

/** An SMTP address: a string, or a local shell's SmtpAddress object `{ "Address": … }`. */
export function decodeSmtpAddress(value: unknown): Either<string, string> {
  if (typeof value === 'string') return right(value);
  if (isRecord(value) && typeof value['Address'] === 'string') return right(value['Address']);
  return left(`expected an SMTP address, got ${show(value)}`);
}

/**
 * A proxy address as `PREFIX:address`: a string (remote sessions), or a local
 * shell's ProxyAddress object (ProxyAddressString, or PrefixString +
 * AddressString with IsPrimaryAddress deciding the prefix's case).
 */
export function decodeProxyAddress(value: unknown): Either<string, string> {
  if (typeof value === 'string') return right(value);
  if (isRecord(value)) {
    if (typeof value['ProxyAddressString'] === 'string') return right(value['ProxyAddressString']);
    const address = value['AddressString'];
    if (typeof address === 'string') {
      const prefix =
        typeof value['PrefixString'] === 'string'
          ? value['PrefixString']
          : isRecord(value['Prefix']) && typeof value['Prefix']['PrimaryPrefix'] === 'string'
            ? value['Prefix']['PrimaryPrefix']
            : address.includes('@')
              ? 'SMTP'
              : undefined;
      if (prefix === undefined) return right(address);
      const primary = value['IsPrimaryAddress'] === true;
      return right(`${primary ? prefix.toUpperCase() : prefix.toLowerCase()}:${address}`);
    }
  }
  return left(`expected a proxy address string, got ${show(value)}`);
}

// ------------------------------------------------------------ io-ts codecs

/** An io-ts codec from one of the decoders above (messages become issues at the field's path). */
export function psCodec<A>(name: string, f: (u: unknown) => Either<string, A>): t.Type<A, unknown, unknown> {
  return new t.Type<A, unknown, unknown>(
    name,
    (u): u is A => !isLeft(f(u)),
    (u, c) => {
      const r = f(u);
      return isLeft(r) ? t.failure(u, c, u === undefined ? 'required property is missing' : r.left) : t.success(r.right);
    },
    (a) => a,
  );
}

const optional =
  <A>(f: (u: unknown) => Either<string, A>) =>
  (u: unknown): Either<string, A | undefined> =>
    u === null || u === undefined ? right(undefined) : f(u);

export const PsString = psCodec('string', str);
export const PsNonEmptyString = psCodec('non-empty string', (u) =>
  typeof u === 'string' && u.trim() === '' ? left('must not be empty') : str(u),
);
export const PsOptionalString = psCodec('string | null', optional(str));
export const PsIdentity = psCodec('identity', decodePsIdentity);
export const PsOptionalIdentity = psCodec('identity | null', optional(decodePsIdentity));
export const PsDate = psCodec('date', decodePsDate);
export const PsOptionalDate = psCodec('date | null', decodePsOptionalDate);
export const PsBool = psCodec('boolean', decodePsBool);
export const PsOptionalBool = psCodec('boolean | null', optional(decodePsBool));
export const PsMulti = psCodec('string[]', decodePsMulti);
export const PsProxyAddresses = psCodec('proxy address[]', decodePsMultiOf(decodeProxyAddress));
export const PsOptionalSmtpAddress = psCodec('SMTP address | null', optional(decodeSmtpAddress));
export const DeviceAccessStateC = psCodec('DeviceAccessState', decodeDeviceAccessState);
export const AccessLevelC = psCodec('DeviceAccessLevel', decodeAccessLevel);
export const CharacteristicC = psCodec('DeviceAccessCharacteristic', decodeCharacteristic);

// ------------------------------------------------------------- collections

/**
 * The records of one cmdlet's output: an array, the 5.1 `{ value, Count }`
 * wrapper, one lone object (one result), or nothing. `prefix(i)` is the
 * element's path in the file (`[i]`, `value[i]`, or '' for a lone object).
 */
export function psRecords(json: unknown): Either<string, { items: unknown[]; prefix: (i: number) => string }> {
  if (json === null || json === undefined) return right({ items: [], prefix: (i) => `[${i}]` });
  if (Array.isArray(json)) return right({ items: json, prefix: (i) => `[${i}]` });
  const unwrapped = unwrapPsArray(json);
  if (Array.isArray(unwrapped)) return right({ items: unwrapped, prefix: (i) => `value[${i}]` });
  if (isRecord(json)) return right({ items: [json], prefix: () => '' });
  return left(`expected an array of objects or one object, got ${show(json)}`);
}

/** Decodes every record, collecting every error (capped) rather than stopping at the first. */
export function decodeRecords<A>(
  json: unknown,
  file: string,
  what: string,
  decodeOne: (record: unknown) => Either<Issue[], A>,
): Either<InputError[], A[]> {
  const recs = psRecords(json);
  if (isLeft(recs)) return left([{ file, path: '(root)', message: recs.left }]);
  const { items, prefix } = recs.right;
  const errors: InputError[] = [];
  const out: A[] = [];
  items.forEach((item, i) => {
    const p = prefix(i);
    if (!isRecord(item)) {
      const got = looksLikeTypeName(item) ? depthHint(item) : `got ${show(item)}`;
      errors.push({ file, path: p === '' ? '(root)' : p, message: `expected an object (one ${what}), ${got}` });
      return;
    }
    const r = decodeOne(item);
    if (isLeft(r)) errors.push(...issuesToInputErrors(file, p, r.left));
    else out.push(r.right);
  });
  return errors.length ? left(capErrors(file, errors)) : right(out);
}

// ------------------------------------------------------- Get-MobileDevice

export const MobileDeviceRecordC = t.type({
  Identity: PsIdentity,
  DistinguishedName: PsOptionalString,
  Guid: PsOptionalString,
  DeviceId: PsNonEmptyString,
  DeviceType: PsString,
  DeviceModel: PsOptionalString,
  DeviceOS: PsOptionalString,
  DeviceUserAgent: PsOptionalString,
  FriendlyName: PsOptionalString,
  FirstSyncTime: PsOptionalDate,
  UserDisplayName: PsOptionalString,
});

/** Optional fields are left out rather than set to undefined (facts stay plain JSON). */
export function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** One Get-MobileDevice / Get-ActiveSyncDevice object. Issue paths are relative to it. */
export function decodeMobileDevice(record: unknown): Either<Issue[], MobileDevice> {
  const r = decodeWith(MobileDeviceRecordC, record);
  if (isLeft(r)) return r;
  const d = r.right;
  return right(
    compact<MobileDevice>({
      identity: d.Identity,
      distinguishedName: d.DistinguishedName,
      guid: d.Guid,
      deviceId: d.DeviceId,
      deviceType: d.DeviceType,
      deviceModel: d.DeviceModel ?? '',
      deviceOS: d.DeviceOS,
      deviceUserAgent: d.DeviceUserAgent,
      friendlyName: d.FriendlyName,
      firstSyncTime: d.FirstSyncTime,
      userDisplayName: d.UserDisplayName,
    }),
  );
}

/** `Get-MobileDevice -ResultSize Unlimited | ConvertTo-Json -Depth 4` output (parsed). */
export const decodeMobileDevices = (json: unknown, file: string): Either<InputError[], MobileDevice[]> =>
  decodeRecords(json, file, 'mobile device', decodeMobileDevice);

// --------------------------------------------------------- Get-CasMailbox

export const CasMailboxRecordC = t.type({
  Identity: PsIdentity,
  DistinguishedName: PsOptionalString,
  Guid: PsOptionalString,
  DisplayName: PsOptionalString,
  Name: PsOptionalString,
  PrimarySmtpAddress: PsOptionalSmtpAddress,
  EmailAddresses: PsProxyAddresses,
  UserPrincipalName: PsOptionalString,
  ActiveSyncEnabled: PsOptionalBool,
  ActiveSyncAllowedDeviceIDs: PsMulti,
  ActiveSyncBlockedDeviceIDs: PsMulti,
});

/** One Get-CasMailbox object. Issue paths are relative to it. */
export function decodeCasMailbox(record: unknown): Either<Issue[], CasMailbox> {
  const r = decodeWith(CasMailboxRecordC, record);
  if (isLeft(r)) return r;
  const m = r.right;
  // A missing PrimarySmtpAddress can be recovered from the `SMTP:` (upper-case) proxy.
  const primary = m.PrimarySmtpAddress ?? m.EmailAddresses.find((a) => a.startsWith('SMTP:'))?.slice(5);
  if (primary === undefined) {
    return left([{ path: 'PrimarySmtpAddress', message: 'required property is missing (and no SMTP: address in EmailAddresses)' }]);
  }
  return right(
    compact<CasMailbox>({
      identity: m.Identity,
      distinguishedName: m.DistinguishedName,
      guid: m.Guid,
      displayName: m.DisplayName ?? m.Name,
      primarySmtpAddress: primary,
      emailAddresses: m.EmailAddresses,
      userPrincipalName: m.UserPrincipalName === '' ? undefined : m.UserPrincipalName,
      activeSyncEnabled: m.ActiveSyncEnabled ?? true,
      allowedDeviceIds: m.ActiveSyncAllowedDeviceIDs,
      blockedDeviceIds: m.ActiveSyncBlockedDeviceIDs,
    }),
  );
}

/** `Get-CasMailbox -ResultSize Unlimited | ConvertTo-Json -Depth 4` output (parsed). */
export const decodeCasMailboxes = (json: unknown, file: string): Either<InputError[], CasMailbox[]> =>
  decodeRecords(json, file, 'CAS mailbox', decodeCasMailbox);
