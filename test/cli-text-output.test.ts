// Text outputs (plan, explain, replay, error messages) show device-chosen
// control and formatting characters as escapes: a reviewer's terminal is never
// cleared, no fake line appears, no text is reordered or hidden.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { visible } from '../adapters/cli/io.js';
import { SAMPLE_PLAN } from './support/sample-plan.js';
import { writeDemoLog } from './support/demo-log.js';

const test = suite('text output');
const MAIN = fileURLToPath(new URL('../adapters/cli/main.js', import.meta.url));
const EXPORTS = fileURLToPath(new URL('../../examples/exports/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'eas-text-'));
const run = (args: string[], cwd = dir) => {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

// ESC clear-screen, CR/LF with a fake command, U+2028, RLO, LRI..PDI, ZWSP, NUL, BOM, DEL, a C1 control.
const HOSTILE_ID = 'Appl\u001b[2J\u001b[HX\r\nRemove-Mailbox victim\u2028\u202eevil\u2066\u2069\u200b\u0000\ufeff\u007f\u0085';
// A command-line argument cannot hold NUL: the id explained from the command line goes without it.
const HOSTILE_ARG = HOSTILE_ID.replace('\u0000', '');
const HOSTILE_MODEL = 'iPhone\u001b]0;pwned\u0007\u202e\u200d';
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200b-\u200f\ufeff]/u;
const noRaw = (s: string, what: string) => {
  const m = RAW.exec(s);
  assert.is(m, null, `${what}: raw U+${m?.[0].codePointAt(0)!.toString(16)} in output`);
  for (const line of s.split('\n')) assert.not.ok(/^\s*Remove-Mailbox victim/.test(line), `${what}: a device value made a line of its own`);
};

test('visible() writes every hidden character as an escape and leaves ordinary text alone', () => {
  assert.is(visible('Kim’s iPhone 15 — 日本 😀'), 'Kim’s iPhone 15 — 日本 😀');
  assert.is(visible('a\u001b[2Jb\r\nc\u202e\u0000'), 'a\\u{1B}[2Jb\\r\\nc\\u{202E}\\u{0}');
  assert.not.match(visible(HOSTILE_ID), RAW);
});

test('plan (text) shows a hostile DeviceId with escapes, and --format powershell writes none of its characters raw', () => {
  const x = join(dir, 'exports');
  rmSync(x, { recursive: true, force: true });
  spawnSync('cp', ['-r', EXPORTS, x]);
  const path = join(x, 'get-mobiledevice.json');
  const text = readFileSync(path)
    .toString('utf16le')
    .replace(/^\ufeff/, '');
  const devices = JSON.parse(text) as Array<Record<string, unknown>>;
  devices[0]!.DeviceId = HOSTILE_ID;
  devices[0]!.DeviceModel = HOSTILE_MODEL;
  writeFileSync(path, JSON.stringify(devices));
  const args = [...SAMPLE_PLAN];
  const r = run(args, x);
  assert.is(r.code, 0, r.stderr);
  noRaw(r.stdout, 'plan');
  assert.ok(r.stdout.includes(visible(HOSTILE_ID)), 'the id is shown in escaped form');
  const json = run([...args, '--json'], x);
  assert.ok(
    (JSON.parse(json.stdout).devices as Array<{ deviceId: string }>).some((d) => d.deviceId === HOSTILE_ID),
    'JSON keeps the exact value',
  );
});

test('explain and replay (text) of a log holding hostile device values show them escaped; errors too', async () => {
  const log = join(dir, 'hostile.ndjson');
  await writeDemoLog(log, 40, [{ deviceId: HOSTILE_ARG, deviceType: 'Phone\u001b[31m', deviceModel: HOSTILE_MODEL }]);

  const e = run(['explain', log, HOSTILE_ARG]);
  assert.is(e.code, 0, e.stderr);
  noRaw(e.stdout, 'explain');
  assert.ok(e.stdout.includes(visible(HOSTILE_ARG)));
  const ej = run(['explain', log, HOSTILE_ARG, '--json']);
  assert.is(JSON.parse(ej.stdout).deviceId, HOSTILE_ARG);

  const r = run(['replay', log]);
  assert.is(r.code, 0, r.stderr);
  noRaw(r.stdout, 'replay');

  const unknown = run(['explain', log, HOSTILE_ARG.slice(0, -3)]);
  assert.is(unknown.code, 2);
  noRaw(unknown.stderr, 'explain error');
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
