// eas-sync run --config FILE: the long-running connector. Scheduled quick and
// full syncs, forced syncs, and a status endpoint (adapters/cli/status-server.ts).
// Order at start: validate the config, bind the listener, only then open the
// store and the gateways, so a bad status.listen creates nothing.
// SIGTERM or SIGINT: stop taking work, let a running sync finish, close every
// connection after a short grace, exit 0.
import { parse } from './args.js';
import { readFile } from 'node:fs/promises';
import { readConfig, secretFromEnv, statusListen, storeSpecOf, tokenEnvOf } from './config.js';
import { buildConnector, type Connector } from './connector.js';
import { printRaw, InputFailure, UsageError } from './io.js';
import { listenStatus } from './status-server.js';
import { DEFAULT_MAX_FULL_SYNC_AGE_MINUTES } from './health.js';
import { diagnosticsFromConfig } from './diagnostics.js';
import { consoleServing } from './console.js';

export const RUN_HELP = `Usage: eas-sync run --config FILE

The long-running connector: quick syncs every schedule.quickMinutes (15), a
full sync daily at schedule.fullDailyAt (02:00 UTC), and a status endpoint on
status.listen (127.0.0.1:8089): GET /status, GET /healthz, GET /metrics,
POST /sync?type=quick|full (Content-Type: application/json, or the token as
Authorization: Bearer when status.tokenEnv is set).
Stops gracefully on SIGTERM.`;

/** After a sync finished at shutdown, how long open connections get to finish before they are closed. */
const SHUTDOWN_GRACE_MS = 2_000;
/** Shortest token accepted: a guessable token is no protection. */
const MIN_TOKEN_LENGTH = 16;
const log = (line: string) => {
  process.stderr.write(`eas-sync: ${line}\n`);
};

export async function run(argv: string[]): Promise<number> {
  const { values } = parse(argv, { config: { type: 'string' } });
  if (values.help) {
    printRaw(RUN_HELP);
    return 0;
  }
  if (!values.config) throw new UsageError('--config FILE is required (see eas-sync run --help)');
  const path = values.config as string;
  const config = await readConfig(path);
  const status = config.status;
  const tokenEnv = tokenEnvOf(config);
  const tokenKey = config.console?.tokenEnv ? 'console.tokenEnv' : 'status.tokenEnv';
  const token = tokenEnv ? secretFromEnv(tokenEnv, `${path}: ${tokenKey}`) : undefined;
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH) {
    throw new InputFailure(`${path}: ${tokenKey}: the token in ${tokenEnv!} is shorter than ${MIN_TOKEN_LENGTH} characters`);
  }
  const tls = status?.tls ? await readTls(path, status.tls) : undefined;
  const served = consoleServing(storeSpecOf(config), () => Date.now());
  const bound = await listenStatus({
    listen: statusListen(status),
    ...(token !== undefined ? { token } : {}),
    ...(tls ? { tls } : {}),
    console: served,
    allowedHosts: status?.allowedHosts ?? [],
    healthMaxFullSyncAgeMinutes: status?.healthMaxFullSyncAgeMinutes ?? DEFAULT_MAX_FULL_SYNC_AGE_MINUTES,
    log,
  });
  if (bound._tag === 'Left') throw new InputFailure(`${path}: status.listen: ${bound.left}`);
  const server = bound.right;
  const diag = diagnosticsFromConfig(config);
  let c: Connector;
  try {
    c = await buildConnector(config, { onReport: (r) => served.api.recordReport(r) }, diag.observe);
  } catch (err) {
    await server.close(0);
    await diag.close();
    throw err;
  }
  server.attach(c.engine);
  served.attach(c.engine);
  log(`connector for ${config.organization} running; console on ${server.url}/ and status on ${server.url}/status`);
  c.engine.start();
  // A first full sync at start, as the original connector did after connecting.
  c.engine.requestSync('full').catch(() => {
    /* in the status */
  });
  await new Promise<void>((res) => {
    const stop = () => res();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  log('stopping (no new syncs; waiting for a running sync to finish)');
  server.drain();
  await c.engine.stop();
  await server.close(SHUTDOWN_GRACE_MS);
  await c.close();
  await diag.close();
  return 0;
}

/** The certificate and key of status.tls; an unreadable file is bad input naming the key. */
async function readTls(path: string, tls: { certFile: string; keyFile: string }): Promise<{ cert: Buffer; key: Buffer }> {
  const read = (file: string, key: string) =>
    readFile(file).catch((err: NodeJS.ErrnoException) => {
      throw new InputFailure(`${path}: status.tls.${key}: cannot read ${file} (${err.code ?? err.message})`);
    });
  return { cert: await read(tls.certFile, 'certFile'), key: await read(tls.keyFile, 'keyFile') };
}
