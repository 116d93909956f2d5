// The benchmarks' command lines: an unknown option, or a number option given
// something that is not a number, is said in one line with the usage (exit
// code 2) instead of a stack trace or a run over NaN devices.
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Numbers, or numbers separated by commas (`--devices 5000,50000`). */
const NUMBERS = /^\d+(\.\d+)?(,\d+(\.\d+)?)*$/;

export function benchArgs<T extends ParseArgsConfig>(usage: string, config: T): ReturnType<typeof parseArgs<T>> {
  const fail = (message: string): never => {
    process.stderr.write(`${message}\nusage: ${usage}\n`);
    process.exit(2);
  };
  let parsed: ReturnType<typeof parseArgs<T>>;
  try {
    parsed = parseArgs(config);
  } catch (err) {
    return fail((err as Error).message);
  }
  // An option whose default is a number takes numbers only.
  const values = parsed.values as Record<string, unknown>;
  for (const [name, option] of Object.entries(config.options ?? {})) {
    const given = values[name];
    if (option.type === 'string' && typeof option.default === 'string' && NUMBERS.test(option.default) && typeof given === 'string')
      if (!NUMBERS.test(given))
        fail(
          `--${name}: expected a number${option.default.includes(',') ? ' or numbers separated by commas' : ''}, got ${JSON.stringify(given)}`,
        );
  }
  return parsed;
}
