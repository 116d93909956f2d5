// Devices: every partnership, filtered, sorted and paged by the server, with
// a CSV export of the filtered rows. The filters live in the URL (#/devices?…),
// so a view can be bookmarked and the overview's counts link into it.
import { download, get } from './client.js';
import { clear, h, when, deviceHref } from './dom.js';
import type { DevicePage } from './types.js';

const COLUMNS: Array<[key: string, label: string]> = [
  ['deviceId', 'Device id'],
  ['deviceType', 'Type'],
  ['deviceModel', 'Model'],
  ['user', 'User'],
  ['mailbox', 'Mailbox'],
  ['access', 'Access'],
  ['reason', 'Reason'],
  ['governed', 'Governed'],
  ['intuneDeviceId', 'Intune device'],
  ['decidedAt', 'Decided'],
];
const REASONS = [
  'compliant',
  'notCompliant',
  'notEnrolled',
  'exchangeDeviceRule',
  'exchangeGlobalRule',
  'exchangeIndividualRule',
  'excludedGroup',
  'notTargeted',
  'policyDisabled',
  'activeSyncDisabled',
];

export async function devicesPage(root: HTMLElement, params: URLSearchParams, go: (p: URLSearchParams) => void): Promise<void> {
  const q = (k: string) => params.get(k) ?? '';
  const query = {
    access: q('access'),
    reason: q('reason'),
    governed: q('governed'),
    q: q('q'),
    sort: q('sort') || 'deviceId',
    order: q('order') || 'asc',
    page: q('page') || '1',
    pageSize: q('pageSize') || '50',
  };
  const page = await get<DevicePage>('/api/devices', query);
  const set = (k: string, v: string) => {
    const p = new URLSearchParams(params);
    if (v) p.set(k, v);
    else p.delete(k);
    if (k !== 'page') p.delete('page');
    go(p);
  };
  const select = (name: string, options: string[], label: string) =>
    h(
      'label',
      {},
      label,
      ' ',
      h(
        'select',
        { name, 'data-testid': `filter-${name}`, onchange: (e) => set(name, (e.target as HTMLSelectElement).value) },
        h('option', { value: '' }, 'any'),
        ...options.map((o) => h('option', { value: o, selected: o === q(name) }, o)),
      ),
    );
  const search = h('input', {
    type: 'search',
    name: 'q',
    value: q('q'),
    placeholder: 'device id, user, model',
    'data-testid': 'filter-q',
  }) as HTMLInputElement;
  const filters = h(
    'form',
    {
      class: 'filters',
      onsubmit: (e) => {
        e.preventDefault();
        set('q', search.value.trim());
      },
    },
    select('access', ['allow', 'block', 'quarantine'], 'Access'),
    select('reason', REASONS, 'Reason'),
    select('governed', ['true', 'false'], 'Governed'),
    h('label', {}, 'Search ', search),
    h('button', { type: 'submit' }, 'Filter'),
    h(
      'button',
      { type: 'button', 'data-testid': 'export-csv', onclick: () => void download('/api/devices.csv', query, 'devices.csv') },
      'Export CSV',
    ),
  );
  const header = h(
    'tr',
    {},
    ...COLUMNS.map(([key, label]) => {
      const active = query.sort === key;
      const next = active && query.order === 'asc' ? 'desc' : 'asc';
      return h(
        'th',
        { 'aria-sort': active ? (query.order === 'asc' ? 'ascending' : 'descending') : undefined },
        h(
          'a',
          {
            href: '#',
            onclick: (e) => {
              e.preventDefault();
              const p = new URLSearchParams(params);
              p.set('sort', key);
              p.set('order', next);
              p.delete('page');
              go(p);
            },
          },
          label,
          active ? (query.order === 'asc' ? ' ▲' : ' ▼') : '',
        ),
      );
    }),
  );
  const body = h(
    'tbody',
    { 'data-testid': 'device-rows' },
    ...page.rows.map((r) =>
      h(
        'tr',
        { class: r.access },
        h('td', {}, h('a', { href: deviceHref(r.deviceId, r.mailbox), class: 'device-id' }, r.deviceId)),
        h('td', {}, r.deviceType),
        h('td', {}, r.deviceModel),
        h('td', {}, r.user),
        h('td', {}, r.mailbox),
        h('td', { class: 'access' }, r.access),
        h('td', {}, r.reason),
        h('td', {}, r.governed ? 'yes' : 'no'),
        h('td', {}, r.intuneDeviceId || '—'),
        h('td', {}, when(r.decidedAt)),
      ),
    ),
  );
  const pages = Math.max(1, Math.ceil(page.total / page.pageSize));
  const pager = h(
    'nav',
    { class: 'pager' },
    h('button', { type: 'button', disabled: page.page <= 1, onclick: () => set('page', String(page.page - 1)) }, '‹ Previous'),
    h('span', { 'data-testid': 'device-total' }, `${page.total} devices — page ${page.page} of ${pages}`),
    h('button', { type: 'button', disabled: page.page >= pages, onclick: () => set('page', String(page.page + 1)) }, 'Next ›'),
  );
  clear(root);
  root.append(h('h1', {}, 'Devices'), filters, pager, h('table', { class: 'devices' }, h('thead', {}, header), body));
}
