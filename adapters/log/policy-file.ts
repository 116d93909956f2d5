// Reading an access policy document from a file (what-if's --policy, plan's).
import { readFile } from 'node:fs/promises';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { parsePolicy, type Policy } from '../../src/policy.js';
import { decodeText, parseJsonText } from '../exports/text.js';
import type { InputError } from '../shared/input-errors.js';

/**
 * The policy in the file at `path`. Left: the file cannot be read, is not JSON
 * (with its line and column), or is not a valid policy (every field at fault).
 */
export async function readPolicyFile(path: string): Promise<Either<InputError[], Policy>> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    return left([{ file: path, message: `cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` }]);
  }
  const json = parseJsonText(decodeText(bytes), path);
  if (isLeft(json)) return left([json.left]);
  const policy = parsePolicy(json.right);
  if (isLeft(policy)) return left(policy.left.map((i) => ({ file: path, path: i.path, message: i.message })));
  return right(policy.right);
}
