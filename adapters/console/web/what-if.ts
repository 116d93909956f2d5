// What-if: a policy document pasted or uploaded, judged against the log. Nothing is enforced from here.
import { post, saveBlob } from './client.js';
import { clear, h, deviceHref } from './dom.js';
import type { WhatIf } from './types.js';

const SHOWN = 500;

export function whatIfPage(root: HTMLElement): void {
  const text = h('textarea', {
    name: 'policy',
    rows: 14,
    cols: 80,
    spellcheck: 'false',
    'data-testid': 'policy-text',
    placeholder: '{ "enabled": true, "includedGroups": [...], "defaultAccessLevel": "block", ... }',
  }) as HTMLTextAreaElement;
  const file = h('input', { type: 'file', accept: '.json,application/json', 'data-testid': 'policy-file' }) as HTMLInputElement;
  file.addEventListener('change', () => {
    const f = file.files?.[0];
    if (f) void f.text().then((t) => (text.value = t));
  });
  const out = h('div', { 'data-testid': 'what-if-result' });
  const run = async () => {
    clear(out);
    out.append(h('p', { class: 'muted' }, 'Judging every device…'));
    try {
      const r = await post<WhatIf>('/api/what-if', text.value);
      render(out, r);
    } catch (e) {
      clear(out);
      out.append(h('p', { class: 'error', 'data-testid': 'what-if-error' }, (e as Error).message));
    }
  };
  clear(root);
  root.append(
    h('h1', {}, 'What-if'),
    h(
      'p',
      {},
      'Paste or upload a policy document: the page shows what it would change against the log. Nothing is enforced from this page.',
    ),
    h(
      'form',
      {
        class: 'what-if',
        onsubmit: (e) => {
          e.preventDefault();
          void run();
        },
      },
      h('label', {}, 'Policy file ', file),
      text,
      h('button', { type: 'submit', 'data-testid': 'what-if-run' }, 'Preview'),
    ),
    out,
  );
}

function render(out: HTMLElement, r: WhatIf): void {
  clear(out);
  const transitions = Object.entries(r.summary).sort((a, b) => b[1] - a[1]);
  out.append(
    h(
      'p',
      { 'data-testid': 'what-if-summary' },
      `Judged at ${r.at} against policy revision ${r.policyRevision ?? '—'}: ${r.devices} devices, `,
      h('strong', { 'data-testid': 'what-if-changes' }, String(r.changes.length)),
      ' would change, ',
      h('span', { 'data-testid': 'what-if-unchanged' }, String(r.unchanged)),
      ' unchanged; ',
      h('span', { 'data-testid': 'what-if-commands' }, String(r.commands.length)),
      ' Set-CasMailbox command(s), ',
      `${r.orgCommands.length} organization command(s), `,
      h('span', { 'data-testid': 'what-if-notifications' }, String(r.notifications)),
      ' user(s) notified.',
    ),
    h(
      'table',
      { class: 'transitions', 'data-testid': 'what-if-transitions' },
      h('thead', {}, h('tr', {}, h('th', {}, 'From → to'), h('th', {}, 'Devices'))),
      h('tbody', {}, ...transitions.map(([t, n]) => h('tr', {}, h('td', {}, t.replace('->', ' → ')), h('td', { class: 'num' }, n)))),
    ),
    ...r.warnings.map((w) => h('p', { class: 'note' }, w.message)),
    h(
      'button',
      {
        type: 'button',
        'data-testid': 'download-script',
        onclick: () => saveBlob(new Blob([r.script + '\n'], { type: 'text/plain' }), 'what-if.ps1'),
      },
      'Download the PowerShell to review',
    ),
    h('h2', {}, `Affected devices${r.changes.length > SHOWN ? ` (first ${SHOWN} of ${r.changes.length})` : ''}`),
    h(
      'table',
      { class: 'devices' },
      h('thead', {}, h('tr', {}, ...['Device id', 'Mailbox', 'From', 'To', 'New reason', 'Governed', 'Cause'].map((c) => h('th', {}, c)))),
      h(
        'tbody',
        {},
        ...r.changes
          .slice(0, SHOWN)
          .map((c) =>
            h(
              'tr',
              {},
              h('td', {}, h('a', { href: deviceHref(c.deviceId) }, c.deviceId)),
              h('td', {}, c.mailbox),
              h('td', {}, c.from),
              h('td', { class: c.to }, c.to),
              h('td', {}, c.reason),
              h('td', {}, c.governed ? 'yes' : 'no'),
              h('td', {}, c.cause),
            ),
          ),
      ),
    ),
  );
}
