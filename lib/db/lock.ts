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
 * one ever sees half a lock. A lock left by a dead process is removed under a second lock
 * (`<dir>.lock.breaking`), and only if it is still the one judged stale, so two starters can never
 * both break in. Returns the function that releases it.
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
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = readHolder(lockPath);
      if (holder === 'gone') continue;
      if (holder === 'unreadable' ? isRecent(lockPath) : holder.pid !== process.pid && isAlive(holder.pid)) {
        throw lockedBy(dir, holder);
      }
      if (attempt >= 50) throw new DataDirLockedError(`${dir}: could not take its stale lock (${lockPath}); remove that file if no process uses the dir.`);
      breakStaleLock(lockPath, holder);
    }
  } finally {
    fs.rmSync(draft, { force: true });
  }
  heldHere.add(lockPath);
  const release = (): void => {
    if (!heldHere.delete(lockPath)) return;
    process.off('exit', release);
    if (sameHolder(readHolder(lockPath), mine)) fs.rmSync(lockPath, { force: true });
  };
  process.on('exit', release);
  return release;
}

/** Removes the stale lock, if it is still the one judged stale, while holding the breaking lock. */
function breakStaleLock(lockPath: string, judged: Holder | 'unreadable'): void {
  const breaking = `${lockPath}.breaking`;
  try {
    fs.writeFileSync(breaking, String(process.pid), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    if (!isRecent(breaking)) fs.rmSync(breaking, { force: true }); // its breaker died mid-way
    sleep(20);
    return;
  }
  try {
    if (sameHolder(readHolder(lockPath), judged)) fs.rmSync(lockPath, { force: true });
  } finally {
    fs.rmSync(breaking, { force: true });
  }
}

function sameHolder(a: Holder | 'unreadable' | 'gone', b: Holder | 'unreadable'): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return a.pid === b.pid && a.since === b.since && a.owner === b.owner;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
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
