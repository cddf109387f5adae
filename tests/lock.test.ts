import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataDirLockedError, lockDataDir } from '../lib/db/lock';
import { PROJECT_ROOT } from '../lib/paths';

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

  test('is taken, refused to a second opener, and released', () => {
    const release = lockDataDir(dir, 'first');
    expect(() => lockDataDir(dir, 'second')).toThrow(DataDirLockedError);
    release();
    expect(fs.existsSync(`${dir}.lock`)).toBe(false);
    lockDataDir(dir, 'third')();
  });

  test("a dead process's lock is taken over", () => {
    fs.writeFileSync(`${dir}.lock`, JSON.stringify({ pid: deadPid(), owner: 'crashed', since: '2026-01-01T00:00:00Z' }));
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
    fs.writeFileSync(`${dir}.lock`, JSON.stringify({ pid: deadPid(), owner: 'crashed', since: '2026-01-01T00:00:00Z' }));
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
});
