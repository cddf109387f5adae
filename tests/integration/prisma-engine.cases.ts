/**
 * The cases of tools/prisma-engine's end-to-end tests, on one database kind: the real Prisma CLI
 * running our schema engine executable, and the in-process applyMigrations. Each kind has its own
 * test file (prisma-engine.test.ts, prisma-engine-postgres.test.ts), so that jest can run the two
 * kinds' CLI processes side by side; everything PostgreSQL-side stays in one file, whose shadow
 * database check then sees no other test's shadow databases.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DataDirLockedError, lockDataDir } from '../../lib/db/lock';
import { listMigrationNames } from '../../lib/db/migrations/migrations-dir';
import { LOCK_OWNER } from '../../tools/prisma-engine/targets/pglite';
import {
  COMMITTED,
  expectOk,
  INIT,
  INSERT_PRODUCT,
  inProcess,
  prisma,
  PRODUCTS_CONFIG,
  PRODUCTS_MIGRATIONS,
  PRODUCTS_SCHEMA,
  type Run,
  scratchProject,
  shadowDatabases,
  type Target,
} from '../../testing/prisma-cli';

/**
 * Takes the dir's lock as a starting service would, once the engine of the command before has let
 * go of it: the CLI returns as soon as it has its answer and leaves its engine to close PGlite and
 * release the lock on SIGTERM, a few milliseconds later.
 */
async function lockOnceFree(dir: string, owner: string): Promise<() => void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return lockDataDir(dir, owner);
    } catch (error) {
      if (!(error instanceof DataDirLockedError) || error.holderOwner !== LOCK_OWNER || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Defines every case for `target`, its files under `tmp`. */
export function prismaEngineCases(target: Target, tmp: string): void {
  describe(`prisma CLI through tools/prisma-engine on ${target.name}`, () => {
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
          const release = await lockOnceFree(dir, 'products service');
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
      const project = scratchProject(tmp, `scratch-${target.name}`);
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
        const committed = COMMITTED.map((name) => fs.readFileSync(path.join(PRODUCTS_MIGRATIONS, name, 'migration.sql'), 'utf8')).join(
          '\n',
        );
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
        expect(fs.readFileSync(path.join(project.dir, 'migrations', names[1]!, 'migration.sql'), 'utf8')).toMatch(
          /ADD COLUMN\s+"note" TEXT/,
        );
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
        const diff = await prisma(
          ['migrate', 'diff', '--from-config-datasource', '--to-schema', project.schema, '--script', ...config],
          env,
        );
        expect(expectOk(diff).stdout).toMatch(/ADD COLUMN\s+"colour" TEXT/);
        // Six CLI runs, each starting the engine: about a minute alone, several on a busy machine.
      }, 600_000);
    });

    describe('applyMigrations in-process', () => {
      test('applies pending migrations once, and migrate status agrees', async () => {
        const result = await inProcess(tmp, target, 'inprocess', PRODUCTS_MIGRATIONS);
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
        const result = await inProcess(tmp, target, 'failing', migrationsDir, `SELECT to_regclass('half_done') IS NULL AS rolled_back`);
        expect(result.pendingBefore).toEqual([...COMMITTED, '29990101000000_broken']);
        expect(result.first).toEqual({ error: expect.stringContaining('missing') });
        // The failed migration then blocks every later run until resolved, as with `migrate deploy`.
        expect(result.second).toEqual({ error: expect.stringMatching(/^P3009: /), errorCode: 'P3009' });
        expect(result.pendingAfter).toEqual(['29990101000000_broken']);
        expect(result.probe).toEqual([[true]]);
      });
    });
  });
}
