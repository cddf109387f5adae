import fs from 'node:fs';
import path from 'node:path';

/** Thrown when another live process (or this one) already holds a data dir. */
export class DataDirLockedError extends Error {
  readonly code = 'DATA_DIR_LOCKED';
}

const heldHere = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes an exclusive lock on `dir` (a `<dir>.lock` file holding our pid), because PGlite has none
 * of its own: two processes on one data dir silently lose writes. A lock left by a dead process
 * is taken over. Returns the function that releases it.
 */
export function lockDataDir(dir: string, owner: string): () => void {
  const lockPath = `${path.resolve(dir)}.lock`;
  if (heldHere.has(lockPath)) {
    throw new DataDirLockedError(`${dir} is already open in this process (${owner} tried to open it again)`);
  }
  fs.mkdirSync(path.dirname(lockPath), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      fs.writeFileSync(lockPath, JSON.stringify({ pid: process.pid, owner, since: new Date().toISOString() }), {
        flag: 'wx',
      });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw error;
      const holder = readHolder(lockPath);
      if (holder && holder.pid !== process.pid && isAlive(holder.pid)) {
        throw new DataDirLockedError(
          `${dir} is in use by process ${holder.pid} (${holder.owner}, since ${holder.since}). ` +
            'Stop that process first, or point DATA_DIR (or the database URL) at another directory.',
        );
      }
      fs.rmSync(lockPath, { force: true }); // stale: its process is gone
    }
  }
  heldHere.add(lockPath);
  const release = (): void => {
    if (!heldHere.delete(lockPath)) return;
    process.off('exit', release);
    if (readHolder(lockPath)?.pid === process.pid) fs.rmSync(lockPath, { force: true });
  };
  process.on('exit', release);
  return release;
}

function readHolder(lockPath: string): { pid: number; owner: string; since: string } | undefined {
  try {
    return JSON.parse(fs.readFileSync(lockPath, 'utf8'));
  } catch {
    return undefined; // vanished or half-written: treat as free
  }
}
