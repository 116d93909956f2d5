#!/usr/bin/env node
// eas-sync: the driving adapter, a thin layer over the public API.
// Exit codes: 0 success; 1 the work failed; 2 bad input or usage.
// Commands are loaded on demand: `explain` or `what-if` must not pay for the
// EventStoreDB client, msal or nodemailer at start-up.
import { InputFailure, UsageError, WorkFailure, visible } from './io.js';
import { scrub } from '../shared/connection-string.js';

interface Command {
  readonly run: (argv: string[]) => Promise<number>;
  readonly help: string;
}

const commands: Record<string, () => Promise<Command>> = {
  demo: async () => {
    const m = await import('./demo.js');
    return { run: m.demo, help: m.DEMO_HELP };
  },
  plan: async () => {
    const m = await import('./plan.js');
    return { run: m.plan, help: m.PLAN_HELP };
  },
  replay: async () => {
    const m = await import('./replay.js');
    return { run: m.replay, help: m.REPLAY_HELP };
  },
  explain: async () => {
    const m = await import('./explain.js');
    return { run: m.explain, help: m.EXPLAIN_HELP };
  },
  'what-if': async () => {
    const m = await import('./what-if.js');
    return { run: m.whatIf, help: m.WHAT_IF_HELP };
  },
  sync: async () => {
    const m = await import('./sync.js');
    return { run: m.syncCommand, help: m.SYNC_HELP };
  },
  run: async () => {
    const m = await import('./run.js');
    return { run: m.run, help: m.RUN_HELP };
  },
  'intune-export': async () => {
    const m = await import('./intune-export.js');
    return { run: m.intuneExport, help: m.INTUNE_EXPORT_HELP };
  },
  console: async () => {
    const m = await import('./console.js');
    return { run: m.consoleCommand, help: m.CONSOLE_HELP };
  },
  override: async () => {
    const m = await import('./override.js');
    return { run: m.override, help: m.OVERRIDE_HELP };
  },
  wipe: async () => {
    const m = await import('./wipe.js');
    return { run: m.wipe, help: m.WIPE_HELP };
  },
  copy: async () => {
    const m = await import('./copy.js');
    return { run: m.copy, help: m.COPY_HELP };
  },
};

const SUMMARY = `Usage: eas-sync <command> [options]

Commands:
  demo     full sync of a simulated organization into a log, verified against Exchange
  plan     offline dry run from Exchange and Intune exports
  replay   fold an event log: status, access counts, errors
  explain  why a device has its access level: decision, reason, facts, command, timeline
  what-if  which devices another policy would treat differently, and the commands it would cause
  sync     one sync with the configured gateways and store
  run      the long-running connector: schedules, the admin console and a status endpoint
  console  the admin console (read-only) over a log, in a browser
  override an administrator's time-boxed allow or block of one device, or its early end
  wipe     an administrator's remote wipe of one device (Clear-MobileDevice), followed to its acknowledgement
  intune-export  every managed device from Graph as one JSON array, for plan
  copy     copy a log between stores (file path or esdb://…), keeping order, ids and revisions

Every command takes --json and --help.`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    const helps = await Promise.all(Object.values(commands).map((load) => load().then((c) => c.help)));
    process.stdout.write([SUMMARY, ...helps].join('\n\n') + '\n');
    return name ? 0 : 2;
  }
  const load = commands[name];
  if (!load) throw new UsageError(`unknown command "${name}" (commands: ${Object.keys(commands).join(', ')})`);
  return (await load()).run(rest);
}

const argv = process.argv.slice(2);
// Every message that ends a command passes here: a connection string given on
// the command line (`esdb://user:password@…`, also as `--store=…`) is shown
// without its credentials whatever the layer that produced the message.
const storeArgs = argv.flatMap((a) => [a, a.slice(a.indexOf('=') + 1)]);
const fail = (text: string, code: number) => {
  // Lines stay lines; any other hidden character (from a device field) is shown as an escape.
  process.stderr.write(
    `eas-sync: ${scrub(text, ...storeArgs)
      .split('\n')
      .map(visible)
      .join('\n')}\n`,
  );
  process.exitCode = code;
};

main(argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError || err instanceof InputFailure) fail(err.message, 2);
    else if (err instanceof WorkFailure) fail(err.message, 1);
    else fail(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`, 1);
  },
);
