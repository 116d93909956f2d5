// The console's entry: a hash router over five pages, and the token prompt
// when the server asks for one. Every page renders through dom.ts (text nodes only).
import './app.css';
import 'uplot/dist/uPlot.min.css';
import { get, token, Unauthorized } from './client.js';
import { clear, h } from './dom.js';
import { overviewPage } from './overview.js';
import { devicesPage } from './devices.js';
import { devicePage } from './device.js';
import { whatIfPage } from './what-if.js';
import { syncsPage } from './syncs.js';

const PAGES: Array<[path: string, label: string]> = [
  ['/overview', 'Overview'],
  ['/devices', 'Devices'],
  ['/what-if', 'What-if'],
  ['/syncs', 'Syncs'],
];

const main = h('main', { id: 'page' });

function route(): { path: string; params: URLSearchParams } {
  const hash = location.hash.replace(/^#/, '') || '/overview';
  const q = hash.indexOf('?');
  return { path: q < 0 ? hash : hash.slice(0, q), params: new URLSearchParams(q < 0 ? '' : hash.slice(q + 1)) };
}

const go = (path: string) => (p: URLSearchParams) => {
  location.hash = `#${path}${p.toString() ? `?${p.toString()}` : ''}`;
};

async function render(): Promise<void> {
  const { path, params } = route();
  for (const a of document.querySelectorAll('nav.top a')) a.classList.toggle('active', a.getAttribute('href') === `#${path}`);
  main.setAttribute('aria-busy', 'true');
  try {
    if (path === '/devices') await devicesPage(main, params, go(path));
    else if (path === '/device') await devicePage(main, params, go(path));
    else if (path === '/what-if') whatIfPage(main);
    else if (path === '/syncs') await syncsPage(main);
    else await overviewPage(main, () => void render());
  } catch (e) {
    clear(main);
    if (e instanceof Unauthorized) main.append(tokenForm());
    else main.append(h('p', { class: 'error', 'data-testid': 'error' }, `Could not load: ${(e as Error).message}`));
  }
  main.setAttribute('aria-busy', 'false');
}

function tokenForm(): HTMLElement {
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'off', size: 40, 'data-testid': 'token' }) as HTMLInputElement;
  return h(
    'form',
    {
      class: 'card token',
      onsubmit: (e) => {
        e.preventDefault();
        token.set(input.value.trim());
        void render();
      },
    },
    h('h1', {}, 'Token required'),
    h(
      'p',
      {},
      token.get() ? 'The token was refused. ' : '',
      'This console asks for the token named by console.tokenEnv. It is kept in this tab only and sent as an Authorization header.',
    ),
    input,
    ' ',
    h('button', { type: 'submit' }, 'Continue'),
  );
}

async function start(): Promise<void> {
  const header = h(
    'header',
    {},
    h('strong', { class: 'brand' }, 'eas-sync'),
    h('nav', { class: 'top' }, ...PAGES.map(([p, l]) => h('a', { href: `#${p}` }, l))),
    h('span', { class: 'mode', 'data-testid': 'mode' }),
  );
  document.body.append(header, main);
  window.addEventListener('hashchange', () => void render());
  await render();
  get<{ mode: string; log: string }>('/api/session').then(
    (s) => (document.querySelector('[data-testid=mode]')!.textContent = `${s.mode === 'run' ? 'connector' : 'read-only'} · ${s.log}`),
    () => undefined,
  );
}

void start();
