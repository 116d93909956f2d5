// Scripting against the admin console's JSON API, as a monitoring or ticketing
// tool would: a small simulated sync is written to a temporary log, the
// read-only console is started over it (`eas-sync console LOG`), and the script
// asks it for the counts, the blocked devices and a CSV export.
//   node dist/examples/console-api.js
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine } from '../src/index.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { openFileStore } from '../adapters/file-store/index.js';

const dir = mkdtempSync(join(tmpdir(), 'eas-console-api-'));
const log = join(dir, 'eas-sync.ndjson');
const sim = simulateOrganization({ devices: 200, seed: 3 });
const opened = await openFileStore(log);
if (opened._tag === 'Left') throw new Error(opened.left.kind);
await createEngine({
  organization: sim.organization,
  exchange: sim.exchange,
  intune: sim.intune,
  store: opened.right,
  policy: sim.policy,
}).fullSync();
await opened.right.close();

// The console prints its address on start; port 0 lets the system pick a free one.
const main = fileURLToPath(new URL('../adapters/cli/main.js', import.meta.url));
const consoleProcess = spawn(process.execPath, [main, 'console', log, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
try {
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    consoleProcess.stdout.on('data', (d) => {
      out += d;
      const m = /on (http:\/\/[^\s]+?)\/ /.exec(out);
      if (m) resolve(m[1]!);
    });
    consoleProcess.on('exit', (code) => reject(new Error(`the console exited (${code})`)));
  });
  const get = async (path: string) => {
    const r = await fetch(`${url}${path}`);
    if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
    return r;
  };
  const overview = (await (await get('/api/overview')).json()) as {
    devices: number;
    access: Record<string, number>;
    connector: { status: string };
  };
  console.log(
    `connector ${overview.connector.status}: ${overview.devices} devices — ${overview.access.allow} allow, ${overview.access.block} block, ${overview.access.quarantine} quarantine`,
  );
  const blocked = (await (await get('/api/devices?access=block&sort=user&pageSize=5')).json()) as {
    total: number;
    rows: Array<{ deviceId: string; user: string; reason: string }>;
  };
  console.log(`${blocked.total} blocked; the first ${blocked.rows.length} by user:`);
  for (const d of blocked.rows) console.log(`  ${d.user}  ${d.deviceId}  (${d.reason})`);
  const csv = await (await get('/api/devices.csv?access=quarantine')).text();
  console.log(`CSV export of the quarantined devices: ${csv.trimEnd().split('\r\n').length - 1} rows`);
} finally {
  consoleProcess.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
