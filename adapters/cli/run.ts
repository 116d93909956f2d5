// eas-sync run --config FILE: the long-running connector. Scheduled quick and
// full syncs, forced syncs, and a status endpoint (loopback by default):
//   GET /status   the connector status projection as JSON
//   GET /metrics  Prometheus text
//   POST /sync?type=quick|full[&wait=true]
// SIGTERM or SIGINT: stop the schedules, let a running sync finish, exit 0.
import { createServer, type Server } from 'node:http';
import { parse } from './args.js';
import { readConfig } from './config.js';
import { buildConnector } from './connector.js';
import { diagnosticsFromConfig } from './diagnostics.js';
import { renderMetrics } from './metrics.js';
import { print, UsageError } from './io.js';
import type { Engine } from '../../src/engine.js';

export const RUN_HELP = `Usage: eas-sync run --config FILE

The long-running connector: quick syncs every schedule.quickMinutes (15), a
full sync daily at schedule.fullDailyAt (02:00 UTC), and a status endpoint on
status.listen (127.0.0.1:8089): GET /status, GET /metrics, POST /sync?type=quick|full.
Stops gracefully on SIGTERM.`;

export function statusServer(engine: Engine): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (code: number, body: string, type = 'application/json') => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method === 'GET' && url.pathname === '/status') return send(200, JSON.stringify(engine.status(), null, 2) + '\n');
    if (req.method === 'GET' && url.pathname === '/metrics') return send(200, renderMetrics(engine.status(), engine.metrics()), 'text/plain; version=0.0.4');
    if (url.pathname === '/sync') {
      if (req.method !== 'POST') return send(405, JSON.stringify({ error: 'use POST' }) + '\n');
      const type = url.searchParams.get('type') ?? 'quick';
      if (type !== 'quick' && type !== 'full') return send(400, JSON.stringify({ error: 'type must be quick or full' }) + '\n');
      const done = engine.requestSync(type);
      if (url.searchParams.get('wait') === 'true') {
        done.then((r) => send(r.success ? 200 : 500, JSON.stringify(r) + '\n'), (e: unknown) => send(500, JSON.stringify({ error: String(e) }) + '\n'));
        return;
      }
      done.catch(() => { /* the report is in the log and the status */ });
      return send(202, JSON.stringify({ queued: type }) + '\n');
    }
    send(404, JSON.stringify({ error: 'not found', endpoints: ['GET /status', 'GET /metrics', 'POST /sync?type=quick|full'] }) + '\n');
  });
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, { config: { type: 'string' } });
  if (values.help) { print(RUN_HELP); return 0; }
  if (!values.config) throw new UsageError('--config FILE is required (see eas-sync run --help)');
  const config = await readConfig(values.config as string);
  const diag = diagnosticsFromConfig(config);
  const c = await buildConnector(config, {}, diag.observe);
  const [host, port] = (config.status?.listen ?? '127.0.0.1:8089').split(':') as [string, string];
  const server = statusServer(c.engine);
  await new Promise<void>((res, rej) => { server.once('error', rej); server.listen(Number(port), host, res); });
  const addr = server.address();
  const where = typeof addr === 'object' && addr ? `${addr.address}:${addr.port}` : `${host}:${port}`;
  process.stderr.write(`eas-sync: connector for ${config.organization} running; status on http://${where}/status\n`);
  c.engine.start();
  // A first full sync at start, as the original connector did after connecting.
  c.engine.requestSync('full').catch(() => { /* in the status */ });
  await new Promise<void>((res) => {
    const stop = () => res();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  process.stderr.write('eas-sync: stopping (waiting for a running sync to finish)\n');
  await c.engine.stop();
  await new Promise<void>((res) => server.close(() => res()));
  await c.close();
  await diag.close();
  return 0;
}
