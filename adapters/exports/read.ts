// Reads one export file: bytes → text (BOM-aware) → JSON → decoder. Every
// failure, a missing file included, is an InputError naming the file.
import { readFile } from 'node:fs/promises';
import { isLeft, left, type Either } from 'fp-ts/lib/Either.js';
import type { InputError } from '../shared/input-errors.js';
import { decodeText, parseJsonText } from './text.js';

export type ExportDecoder<A> = (json: unknown, file: string) => Either<InputError[], A>;

function describeFsError(e: unknown): string {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  switch (code) {
    case 'ENOENT':
      return 'file not found';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return `cannot read the file: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** `file` in errors is `path` as given, so messages name the file the way the user did. */
export async function readExportFile<A>(path: string, decode: ExportDecoder<A>): Promise<Either<InputError[], A>> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    return left([{ file: path, message: describeFsError(e) }]);
  }
  const json = parseJsonText(decodeText(bytes), path);
  if (isLeft(json)) return left([json.left]);
  return decode(json.right, path);
}
