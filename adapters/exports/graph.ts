// Decoders of Microsoft Graph `GET /deviceManagement/managedDevices` responses:
// one page, an array of pages (what an export that follows @odata.nextLink
// saves), or a bare array of managedDevice objects.
import * as t from 'io-ts';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { decodeWith, type Issue } from '../../src/codec.js';
import type { ComplianceState, ManagedDevice } from '../../src/facts.js';
import { capErrors, issuesToInputErrors, joinPath, show, type InputError } from '../shared/input-errors.js';
import { decodePsOptionalDate, psCodec } from './powershell.js';

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

export const COMPLIANCE_STATES: readonly ComplianceState[] = [
  'unknown',
  'compliant',
  'noncompliant',
  'conflict',
  'error',
  'inGracePeriod',
  'configManager',
];

/** Graph's spelling; other casings (a PowerShell Graph SDK export) are accepted and normalized. */
export function decodeComplianceState(u: unknown): Either<string, ComplianceState> {
  const hit = typeof u === 'string' ? COMPLIANCE_STATES.find((s) => s.toLowerCase() === u.toLowerCase()) : undefined;
  return hit !== undefined ? right(hit) : left(`expected one of ${COMPLIANCE_STATES.join(', ')}, got ${show(u)}`);
}

const str = (u: unknown): Either<string, string> => (typeof u === 'string' ? right(u) : left(`expected a string, got ${show(u)}`));
/** Graph writes "" for unset strings (a userless device, a device without EAS): both mean absent. */
const optStr = (u: unknown): Either<string, string | undefined> => (u === null || u === undefined || u === '' ? right(undefined) : str(u));

export const ManagedDeviceRecordC = t.type({
  id: psCodec('non-empty string', (u) => (u === '' ? left('must not be empty') : str(u))),
  easDeviceId: psCodec('string | null', optStr),
  userPrincipalName: psCodec('string | null', optStr),
  emailAddress: psCodec('string | null', optStr),
  complianceState: psCodec('complianceState', decodeComplianceState),
  managementAgent: psCodec('managementAgent', (u) => (u === '' ? left('must not be empty') : str(u))),
  // 0001-01-01T00:00:00Z means unset; ISO from Graph, `/Date(ms)/` from a 5.1 SDK export
  lastSyncDateTime: psCodec('date-time | null', decodePsOptionalDate),
  complianceGracePeriodExpirationDateTime: psCodec('date-time | null', decodePsOptionalDate),
  deviceName: psCodec('string | null', optStr),
  model: psCodec('string | null', optStr),
  operatingSystem: psCodec('string | null', optStr),
});

const FIELDS = Object.keys(ManagedDeviceRecordC.props);

/** Graph's camelCase, falling back to any casing of the same name (PascalCase SDK output). */
function normalizeKeys(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const lower = new Map(Object.keys(o).map((k) => [k.toLowerCase(), k]));
  for (const f of FIELDS) {
    const k = f in o ? f : lower.get(f.toLowerCase());
    if (k !== undefined) out[f] = o[k];
  }
  return out;
}

/** One managedDevice object. Issue paths are relative to it. */
export function decodeManagedDevice(record: unknown): Either<Issue[], ManagedDevice> {
  if (!isRecord(record)) return left([{ path: '(root)', message: `expected a managedDevice object, got ${show(record)}` }]);
  const r = decodeWith(ManagedDeviceRecordC, normalizeKeys(record));
  if (isLeft(r)) return r;
  const d = r.right;
  const out: Record<string, unknown> = {
    id: d.id,
    easDeviceId: d.easDeviceId,
    userPrincipalName: d.userPrincipalName,
    emailAddress: d.emailAddress,
    complianceState: d.complianceState,
    managementAgent: d.managementAgent,
    lastSyncDateTime: d.lastSyncDateTime,
    complianceGracePeriodExpirationDateTime: d.complianceGracePeriodExpirationDateTime,
    deviceName: d.deviceName,
    model: d.model,
    operatingSystem: d.operatingSystem,
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return right(out as unknown as ManagedDevice);
}

/** `{"error":{"code","message"}}`, Graph's error body, as one clear error. */
function graphError(body: Record<string, unknown>, file: string, prefix: string): InputError | undefined {
  const e = body['error'];
  if (e === undefined) return undefined;
  const code = isRecord(e) && typeof e['code'] === 'string' ? e['code'] : 'unknown';
  const message = isRecord(e) && typeof e['message'] === 'string' ? e['message'] : show(e);
  const inner = isRecord(e) && isRecord(e['innerError']) ? e['innerError'] : undefined;
  const requestId = inner && typeof inner['request-id'] === 'string' ? ` (request-id ${inner['request-id']})` : '';
  return { file, path: joinPath(prefix, 'error'), message: `Graph returned an error instead of devices: ${code}: ${message}${requestId}` };
}

const isPage = (u: unknown): u is Record<string, unknown> =>
  isRecord(u) && (Array.isArray(u['value']) || '@odata.context' in u || 'error' in u);

function decodeDevicesAt(items: readonly unknown[], file: string, at: (i: number) => string, errors: InputError[], out: ManagedDevice[]) {
  items.forEach((item, i) => {
    const r = decodeManagedDevice(item);
    if (isLeft(r)) errors.push(...issuesToInputErrors(file, at(i), r.left));
    else out.push(r.right);
  });
}

/** One page; `prefix` is the page's path in the file ('' or `[p]`). */
function decodePageAt(
  page: Record<string, unknown>,
  file: string,
  prefix: string,
  errors: InputError[],
  out: ManagedDevice[],
): string | undefined {
  const err = graphError(page, file, prefix);
  if (err) {
    errors.push(err);
    return undefined;
  }
  const value = page['value'];
  if (!Array.isArray(value)) {
    errors.push({ file, path: joinPath(prefix, 'value'), message: `expected an array of managed devices, got ${show(value)}` });
    return undefined;
  }
  decodeDevicesAt(value, file, (i) => joinPath(prefix, `value[${i}]`), errors, out);
  const next = page['@odata.nextLink'];
  if (next === undefined || next === null) return undefined;
  if (typeof next !== 'string') {
    errors.push({ file, path: joinPath(prefix, '@odata.nextLink'), message: `expected a URL string, got ${show(next)}` });
    return undefined;
  }
  return next;
}

/** Every managed device in a Graph export: one page, an array of pages, or a bare array. */
export function decodeManagedDevices(json: unknown, file: string): Either<InputError[], ManagedDevice[]> {
  const errors: InputError[] = [];
  const out: ManagedDevice[] = [];
  if (json === null || json === undefined) return right([]);
  if (Array.isArray(json)) {
    if (json.some(isPage)) {
      json.forEach((page, p) => {
        if (isPage(page)) decodePageAt(page, file, `[${p}]`, errors, out);
        else
          errors.push({
            file,
            path: `[${p}]`,
            message: `expected a Graph page ({ "value": [...] }) like the other elements, got ${show(page)}`,
          });
      });
    } else {
      decodeDevicesAt(json, file, (i) => `[${i}]`, errors, out);
    }
  } else if (isPage(json)) {
    decodePageAt(json, file, '', errors, out);
  } else if (isRecord(json) && 'id' in json) {
    decodeDevicesAt([json], file, () => '', errors, out); // one device on its own
  } else {
    errors.push({
      file,
      path: '(root)',
      message: `expected a Graph page, an array of pages or an array of managed devices, got ${show(json)}`,
    });
  }
  return errors.length ? left(capErrors(file, errors)) : right(out);
}

/** One response of the live Graph adapter: its devices and the next page's URL, if any. */
export function decodeManagedDevicePage(json: unknown, url: string): Either<InputError[], { devices: ManagedDevice[]; nextLink?: string }> {
  if (!isRecord(json)) return left([{ file: url, path: '(root)', message: `expected a Graph page object, got ${show(json)}` }]);
  const errors: InputError[] = [];
  const devices: ManagedDevice[] = [];
  const nextLink = decodePageAt(json, url, '', errors, devices);
  if (errors.length) return left(capErrors(url, errors));
  return right(nextLink === undefined ? { devices } : { devices, nextLink });
}
