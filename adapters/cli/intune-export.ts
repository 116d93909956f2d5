// eas-sync intune-export: every managed device from Microsoft Graph as one JSON
// array in Graph's shape, ready for `eas-sync plan --intune`.
import { readFile, rename, writeFile, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isLeft, type Either } from 'fp-ts/lib/Either.js';
import type { ManagedDevice } from '../../src/facts.js';
import type { IntuneError } from '../../src/ports.js';
import { decodeText, parseJsonText } from '../exports/text.js';
import { formatInputError, type InputError } from '../shared/input-errors.js';
import { parseIntuneConfig, graphGatewayFromConfig } from '../graph/config.js';
import { toGraphManagedDevice } from '../graph/export.js';
import type { GraphStats } from '../graph/gateway.js';
import { parse, instantOption } from './args.js';
import { out as writeOut, print, printRaw, printJson, InputFailure, UsageError } from './io.js';

export const INTUNE_EXPORT_HELP = `Usage: eas-sync intune-export --config FILE [--out FILE] [--changed-since ISO-8601] [--json]

Reads every managed device from Microsoft Graph (following @odata.nextLink to
the end) and writes them as one JSON array in Graph's shape, ready for
\`eas-sync plan --intune FILE\`. Uses the "intune" section of the connector
configuration: client credentials ("tenantId", "clientId", "clientSecretEnv")
or a bearer token ("tokenEnv"); secrets are read from those environment
variables, never from the file.
  --out FILE            write the array to FILE (mode 600) instead of stdout;
                        with --json a summary is printed instead
  --changed-since ISO   only devices that checked in with Intune after this instant
Exit codes: 0 written; 1 Graph failed (throttled, unavailable, refused, malformed); 2 bad config or usage.`;

const fail = (errors: readonly InputError[]) => new InputFailure(errors.slice(0, 20).map(formatInputError).join('\n'));

async function readConfig(path: string): Promise<unknown> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputFailure(`${path}: ${code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? (err as Error).message})`}`);
  }
  const json = parseJsonText(decodeText(bytes), path);
  if (isLeft(json)) throw fail([json.left]);
  return json.right;
}

export async function intuneExport(argv: string[]): Promise<number> {
  const { values } = parse(argv, { config: { type: 'string' }, out: { type: 'string' }, 'changed-since': { type: 'string' } });
  if (values.help) {
    printRaw(INTUNE_EXPORT_HELP);
    return 0;
  }
  if (typeof values.config !== 'string' || values.config === '')
    throw new UsageError('--config FILE is required (see eas-sync intune-export --help)');
  const file = values.config;
  const since = instantOption(values['changed-since'], 'changed-since');
  const query = since === undefined ? undefined : { changedSince: new Date(since).toISOString() };

  const config = parseIntuneConfig(await readConfig(file), file);
  if (isLeft(config)) throw fail(config.left);
  const c = config.right;

  const tty = process.stderr.isTTY === true;
  let stats: GraphStats | undefined;
  let result: Either<IntuneError, ManagedDevice[]>;
  let source: string;
  if (c.kind === 'simulator') {
    const { simulateOrganization } = await import('../simulator/index.js');
    const sim = simulateOrganization({ devices: c.devices ?? 5000, seed: c.seed ?? 1 });
    source = `the simulated tenant (devices ${c.devices ?? 5000}, seed ${c.seed ?? 1})`;
    result = await sim.intune.getManagedDevices(query);
  } else {
    const built = graphGatewayFromConfig(c, file, process.env, {
      onPage: (p) => {
        if (tty && p.resource === 'managedDevices') process.stderr.write(`\rintune-export: page ${p.pages}, ${p.items} devices`);
      },
    });
    if (isLeft(built)) throw fail(built.left);
    stats = built.right.gateway.stats;
    source = `${c.baseUrl ?? 'https://graph.microsoft.com/v1.0'} with ${built.right.auth}`;
    result = await built.right.gateway.getManagedDevices(query);
    if (tty) process.stderr.write('\n');
  }

  if (isLeft(result)) {
    const e: IntuneError = result.left;
    process.stderr.write(`eas-sync: intune-export: Graph failed (${e.kind}): ${e.message}\n`);
    if (values.json)
      printJson({
        error: {
          kind: e.kind,
          message: e.message,
          ...(e.url !== undefined ? { url: e.url } : {}),
          ...('path' in e && e.path !== undefined ? { path: e.path } : {}),
        },
        ...(stats ? { requests: stats.requests } : {}),
      });
    return 1;
  }
  const devices: ManagedDevice[] = result.right;
  const body = JSON.stringify(devices.map(toGraphManagedDevice), null, 2) + '\n';
  if (typeof values.out !== 'string' || values.out === '') {
    writeOut(body);
    return 0;
  }
  const out = resolve(values.out);
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, body, { mode: 0o600 });
    await rename(tmp, out);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw new InputFailure(`${values.out}: cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const summary = {
    devices: devices.length,
    out,
    source,
    ...(stats ? { requests: stats.requests, throttled: stats.throttled, retries: stats.retries, waitedMs: stats.waitedMs } : {}),
  };
  if (values.json) printJson(summary);
  else
    print(
      `Wrote ${devices.length} managed devices to ${out} (from ${source}${stats ? `; ${stats.requests} requests, ${stats.throttled} throttled` : ''})`,
    );
  return 0;
}
