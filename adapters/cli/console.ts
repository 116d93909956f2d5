// eas-sync console LOG|esdb://… [--listen HOST:PORT]: the admin console, read
// only, over any log; and the console `eas-sync run` serves beside its status.
// The console's code is adapters/console/; this file composes it with the log
// library (console-log.ts) and the listener (status-server.ts).
import { consoleApi, type ConsoleApi } from '../console/api.js';
import { loadAssets, type Asset } from '../console/http.js';
import { modelCache } from '../console/model.js';
import type { ConsoleEngine } from '../console/source.js';
import { consoleLog } from './console-log.js';
import { parse } from './args.js';
import { printRaw, InputFailure, UsageError } from './io.js';
import { logPath } from './log-args.js';
import { listenStatus } from './status-server.js';
import { parseListen } from './listen.js';
import { secretFromEnv } from './config.js';
import { checkSpec, displaySpec } from './store.js';

export const CONSOLE_HELP = `Usage: eas-sync console LOG [--listen HOST:PORT] [--token-env NAME] [--tls-cert FILE --tls-key FILE]

The admin console, read-only, over an event log (a file or esdb://…): the
connector's state, every device's access and why, what-if previews of a policy,
the syncs. Open the printed address in a browser. Listens on 127.0.0.1:8090 by
default; another address needs --token-env (the environment variable holding
the token every request must carry) and a TLS certificate and key. Nothing is
enforced from this console: syncs are started by eas-sync run.`;

const MIN_TOKEN_LENGTH = 16;

export interface ConsoleServing {
  readonly api: ConsoleApi;
  readonly assets: ReadonlyMap<string, Asset>;
  attach(engine: ConsoleEngine): void;
}

/** The console over the store `spec`; `run` attaches its engine once started. */
export function consoleServing(spec: string, now: () => number, mode: 'run' | 'read-only' = 'run'): ConsoleServing {
  const log = consoleLog(spec);
  let engine: ConsoleEngine | undefined;
  const api = consoleApi({ log, models: modelCache(log, now), mode, engine: () => engine, now });
  return {
    api,
    assets: loadAssets(),
    attach(e) {
      engine = e;
    },
  };
}

export async function consoleCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { listen: { type: 'string' }, 'token-env': { type: 'string' }, 'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' } },
    1,
  );
  if (values.help) {
    printRaw(CONSOLE_HELP);
    return 0;
  }
  const spec = logPath(positionals[0], 'console');
  await checkSpec(spec);
  const listen = parseListen((values.listen as string | undefined) ?? '127.0.0.1:8090');
  if (typeof listen === 'string') throw new UsageError(`--listen: ${listen}`);
  const tokenEnv = values['token-env'] as string | undefined;
  const token = tokenEnv ? secretFromEnv(tokenEnv, '--token-env') : undefined;
  if (token !== undefined && token.length < MIN_TOKEN_LENGTH)
    throw new InputFailure(`--token-env: the token in ${tokenEnv!} is shorter than ${MIN_TOKEN_LENGTH} characters`);
  const certFile = values['tls-cert'] as string | undefined;
  const keyFile = values['tls-key'] as string | undefined;
  if ((certFile === undefined) !== (keyFile === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  const { readFile } = await import('node:fs/promises');
  const tls =
    certFile && keyFile
      ? {
          cert: await readFile(certFile).catch(() => {
            throw new InputFailure(`--tls-cert: cannot read ${certFile}`);
          }),
          key: await readFile(keyFile).catch(() => {
            throw new InputFailure(`--tls-key: cannot read ${keyFile}`);
          }),
        }
      : undefined;
  const served = consoleServing(spec, () => Date.now(), 'read-only');
  const log = (line: string) => void process.stderr.write(`eas-sync: ${line}\n`);
  const bound = await listenStatus({
    listen,
    ...(token !== undefined ? { token } : {}),
    ...(tls ? { tls } : {}),
    console: served,
    mode: 'console',
    healthMaxFullSyncAgeMinutes: 0,
    log,
  });
  if (bound._tag === 'Left')
    throw new InputFailure(
      `--listen: ${bound.left.replace('set console.tokenEnv', 'give --token-env').replace('configure status.tls (certFile, keyFile)', 'give --tls-cert and --tls-key')}`,
    );
  const server = bound.right;
  // Fold once now, so the first page does not wait for it.
  const first = await served.api.handle({ method: 'GET', path: '/api/overview', query: new URLSearchParams(), caller: 'start' });
  if (first.status !== 200) log(`the log could not be read yet: ${JSON.stringify(first.json)}`);
  process.stdout.write(`console for ${displaySpec(spec)} on ${server.url}/ (read-only; Ctrl+C to stop)\n`);
  await new Promise<void>((res) => {
    process.once('SIGTERM', () => res());
    process.once('SIGINT', () => res());
  });
  await server.close(1_000);
  return 0;
}
