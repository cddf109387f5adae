import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadServiceConfig } from '../../lib/config';
import { openDatabase, type Database } from '../../lib/db/database';
import { createLogger } from '../../lib/log';
import { PROJECT_ROOT } from '../../lib/paths';
import { openServiceDatabase } from '../../lib/subgraph';

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

  test("a service reads EMBEDDED_DB_FSYNC and ALLOW_EMBEDDED_DB from its own configuration's variables", async () => {
    // Not from process.env: the test harness and embedders configure services with their own env.
    const config = loadServiceConfig('products', { DATA_DIR: root, EMBEDDED_DB_FSYNC: 'false' });
    const database = await openServiceDatabase(config, createLogger('products'));
    try {
      expect(await query(database, 'SHOW fsync')).toEqual([['off']]);
    } finally {
      await database.close();
    }
    await expect(
      openServiceDatabase(loadServiceConfig('products', { DATA_DIR: root, NODE_ENV: 'production' }), createLogger('products')),
    ).rejects.toThrow(/ALLOW_EMBEDDED_DB/);
  });

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

  describe('in production', () => {
    test('is refused unless ALLOW_EMBEDDED_DB=true, naming both variables', async () => {
      const refusal = open({ NODE_ENV: 'production' });
      await expect(refusal).rejects.toThrow(ConfigError);
      await expect(refusal).rejects.toThrow(/NODE_ENV=production .*PRODUCTS_DATABASE_URL.*ALLOW_EMBEDDED_DB=true/);
      expect(fs.existsSync(dir)).toBe(false);
      const allowed = await open({ NODE_ENV: 'production', ALLOW_EMBEDDED_DB: 'true' });
      await allowed.close();
    });

    test('PostgreSQL is not affected', async () => {
      const postgres = await openDatabase('products', 'postgresql://postgres@127.0.0.1:5432/unused', { env: { NODE_ENV: 'production' } });
      expect(postgres.kind).toBe('postgres');
      await postgres.close();
    });

    test('a service refuses to start on it, saying why', () => {
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'subgraphs/products/index.ts'], {
        cwd: PROJECT_ROOT,
        encoding: 'utf8',
        env: {
          ...process.env,
          NODE_ENV: 'production',
          DATA_DIR: root,
          PRODUCTS_PORT: '0',
          PRODUCTS_DATABASE_URL: '',
          ALLOW_EMBEDDED_DB: '',
        },
        timeout: 60_000,
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('NODE_ENV=production refuses the embedded database for the products service');
    });
  });
});
