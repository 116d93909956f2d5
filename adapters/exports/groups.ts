// `--groups`: `{ "<group id>": ["<user principal name>", …] }`, the transitive
// members of each group the policy names. UPNs are compared lower-cased.
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { GroupMembership } from '../../src/facts.js';
import { capErrors, show, type InputError } from '../shared/input-errors.js';

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

/** A member: a UPN string, or a Graph user object `{ "userPrincipalName": … }`. */
function memberUpn(u: unknown): string | undefined {
  const v = isRecord(u) ? u['userPrincipalName'] : u;
  return typeof v === 'string' && v.trim() !== '' ? v.trim().toLowerCase() : undefined;
}

export function decodeGroups(json: unknown, file: string): Either<InputError[], GroupMembership> {
  // An empty file parses as [] ("no results"): no groups.
  if (Array.isArray(json) && json.length === 0) return right(new Map());
  if (!isRecord(json)) {
    return left([{ file, path: '(root)', message: `expected an object of group id → user principal names, got ${show(json)}` }]);
  }
  const errors: InputError[] = [];
  const groups = new Map<string, ReadonlySet<string>>();
  for (const [id, members] of Object.entries(json)) {
    const path = /^[\w.-]+$/.test(id) ? id : JSON.stringify(id);
    if (id.trim() === '') errors.push({ file, path, message: 'a group id must not be empty' });
    if (members === null) {
      groups.set(id, new Set());
      continue;
    }
    if (!Array.isArray(members)) {
      errors.push({ file, path, message: `expected an array of user principal names, got ${show(members)}` });
      continue;
    }
    const set = new Set<string>();
    members.forEach((m, i) => {
      const upn = memberUpn(m);
      if (upn === undefined) errors.push({ file, path: `${path}[${i}]`, message: `expected a user principal name, got ${show(m)}` });
      else set.add(upn);
    });
    groups.set(id, set);
  }
  return errors.length ? left(capErrors(file, errors)) : right(groups);
}
