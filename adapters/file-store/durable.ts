// Durability of a directory entry: a created or renamed file survives a crash
// once its directory is fsynced (best effort: not every platform can fsync a
// directory, and there the rename or create is as durable as it gets).
import { open } from 'node:fs/promises';

export async function syncDirectory(dir: string): Promise<void> {
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // ignored, see above
  }
}
