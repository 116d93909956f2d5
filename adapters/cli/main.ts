#!/usr/bin/env node
// eas-sync: the driving adapter, a thin layer over the public API.
// Exit codes: 0 success; 1 the work failed; 2 bad input or usage.
import { demo, DEMO_HELP } from './demo.js';
import { plan, PLAN_HELP } from './plan.js';
import { replay, REPLAY_HELP } from './replay.js';
import { syncCommand, SYNC_HELP } from './sync.js';
import { run, RUN_HELP } from './run.js';
import { intuneExport, INTUNE_EXPORT_HELP } from './intune-export.js';
import { copy, COPY_HELP } from './copy.js';
import { extraCommands } from './commands-extra.js';
import { InputFailure, UsageError, WorkFailure } from './io.js';

const HELP = `Usage: eas-sync <command> [options]

Commands:
  demo     full sync of a simulated organization into a log, verified against Exchange
  plan     offline dry run from Exchange and Intune exports
  replay   fold an event log: status, access counts, errors
  explain  why a device has its access level: decision, reason, facts, command, timeline
  what-if  which devices another policy would treat differently, and the commands it would cause
  sync     one sync with the configured gateways and store
  run      the long-running connector: schedules and a status endpoint
  intune-export  every managed device from Graph as one JSON array, for plan
  copy     copy a log between stores (file path or esdb://…), keeping order, ids and revisions

Every command takes --json and --help.

${DEMO_HELP}

${PLAN_HELP}

${REPLAY_HELP}

${extraCommands.explain!.help}

${extraCommands['what-if']!.help}

${SYNC_HELP}

${RUN_HELP}

${INTUNE_EXPORT_HELP}

${COPY_HELP}`;

const commands: Record<string, (argv: string[]) => Promise<number>> = { demo, plan, replay, sync: syncCommand, run, 'intune-export': intuneExport, copy,
  ...Object.fromEntries(Object.entries(extraCommands).map(([name, c]) => [name, c.run])),
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') { process.stdout.write(HELP + '\n'); return name ? 0 : 2; }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command "${name}" (commands: ${Object.keys(commands).join(', ')})`);
  return command(rest);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    if (err instanceof UsageError || err instanceof InputFailure) {
      process.stderr.write(`eas-sync: ${err.message}\n`);
      process.exitCode = 2;
    } else if (err instanceof WorkFailure) {
      process.stderr.write(`eas-sync: ${err.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`eas-sync: internal error: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
