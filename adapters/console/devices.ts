// The devices view: every current partnership as a row, filtered, sorted and
// paged on the server. Built once per log version; at 100,000 devices a page
// is a scan of one presorted index (sorted lazily, once per sort key), never a
// sort per request.
import type { DeviceAccessProjection } from '../../projections/device-access.js';

export interface DeviceRow {
  readonly deviceId: string;
  readonly deviceType: string;
  readonly deviceModel: string;
  readonly user: string;
  readonly mailbox: string;
  readonly organization: string;
  readonly access: 'allow' | 'block' | 'quarantine';
  readonly reason: string;
  readonly governed: boolean;
  readonly intuneDeviceId: string;
  readonly complianceState: string;
  readonly decidedAt: string;
}

export const SORT_KEYS = ['deviceId', 'deviceType', 'deviceModel', 'user', 'mailbox', 'access', 'reason', 'governed', 'decidedAt'] as const;
export type SortKey = (typeof SORT_KEYS)[number];

export interface DeviceQuery {
  readonly access?: DeviceRow['access'];
  readonly reason?: string;
  readonly governed?: boolean;
  /** Case-insensitive text found in the device id, the user, the mailbox or the model. */
  readonly q?: string;
  readonly sort: SortKey;
  readonly order: 'asc' | 'desc';
  /** 1-based. */
  readonly page: number;
  readonly pageSize: number;
}

export const MAX_PAGE_SIZE = 500;

export interface DeviceIndex {
  readonly rows: readonly DeviceRow[];
  /** Lower-cased text searched by `q`, one per row. */
  readonly text: readonly string[];
  readonly sorted: Map<SortKey, Uint32Array>;
}

/** Rows of every current device with a decision, in the projection's order. */
export function deviceIndex(p: DeviceAccessProjection, users: ReadonlyMap<string, string>): DeviceIndex {
  const rows: DeviceRow[] = [];
  const text: string[] = [];
  for (const m of p.streams.values()) {
    const user = users.get(m.stream) ?? '';
    for (const d of m.devices) {
      if (!d.access) continue;
      rows.push({
        deviceId: d.deviceId,
        deviceType: d.deviceType,
        deviceModel: d.deviceModel,
        user,
        mailbox: d.mailbox,
        organization: d.organization,
        access: d.access,
        reason: d.reason ?? '',
        governed: d.governed === true,
        intuneDeviceId: d.intuneDeviceId ?? '',
        complianceState: d.complianceState ?? '',
        decidedAt: d.decidedAt ?? '',
      });
      text.push(`${d.deviceId}\n${user}\n${d.mailbox}\n${d.deviceModel}`.toLowerCase());
    }
  }
  return { rows, text, sorted: new Map() };
}

const compareBy = (key: SortKey) => {
  if (key === 'governed') return (a: DeviceRow, b: DeviceRow) => Number(a.governed) - Number(b.governed);
  // Plain code-unit order: stable across locales, and what a CSV consumer re-sorting would get.
  return (a: DeviceRow, b: DeviceRow) => {
    const x = a[key];
    const y = b[key];
    return x < y ? -1 : x > y ? 1 : 0;
  };
};

/** The row order for `key` ascending (ties by device id, then mailbox), computed once per key. */
function order(ix: DeviceIndex, key: SortKey): Uint32Array {
  let o = ix.sorted.get(key);
  if (o) return o;
  const cmp = compareBy(key);
  const byId = compareBy('deviceId');
  const byMailbox = compareBy('mailbox');
  const rows = ix.rows;
  const idx = Array.from({ length: rows.length }, (_, i) => i);
  idx.sort((i, j) => cmp(rows[i]!, rows[j]!) || byId(rows[i]!, rows[j]!) || byMailbox(rows[i]!, rows[j]!) || i - j);
  o = Uint32Array.from(idx);
  ix.sorted.set(key, o);
  return o;
}

const matches = (ix: DeviceIndex, i: number, q: Omit<DeviceQuery, 'page' | 'pageSize'>, needle: string | undefined): boolean => {
  const r = ix.rows[i]!;
  if (q.access !== undefined && r.access !== q.access) return false;
  if (q.reason !== undefined && r.reason !== q.reason) return false;
  if (q.governed !== undefined && r.governed !== q.governed) return false;
  if (needle !== undefined && !ix.text[i]!.includes(needle)) return false;
  return true;
};

/** Every matching row index, in the query's order. */
export function* matching(ix: DeviceIndex, q: Omit<DeviceQuery, 'page' | 'pageSize'>): IterableIterator<number> {
  const o = order(ix, q.sort);
  const needle = q.q ? q.q.toLowerCase() : undefined;
  const n = o.length;
  for (let k = 0; k < n; k++) {
    const i = o[q.order === 'asc' ? k : n - 1 - k]!;
    if (matches(ix, i, q, needle)) yield i;
  }
}

export interface DevicePage {
  readonly total: number;
  readonly page: number;
  readonly pageSize: number;
  readonly rows: readonly DeviceRow[];
}

export function devicePage(ix: DeviceIndex, q: DeviceQuery): DevicePage {
  const from = (q.page - 1) * q.pageSize;
  const rows: DeviceRow[] = [];
  let total = 0;
  for (const i of matching(ix, q)) {
    if (total >= from && rows.length < q.pageSize) rows.push(ix.rows[i]!);
    total++;
  }
  return { total, page: q.page, pageSize: q.pageSize, rows };
}

/** Counts of the current devices by access and by reason (the overview's table). */
export function reasonCounts(ix: DeviceIndex): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = { allow: {}, block: {}, quarantine: {} };
  for (const r of ix.rows) {
    const byReason = out[r.access]!;
    byReason[r.reason] = (byReason[r.reason] ?? 0) + 1;
  }
  return out;
}

const CSV_COLUMNS: ReadonlyArray<keyof DeviceRow> = [
  'deviceId',
  'deviceType',
  'deviceModel',
  'user',
  'mailbox',
  'organization',
  'access',
  'reason',
  'governed',
  'intuneDeviceId',
  'complianceState',
  'decidedAt',
];

/**
 * One CSV cell (RFC 4180). Device fields are chosen by whoever holds the phone:
 * a cell a spreadsheet would read as a formula (= + - @, tab, carriage return)
 * gets a leading apostrophe, so opening the export never runs anything.
 */
export function csvCell(value: string | boolean): string {
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The matching rows as CSV, header first, CRLF line ends. */
export function* devicesCsv(ix: DeviceIndex, q: Omit<DeviceQuery, 'page' | 'pageSize'>): IterableIterator<string> {
  yield CSV_COLUMNS.join(',') + '\r\n';
  for (const i of matching(ix, q)) {
    const r = ix.rows[i]!;
    yield CSV_COLUMNS.map((c) => csvCell(r[c])).join(',') + '\r\n';
  }
}
