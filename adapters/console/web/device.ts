// Device: what `eas-sync explain` says, laid out for a person, as of a moment.
import { ApiError, get, post } from './client.js';
import { append, clear, h, when, deviceHref, deviceIdOf } from './dom.js';
import type { Explanation } from './types.js';
import { wipeCard } from './wipe.js';

const RULES: Record<number, string> = {
  0: 'ActiveSync is disabled on the mailbox',
  1: 'the policy is disabled',
  2: 'the user is in an excluded group',
  3: 'the user is in no included group',
  5: 'the mapped Intune device is compliant (or in its grace period)',
  6: 'the mapped Intune device is not compliant',
  7: 'no Intune device is mapped and a platform exception matches',
  8: 'no Intune device is mapped (the default access level applies)',
  9: "an administrator's override (evaluated before the policy's rules)",
};

/** The override in force (if any) and, under eas-sync run, the form to grant or revoke one. */
function overrideCard(x: Explanation, mode: string, reload: () => void): HTMLElement {
  const o = x.override;
  const status = h(
    'p',
    { 'data-testid': 'override-status' },
    o
      ? `${o.overrideId}: ${o.access} until ${when(o.until)} (${o.inForce ? 'in force' : 'ended'}), by ${o.by}: “${o.reason}”${o.notify ? '; the user is told of the block' : ''}`
      : 'No override.',
  );
  const card = h('section', { class: 'card', 'data-testid': 'override' }, h('h2', {}, 'Administrator override'), status);
  if (mode !== 'run') {
    card.append(h('p', { class: 'muted' }, 'Read-only console: overrides are granted under eas-sync run or with eas-sync override.'));
    return card;
  }
  const line = h('p', { 'data-testid': 'override-result', role: 'status' });
  const by = h('input', { type: 'text', name: 'by', size: 18, required: true, 'data-testid': 'override-by' }) as HTMLInputElement;
  const reason = h('input', {
    type: 'text',
    name: 'reason',
    size: 40,
    required: true,
    'data-testid': 'override-reason',
  }) as HTMLInputElement;
  const span = h('input', { type: 'text', name: 'for', size: 6, value: '8h', 'data-testid': 'override-for' }) as HTMLInputElement;
  const access = h(
    'select',
    { name: 'access', 'data-testid': 'override-access' },
    h('option', { value: 'allow' }, 'allow'),
    h('option', { value: 'block' }, 'block'),
  ) as HTMLSelectElement;
  const notify = h('input', { type: 'checkbox', name: 'notify' }) as HTMLInputElement;
  const send = async (action: string) => {
    line.textContent = 'recording…';
    try {
      const body = {
        action,
        deviceId: x.deviceId,
        mailbox: x.mailbox,
        by: by.value,
        reason: reason.value,
        ...(action === 'revoke' ? {} : { for: span.value, notify: notify.checked }),
      };
      const r = await post<{ overrideId?: string; job: string }>('/api/overrides', JSON.stringify(body));
      line.textContent = `${action === 'revoke' ? 'revoked' : `override ${r.overrideId ?? ''} recorded`}; a quick sync enforces it (${r.job})`;
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
          void send(access.value);
        },
      },
      h('label', {}, 'Access ', access),
      h('label', {}, 'For ', span),
      h('label', {}, 'By ', by),
      h('label', {}, 'Reason ', reason),
      h('label', {}, notify, ' tell the user of a block'),
      h('button', { type: 'submit', 'data-testid': 'override-grant' }, 'Grant override'),
      o?.inForce
        ? h(
            'button',
            {
              type: 'button',
              'data-testid': 'override-revoke',
              onclick: () => {
                if (by.reportValidity() && reason.reportValidity()) void send('revoke');
              },
            },
            'Revoke',
          )
        : null,
    ),
    line,
  );
  return card;
}

export async function devicePage(root: HTMLElement, params: URLSearchParams, go: (p: URLSearchParams) => void): Promise<void> {
  const id = deviceIdOf(params);
  const at = params.get('at') ?? '';
  let x: Explanation;
  const session = await get<{ mode: string }>('/api/session');
  try {
    x = await get<Explanation>('/api/device', { device: JSON.stringify(id), at });
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) {
      const closest = (e.body.closest as string[] | undefined) ?? [];
      clear(root);
      append(
        root,
        h('h1', {}, 'Device not found'),
        h('p', {}, e.message),
        closest.length
          ? h('p', {}, 'Closest known ids: ', ...closest.flatMap((c, i) => [i ? ', ' : '', h('a', { href: deviceHref(c) }, c)]))
          : null,
      );
      return;
    }
    throw e;
  }
  const asOf = h('input', {
    type: 'text',
    name: 'at',
    value: at,
    placeholder: 'now, or e.g. 2026-01-31T12:00:00Z',
    size: 28,
    'data-testid': 'as-of',
  }) as HTMLInputElement;
  const picker = h(
    'form',
    {
      class: 'filters',
      onsubmit: (e) => {
        e.preventDefault();
        const p = new URLSearchParams(params);
        if (asOf.value.trim()) p.set('at', asOf.value.trim());
        else p.delete('at');
        go(p);
      },
    },
    h('label', {}, 'As of (ISO-8601 with a zone) ', asOf),
    h('button', { type: 'submit' }, 'Show'),
  );
  const d = x.device;
  const decision = x.access
    ? h(
        'section',
        { class: `card decision ${x.access}`, 'data-testid': 'decision' },
        h(
          'h2',
          {},
          h('span', { 'data-testid': 'decision-access' }, x.access.toUpperCase()),
          ' — ',
          h('span', { 'data-testid': 'decision-reason' }, x.reason ?? ''),
        ),
        h('p', { 'data-testid': 'decision-rule' }, x.rule !== null ? `Rule ${x.rule}: ${RULES[x.rule] ?? ''}` : ''),
        h(
          'p',
          {},
          `Decided ${when(x.decidedAt)} by ${x.syncId ?? '?'} under policy revision ${x.policyRevision ?? '?'}${x.governed ? '; enforced by the engine' : '; not governed: Exchange decides'}.`,
        ),
        h('ul', {}, ...x.explanation.map((s) => h('li', {}, s))),
      )
    : h('section', { class: 'card' }, h('p', {}, 'Not decided yet.'));
  const f = x.facts;
  const facts = f
    ? h(
        'section',
        { class: 'card' },
        h('h2', {}, 'Facts the decision used'),
        h(
          'dl',
          {},
          h('dt', {}, 'Groups'),
          h('dd', {}, `included: ${f.groups.included.join(', ') || 'none'}; excluded: ${f.groups.excluded.join(', ') || 'none'}`),
          h('dt', {}, 'Managed device'),
          h(
            'dd',
            {},
            f.intune
              ? `${f.intune.id} (${f.intune.managementAgent}), user ${f.intune.userPrincipalName ?? f.intune.emailAddress ?? '?'}`
              : 'none mapped',
          ),
          h('dt', {}, 'Compliance'),
          h(
            'dd',
            {},
            f.intune
              ? `${f.intune.complianceState}${f.intune.graceDeadline ? `, grace deadline ${when(f.intune.graceDeadline)}${f.graceExpired ? ' (passed)' : ''}` : ''}`
              : '—',
          ),
          h('dt', {}, 'Platform exception'),
          h(
            'dd',
            {},
            f.exception
              ? `${f.exception.type} "${f.exception.name}" → ${f.exception.access}${f.overriddenBy ? ` (overridden by ${f.overriddenBy})` : ''}`
              : 'none',
          ),
          h('dt', {}, 'Conflicts'),
          h('dd', {}, f.conflicts.length ? f.conflicts.map((c) => `${c.id} (${c.user})`).join(', ') : 'none'),
          f.exchange ? h('dt', {}, 'Exchange') : null,
          f.exchange ? h('dd', {}, `${f.exchange.access} (${f.exchange.reason}${f.exchange.rule ? `, ${f.exchange.rule}` : ''})`) : null,
          h('dt', {}, 'Lists'),
          h('dd', {}, x.lists.allowed ? 'in the allowed list' : x.lists.blocked ? 'in the blocked list' : 'in neither list'),
        ),
      )
    : null;
  const command = h(
    'section',
    { class: 'card', 'data-testid': 'command' },
    h('h2', {}, 'Enforcement'),
    x.command
      ? h(
          'div',
          {},
          h(
            'p',
            { 'data-testid': 'command-outcome' },
            `${x.command.commandId} (${x.command.syncId}), intended ${when(x.command.intendedAt)}: ${x.command.outcome}${x.command.completedAt ? ` at ${when(x.command.completedAt)}` : ''}${x.command.error ? ` — ${x.command.error.message}` : ''}`,
          ),
          h('pre', { 'data-testid': 'command-powershell' }, x.powershell ?? ''),
        )
      : h(
          'p',
          {},
          x.access === 'quarantine' && x.governed
            ? 'The default access level (no list entry; no Set-CasMailbox named this device).'
            : 'No Set-CasMailbox named this device.',
        ),
  );
  const notifications = x.timeline.filter((t) => t.type.startsWith('Notification'));
  const timeline = h(
    'section',
    { class: 'card' },
    h('h2', {}, 'Timeline'),
    h(
      'ol',
      { class: 'timeline', 'data-testid': 'timeline' },
      ...x.timeline.map((t) =>
        h('li', { class: `t-${t.type}` }, h('time', {}, when(t.at)), h('strong', {}, t.type), h('span', {}, t.summary)),
      ),
    ),
  );
  clear(root);
  append(
    root,
    h('h1', {}, 'Device ', h('span', { 'data-testid': 'device-id' }, x.deviceId)),
    h('p', {}, `${[d.deviceType, d.deviceModel, d.deviceOS].filter(Boolean).join(' / ')}${d.friendlyName ? ` — “${d.friendlyName}”` : ''}`),
    h(
      'p',
      {},
      `Mailbox ${x.mailbox}${x.user.primarySmtpAddress ? ` <${x.user.primarySmtpAddress}>` : ''}, organization ${x.organization}. As of ${when(x.at)}${x.present ? '' : ` — partnership removed at ${when(x.removedAt)}`}.`,
    ),
    d.deviceUserAgent ? h('p', { class: 'muted' }, `User agent: ${d.deviceUserAgent}`) : null,
    picker,
    decision,
    overrideCard(x, session.mode, () => {
      const p = new URLSearchParams(params);
      p.set('r', String(Date.now()));
      go(p);
    }),
    wipeCard(x, session.mode, () => {
      const p = new URLSearchParams(params);
      p.set('r', String(Date.now()));
      go(p);
    }),
    facts,
    command,
    h(
      'section',
      { class: 'card' },
      h('h2', {}, `Notifications (${notifications.length})`),
      notifications.length
        ? h('ul', {}, ...notifications.map((n) => h('li', {}, `${when(n.at)} ${n.type}: ${n.summary}`)))
        : h('p', { class: 'muted' }, 'None sent.'),
    ),
    ...x.notes.map((n) => h('p', { class: 'note' }, n)),
    x.otherPartnerships.length
      ? h(
          'section',
          { class: 'card' },
          h('h2', {}, 'Same id in other mailboxes'),
          h(
            'ul',
            {},
            ...x.otherPartnerships.map((o) =>
              h('li', {}, `${o.mailbox}: ${o.access ?? 'undecided'}${o.reason ? ` (${o.reason})` : ''}${o.present ? '' : ', removed'}`),
            ),
          ),
        )
      : null,
    timeline,
  );
}
