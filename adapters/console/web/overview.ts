// Overview: the connector's state, the counts with their reasons, a chart of the
// counts over time, drift found by full syncs, and (under `eas-sync run`) the
// Quick sync and Full sync buttons, followed until the sync finishes.
import { get, post } from './client.js';
import { clear, h, when } from './dom.js';
import { lineChart } from './chart.js';
import type { Access, Job, Overview } from './types.js';

const ACCESS: Access[] = ['allow', 'block', 'quarantine'];

export async function overviewPage(root: HTMLElement, refresh: () => void): Promise<void> {
  const o = await get<Overview>('/api/overview');
  const c = o.connector;
  const status = h(
    'section',
    { class: 'card', 'data-testid': 'connector' },
    h('h2', {}, 'Connector'),
    h(
      'dl',
      {},
      h('dt', {}, 'Organization'),
      h('dd', {}, c.organization ?? '—'),
      h('dt', {}, 'State'),
      h(
        'dd',
        { 'data-testid': 'connector-state', class: `state-${c.status}` },
        c.status + (c.fenced ? ' (fenced: another connector took over)' : ''),
      ),
      h('dt', {}, 'Last full sync'),
      h('dd', { 'data-testid': 'last-full' }, when(c.lastSuccessfulSync.full)),
      h('dt', {}, 'Last quick sync'),
      h('dd', { 'data-testid': 'last-quick' }, when(c.lastSuccessfulSync.quick)),
      h('dt', {}, 'Client Access server'),
      h('dd', {}, c.cas ?? '—'),
      h('dt', {}, 'Pending intents'),
      h('dd', { 'data-testid': 'pending' }, c.pendingIntents),
      h('dt', {}, 'Last error'),
      h('dd', {}, c.lastError ? `${when(c.lastError.at)} — ${c.lastError.message}` : 'none'),
      h('dt', {}, 'Log'),
      h('dd', {}, `${o.log} (${o.events} events${o.invalidLines ? `, ${o.invalidLines} invalid lines` : ''})`),
    ),
  );
  const counts = h(
    'section',
    { class: 'counts' },
    ...ACCESS.map((a) =>
      h(
        'a',
        { class: `count ${a}`, href: `#/devices?access=${a}`, 'data-testid': `count-${a}` },
        h('span', { class: 'n' }, o.access[a]),
        h('span', { class: 'label' }, a),
        h(
          'ul',
          { class: 'reasons' },
          ...Object.entries(o.reasons[a] ?? {})
            .sort((x, y) => y[1] - x[1])
            .map(([r, n]) => h('li', {}, `${r}: ${n}`)),
        ),
      ),
    ),
  );
  const times = o.chart.map((p) => Date.parse(p.at) / 1000);
  const chart = lineChart('Devices by access after each sync', times, [
    { label: 'allow', stroke: '#2e7d32', values: o.chart.map((p) => p.allow) },
    { label: 'block', stroke: '#c62828', values: o.chart.map((p) => p.block) },
    { label: 'quarantine', stroke: '#ef6c00', values: o.chart.map((p) => p.quarantine) },
  ]);
  const drift = h(
    'section',
    { class: 'card' },
    h('h2', {}, `Drift found by full syncs (${o.drift})`),
    o.driftBySync.length === 0
      ? h('p', { class: 'muted' }, 'None: Exchange matched what the engine had enforced.')
      : h(
          'ul',
          {},
          ...o.driftBySync
            .slice(-10)
            .reverse()
            .map((d) => h('li', {}, `${when(d.at)} ${d.syncId}: ${d.drift} difference(s) corrected`)),
        ),
  );
  const actions =
    o.mode === 'run' ? syncButtons(refresh) : h('p', { class: 'muted' }, 'Read-only console: syncs are started by eas-sync run.');
  clear(root);
  root.append(h('h1', {}, 'Overview'), actions, h('div', { class: 'grid' }, status, counts), chart, drift);
}

// Kept across re-renders: the page refreshes when a sync ends, and the line must still say how it ended.
let jobLine: HTMLElement | undefined;

function syncButtons(refresh: () => void): HTMLElement {
  const line = (jobLine ??= h('span', { class: 'job', 'data-testid': 'job', role: 'status' }));
  const start = async (kind: 'quick' | 'full') => {
    line.textContent = `${kind} sync queued…`;
    try {
      const job = await post<Job>('/api/syncs', JSON.stringify({ kind }));
      line.setAttribute('data-state', 'queued');
      follow(job.id, kind, line, refresh);
    } catch (e) {
      line.textContent = `could not queue: ${(e as Error).message}`;
    }
  };
  return h(
    'div',
    { class: 'actions' },
    h('button', { type: 'button', 'data-testid': 'quick-sync', onclick: () => void start('quick') }, 'Quick sync'),
    h('button', { type: 'button', 'data-testid': 'full-sync', onclick: () => void start('full') }, 'Full sync'),
    line,
  );
}

function follow(id: string, kind: string, line: HTMLElement, refresh: () => void): void {
  const tick = async () => {
    const j = await get<Job>('/api/jobs', { id });
    if (j.state === 'queued') {
      line.textContent = `${kind} sync running…`;
      setTimeout(() => void tick(), 500);
      return;
    }
    line.setAttribute('data-state', j.state);
    line.textContent =
      j.state === 'finished'
        ? `${kind} sync ${j.syncId ?? ''} finished at ${when(j.completedAt)}: ${j.devices ?? 0} devices decided`
        : `${kind} sync failed: ${j.error ?? (j.errors ?? []).join(', ')}`;
    setTimeout(refresh, 300);
  };
  void tick();
}
