import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Thrown when another live process (or this one) already holds a data dir. */
export class DataDirLockedError extends Error {
  readonly code = 'DATA_DIR_LOCKED';
}

interface Holder {
  pid: number;
  owner: string;
  since: string;
}

const heldHere = new Set<string>();
/** A lock file too new to judge: its writer may be a moment from finishing (never, with link()). */
const UNREADABLE_GRACE_MS = 10_000;

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
 * of its own: two processes on one data dir silently lose writes. The lock file is written whole
 * under a temporary name and hard-linked into place, which fails atomically if it exists, so no
 * one ever sees half a lock. A lock left by a dead process is moved aside (rename is atomic too)
 * and taken. Returns the function that releases it.
 */
export function lockDataDir(dir: string, owner: string): () => void {
  const lockPath = `${path.resolve(dir)}.lock`;
  if (heldHere.has(lockPath)) {
    throw new DataDirLockedError(`${dir} is already open in this process (${owner} tried to open it again)`);
  }
  fs.mkdirSync(path.dirname(lockPath), { recursive: true });
  const mine: Holder = { pid: process.pid, owner, since: new Date().toISOString() };
  const draft = `${lockPath}.${process.pid}.${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(draft, JSON.stringify(mine));
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        fs.linkSync(draft, lockPath);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 5) throw error;
      }
      const holder = readHolder(lockPath);
      if (holder === 'gone') continue;
      if (holder === 'unreadable' ? isRecent(lockPath) : holder.pid !== process.pid && isAlive(holder.pid)) {
        throw lockedBy(dir, holder);
      }
      moveAsideIfStale(lockPath, holder);
    }
  } finally {
    fs.rmSync(draft, { force: true });
  }
  heldHere.add(lockPath);
  const release = (): void => {
    if (!heldHere.delete(lockPath)) return;
    process.off('exit', release);
    const holder = readHolder(lockPath);
    if (typeof holder === 'object' && holder.pid === mine.pid && holder.since === mine.since) fs.rmSync(lockPath, { force: true });
  };
  process.on('exit', release);
  return release;
}

/**
 * Renames the stale lock to a name of our own, then checks that what we moved is the stale lock
 * we judged: if another process replaced it in between, its live lock is put back.
 */
function moveAsideIfStale(lockPath: string, judged: Holder | 'unreadable'): void {
  const aside = `${lockPath}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(lockPath, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else moved it first
    throw error;
  }
  const moved = readHolder(aside);
  const sameAsJudged = judged === 'unreadable' ? moved === 'unreadable' : typeof moved === 'object' && moved.pid === judged.pid && moved.since === judged.since;
  if (!sameAsJudged) {
    try {
      fs.linkSync(aside, lockPath);
    } catch {
      // A third process holds it now; the next attempt sees that.
    }
  }
  fs.rmSync(aside, { force: true });
}

function lockedBy(dir: string, holder: Holder | 'unreadable'): DataDirLockedError {
  if (holder === 'unreadable') return new DataDirLockedError(`${dir} is being opened by another process right now; try again in a moment.`);
  return new DataDirLockedError(
    `${dir} is in use by process ${holder.pid} (${holder.owner}, since ${holder.since}). ` +
      'Stop that process first, or point DATA_DIR (or the database URL) at another directory.',
  );
}

function isRecent(file: string): boolean {
  try {
    return Date.now() - fs.statSync(file).mtimeMs < UNREADABLE_GRACE_MS;
  } catch {
    return false;
  }
}

function readHolder(lockPath: string): Holder | 'unreadable' | 'gone' {
  let text: string;
  try {
    text = fs.readFileSync(lockPath, 'utf8');
  } catch {
    return 'gone';
  }
  try {
    const holder = JSON.parse(text) as Holder;
    return Number.isInteger(holder.pid) ? holder : 'unreadable';
  } catch {
    return 'unreadable';
  }
}
