import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Thrown when another live process (or this one) already holds a data dir. */
export class DataDirLockedError extends Error {
  readonly code = 'DATA_DIR_LOCKED';

  constructor(
    message: string,
    /** Who holds the lock, as it named itself (`owner`), when that could be read. */
    readonly holderOwner?: string,
  ) {
    super(message);
  }
}

/** Where a process runs: its pid only means something to a reader with the same three. */
export interface Machine {
  host: string;
  /** /proc/sys/kernel/random/boot_id: changes on every boot, so a pid from before a reboot is dead. */
  bootId: string;
  /** /proc/self/ns/pid: containers on one kernel each have their own pids (each service is pid 1). */
  pidNamespace: string;
}

interface Holder extends Machine {
  pid: number;
  owner: string;
  since: string;
  /** Rewritten every few seconds while the lock is held; the only sign of life across machines. */
  heartbeat: string;
}

export interface LockOptions {
  /** How often the holder rewrites its heartbeat. @default 5000 */
  heartbeatMs?: number;
  /** A lock from another machine or PID namespace is stale once its heartbeat is this old. @default 30000 */
  staleMs?: number;
  /** Called if the lock is found taken by someone else; by default the process exits (two writers corrupt the dir). */
  onLost?: (error: DataDirLockedError) => void;
}

const HEARTBEAT_MS = 5_000;
const STALE_MS = 30_000;
/** A lock file too new to judge: its writer may be a moment from finishing (never, with link()). */
const UNREADABLE_GRACE_MS = 10_000;

const heldHere = new Set<string>();

function readOr(read: () => string): string {
  try {
    return read().trim();
  } catch {
    return ''; // not Linux: hostname alone then names the machine
  }
}

let machine: Machine | undefined;
export function thisMachine(): Machine {
  machine ??= {
    host: os.hostname(),
    bootId: readOr(() => fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8')),
    pidNamespace: readOr(() => fs.readlinkSync('/proc/self/ns/pid')),
  };
  return machine;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes an exclusive lock on `dir` (a `<dir>.lock` file naming its holder), because PGlite has
 * none of its own: two processes on one data dir silently lose writes. The lock file is written
 * whole under a temporary name and hard-linked into place, which fails atomically if it exists, so
 * no one ever sees half a lock. While held, its heartbeat is rewritten every `heartbeatMs`.
 *
 * A holder on this machine (same host, boot and PID namespace) is judged by its pid. Any other
 * holder, such as another container sharing the volume (where every service may be pid 1), is
 * judged by its heartbeat alone: stale after `staleMs`. A stale lock is removed under a second
 * lock (`<dir>.lock.breaking`), and only if it is still the one judged stale, so two starters can
 * never both break in. Returns the function that releases it.
 */
export function lockDataDir(dir: string, owner: string, options: LockOptions = {}): () => void {
  const { heartbeatMs = HEARTBEAT_MS, staleMs = STALE_MS, onLost = exitOnLost } = options;
  const lockPath = `${path.resolve(dir)}.lock`;
  if (heldHere.has(lockPath)) {
    throw new DataDirLockedError(`${dir} is already open in this process (${owner} tried to open it again)`);
  }
  fs.mkdirSync(path.dirname(lockPath), { recursive: true });
  const now = new Date().toISOString();
  let mine: Holder = { pid: process.pid, owner, since: now, heartbeat: now, ...thisMachine() };
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
      if (!isStale(lockPath, holder, staleMs)) throw lockedBy(dir, holder, staleMs);
      if (attempt >= 50)
        throw new DataDirLockedError(`${dir}: could not take its stale lock (${lockPath}); remove that file if no process uses the dir.`);
      breakStaleLock(lockPath, holder);
    }
  } finally {
    fs.rmSync(draft, { force: true });
  }
  heldHere.add(lockPath);

  const beat = (): void => {
    if (!sameHolder(readHolder(lockPath), mine)) {
      stop();
      onLost(
        new DataDirLockedError(
          `${dir}: its lock (${lockPath}) was taken by another process while ${owner} held it; stopping before two writers corrupt it.`,
        ),
      );
      return;
    }
    const next = { ...mine, heartbeat: new Date().toISOString() };
    fs.writeFileSync(draft, JSON.stringify(next));
    fs.renameSync(draft, lockPath); // atomic: a reader sees the old heartbeat or the new one
    mine = next;
  };
  const timer = setInterval(() => {
    try {
      beat();
    } catch {
      // A failed write (disk full, volume gone) is retried next time; missing several makes the lock stale.
    }
  }, heartbeatMs).unref();
  const stop = (): boolean => {
    clearInterval(timer);
    process.off('exit', release);
    return heldHere.delete(lockPath);
  };
  const release = (): void => {
    if (!stop()) return;
    if (sameHolder(readHolder(lockPath), mine)) fs.rmSync(lockPath, { force: true });
  };
  process.on('exit', release);
  return release;
}

function exitOnLost(error: DataDirLockedError): void {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}

function sameMachine(holder: Holder): boolean {
  const here = thisMachine();
  return holder.host === here.host && holder.bootId === here.bootId && holder.pidNamespace === here.pidNamespace;
}

function heartbeatAgeMs(holder: Holder): number {
  const beat = Date.parse(holder.heartbeat ?? holder.since);
  return Number.isNaN(beat) ? Infinity : Date.now() - beat;
}

function isStale(lockPath: string, holder: Holder | 'unreadable', staleMs: number): boolean {
  if (holder === 'unreadable') return !isRecent(lockPath, UNREADABLE_GRACE_MS);
  // Our own pid here, yet not held in this process: a previous process that had our pid.
  if (sameMachine(holder)) return holder.pid === process.pid || !isAlive(holder.pid);
  return heartbeatAgeMs(holder) > staleMs;
}

/** Removes the stale lock, if it is still the one judged stale, while holding the breaking lock. */
function breakStaleLock(lockPath: string, judged: Holder | 'unreadable'): void {
  const breaking = `${lockPath}.breaking`;
  try {
    fs.writeFileSync(breaking, String(process.pid), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    if (!isRecent(breaking, UNREADABLE_GRACE_MS)) fs.rmSync(breaking, { force: true }); // its breaker died mid-way
    sleep(20);
    return;
  }
  try {
    if (sameHolder(readHolder(lockPath), judged)) fs.rmSync(lockPath, { force: true });
  } finally {
    fs.rmSync(breaking, { force: true });
  }
}

/** The same lock record, heartbeat included: a lock that beat since it was judged is not broken. */
function sameHolder(a: Holder | 'unreadable' | 'gone', b: Holder | 'unreadable'): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return (['pid', 'owner', 'since', 'heartbeat', 'host', 'bootId', 'pidNamespace'] as const).every((key) => a[key] === b[key]);
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function lockedBy(dir: string, holder: Holder | 'unreadable', staleMs: number): DataDirLockedError {
  if (holder === 'unreadable') return new DataDirLockedError(`${dir} is being opened by another process right now; try again in a moment.`);
  const where = sameMachine(holder)
    ? ''
    : `, on ${holder.host === thisMachine().host ? 'another container or boot of this host' : `host ${holder.host}`}` +
      `, heartbeat ${Math.max(0, Math.round(heartbeatAgeMs(holder) / 1000))} s ago`;
  const takeover = sameMachine(holder)
    ? ''
    : ` If that process is gone, its lock is taken over once its heartbeat is ${staleMs / 1000} s old.`;
  return new DataDirLockedError(
    `${dir} is in use by process ${holder.pid} (${holder.owner}, since ${holder.since}${where}). ` +
      `Stop that process first, or point DATA_DIR (or the database URL) at another directory.${takeover}`,
    holder.owner,
  );
}

function isRecent(file: string, withinMs: number): boolean {
  try {
    return Date.now() - fs.statSync(file).mtimeMs < withinMs;
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
