/**
 * What the tests of tools/prisma-engine share (tests/integration/prisma-engine-*.test.ts): the real
 * Prisma CLI running our schema engine executable, and the in-process applyMigrations, on PGlite
 * always and on PostgreSQL when TEST_DATABASE_URL names a server where databases may be created
 * and dropped. The cases are in tests/integration/prisma-engine.cases.ts, run by one test file per kind.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { databaseUrlOn, onServer } from './databases';
import { listMigrationNames } from '../lib/db/migrations/migrations-dir';

const ROOT = path.resolve(__dirname, '..');
const PRISMA_CLI = path.join(ROOT, 'node_modules/prisma/build/index.js');
const PRODUCTS = path.join(ROOT, 'prisma/products');
export const PRODUCTS_SCHEMA = path.join(PRODUCTS, 'schema.prisma');
export const PRODUCTS_CONFIG = path.join(PRODUCTS, 'prisma.config.ts');
export const PRODUCTS_MIGRATIONS = path.join(PRODUCTS, 'migrations');
/** The committed products migrations, oldest first; the first creates the tables. */
export const COMMITTED = listMigrationNames(PRODUCTS_MIGRATIONS);
export const [INIT] = COMMITTED;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  output: string;
}

/**
 * Runs the real Prisma CLI with `env` on top of a clean environment (no service URLs leak in),
 * `input` on its stdin (for `db execute --stdin`).
 */
export function prisma(args: string[], env: Record<string, string>, input = ''): Promise<Run> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/_(SHADOW_)?DATABASE_URL$|^DATA_DIR$/.test(key)));
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [PRISMA_CLI, ...args],
      // CHECKPOINT_DISABLE: no update check, which is one more node process per command and a request to
      // a host these machines cannot reach.
      { cwd: ROOT, env: { ...base, ...env, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1', NO_COLOR: '1' }, timeout: 90_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr, output: `${stdout}\n${stderr}` });
      },
    );
    child.stdin?.end(input);
  });
}

export function expectOk(run: Run): Run {
  if (run.code !== 0) throw new Error(`prisma exited ${run.code}:\n${run.output}`);
  return run;
}

/** One database kind the suite runs on: how to name a fresh database, and how to clean up. */
export interface Target {
  name: string;
  /** Environment that points the products config (`lib/db/url.ts`) at database `id`. */
  env(id: string): Record<string, string>;
  /** The URL of database `id` (created by the CLI on first use, as PGlite dirs and P1003 allow). */
  url(id: string): string;
  /** Makes database `id` exist, empty, where a service would expect it to (PGlite makes its own). */
  create(id: string): Promise<void>;
  cleanup(): Promise<void>;
}

/** A scratch dir for one test file's databases and projects; the file removes it in afterAll. */
export const scratchDir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'prisma-engine-test-'));

/** Embedded databases: PGlite dirs under `tmp`. */
export function pgliteTarget(tmp: string): Target {
  const dataDir = (id: string): string => path.join(tmp, 'pglite', id);
  const url = (id: string): string => `pglite:${path.join(dataDir(id), 'products', 'pgdata')}`;
  return {
    name: 'pglite',
    env: (id) => ({ DATA_DIR: dataDir(id), TEST_TARGET_URL: url(id) }),
    url,
    create: async () => {},
    cleanup: async () => {},
  };
}

/** Databases on the PostgreSQL server at `serverUrl`, named after this run; `cleanup` drops them. */
export function postgresTarget(serverUrl: string): Target {
  const run = `pe_${randomUUID().slice(0, 8)}`;
  const url = (id: string): string => databaseUrlOn(serverUrl, `${run}_${id}`);
  return {
    name: 'postgres',
    env: (id) => ({ PRODUCTS_DATABASE_URL: url(id), TEST_TARGET_URL: url(id) }),
    url,
    create: async (id) => {
      await onServer(serverUrl, (admin) => admin.query(`CREATE DATABASE "${run}_${id}"`));
    },
    cleanup: () =>
      onServer(serverUrl, async (admin) => {
        const { rows } = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${run}\\_%`]);
        for (const { datname } of rows) await admin.query(`DROP DATABASE "${datname}" WITH (FORCE)`);
      }),
  };
}

export function shadowDatabases(serverUrl: string): Promise<string[]> {
  return onServer(serverUrl, async (admin) => {
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE 'prisma_migrate_shadow_db_%'`,
    );
    return rows.map((row) => row.datname);
  });
}

/** A scratch project: a copy of the products schema (no generator) and a config for database `id`. */
export function scratchProject(tmp: string, name: string): { dir: string; config: string; schema: string } {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  const schema = path.join(dir, 'schema.prisma');
  // Without the generator (nothing is generated), and without the trigram indexes: they need the
  // pg_trgm extension, which the committed migration creates by hand and `migrate dev` cannot know.
  const source = fs.readFileSync(PRODUCTS_SCHEMA, 'utf8');
  fs.writeFileSync(
    schema,
    source.replace(/^generator client \{[^}]*\}\n/m, '').replace(/^\s*@@index\(\[\w+\(ops: raw\("gin_trgm_ops"\)\)\].*\n/gm, ''),
  );
  const config = path.join(dir, 'prisma.config.ts');
  fs.writeFileSync(
    config,
    [
      `import { defineConfig } from ${JSON.stringify(path.join(ROOT, 'node_modules/prisma/config'))};`,
      `process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= ${JSON.stringify(path.join(ROOT, 'tools/prisma-engine/bin/schema-engine'))};`,
      `export default defineConfig({ schema: 'schema.prisma', migrations: { path: 'migrations' }, datasource: { url: process.env.TEST_TARGET_URL! } });`,
      '',
    ].join('\n'),
  );
  return { dir, config, schema };
}

export const INSERT_PRODUCT = (stock: number): string =>
  `INSERT INTO "products" ("id", "sku", "name", "price_cents", "stock", "updated_at") VALUES ('${randomUUID()}', '${randomUUID()}', 'Lamp', 1999, ${stock}, now());`;

/**
 * What a service does at start-up, in a process of its own (as a service is): open its database
 * (PGlite: take the lock, then one PGlite instance), then pendingMigrations / applyMigrations
 * twice / pendingMigrations, and an optional probe query. Jest's module sandbox cannot load PGlite
 * without --experimental-vm-modules, and the engine's wasm should not share jest's heap anyway.
 */
export interface InProcessResult {
  pendingBefore: string[];
  first: { applied: string[] } | { error: string; errorCode?: string };
  second: { applied: string[] } | { error: string; errorCode?: string };
  pendingAfter: string[];
  probe: unknown[][] | null;
}

const IN_PROCESS_SCRIPT = `
import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { lockDataDir } from ${JSON.stringify(path.join(ROOT, 'lib/db/lock'))};
import { PGLITE_OPTIONS } from ${JSON.stringify(path.join(ROOT, 'lib/db/pglite-blank'))};
import { parseDatabaseUrl } from ${JSON.stringify(path.join(ROOT, 'lib/db/url'))};
import { applyMigrations, pendingMigrations, MigrationError } from ${JSON.stringify(path.join(ROOT, 'lib/db/migrations'))};

async function main(): Promise<void> {
  const [url, migrationsDir, schemaPath, probe] = process.argv.slice(2) as [string, string, string, string];
  const target = parseDatabaseUrl(url);
  let factory: SqlDriverAdapterFactory;
  let close = async (): Promise<void> => {};
  if (target.kind === 'pglite') {
    const release = lockDataDir(target.dir, 'test service');
    const pglite = await PGlite.create(target.dir, PGLITE_OPTIONS);
    factory = new PrismaPGlite(pglite);
    close = async () => { await pglite.close(); release(); };
  } else {
    factory = new PrismaPg({ connectionString: target.url });
  }
  const options = { adapterFactory: factory, migrationsDir, schemaPath };
  const apply = () => applyMigrations(options).catch((error: MigrationError) =>
    error.errorCode ? { error: error.message, errorCode: error.errorCode } : { error: error.message });
  try {
    const pendingBefore = await pendingMigrations(options);
    const first = await apply();
    const second = await apply();
    const pendingAfter = await pendingMigrations(options);
    let rows: unknown[][] | null = null;
    if (probe) {
      const adapter = await factory.connect();
      rows = (await adapter.queryRaw({ sql: probe, args: [], argTypes: [] })).rows;
      await adapter.dispose();
    }
    process.stdout.write(JSON.stringify({ pendingBefore, first, second, pendingAfter, probe: rows }));
  } finally {
    await close();
  }
}
main().catch((error: unknown) => { console.error(error); process.exit(1); });
`;

export async function inProcess(tmp: string, target: Target, id: string, migrationsDir: string, probe = ''): Promise<InProcessResult> {
  await target.create(id);
  const script = path.join(tmp, 'in-process.ts');
  if (!fs.existsSync(script)) fs.writeFileSync(script, IN_PROCESS_SCRIPT);
  // tsx's CommonJS hook only, as tools/prisma-engine/bin/schema-engine loads it: a fraction of the start-up cost.
  const tsx = path.join(ROOT, 'node_modules/tsx/dist/cjs/index.cjs');
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--require', tsx, script, target.url(id), migrationsDir, PRODUCTS_SCHEMA, probe],
      // The script lives outside the repository: NODE_PATH lets its bare imports resolve.
      { cwd: ROOT, timeout: 90_000, env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') } },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as InProcessResult),
    );
  });
}
