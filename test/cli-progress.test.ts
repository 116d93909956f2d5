// What `demo`, `sync` and `plan` show a person on a terminal: run under a real
// pseudo-terminal (util-linux `script`), their output is replayed through a
// small terminal model, and every state of every phase line is checked: one
// line per phase, all kept on screen, totals that never go back, the
// enforcing total shown "so far" until it is final, and final lines that
// agree with the report. Off a terminal nothing is drawn.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { phaseProgress, phaseLine } from '../adapters/cli/progress.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { policyDocument } from '../src/policy.js';

const test = suite('progress on a terminal');
const MAIN = fileURLToPath(new URL('../adapters/cli/main.js', import.meta.url));
const EXPORTS = fileURLToPath(new URL('../../examples/exports/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'eas-progress-'));
const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

/** Replays terminal output: \r, \n, ESC[nA (up), ESC[2K (clear line), text. Records every state a row was left in. */
function terminal(output: string): { screen: string[]; history: string[] } {
  const rows: string[] = [''];
  const history: string[] = [];
  let row = 0;
  let col = 0;
  const leave = () => {
    if (rows[row]) history.push(rows[row]!);
  };
  for (let i = 0; i < output.length; i++) {
    const ch = output[i]!;
    if (ch === '\x1b') {
      const m = /^\x1b\[(\d*)([A-Za-z])/.exec(output.slice(i, i + 10));
      if (!m) continue;
      i += m[0].length - 1;
      if (m[2] === 'A') {
        leave();
        row = Math.max(0, row - Number(m[1] || 1));
      } else if (m[2] === 'K') {
        rows[row] = '';
        col = 0;
      }
      continue;
    }
    if (ch === '\r') {
      col = 0;
      continue;
    }
    if (ch === '\n') {
      leave();
      row++;
      col = 0;
      if (rows.length <= row) rows.push('');
      continue;
    }
    const line = rows[row] ?? '';
    rows[row] = line.slice(0, col).padEnd(col, ' ') + ch + line.slice(col + 1);
    col++;
  }
  leave();
  return { screen: rows.filter((r) => r !== ''), history };
}

const num = (s: string) => Number(s.replace(/,/g, ''));
/** done/total pairs of a phase, in the order its line showed them. */
function series(history: string[], label: string): Array<{ done: number; total: number; final: boolean }> {
  return history
    .filter((l) => l.startsWith(label))
    .map((l) => {
      const soFar = /(\d[\d,]*) of (\d[\d,]*) \w+ so far/.exec(l);
      if (soFar) return { done: num(soFar[1]!), total: num(soFar[2]!), final: false };
      const m = /(\d[\d,]*)\/(\d[\d,]*) \w+/.exec(l);
      return m ? { done: num(m[1]!), total: num(m[2]!), final: true } : { done: 0, total: 0, final: false };
    });
}

function assertMonotonic(name: string, s: Array<{ done: number; total: number; final: boolean }>): void {
  for (let i = 1; i < s.length; i++) {
    assert.ok(s[i]!.total >= s[i - 1]!.total, `${name}: total went back from ${s[i - 1]!.total} to ${s[i]!.total}`);
    assert.ok(s[i]!.done >= s[i - 1]!.done, `${name}: done went back from ${s[i - 1]!.done} to ${s[i]!.done}`);
    assert.ok(s[i]!.final || !s[i - 1]!.final, `${name}: a final total became provisional again`);
  }
}

function underPty(args: string[]): { out: string; status: number | null } {
  const quoted = [process.execPath, MAIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('script', ['-q', '-e', '-c', quoted, '/dev/null'], {
    encoding: 'utf8',
    cwd: dir,
    timeout: 120_000,
    env: { ...process.env, COLUMNS: '160' },
  });
  return { out: r.stdout, status: r.status };
}

test('demo under a pseudo-terminal: four phase lines kept on screen, totals that never go back, final lines that match the report', () => {
  if (!hasScript) {
    console.log('# util-linux script not found: pty test skipped');
    return;
  }
  const { out, status } = underPty(['demo', '--devices', '4000', '--store', join(dir, 'demo.ndjson'), '--force', '--parallelism', '4']);
  assert.is(status, 0, out.slice(-2000));
  const { screen, history } = terminal(out);
  const phases = screen.slice(0, 4);
  assert.match(phases[0]!, /^discovering done: 4,000 partnerships in [\d,]+ mailboxes, [\d,]+ managed devices$/);
  assert.match(phases[1]!, /^deciding +\[#+\] 100% 4,000\/4,000 devices$/);
  const report = /Full sync \S+: succeeded; (\d+) Exchange commands \((\d+) failed\), (\d+) notifications/.exec(out)!;
  assert.ok(report, 'the report follows the progress');
  assert.match(
    phases[2]!,
    new RegExp(
      `^enforcing +\\[#+\\] 100% ${Number(report[1]).toLocaleString('en-US')}/${Number(report[1]).toLocaleString('en-US')} commands, ${report[2]} failed, 0 throttling waits$`,
    ),
  );
  assert.match(
    phases[3]!,
    new RegExp(
      `^notifying +\\[#+\\] 100% ${Number(report[3]).toLocaleString('en-US')}/${Number(report[3]).toLocaleString('en-US')} notifications, 0 failed$`,
    ),
  );
  assert.match(screen[4]!, /^Simulated organization/);
  for (const label of ['deciding', 'enforcing', 'notifying']) {
    const s = series(history, label);
    assert.ok(s.length >= 2, `${label} was drawn as it went (${s.length} states)`);
    assertMonotonic(label, s);
  }
  const enforcing = series(history, 'enforcing');
  assert.ok(
    enforcing.some((x) => !x.final),
    'while deciding, the enforcing total is shown as so far',
  );
  assert.ok(enforcing.at(-1)!.final);
  // The old single bar restarted with each pipeline chunk: no phase ever shows a smaller percentage after a larger one.
  for (const label of ['deciding', 'notifying']) {
    const pcts = history.filter((l) => l.startsWith(label)).map((l) => Number(/(\d+)%/.exec(l)?.[1] ?? 0));
    assert.equal(
      pcts,
      [...pcts].sort((a, b) => a - b),
      `${label} percentages`,
    );
  }
});

test('sync --config under a pseudo-terminal shows the same phases', () => {
  if (!hasScript) return;
  const sim = simulateOrganization({ devices: 500, seed: 3 });
  writeFileSync(join(dir, 'policy.json'), JSON.stringify(policyDocument(sim.policy)));
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      organization: 'contoso',
      store: './sync.ndjson',
      policy: './policy.json',
      exchange: { kind: 'simulator', devices: 500, seed: 3, parallelism: 2 },
      intune: { kind: 'simulator' },
    }),
  );
  const { out, status } = underPty(['sync', '--config', join(dir, 'config.json')]);
  assert.is(status, 0, out.slice(-2000));
  const { screen, history } = terminal(out);
  assert.equal(
    screen.slice(0, 4).map((l) => l.split(' ')[0]),
    ['discovering', 'deciding', 'enforcing', 'notifying'],
  );
  assert.match(screen[4]!, /^full sync \S+: succeeded/);
  for (const label of ['deciding', 'enforcing', 'notifying']) assertMonotonic(label, series(history, label));
});

test('plan under a pseudo-terminal shows discovering and deciding, then the plan', () => {
  if (!hasScript) return;
  const f = (n: string) => join(EXPORTS, n);
  const { out, status } = underPty([
    'plan',
    '--exchange',
    f('get-mobiledevice.json'),
    '--mailboxes',
    f('get-casmailbox.json'),
    '--intune',
    f('managed-devices.json'),
    '--policy',
    f('policy.json'),
    '--groups',
    f('groups.json'),
    '--at',
    '2026-11-26T08:00:00Z',
  ]);
  assert.is(status, 0, out.slice(-2000));
  const { screen } = terminal(out);
  assert.match(screen[0]!, /^discovering done: \d+ partnerships in \d+ mailboxes, \d+ managed devices$/);
  assert.match(screen[1]!, /^deciding +\[#+\] 100% (\d+)\/\1 devices$/);
  assert.match(screen[2]!, /^Plan judged at 2026-11-26T08:00:00\.000Z/);
});

test('off a terminal, nothing is drawn', () => {
  const r = spawnSync(process.execPath, [MAIN, 'demo', '--devices', '300', '--store', join(dir, 'plain.ndjson'), '--force'], {
    encoding: 'utf8',
    cwd: dir,
  });
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stderr, '');
  assert.not.ok(r.stdout.includes('\x1b'));
});

test('late or out-of-order reports never shrink what is shown; the enforcing and notifying totals are "so far" until final', () => {
  const written: string[] = [];
  const display = phaseProgress({
    isTTY: true,
    columns: 200,
    write: (s: string) => {
      written.push(s);
      return true;
    },
  });
  display.update({ phase: 'execute', done: 5, total: 40 });
  display.update({ phase: 'execute', done: 4, total: 30 }); // stale
  display.update({ phase: 'execute', done: 41, total: 90, final: true, failed: 1, throttleWaits: 2 });
  display.update({ phase: 'execute', done: 42, total: 60 }); // stale total, not final
  display.end();
  const { screen } = terminal(written.join(''));
  assert.equal(screen, ['enforcing   [###########.............]  46% 42/90 commands, 1 failed, 2 throttling waits']);
  assert.is(
    phaseLine('execute', { phase: 'execute', done: 3, total: 7 }),
    'enforcing   3 of 7 commands so far (deciding…), 0 failed, 0 throttling waits',
  );
  // Notices go while mailboxes are enforced: their total grows until the enforcing ends.
  assert.is(
    phaseLine('notify', { phase: 'notify', done: 2, total: 5, failed: 1 }),
    'notifying   2 of 5 notifications so far (enforcing…), 1 failed',
  );
  assert.match(
    phaseLine('notify', { phase: 'notify', done: 5, total: 5, final: true }),
    /^notifying +\[#+\] 100% 5\/5 notifications, 0 failed$/,
  );
  const none: string[] = [];
  const quiet = phaseProgress({
    isTTY: false,
    write: (s: string) => {
      none.push(s);
      return true;
    },
  });
  quiet.update({ phase: 'decide', done: 1, total: 2 });
  quiet.end();
  assert.equal(none, []);
});

test.run();
