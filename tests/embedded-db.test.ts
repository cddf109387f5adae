import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, type Database } from '../lib/db/database';

describe('the embedded database', () => {
  let root: string;
  let dir: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'commerce-embedded-'));
    dir = path.join(root, 'products', 'pgdata');
  });
  afterEach(() => {
    jest.restoreAllMocks();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const open = (env: Record<string, string> = {}) => openDatabase('products', `pglite:${dir}`, { env });

  async function query(database: Database, sql: string): Promise<unknown[][]> {
    const connection = await database.adapter.connect();
    try {
      return (await connection.queryRaw({ sql, args: [], argTypes: [] })).rows;
    } finally {
      await connection.dispose();
    }
  }

  /** Ten single-row commits; returns how many fsync(2) calls they made. */
  async function fsyncsForTenCommits(database: Database): Promise<number> {
    await query(database, 'CREATE TABLE probe (n int)');
    const fsync = jest.spyOn(fs, 'fsyncSync');
    for (let n = 0; n < 10; n++) await query(database, `INSERT INTO probe VALUES (${n})`);
    return fsync.mock.calls.length;
  }

  /** Every path under `top` (itself included) whose mode lets the group or others in. */
  function openToOthers(top: string): string[] {
    const found: string[] = [];
    const visit = (entry: string): void => {
      const stat = fs.lstatSync(entry);
      if ((stat.mode & 0o077) !== 0) found.push(`${(stat.mode & 0o777).toString(8)} ${path.relative(top, entry) || '.'}`);
      if (stat.isDirectory()) for (const name of fs.readdirSync(entry)) visit(path.join(entry, name));
    };
    visit(top);
    return found;
  }

  test('fsyncs every commit to disk by default', async () => {
    const database = await open();
    try {
      expect(await query(database, 'SHOW fsync')).toEqual([['on']]);
      expect(await fsyncsForTenCommits(database)).toBeGreaterThanOrEqual(10);
    } finally {
      await database.close();
    }
  });

  test('EMBEDDED_DB_FSYNC=false turns fsync off, for tests and throwaway dirs', async () => {
    const database = await open({ EMBEDDED_DB_FSYNC: 'false' });
    try {
      expect(await query(database, 'SHOW fsync')).toEqual([['off']]);
      expect(await fsyncsForTenCommits(database)).toBe(0);
    } finally {
      await database.close();
    }
  });

  test('a bad EMBEDDED_DB_FSYNC is refused, naming the variable', async () => {
    await expect(open({ EMBEDDED_DB_FSYNC: 'sometimes' })).rejects.toThrow(/EMBEDDED_DB_FSYNC must be true or false/);
  });

  test('a new data dir is owner-only (dir 0700, files 0600), after writes too', async () => {
    const database = await open();
    try {
      await query(database, 'CREATE TABLE customer (email text)');
      await query(database, "INSERT INTO customer SELECT 'user' || n || '@example.com' FROM generate_series(1, 1000) n");
      await query(database, 'CHECKPOINT');
      expect((fs.statSync(dir).mode & 0o777).toString(8)).toBe('700');
      expect(fs.readdirSync(path.join(dir, 'pg_wal')).length).toBeGreaterThan(0);
      expect(openToOthers(dir)).toEqual([]);
    } finally {
      await database.close();
    }
  });

  test('a data dir written world-readable before is made owner-only when opened', async () => {
    await (await open()).close();
    // As PGlite's own NodeFS leaves a dir: files 0666, dirs 0755.
    const loosen = (entry: string): void => {
      const isDir = fs.statSync(entry).isDirectory();
      fs.chmodSync(entry, isDir ? 0o755 : 0o666);
      if (isDir) for (const name of fs.readdirSync(entry)) loosen(path.join(entry, name));
    };
    loosen(dir);
    expect(openToOthers(dir).length).toBeGreaterThan(100);
    const database = await open();
    try {
      expect(openToOthers(dir)).toEqual([]);
    } finally {
      await database.close();
    }
  });
});
