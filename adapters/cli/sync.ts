// eas-sync sync --config FILE [--quick|--full]: one sync, then exit.
import { parse } from './args.js';
import { readConfig } from './config.js';
import { buildConnector } from './connector.js';
import { print, printRaw, printJson, UsageError } from './io.js';
import { phaseProgress } from './progress.js';
import { diagnosticsFromConfig } from './diagnostics.js';

export const SYNC_HELP = `Usage: eas-sync sync --config FILE [--quick | --full] [--json]

Runs one sync (full by default) with the configured gateways and store, then
exits: 0 when it succeeded, 1 when it failed (the report says why), 2 when the
log holds an event that is not valid (nothing is written to it then).`;

export async function syncCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { config: { type: 'string' }, quick: { type: 'boolean' }, full: { type: 'boolean' } });
  if (values.help) {
    printRaw(SYNC_HELP);
    return 0;
  }
  if (!values.config) throw new UsageError('--config FILE is required (see eas-sync sync --help)');
  if (values.quick && values.full) throw new UsageError('give --quick or --full, not both');
  const config = await readConfig(values.config as string);
  const bar = phaseProgress();
  // Diagnostic logs only when the config asks for them: sync prints its own report.
  const diag = config.log ? diagnosticsFromConfig(config) : undefined;
  const c = await buildConnector(config, { onProgress: (p) => bar.update(p) }, diag?.observe ?? {});
  try {
    const report = values.quick ? await c.engine.quickSync() : await c.engine.fullSync();
    bar.end();
    if (values.json) printJson({ ...report, status: c.engine.status() });
    else {
      print(
        `${report.kind} sync ${report.syncId || '-'}: ${report.success ? 'succeeded' : 'FAILED'}; ${report.devices} devices decided, ${report.commands.issued} commands (${report.commands.failed} failed), ${report.notifications.sent} notifications`,
      );
      print(`Access: ${report.access.allow} allow, ${report.access.block} block, ${report.access.quarantine} quarantine`);
      for (const e of report.errors.slice(0, 20)) print(`error: ${e.message}`);
    }
    if (report.success) return 0;
    // A log this engine cannot read back (an event that does not decode) is bad input, like a corrupt line.
    return report.errors.some((e) => e.kind === 'invalidLog' || e.kind === 'store.corrupt') ? 2 : 1;
  } finally {
    await c.close();
    await diag?.close();
  }
}
