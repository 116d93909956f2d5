// Benchmark: the admin console's devices view at scale. Writes (or reuses) the
// log of a full sync of a simulated organization, then times, in one process:
// the console's fold of the log, the first devices page (the first request
// also sorts), the same page again, a filtered and searched page, a deep page
// sorted by another key, the CSV export of a filter, and the first page over
// HTTP through the real listener. Prints one JSON line.
//   npm run build && node dist/benchmarks/console.js [--devices 100000] [--log FILE]
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import { createEngine } from '../src/engine.js';
import { simulateOrganization } from '../adapters/simulator/index.js';
import { openFileStore } from '../adapters/file-store/index.js';
import { consoleServing } from '../adapters/cli/console.js';
import { listenStatus } from '../adapters/cli/status-server.js';
import type { ApiRequest } from '../adapters/console/api.js';
import { benchArgs } from './args.js';

const USAGE = 'node dist/benchmarks/console.js [--devices 100000] [--log FILE]';

const { values } = benchArgs(USAGE, { options: { devices: { type: 'string', default: '100000' }, log: { type: 'string' } } });
const devices = Number(values.devices);
const log = values.log ?? join(mkdtempSync(join(tmpdir(), 'eas-console-bench-')), `console-${devices}.ndjson`);

async function writeLog(): Promise<number> {
  const t0 = performance.now();
  const sim = simulateOrganization({ devices, seed: 1, clock: () => Date.now() });
  const opened = await openFileStore(log);
  if (isLeft(opened)) throw new Error(opened.left.kind);
  const engine = createEngine({
    organization: sim.organization,
    exchange: sim.exchange,
    intune: sim.intune,
    store: opened.right,
    policy: sim.policy,
  });
  const r = await engine.fullSync();
  await opened.right.close();
  if (!r.success) throw new Error(JSON.stringify(r.errors.slice(0, 3)));
  return performance.now() - t0;
}

const writeMs = existsSync(log) ? null : await writeLog();
const served = consoleServing(log, () => Date.now(), 'read-only');
const req = (path: string, query: Record<string, string> = {}): ApiRequest => ({
  method: 'GET',
  path,
  query: new URLSearchParams(query),
  caller: 'bench',
});
const time = async (path: string, query: Record<string, string> = {}) => {
  const t0 = performance.now();
  const a = await served.api.handle(req(path, query));
  if (a.status !== 200) throw new Error(`${path}: ${a.status} ${JSON.stringify(a.json)}`);
  if (a.text !== undefined && typeof a.text !== 'string') for (const _ of a.text);
  return { ms: performance.now() - t0, answer: a };
};

const fold = await time('/api/overview');
const overview = fold.answer.json as { devices: number; foldMs: number };
const first = await time('/api/devices');
const again = await time('/api/devices');
const filtered = await time('/api/devices', { access: 'quarantine', q: 'iphone', sort: 'user', order: 'desc' });
const deep = await time('/api/devices', { sort: 'decidedAt', page: '1000', pageSize: '50' });
const csv = await time('/api/devices.csv', { access: 'block' });

// The same first page through the listener, as a browser gets it.
const bound = await listenStatus({
  listen: { host: '127.0.0.1', port: 0 },
  console: served,
  mode: 'console',
  healthMaxFullSyncAgeMinutes: 0,
});
if (isLeft(bound)) throw new Error(bound.left);
const t0 = performance.now();
const res = await fetch(`${bound.right.url}/api/devices?sort=model&order=desc`.replace('model', 'deviceModel'));
await res.arrayBuffer();
const httpMs = performance.now() - t0;
await bound.right.close(0);

const round = (x: number) => Math.round(x * 10) / 10;
console.log(
  JSON.stringify({
    benchmark: 'console-devices',
    devices: overview.devices,
    log,
    writeLogMs: writeMs === null ? null : round(writeMs),
    foldMs: round(overview.foldMs),
    firstPageMs: round(first.ms),
    firstPageAgainMs: round(again.ms),
    filteredPageMs: round(filtered.ms),
    deepPageOtherSortMs: round(deep.ms),
    csvExportMs: round(csv.ms),
    httpFirstPageNewSortMs: round(httpMs),
    heapUsedMB: Math.round(process.memoryUsage().heapUsed / 1e6),
  }),
);
