// Bad input is a value, not an exception: the CLI prints these and exits 2.
// Shared by the adapters that read operators' files (exports, Graph, PowerShell).
import type { Issue } from '../../src/codec.js';

/** One problem in an input file, located as precisely as we can. */
export interface InputError {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  /** e.g. `[3].DeviceId` or `value[2].complianceState` */
  readonly path?: string;
  readonly message: string;
}

/** Decoders stop listing errors after this many (one more entry says how many were left out). */
export const MAX_ERRORS = 50;

/** `exchange.json: [3].DeviceId: expected a string, got null`, `policy.json line 4 column 9: Unexpected token '}'` */
export function formatInputError(e: InputError): string {
  const where = e.line === undefined ? '' : ` line ${e.line}${e.column === undefined ? '' : ` column ${e.column}`}`;
  const path = e.path === undefined || e.path === '' ? '' : `${e.path}: `;
  return `${e.file}${where}: ${path}${e.message}`;
}

export const formatInputErrors = (errors: readonly InputError[]): string => errors.map(formatInputError).join('\n');

/** `[3]` + `DeviceId` → `[3].DeviceId`; `[3]` + `(root)` → `[3]`. */
export function joinPath(prefix: string, path: string): string {
  if (path === '' || path === '(root)') return prefix === '' ? '(root)' : prefix;
  if (prefix === '') return path;
  return path.startsWith('[') ? prefix + path : `${prefix}.${path}`;
}

/** Issues of one element (paths relative to it) as errors of the file. */
export const issuesToInputErrors = (file: string, prefix: string, issues: readonly Issue[]): InputError[] =>
  issues.map((i) => ({ file, path: joinPath(prefix, i.path), message: i.message }));

/** At most MAX_ERRORS errors, plus one saying how many more there were. */
export function capErrors(file: string, errors: readonly InputError[]): InputError[] {
  if (errors.length <= MAX_ERRORS) return [...errors];
  const more = errors.length - MAX_ERRORS;
  return [...errors.slice(0, MAX_ERRORS), { file, message: `and ${more} more error${more === 1 ? '' : 's'} not shown` }];
}

/** A value shown in a message, shortened. */
export function show(u: unknown): string {
  if (u === undefined) return 'nothing';
  let s: string;
  try {
    s = JSON.stringify(u) ?? String(u);
  } catch {
    s = String(u);
  }
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}
