// Syncs: each sync in the log, newest first, with a chart of durations.
import { get } from './client.js';
import { clear, h, when } from './dom.js';
import { lineChart } from './chart.js';
import type { SyncRow } from './types.js';

export async function syncsPage(root: HTMLElement): Promise<void> {
  const { syncs } = await get<{ syncs: SyncRow[] }>('/api/syncs');
  const done = syncs
    .filter((s) => s.durationSeconds !== null)
    .slice()
    .reverse();
  const chart = lineChart(
    'Sync duration (seconds)',
    done.map((s) => Date.parse(s.startedAt) / 1000),
    [
      { label: 'full', stroke: '#1565c0', values: done.map((s) => (s.kind === 'full' ? s.durationSeconds! : (null as unknown as number))) },
      {
        label: 'quick',
        stroke: '#6a1b9a',
        values: done.map((s) => (s.kind === 'quick' ? s.durationSeconds! : (null as unknown as number))),
      },
    ],
  );
  const rows = syncs
    .slice(0, 500)
    .map((s) =>
      h(
        'tr',
        { class: s.outcome },
        h('td', {}, s.syncId),
        h('td', {}, s.kind),
        h('td', {}, when(s.startedAt)),
        h('td', { class: 'num' }, s.durationSeconds === null ? 'running' : s.durationSeconds.toFixed(1)),
        h('td', {}, s.outcome + (s.error ? `: ${s.error}` : '')),
        h('td', { class: 'num' }, s.devices ?? '—'),
        h('td', { class: 'num' }, s.commandsIssued),
        h('td', { class: 'num' }, s.commandsFailed ?? '—'),
        h(
          'td',
          { class: 'num' },
          s.throttleWaits === undefined ? '—' : `${s.throttleWaits} (${((s.throttleWaitMs ?? 0) / 1000).toFixed(1)} s)`,
        ),
        h('td', { class: 'num' }, s.drift),
        h('td', { class: 'num' }, s.casSwitches),
      ),
    );
  clear(root);
  root.append(
    h('h1', {}, 'Syncs'),
    chart,
    h(
      'p',
      { class: 'muted' },
      'Throttling waits are known for the syncs eas-sync run ran since it started (the log does not record them).',
    ),
    h(
      'table',
      { class: 'syncs', 'data-testid': 'sync-rows' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...[
            'Sync',
            'Kind',
            'Started',
            'Seconds',
            'Outcome',
            'Devices',
            'Commands',
            'Failed',
            'Throttling waits',
            'Drift',
            'CAS switches',
          ].map((c) => h('th', {}, c)),
        ),
      ),
      h('tbody', {}, ...rows),
    ),
  );
}
