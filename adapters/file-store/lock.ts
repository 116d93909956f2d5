// The single-writer lock: `<log>.lock` created exclusively, holding the owner's
// pid. A lock whose process is gone (a crash) is taken over.
import { open, readFile, unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { left, right, type Either } from 'fp-ts/lib/Either.js';
import type { StoreError } from '../../src/ports.js';

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const codeOf = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;
const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

// Locks held by this process. A lock file naming our own pid that is not in here
// was left by an earlier process that had the same pid (containers restart as
// the same pid), so it is stale.
const held = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return codeOf(err) === 'EPERM';
  }
}

/** The pid in the lock file; undefined when unreadable as one, 'gone' when the file vanished. */
async function holderOf(lockPath: string): Promise<number | undefined | 'gone'> {
  try {
    const text = (await readFile(lockPath, 'utf8')).trim();
    // Only a positive integer: kill(0) or kill(-n) would probe a process group.
    return /^[1-9][0-9]*$/.test(text) ? Number(text) : undefined;
  } catch (err) {
    if (codeOf(err) === 'ENOENT') return 'gone';
    throw err;
  }
}

export async function acquireLock(lockPath: string, logPath: string): Promise<Either<StoreError, void>> {
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const fh = await open(lockPath, 'wx');
        try {
          await fh.writeFile(`${process.pid}\n`);
        } catch (err) {
          await fh.close().catch(() => undefined);
          await unlink(lockPath).catch(() => undefined);
          throw err;
        }
        await fh.close();
        held.add(resolve(lockPath));
        return right(undefined);
      } catch (err) {
        if (codeOf(err) !== 'EEXIST') throw err;
      }
      let holder = await holderOf(lockPath);
      if (holder === undefined) {
        // Perhaps another opener between creating the file and writing its pid.
        await sleep(100);
        holder = await holderOf(lockPath);
      }
      if (holder === 'gone') continue;
      const staleSelf = holder === process.pid && !held.has(resolve(lockPath));
      if (holder !== undefined && !staleSelf && isAlive(holder)) {
        return left({ kind: 'io', message: `log ${logPath} is locked by process ${holder} (lock file ${lockPath})` });
      }
      // Stale: its owner died without closing. Remove it and race for it again
      // through the exclusive create, so only one taker wins.
      await unlink(lockPath).catch((err) => {
        if (codeOf(err) !== 'ENOENT') throw err;
      });
    }
    return left({ kind: 'io', message: `log ${logPath}: could not take the lock file ${lockPath}` });
  } catch (err) {
    return left({ kind: 'io', message: `log ${logPath}: cannot take the lock file ${lockPath}: ${errorText(err)}` });
  }
}

/** Removes the lock if it is still ours. */
export async function releaseLock(lockPath: string): Promise<void> {
  if (!held.delete(resolve(lockPath))) return;
  try {
    if ((await holderOf(lockPath)) === process.pid) await unlink(lockPath);
  } catch {
    // Nothing to do: a leftover lock with our (then dead) pid is taken over later.
  }
}
