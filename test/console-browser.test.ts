// The admin console in a real browser (Debian's Chromium): every page shows
// what the CLI says about the same log, Full sync runs and is followed to its
// end, the token is required, and hostile device values stay text.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './support/browser.js';
import { writeDemoLog } from './support/demo-log.js';
import { policyDocument } from '../src/policy.js';
import { simulateOrganization } from '../adapters/simulator/index.js';

// Functions handed to page.evaluate/waitForFunction run in the page: its globals, typed loosely here (no DOM lib in Node code).
declare const document: any, location: any, window: any;
type HTMLTextAreaElement = { value: string };

const test = suite('console in a browser');
const MAIN = fileURLToPath(new URL('../adapters/cli/main.js', import.meta.url));
const SHOTS = fileURLToPath(new URL('../../test-output/console/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'eas-browser-'));
const LOG = join(dir, 'demo.ndjson');
const HOSTILE_LOG = join(dir, 'hostile.ndjson');
const TOKEN = 'browser-test-token-0123456789';
const cli = (args: string[]) => JSON.parse(spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000 }).stdout);

// Markup, script and URL payloads, and the invisible characters of the PowerShell property test's fragments.
const HOSTILE = [
  '<img src=x onerror="window.__pwned=1">',
  '<script>window.__pwned=2</script>',
  '"><svg onload="window.__pwned=3">',
  "'><iframe srcdoc='<b>x</b>'>",
  'javascript:window.__pwned=4',
  '{{constructor.constructor("window.__pwned=5")()}}',
  '</td></tr><tr><td onclick=x>',
  '$(Remove-Mailbox victim)`n\u202eevil\u2066',
];

let browser: Browser | undefined;
const children: ChildProcess[] = [];

/** Starts the CLI and resolves with the URL it prints (stdout for console, stderr for run). */
function start(
  args: string[],
  env: Record<string, string> = {},
  pattern = /on (https?:\/\/[^\s]+?)\/? /,
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const look = (d: Buffer) => {
      out += d;
      const m = pattern.exec(out);
      if (m) resolve({ url: m[1]!.replace(/\/$/, ''), child });
    };
    child.stdout.on('data', look);
    child.stderr.on('data', look);
    child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
}

async function open(url: string, shot?: string): Promise<Page> {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('dialog', (d) => {
    throw new Error(`a dialog opened: ${d.message()}`);
  });
  await page.goto(url);
  await page.waitForSelector('main[aria-busy=false]');
  if (shot) await page.screenshot({ path: join(SHOTS, `${shot}.png`) });
  return page;
}

const settled = (page: Page) => page.waitForFunction(() => document.querySelector('main')?.getAttribute('aria-busy') === 'false');

test.before(async () => {
  browser = await launchChromium();
  mkdirSync(SHOTS, { recursive: true });
  await writeDemoLog(LOG, 300);
  await writeDemoLog(
    HOSTILE_LOG,
    40,
    HOSTILE.map((v, i) => ({ deviceId: `H${i}${v}`, deviceType: `T${v}`, deviceModel: `M${v}`, deviceOS: `O${v}` })),
  );
});

test('the overview of a demo organization shows the counts of eas-sync replay', async () => {
  if (!browser) return;
  const { url } = await start(['console', LOG, '--listen', '127.0.0.1:0']);
  const page = await open(`${url}/#/overview`, 'overview');
  const r = cli(['replay', LOG, '--json']);
  for (const a of ['allow', 'block', 'quarantine'] as const)
    assert.is(await page.locator(`[data-testid=count-${a}] .n`).textContent(), String(r.access[a]), a);
  assert.is(await page.locator('[data-testid=connector-state]').textContent(), r.connector.status);
  await page.goto(`${url}/#/syncs`);
  await settled(page);
  await page.screenshot({ path: join(SHOTS, 'syncs.png') });
  assert.is(await page.locator('[data-testid=sync-rows] tbody tr').count(), 1);
  await page.close();
});

test('filtering devices to quarantine lists exactly the quarantined devices', async () => {
  if (!browser) return;
  const { url } = await start(['console', LOG, '--listen', '127.0.0.1:0']);
  const page = await open(`${url}/#/devices?pageSize=500`);
  await page.selectOption('[data-testid=filter-access]', 'quarantine');
  await page.waitForFunction(() => location.hash.includes('access=quarantine'));
  await settled(page);
  await page.screenshot({ path: join(SHOTS, 'devices.png') });
  const shown = await page.locator('[data-testid=device-rows] a.device-id').allTextContents();
  const expected = cli(['replay', LOG, '--devices', '--json']).deviceStates.filter((d: { access: string }) => d.access === 'quarantine');
  assert.equal(shown.slice().sort(), expected.map((d: { deviceId: string }) => d.deviceId).sort());
  assert.match((await page.locator('[data-testid=device-total]').textContent()) ?? '', new RegExp(`^${expected.length} devices`));
  await page.close();
});

test('a device page says the rule, reason and command of eas-sync explain', async () => {
  if (!browser) return;
  const { url } = await start(['console', LOG, '--listen', '127.0.0.1:0']);
  const page = await open(`${url}/#/devices?access=block&governed=true`);
  const link = page.locator('a.device-id').first();
  const id = (await link.textContent())!;
  await link.click();
  await page.waitForSelector('[data-testid=decision]');
  await settled(page);
  await page.screenshot({ path: join(SHOTS, 'device.png'), fullPage: true });
  const x = cli(['explain', LOG, id, '--json']);
  assert.is(await page.locator('[data-testid=device-id]').textContent(), id);
  assert.is(await page.locator('[data-testid=decision-access]').textContent(), x.access.toUpperCase());
  assert.is(await page.locator('[data-testid=decision-reason]').textContent(), x.reason);
  assert.match((await page.locator('[data-testid=decision-rule]').textContent()) ?? '', new RegExp(`^Rule ${x.rule}:`));
  assert.ok(x.command, 'a governed block has its Set-CasMailbox');
  const outcome = (await page.locator('[data-testid=command-outcome]').textContent()) ?? '';
  assert.ok(outcome.startsWith(`${x.command.commandId} (${x.command.syncId})`), outcome);
  assert.ok(outcome.includes(x.command.outcome));
  const ps = (await page.locator('[data-testid=command-powershell]').textContent()) ?? '';
  assert.match(ps, /^Set-CasMailbox -Identity '/);
  assert.ok(ps.includes(id));
  await page.close();
});

test('a what-if upload shows the counts of eas-sync what-if', async () => {
  if (!browser) return;
  const policy = { ...policyDocument(simulateOrganization({ devices: 300, seed: 5 }).policy), defaultAccessLevel: 'block' };
  const file = join(dir, 'strict.json');
  writeFileSync(file, JSON.stringify(policy, null, 2));
  const { url } = await start(['console', LOG, '--listen', '127.0.0.1:0']);
  const page = await open(`${url}/#/what-if`);
  await page.setInputFiles('[data-testid=policy-file]', file);
  await page.waitForFunction(() => (document.querySelector('[data-testid=policy-text]') as HTMLTextAreaElement).value.length > 0);
  await page.click('[data-testid=what-if-run]');
  await page.waitForSelector('[data-testid=what-if-summary]');
  await page.screenshot({ path: join(SHOTS, 'what-if.png') });
  const c = cli(['what-if', LOG, '--policy', file, '--json']);
  assert.ok(c.changes.length > 0);
  assert.is(await page.locator('[data-testid=what-if-changes]').textContent(), String(c.changes.length));
  assert.is(await page.locator('[data-testid=what-if-unchanged]').textContent(), String(c.unchanged));
  assert.is(await page.locator('[data-testid=what-if-commands]').textContent(), String(c.commands.length));
  assert.is(await page.locator('[data-testid=what-if-notifications]').textContent(), String(c.notifications));
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=download-script]')]);
  assert.is(download.suggestedFilename(), 'what-if.ps1');
  // A typo in the policy is shown, named.
  await page.fill('[data-testid=policy-text]', JSON.stringify({ ...policy, defaultAccesLevel: 'block' }));
  await page.click('[data-testid=what-if-run]');
  assert.match((await page.locator('[data-testid=what-if-error]').textContent()) ?? '', /defaultAccesLevel/);
  await page.close();
});

test('under eas-sync run, a request without the token is refused, and Full sync runs and is shown finishing', async () => {
  if (!browser) return;
  const policy = policyDocument(simulateOrganization({ devices: 200, seed: 3 }).policy);
  writeFileSync(join(dir, 'policy.json'), JSON.stringify(policy));
  const config = join(dir, 'run.json');
  writeFileSync(
    config,
    JSON.stringify({
      organization: 'contoso',
      store: './run.ndjson',
      policy: './policy.json',
      exchange: { kind: 'simulator', devices: 200, seed: 3, parallelism: 2 },
      intune: { kind: 'simulator' },
      status: { listen: '127.0.0.1:0' },
      console: { tokenEnv: 'EAS_CONSOLE_TOKEN' },
    }),
  );
  const { url } = await start(['run', '--config', config], { EAS_CONSOLE_TOKEN: TOKEN }, /console on (http:\/\/[^\s]+?)\/ /);
  const page = await open(`${url}/#/overview`);
  // Without the token the API refuses and the page asks for it.
  assert.ok(await page.locator('[data-testid=token]').isVisible());
  assert.is(await page.evaluate(async () => (await fetch('/api/overview')).status), 401);
  await page.fill('[data-testid=token]', 'not-the-token-0123456789');
  await page.keyboard.press('Enter');
  await page.waitForSelector('text=The token was refused.');
  await page.fill('[data-testid=token]', TOKEN);
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid=full-sync]');
  const before = await page.evaluate(
    async (t) =>
      ((await (await fetch('/api/syncs', { headers: { authorization: `Bearer ${t}` } })).json()) as { syncs: unknown[] }).syncs.length,
    TOKEN,
  );
  await page.click('[data-testid=full-sync]');
  await page.waitForSelector('[data-testid=job][data-state=finished]', { timeout: 60_000 });
  await page.screenshot({ path: join(SHOTS, 'overview-run.png') });
  assert.match((await page.locator('[data-testid=job]').textContent()) ?? '', /^full sync sync-\d+ finished at .*: 200 devices decided$/);
  // The finished sync is in the log the page reads.
  await page.waitForFunction(
    async ([t, n]) =>
      ((await (await fetch('/api/syncs', { headers: { authorization: `Bearer ${t}` } })).json()) as { syncs: unknown[] }).syncs.length > n,
    [TOKEN, before] as const,
    { timeout: 30_000, polling: 500 },
  );
  // The device page grants an override; the quick sync it queues enforces it (rule 9).
  const quarantined = await page.evaluate(
    async (t) =>
      (
        (await (
          await fetch('/api/devices?access=quarantine&governed=true&pageSize=1', { headers: { authorization: `Bearer ${t}` } })
        ).json()) as { rows: Array<{ deviceId: string }> }
      ).rows[0]!.deviceId,
    TOKEN,
  );
  await page.goto(`${url}/#/device?${new URLSearchParams({ id: quarantined }).toString()}`);
  await page.waitForSelector('[data-testid=override-grant]');
  await page.fill('[data-testid=override-by]', 'alice (helpdesk)');
  await page.fill('[data-testid=override-reason]', 'CEO travelling; enrolls tomorrow');
  await page.click('[data-testid=override-grant]');
  await page.waitForSelector('text=/override override-\\S+ recorded/');
  await page
    .waitForFunction(() => document.querySelector('[data-testid=decision-reason]')?.textContent === 'adminOverride', undefined, {
      timeout: 30_000,
      polling: 500,
    })
    .catch(async () => {
      // The page reloads once after recording; later decisions need a reload.
      await page.reload();
      await page.waitForFunction(
        () => document.querySelector('[data-testid=decision-reason]')?.textContent === 'adminOverride',
        undefined,
        { timeout: 30_000 },
      );
    });
  assert.match((await page.locator('[data-testid=decision-rule]').textContent()) ?? '', /^Rule 9:/);
  assert.match(
    (await page.locator('[data-testid=override-status]').textContent()) ?? '',
    /allow until .* \(in force\), by alice \(helpdesk\)/,
  );
  await page.screenshot({ path: join(SHOTS, 'device-override.png'), fullPage: true });
  // The same page requests a remote wipe: refused without the confirmation, then sent by the quick sync it queues.
  assert.is(
    await page.evaluate(
      async ([t, id]) =>
        (
          await fetch('/api/wipes', {
            method: 'POST',
            headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
            body: JSON.stringify({ deviceId: id, by: 'alice', reason: 'lost' }),
          })
        ).status,
      [TOKEN, quarantined] as const,
    ),
    400,
    'no wipe without confirm: true',
  );
  await page.fill('[data-testid=wipe-by]', 'alice (helpdesk)');
  await page.fill('[data-testid=wipe-reason]', 'phone stolen');
  await page.check('[data-testid=wipe-confirm]');
  await page.click('[data-testid=wipe-request]');
  await page.waitForSelector('text=/wipe wipe-\\S+ requested/');
  await page
    .waitForFunction(() => /: sent/.test(document.querySelector('[data-testid=wipe-status]')?.textContent ?? ''), undefined, {
      timeout: 30_000,
      polling: 500,
    })
    .catch(async () => {
      await page.reload();
      await page.waitForFunction(() => /: sent/.test(document.querySelector('[data-testid=wipe-status]')?.textContent ?? ''), undefined, {
        timeout: 30_000,
      });
    });
  assert.match((await page.locator('[data-testid=wipe-status]').textContent()) ?? '', /: sent — “phone stolen”/);
  await page.screenshot({ path: join(SHOTS, 'device-wipe.png'), fullPage: true });
  await page.close();
});

test('hostile device values stay text on every page: no element, attribute or script appears', async () => {
  if (!browser) return;
  const { url } = await start(['console', HOSTILE_LOG, '--listen', '127.0.0.1:0']);
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  let dialogs = 0;
  page.on('dialog', (d) => {
    dialogs++;
    void d.dismiss();
  });
  const structure = () =>
    page.evaluate(() => ({
      elements: [...document.querySelectorAll('script, img, svg, iframe, object, embed, b, style, link[rel=import]')].map((e: any) =>
        e.outerHTML.slice(0, 80),
      ),
      handlers: [...document.querySelectorAll('*')].flatMap((e: any) =>
        [...e.attributes].filter((a: any) => /^on/i.test(a.name)).map((a: any) => `${e.tagName} ${a.name}`),
      ),
      jsLinks: [...document.querySelectorAll('a[href]')]
        .map((a: any) => a.getAttribute('href') as string)
        .filter((h: string) => /^\s*javascript:/i.test(h)),
      pwned: (window as unknown as { __pwned?: number }).__pwned ?? null,
      text: document.body.innerText,
    }));
  const check = async (what: string) => {
    const s = await structure();
    // The page's own: the module script (head) and the stylesheet link; uPlot draws on canvas.
    assert.equal(s.elements, ['<script type="module" src="/assets/app.js"></script>'], what);
    assert.equal(s.handlers, [], what);
    assert.equal(s.jsLinks, [], what);
    assert.is(s.pwned, null, what);
    return s.text;
  };
  await page.goto(`${url}/#/overview`);
  await settled(page);
  await check('overview');
  await page.goto(`${url}/#/devices?q=H&pageSize=100`);
  await settled(page);
  const devicesText = await check('devices');
  for (const v of HOSTILE.slice(0, 7)) assert.ok(devicesText.includes(`M${v}`), `the model ${v} is shown as text`);
  await page.screenshot({ path: join(SHOTS, 'hostile-devices.png') });
  for (let i = 0; i < HOSTILE.length; i++) {
    await page.goto(`${url}/#/device?${new URLSearchParams({ id: `H${i}${HOSTILE[i]}` }).toString()}`);
    await page.waitForSelector('[data-testid=device-id]');
    await settled(page);
    const text = await check(`device ${i}`);
    assert.is(await page.locator('[data-testid=device-id]').textContent(), `H${i}${HOSTILE[i]}`);
    assert.ok(text.includes(`M${HOSTILE[i]}`));
  }
  await page.goto(`${url}/#/syncs`);
  await settled(page);
  await check('syncs');
  await page.goto(`${url}/#/what-if`);
  await settled(page);
  await page.fill(
    '[data-testid=policy-text]',
    JSON.stringify({ ...policyDocument(simulateOrganization({ devices: 40, seed: 5 }).policy), defaultAccessLevel: 'block' }),
  );
  await page.click('[data-testid=what-if-run]');
  await page.waitForSelector('[data-testid=what-if-summary]');
  await check('what-if');
  assert.is(dialogs, 0);
  await page.close();
});

test.after(async () => {
  await browser?.close();
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
test.run();
