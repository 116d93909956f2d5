// Strict option parsing: an unknown option or a bad number is a usage error.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { isLeft } from 'fp-ts/lib/Either.js';
import { parseInstant } from '../../src/codec.js';
import { UsageError } from './io.js';

export interface Parsed {
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: string[];
}

export function parse(argv: string[], options: NonNullable<ParseArgsConfig['options']>, positionals = 0): Parsed {
  let r: Parsed;
  try {
    r = parseArgs({
      args: argv,
      options: { ...options, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (!r.values.help && r.positionals.length > positionals) throw new UsageError(`unexpected argument "${r.positionals[positionals]}"`);
  return r;
}

export function intOption(value: unknown, name: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer ≥ ${min}, got "${String(value)}"`);
  return n;
}

/** An instant option: an ISO-8601 date-time with a zone, every field in range (never read in the machine's zone). */
export function instantOption(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseInstant(String(value));
  if (isLeft(ms)) throw new UsageError(`--${name} ${JSON.stringify(String(value))}: ${ms.left}`);
  return ms.right;
}
