// Strict option parsing: an unknown option or a bad number is a usage error.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './io.js';

export interface Parsed {
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: string[];
}

export function parse(argv: string[], options: NonNullable<ParseArgsConfig['options']>, positionals = 0): Parsed {
  let r: Parsed;
  try {
    r = parseArgs({ args: argv, options: { ...options, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
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

export function instantOption(value: unknown, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(String(value));
  if (!/^\d{4}-\d{2}-\d{2}/.test(String(value)) || Number.isNaN(ms)) throw new UsageError(`--${name} must be an ISO-8601 date-time, got "${String(value)}"`);
  return ms;
}
