import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataDirLockedError, lockDataDir, thisMachine } from '../../lib/db/lock';
import { PROJECT_ROOT } from '../../lib/paths';

describe('the data dir lock', () => {
  let root: string;
  let dir: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'commerce-lock-'));
    dir = path.join(root, 'pgdata');
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  const deadPid = () => {
    let pid = 4_000_000;
    while (fs.existsSync(`/proc/${pid}`)) pid++;
    return pid;
  };

  /** A lock file as another holder would write it; by default a live one on this machine. */
  const writeLock = (holder: { pid: number; owner?: string; heartbeatAgoMs?: number; host?: string; pidNamespace?: string }) => {
    const heartbeat = new Date(Date.now() - (holder.heartbeatAgoMs ?? 0)).toISOString();
    const record = { ...thisMachine(), owner: 'products service', since: '2026-01-01T00:00:00.000Z', heartbeat, ...holder };
    fs.writeFileSync(`${dir}.lock`, JSON.stringify(record));
  };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  test('is taken, refused to a second opener, and released', () => {
    const release = lockDataDir(dir, 'first');
    expect(() => lockDataDir(dir, 'second')).toThrow(DataDirLockedError);
    release();
    expect(fs.existsSync(`${dir}.lock`)).toBe(false);
    lockDataDir(dir, 'third')();
  });

  test("a dead process's lock on this machine is taken over, however fresh its heartbeat", () => {
    writeLock({ pid: deadPid(), owner: 'crashed' });
    const release = lockDataDir(dir, 'successor');
    expect(JSON.parse(fs.readFileSync(`${dir}.lock`, 'utf8'))).toMatchObject({ pid: process.pid, owner: 'successor' });
    release();
  });

  test('an unreadable lock is respected while fresh and taken over once old', () => {
    fs.writeFileSync(`${dir}.lock`, '');
    expect(() => lockDataDir(dir, 'eager')).toThrow(/being opened by another process/);
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(`${dir}.lock`, old, old);
    lockDataDir(dir, 'patient')();
  });

  test('processes racing for a stale lock: exactly one wins', async () => {
    writeLock({ pid: deadPid(), owner: 'crashed' });
    const script = `
      const { lockDataDir } = require('./lib/db/lock');
      try { lockDataDir(${JSON.stringify(dir)}, 'racer ' + process.pid); process.stdout.write('won'); setTimeout(() => {}, 1500); }
      catch (error) { process.stdout.write(error.code === 'DATA_DIR_LOCKED' ? 'lost' : 'error ' + error.message); }`;
    const racers = Array.from({ length: 6 }, () => {
      const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: PROJECT_ROOT });
      let out = '';
      child.stdout.on('data', (chunk) => (out += chunk));
      return new Promise<string>((resolve) => child.on('exit', () => resolve(out)));
    });
    const outcomes = await Promise.all(racers);
    expect(outcomes.filter((outcome) => outcome === 'won')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'lost')).toHaveLength(5);
  });

  describe('across containers and hosts sharing the volume', () => {
    test('another container holding it as pid 1 like us, with a fresh heartbeat, is refused', () => {
      writeLock({ pid: process.pid, host: 'other-container', heartbeatAgoMs: 3_000 });
      expect(() => lockDataDir(dir, 'second container')).toThrow(
        new RegExp(`in use by process ${process.pid} \\(products service, since .*, on host other-container, heartbeat 3 s ago\\)`),
      );
    });

    test('same host name and boot but another PID namespace (a container on host networking) is refused', () => {
      writeLock({ pid: process.pid, pidNamespace: 'pid:[1]', heartbeatAgoMs: 1_000 });
      expect(() => lockDataDir(dir, 'second container')).toThrow(/another container or boot of this host/);
    });

    test('a holder elsewhere whose heartbeat stopped is taken over', () => {
      writeLock({ pid: process.pid, host: 'crashed-host', heartbeatAgoMs: 60_000 });
      const release = lockDataDir(dir, 'successor');
      expect(JSON.parse(fs.readFileSync(`${dir}.lock`, 'utf8'))).toMatchObject({ pid: process.pid, owner: 'successor', ...thisMachine() });
      release();
    });

    test('the holder keeps its heartbeat fresh', async () => {
      const release = lockDataDir(dir, 'holder', { heartbeatMs: 20 });
      const first = JSON.parse(fs.readFileSync(`${dir}.lock`, 'utf8')).heartbeat;
      let latest = first;
      for (let i = 0; i < 100 && latest === first; i++) {
        await sleep(20);
        latest = JSON.parse(fs.readFileSync(`${dir}.lock`, 'utf8')).heartbeat;
      }
      expect(Date.parse(latest)).toBeGreaterThan(Date.parse(first));
      release();
      expect(fs.existsSync(`${dir}.lock`)).toBe(false);
    });

    test('a holder whose lock was taken from it is told, and leaves the new lock in place', async () => {
      let lost: Error | undefined;
      const release = lockDataDir(dir, 'paused holder', { heartbeatMs: 20, onLost: (error) => (lost = error) });
      writeLock({ pid: process.pid, host: 'other-container', owner: 'usurper' });
      for (let i = 0; i < 100 && !lost; i++) await sleep(20);
      expect(lost?.message).toMatch(/was taken by another process while paused holder held it/);
      release();
      expect(JSON.parse(fs.readFileSync(`${dir}.lock`, 'utf8'))).toMatchObject({ owner: 'usurper' });
    });
  });
});
