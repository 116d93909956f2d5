// The read-only debugging commands of issue 7, for main.ts to register:
//   import { extraCommands } from './commands-extra.js';
import { explain, EXPLAIN_HELP } from './explain.js';
import { whatIf, WHAT_IF_HELP } from './what-if.js';

export const extraCommands: Record<string, { run: (argv: string[]) => Promise<number>; help: string }> = {
  explain: { run: explain, help: EXPLAIN_HELP },
  'what-if': { run: whatIf, help: WHAT_IF_HELP },
};
