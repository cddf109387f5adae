/**
 * tools/prisma-engine end to end: the real Prisma CLI running our schema engine executable, and
 * the in-process applyMigrations, on PGlite always and on PostgreSQL when TEST_DATABASE_URL names
 * a server where databases may be created and dropped.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { lockDataDir } from '../../lib/db/lock';
import { listMigrationNames } from '../../lib/db/migrations/migrations-dir';

const ROOT = path.resolve(__dirname, '../..');
const PRISMA_CLI = path.join(ROOT, 'node_modules/prisma/build/index.js');
const PRODUCTS = path.join(ROOT, 'prisma/products');
const PRODUCTS_SCHEMA = path.join(PRODUCTS, 'schema.prisma');
const PRODUCTS_CONFIG = path.join(PRODUCTS, 'prisma.config.ts');
const PRODUCTS_MIGRATIONS = path.join(PRODUCTS, 'migrations');
/** The committed products migrations, oldest first; the first creates the tables. */
const COMMITTED = listMigrationNames(PRODUCTS_MIGRATIONS);
const [INIT] = COMMITTED;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  output: string;
}

/**
 * Runs the real Prisma CLI with `env` on top of a clean environment (no service URLs leak in),
 * `input` on its stdin (for `db execute --stdin`).
 */
function prisma(args: string[], env: Record<string, string>, input = ''): Promise<Run> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/_(SHADOW_)?DATABASE_URL$|^DATA_DIR$/.test(key)));
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [PRISMA_CLI, ...args],
      { cwd: ROOT, env: { ...base, ...env, PRISMA_HIDE_UPDATE_MESSAGE: '1', NO_COLOR: '1' }, timeout: 90_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr, output: `${stdout}\n${stderr}` });
      },
    );
    child.stdin?.end(input);
  });
}

function expectOk(run: Run): Run {
  if (run.code !== 0) throw new Error(`prisma exited ${run.code}:\n${run.output}`);
  return run;
}

/** One database kind the suite runs on: how to name a fresh database, and how to clean up. */
interface Target {
  name: string;
  /** Environment that points the products config (`lib/db/url.ts`) at database `id`. */
  env(id: string): Record<string, string>;
  /** The URL of database `id` (created by the CLI on first use, as PGlite dirs and P1003 allow). */
  url(id: string): string;
  /** Makes database `id` exist, empty, where a service would expect it to (PGlite makes its own). */
  create(id: string): Promise<void>;
  cleanup(): Promise<void>;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prisma-engine-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function pgliteTarget(): Target {
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

function postgresTarget(serverUrl: string): Target {
  const run = `pe_${randomUUID().slice(0, 8)}`;
  const url = (id: string): string => {
    const parsed = new URL(serverUrl);
    parsed.pathname = `/${run}_${id}`;
    return parsed.toString();
  };
  return {
    name: 'postgres',
    env: (id) => ({ PRODUCTS_DATABASE_URL: url(id), TEST_TARGET_URL: url(id) }),
    url,
    create: async (id) => {
      const admin = new pg.Client({ connectionString: serverUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE "${run}_${id}"`).finally(() => admin.end());
    },
    cleanup: async () => {
      const admin = new pg.Client({ connectionString: serverUrl });
      await admin.connect();
      try {
        const { rows } = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [`${run}\\_%`]);
        for (const { datname } of rows) await admin.query(`DROP DATABASE "${datname}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}

async function shadowDatabases(serverUrl: string): Promise<string[]> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE 'prisma_migrate_shadow_db_%'`,
    );
    return rows.map((row) => row.datname);
  } finally {
    await admin.end();
  }
}

const targets: Target[] = [pgliteTarget()];
if (process.env.TEST_DATABASE_URL) targets.push(postgresTarget(process.env.TEST_DATABASE_URL));

/** A scratch project: a copy of the products schema (no generator) and a config for database `id`. */
function scratchProject(name: string): { dir: string; config: string; schema: string } {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  const schema = path.join(dir, 'schema.prisma');
  fs.writeFileSync(schema, fs.readFileSync(PRODUCTS_SCHEMA, 'utf8').replace(/^generator client \{[^}]*\}\n/m, ''));
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

const INSERT_PRODUCT = (stock: number): string =>
  `INSERT INTO "products" ("id", "sku", "name", "price_cents", "stock", "updated_at") VALUES ('${randomUUID()}', '${randomUUID()}', 'Lamp', 1999, ${stock}, now());`;

/**
 * What a service does at start-up, in a process of its own (as a service is): open its database
 * (PGlite: take the lock, then one PGlite instance), then pendingMigrations / applyMigrations
 * twice / pendingMigrations, and an optional probe query. Jest's module sandbox cannot load PGlite
 * without --experimental-vm-modules, and the engine's wasm should not share jest's heap anyway.
 */
interface InProcessResult {
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
import { parseDatabaseUrl } from ${JSON.stringify(path.join(ROOT, 'lib/db/url'))};
import { applyMigrations, pendingMigrations, MigrationError } from ${JSON.stringify(path.join(ROOT, 'lib/db/migrations'))};

async function main(): Promise<void> {
  const [url, migrationsDir, schemaPath, probe] = process.argv.slice(2) as [string, string, string, string];
  const target = parseDatabaseUrl(url);
  let factory: SqlDriverAdapterFactory;
  let close = async (): Promise<void> => {};
  if (target.kind === 'pglite') {
    const release = lockDataDir(target.dir, 'test service');
    const pglite = await PGlite.create(target.dir);
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

async function inProcess(target: Target, id: string, migrationsDir: string, probe = ''): Promise<InProcessResult> {
  await target.create(id);
  const script = path.join(tmp, 'in-process.ts');
  if (!fs.existsSync(script)) fs.writeFileSync(script, IN_PROCESS_SCRIPT);
  const tsx = path.join(ROOT, 'node_modules/tsx/dist/loader.mjs');
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', tsx, script, target.url(id), migrationsDir, PRODUCTS_SCHEMA, probe],
      // The script lives outside the repository: NODE_PATH lets its bare imports resolve.
      { cwd: ROOT, timeout: 90_000, env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') } },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as InProcessResult),
    );
  });
}

describe.each(targets)('prisma CLI through tools/prisma-engine on $name', (target) => {
  afterAll(() => target.cleanup());

  test('prisma --version finds the engine through the config and reports its commit', async () => {
    const run = expectOk(await prisma(['--version', '--config', PRODUCTS_CONFIG], {}));
    expect(run.output).toMatch(/Schema Engine\s*: schema-engine-cli [0-9a-f]{40} \(at tools\/prisma-engine\/bin\/schema-engine/);
  });

  // Tests run in a random order: every test below reads the database `beforeAll` deployed, and none
  // changes its schema, so each passes alone and in any order.
  describe('the committed products migrations', () => {
    const env = target.env('deployed');
    let deploy: Run;
    beforeAll(async () => {
      deploy = await prisma(['migrate', 'deploy', '--config', PRODUCTS_CONFIG], env);
    }, 300_000);

    test('migrate deploy applies them to a fresh database', () => {
      expect(expectOk(deploy).output).toContain(INIT);
      expect(deploy.output).toContain('successfully applied');
    });

    // The wasm engine queries its database at start even for a diff that does not involve it.
    test('migrate diff --from-empty --to-schema --script prints the SQL', async () => {
      const run = expectOk(
        await prisma(['migrate', 'diff', '--from-empty', '--to-schema', PRODUCTS_SCHEMA, '--script', '--config', PRODUCTS_CONFIG], env),
      );
      expect(run.stdout).toContain('CREATE TABLE "products"');
      expect(run.stdout).toContain('CREATE TABLE "stock_reservation_items"');
    });

    test('migrate status then reports it up to date', async () => {
      const run = expectOk(await prisma(['migrate', 'status', '--config', PRODUCTS_CONFIG], env));
      expect(run.output).toContain('Database schema is up to date');
    });

    test('migrate diff finds no drift from database or migrations to the schema', async () => {
      for (const from of [['--from-config-datasource'], ['--from-migrations', PRODUCTS_MIGRATIONS]]) {
        const run = await prisma(
          ['migrate', 'diff', ...from, '--to-schema', PRODUCTS_SCHEMA, '--exit-code', '--config', PRODUCTS_CONFIG],
          env,
        );
        expect({ from: from[0], code: run.code, output: run.output }).toEqual(expect.objectContaining({ code: 0 }));
      }
    });

    test('db execute runs SQL, and the hand-written CHECK constraint holds', async () => {
      const execute = ['db', 'execute', '--stdin', '--config', PRODUCTS_CONFIG];
      expect(expectOk(await prisma(execute, env, INSERT_PRODUCT(3))).output).toContain('Script executed successfully');
      const negative = await prisma(execute, env, INSERT_PRODUCT(-1));
      expect(negative.code).not.toBe(0);
      expect(negative.output).toContain('products_stock_non_negative');
    });

    if (target.name === 'pglite') {
      test('refuses a data dir that a running service holds, naming the holder', async () => {
        const dir = target.url('deployed').slice('pglite:'.length);
        const release = lockDataDir(dir, 'products service');
        try {
          const run = await prisma(['migrate', 'deploy', '--config', PRODUCTS_CONFIG], env);
          expect(run.code).not.toBe(0);
          expect(run.output).toContain(`is in use by process ${process.pid} (products service`);
        } finally {
          release();
        }
      });
    }
  });

  describe('a scratch project', () => {
    const project = scratchProject(`scratch-${target.name}`);
    const env = target.env('scratch');
    const config = ['--config', project.config];

    // One story, in order: each step needs the one before (a random order would break it).
    test('migrate dev creates the init migration, then a second one; db push and migrate reset then work on it', async () => {
      // 1. migrate dev: an init migration whose every statement the committed migrations hold.
      const init = expectOk(await prisma(['migrate', 'dev', '--name', 'init', ...config], env));
      expect(init.output).toContain('in sync with your schema');
      const [created] = listMigrationNames(path.join(project.dir, 'migrations'));
      const sql = fs.readFileSync(path.join(project.dir, 'migrations', created!, 'migration.sql'), 'utf8');
      // The committed init has hand-written CHECK constraints after the generated SQL, and later
      // migrations add to it; the drift test above checks that nothing is missing the other way.
      const committed = COMMITTED.map((name) => fs.readFileSync(path.join(PRODUCTS_MIGRATIONS, name, 'migration.sql'), 'utf8')).join('\n');
      const statements = sql
        .split(/\n\s*\n/)
        .map((block) => block.trim())
        .filter(Boolean);
      expect(statements.length).toBeGreaterThan(3);
      expect(statements.filter((statement) => !committed.includes(statement))).toEqual([]);
      expect(fs.readFileSync(path.join(project.dir, 'migrations', 'migration_lock.toml'), 'utf8')).toContain('provider = "postgresql"');

      // 2. migrate dev after a schema change: a second migration, made through a shadow database.
      fs.writeFileSync(project.schema, fs.readFileSync(project.schema, 'utf8').replace(/^(\s+stock\s+Int)$/m, '$1\n  note String?'));
      const second = expectOk(await prisma(['migrate', 'dev', '--name', 'add_note', ...config], env));
      const names = listMigrationNames(path.join(project.dir, 'migrations'));
      expect(names).toHaveLength(2);
      expect(fs.readFileSync(path.join(project.dir, 'migrations', names[1]!, 'migration.sql'), 'utf8')).toMatch(/ADD COLUMN\s+"note" TEXT/);
      expect(second.output).toContain('in sync with your schema');
      if (process.env.TEST_DATABASE_URL && target.name === 'postgres') {
        // The temporary shadow database was really separate, and is gone.
        expect(await shadowDatabases(process.env.TEST_DATABASE_URL)).toEqual([]);
      }

      // 3. db push applies a further change without a migration.
      fs.writeFileSync(project.schema, fs.readFileSync(project.schema, 'utf8').replace(/^(\s+note String\?)$/m, '$1\n  colour String?'));
      const push = expectOk(await prisma(['db', 'push', ...config], env));
      expect(push.output).toContain('in sync with your Prisma schema');
      const pushed = await prisma(
        ['migrate', 'diff', '--from-config-datasource', '--to-schema', project.schema, '--exit-code', ...config],
        env,
      );
      expect(pushed.code).toBe(0);

      // 4. migrate reset --force rebuilds the database from the two migrations.
      const reset = expectOk(
        await prisma(['migrate', 'reset', '--force', ...config], { ...env, PRISMA_USER_CONSENT_FOR_DANGEROUS_AI_ACTION: 'yes' }),
      );
      expect(reset.output).toContain('add_note');
      // The pushed column is gone again: the database differs from the schema by exactly it.
      const diff = await prisma(['migrate', 'diff', '--from-config-datasource', '--to-schema', project.schema, '--script', ...config], env);
      expect(expectOk(diff).stdout).toMatch(/ADD COLUMN\s+"colour" TEXT/);
      // Six CLI runs, each starting the engine: about a minute alone, several on a busy machine.
    }, 600_000);
  });

  describe('applyMigrations in-process', () => {
    test('applies pending migrations once, and migrate status agrees', async () => {
      const result = await inProcess(target, 'inprocess', PRODUCTS_MIGRATIONS);
      expect(result).toEqual({
        pendingBefore: COMMITTED,
        first: { applied: COMMITTED },
        second: { applied: [] },
        pendingAfter: [],
        probe: null,
      });
      const status = expectOk(await prisma(['migrate', 'status', '--config', PRODUCTS_CONFIG], target.env('inprocess')));
      expect(status.output).toContain('Database schema is up to date');
    });

    test('a failing migration is reported, rolled back whole, and stays pending', async () => {
      const migrationsDir = path.join(tmp, `failing-${target.name}`);
      fs.cpSync(PRODUCTS_MIGRATIONS, migrationsDir, { recursive: true });
      fs.mkdirSync(path.join(migrationsDir, '29990101000000_broken'));
      fs.writeFileSync(
        path.join(migrationsDir, '29990101000000_broken', 'migration.sql'),
        'CREATE TABLE "half_done" ("id" INTEGER);\nALTER TABLE "missing" ADD COLUMN "x" INTEGER;\n',
      );
      const result = await inProcess(target, 'failing', migrationsDir, `SELECT to_regclass('half_done') IS NULL AS rolled_back`);
      expect(result.pendingBefore).toEqual([...COMMITTED, '29990101000000_broken']);
      expect(result.first).toEqual({ error: expect.stringContaining('missing') });
      // The failed migration then blocks every later run until resolved, as with `migrate deploy`.
      expect(result.second).toEqual({ error: expect.stringMatching(/^P3009: /), errorCode: 'P3009' });
      expect(result.pendingAfter).toEqual(['29990101000000_broken']);
      expect(result.probe).toEqual([[true]]);
    });
  });
});
