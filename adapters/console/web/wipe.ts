// The device page's remote wipe: where the latest one stands (requested → sent
// → acknowledged, or failed) and, under eas-sync run, the form to request one —
// nothing is sent without the confirmation box ticked.
import { post } from './client.js';
import { h, when } from './dom.js';
import type { Explanation } from './types.js';

const STEPS = ['requested', 'sent', 'acknowledged'] as const;

export function wipeCard(x: Explanation, mode: string, reload: () => void): HTMLElement {
  const w = x.wipe;
  const card = h('section', { class: 'card', 'data-testid': 'wipe' }, h('h2', {}, 'Remote wipe'));
  if (w) {
    const reached = w.stage === 'failed' ? 0 : STEPS.indexOf(w.stage) + 1;
    card.append(
      h(
        'ol',
        { class: 'steps', 'data-testid': 'wipe-steps' },
        ...STEPS.map((s, i) =>
          h(
            'li',
            { class: i < reached ? 'done' : 'todo' },
            `${s}${s === 'requested' ? ` ${when(w.requestedAt)} by ${w.by}` : s === 'sent' && w.sentAt ? ` ${when(w.sentAt)}` : s === 'acknowledged' && w.ackTime ? ` ${when(w.ackTime)}` : ''}`,
          ),
        ),
      ),
      h(
        'p',
        { 'data-testid': 'wipe-status' },
        `${w.wipeId}${w.accountOnly ? ' (account only)' : ''}: ${w.stage} — “${w.reason}”${w.error ? `; ${w.error.message}` : ''}`,
      ),
    );
  } else card.append(h('p', { 'data-testid': 'wipe-status' }, 'No remote wipe requested.'));
  if (mode !== 'run') {
    card.append(h('p', { class: 'muted' }, 'Read-only console: wipes are requested under eas-sync run or with eas-sync wipe.'));
    return card;
  }
  const line = h('p', { 'data-testid': 'wipe-result', role: 'status' });
  const by = h('input', { type: 'text', name: 'by', size: 18, required: true, 'data-testid': 'wipe-by' }) as HTMLInputElement;
  const reason = h('input', { type: 'text', name: 'reason', size: 40, required: true, 'data-testid': 'wipe-reason' }) as HTMLInputElement;
  const accountOnly = h('input', { type: 'checkbox', name: 'accountOnly' }) as HTMLInputElement;
  const confirm = h('input', { type: 'checkbox', name: 'confirm', required: true, 'data-testid': 'wipe-confirm' }) as HTMLInputElement;
  const send = async () => {
    line.textContent = 'requesting…';
    try {
      const body = {
        deviceId: x.deviceId,
        mailbox: x.mailbox,
        by: by.value,
        reason: reason.value,
        accountOnly: accountOnly.checked,
        confirm: confirm.checked,
      };
      const r = await post<{ wipeId?: string; job: string }>('/api/wipes', JSON.stringify(body));
      line.textContent = `wipe ${r.wipeId ?? ''} requested; a quick sync sends it (${r.job})`;
      setTimeout(reload, 1500);
    } catch (e) {
      line.textContent = `refused: ${(e as Error).message}`;
    }
  };
  card.append(
    h(
      'form',
      {
        class: 'filters',
        onsubmit: (e) => {
          e.preventDefault();
          void send();
        },
      },
      h('label', {}, 'By ', by),
      h('label', {}, 'Reason ', reason),
      h('label', {}, accountOnly, ' only the mailbox data (Exchange 2016 and later)'),
      h('label', {}, confirm, ' I confirm: this erases the phone'),
      h('button', { type: 'submit', class: 'danger', 'data-testid': 'wipe-request' }, 'Request wipe'),
    ),
    line,
  );
  return card;
}
