// The benchmarks' command lines: an unknown option, or a number option given
// something that is not a number, is said in one line with the usage (exit
// code 2) instead of a stack trace or a run over NaN devices.
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Numbers, or numbers separated by commas (`--devices 5000,50000`). */
const NUMBERS = /^\d+(\.\d+)?(,\d+(\.\d+)?)*$/;

/** `numeric`: options without a default that take numbers too (an option whose default is a number does). */
export function benchArgs<T extends ParseArgsConfig>(
  usage: string,
  config: T,
  numeric: readonly string[] = [],
): ReturnType<typeof parseArgs<T>> {
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
  const values = parsed.values as Record<string, unknown>;
  for (const [name, option] of Object.entries(config.options ?? {})) {
    const given = values[name];
    const byDefault = typeof option.default === 'string' && NUMBERS.test(option.default);
    if (option.type !== 'string' || typeof given !== 'string' || !(byDefault || numeric.includes(name)) || NUMBERS.test(given)) continue;
    const list = typeof option.default === 'string' && option.default.includes(',');
    fail(`--${name}: expected a number${list ? ' or numbers separated by commas' : ''}, got ${JSON.stringify(given)}`);
  }
  return parsed;
}
