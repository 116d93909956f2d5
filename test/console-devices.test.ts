// The console's device index: filters, sorting, server paging and CSV export.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import {
  csvCell,
  devicePage,
  devicesCsv,
  matching,
  reasonCounts,
  SORT_KEYS,
  type DeviceIndex,
  type DeviceRow,
} from '../adapters/console/devices.js';
import { hostile } from './support/hostile.js';

const test = suite('console devices');

const ACCESS = ['allow', 'block', 'quarantine'] as const;
const row = (i: number, over: Partial<DeviceRow> = {}): DeviceRow => ({
  deviceId: `dev${String(i).padStart(4, '0')}`,
  deviceType: i % 2 ? 'iPhone' : 'Android',
  deviceModel: `model-${i % 7}`,
  user: `user${i % 13}@contoso.com`,
  mailbox: `contoso.com/Users/u${i % 13}`,
  organization: 'contoso',
  access: ACCESS[i % 3]!,
  reason: ['compliant', 'notCompliant', 'notEnrolled', 'notTargeted'][i % 4]!,
  governed: i % 5 !== 0,
  intuneDeviceId: i % 2 ? `intune-${i}` : '',
  complianceState: '',
  decidedAt: `2026-11-${String(1 + (i % 28)).padStart(2, '0')}T00:00:00.000Z`,
  ...over,
});
const index = (rows: DeviceRow[]): DeviceIndex => ({
  rows,
  text: rows.map((r) => `${r.deviceId}\n${r.user}\n${r.mailbox}\n${r.deviceModel}`.toLowerCase()),
  sorted: new Map(),
});

test('filtering to quarantine lists exactly the quarantined devices, in device id order', () => {
  const rows = Array.from({ length: 100 }, (_, i) => row(i));
  const p = devicePage(index(rows), { access: 'quarantine', sort: 'deviceId', order: 'asc', page: 1, pageSize: 500 });
  const expected = rows.filter((r) => r.access === 'quarantine').map((r) => r.deviceId);
  assert.equal(
    p.rows.map((r) => r.deviceId),
    expected,
  );
  assert.is(p.total, expected.length);
});

test('text search matches the id, the user, the mailbox and the model case-insensitively', () => {
  const rows = [row(1, { deviceId: 'ABCdef' }), row(2, { user: 'Kim.Lee@contoso.com' }), row(3, { deviceModel: 'Pixel 9 PRO' }), row(4)];
  const ix = index(rows);
  const q = (text: string) => [...matching(ix, { q: text, sort: 'deviceId', order: 'asc' })].map((i) => rows[i]!.deviceId);
  assert.equal(q('cDE'), ['ABCdef']);
  assert.equal(q('kim.lee'), [rows[1]!.deviceId]);
  assert.equal(q('pixel 9 pro'), [rows[2]!.deviceId]);
  assert.equal(q('nothing-like-this'), []);
});

test('pages of any size, put together, are the whole filtered and sorted list (property)', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 120 }),
      fc.constantFrom(...SORT_KEYS),
      fc.constantFrom('asc' as const, 'desc' as const),
      fc.integer({ min: 1, max: 17 }),
      fc.option(fc.constantFrom(...ACCESS), { nil: undefined }),
      fc.option(fc.boolean(), { nil: undefined }),
      (n, sort, order, pageSize, access, governed) => {
        const rows = Array.from({ length: n }, (_, i) => row(i));
        const ix = index(rows);
        const filter = { ...(access ? { access } : {}), ...(governed !== undefined ? { governed } : {}), sort, order };
        const all = [...matching(ix, filter)].map((i) => rows[i]!);
        const expected = rows.filter((r) => (!access || r.access === access) && (governed === undefined || r.governed === governed));
        assert.is(all.length, expected.length);
        for (let k = 1; k < all.length; k++) {
          const a = String(all[k - 1]![sort]);
          const b = String(all[k]![sort]);
          assert.ok(order === 'asc' ? a <= b : a >= b, `${sort} ${order}: ${a} then ${b}`);
        }
        const paged: DeviceRow[] = [];
        for (let page = 1; ; page++) {
          const p = devicePage(ix, { ...filter, page, pageSize });
          assert.is(p.total, expected.length);
          paged.push(...p.rows);
          if (p.rows.length < pageSize) break;
        }
        assert.equal(paged, all);
      },
    ),
    { numRuns: 150 },
  );
});

test('a CSV cell a spreadsheet would run as a formula gets an apostrophe; quotes and line ends are quoted', () => {
  assert.is(csvCell('=HYPERLINK("http://evil")'), `"'=HYPERLINK(""http://evil"")"`);
  assert.is(csvCell('+1'), "'+1");
  assert.is(csvCell('-2+3'), "'-2+3");
  assert.is(csvCell('@SUM(A1)'), "'@SUM(A1)");
  assert.is(csvCell('a,b'), '"a,b"');
  assert.is(csvCell('line\r\nbreak'), '"line\r\nbreak"');
  assert.is(csvCell('plain'), 'plain');
  assert.is(csvCell(true), 'true');
});

test('every hostile device id reads back from the CSV export exactly, apart from the apostrophe before a formula (property)', () => {
  // A small RFC 4180 reader: what a spreadsheet or script would parse.
  const parse = (csv: string): string[][] => {
    const out: string[][] = [];
    let rowCells: string[] = [];
    let cell = '';
    let quoted = false;
    for (let i = 0; i < csv.length; i++) {
      const c = csv[i]!;
      if (quoted) {
        if (c === '"' && csv[i + 1] === '"') ((cell += '"'), i++);
        else if (c === '"') quoted = false;
        else cell += c;
      } else if (c === '"') quoted = true;
      else if (c === ',') (rowCells.push(cell), (cell = ''));
      else if (c === '\r' && csv[i + 1] === '\n') (rowCells.push(cell), out.push(rowCells), (rowCells = []), (cell = ''), i++);
      else cell += c;
    }
    return out;
  };
  fc.assert(
    fc.property(fc.array(hostile, { minLength: 1, maxLength: 20 }), (ids) => {
      const rows = ids.map((id, i) => row(i, { deviceId: id, deviceModel: id }));
      const csv = [...devicesCsv(index(rows), { sort: 'deviceId', order: 'asc' })].join('');
      const parsed = parse(csv);
      assert.is(parsed.length, rows.length + 1);
      // The one change: a leading apostrophe where a spreadsheet would see a formula (OWASP's CSV injection advice).
      const expected = ids.map((id) => (/^[=+\-@\t\r]/.test(id) ? `'${id}` : id));
      assert.equal(
        parsed
          .slice(1)
          .map((cells) => cells[0]!)
          .sort(),
        expected.sort(),
      );
      assert.equal(
        parsed
          .slice(1)
          .map((cells) => cells[2]!)
          .sort(),
        expected.sort(),
      );
    }),
    { numRuns: 200 },
  );
});

test('reason counts add up to the access counts', () => {
  const rows = Array.from({ length: 50 }, (_, i) => row(i));
  const c = reasonCounts(index(rows));
  for (const a of ACCESS)
    assert.is(
      Object.values(c[a]!).reduce((x, y) => x + y, 0),
      rows.filter((r) => r.access === a).length,
    );
});

test.run();
