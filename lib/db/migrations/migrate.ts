import fs from 'node:fs';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  type ErrorRegistry,
  type SqlDriverAdapterFactory,
  type SqlQueryable,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import type pg from 'pg';
import { engineErrorInfo } from './engine-error';
import { hardenAdapterFactory } from './harden-adapter';
import { listMigrationNames, readMigrationList } from './migrations-dir';
import { createSchemaEngine } from './wasm-engine';

export interface ApplyMigrationsOptions {
  /** The factory Prisma Client uses, e.g. `new PrismaPGlite(pglite)` or `new PrismaPg(...)`. */
  adapterFactory: SqlDriverAdapterFactory;
  /** The folder holding `<timestamp>_<name>/migration.sql` and migration_lock.toml. */
  migrationsDir: string;
  /** The service's schema.prisma. */
  schemaPath: string;
}

/** A failure the engine reported, with its Prisma error code when it has one (e.g. P3018). */
export class MigrationError extends Error {
  constructor(
    message: string,
    readonly errorCode: string | undefined,
  ) {
    super(message);
    this.name = 'MigrationError';
  }
}

/**
 * The engine is given its own pg pool: @prisma/adapter-pg over a pool the caller passed in would
 * share that pool's connections, and the engine's fixes (char-columns.ts) must not leak into the
 * connections Prisma Client uses.
 */
function engineOwnedFactory(factory: SqlDriverAdapterFactory): SqlDriverAdapterFactory | SqlMigrationAwareDriverAdapterFactory {
  const internals = factory as unknown as { externalPool?: pg.Pool | null; options?: ConstructorParameters<typeof PrismaPg>[1] };
  if (factory.adapterName === '@prisma/adapter-pg' && internals.externalPool) {
    return new PrismaPg(internals.externalPool.options, internals.options);
  }
  return factory;
}

function toMigrationError(error: unknown, registry: ErrorRegistry): MigrationError {
  const { message, errorCode } = engineErrorInfo(error, registry);
  return new MigrationError(errorCode ? `${errorCode}: ${message}` : message, errorCode);
}

/**
 * Applies the migrations the database has not had yet, in-process, through the wasm schema engine
 * (what `prisma migrate deploy` does). Returns the names of those it applied.
 *
 * A PGlite database must be the instance the service already holds (PGlite has no lock: a second
 * instance on the same dir loses writes). A Rust panic inside the engine surfaces as an uncaught
 * exception, not a rejection; at start-up that stops the service, which is the intent anyway.
 */
export async function applyMigrations(opts: ApplyMigrationsOptions): Promise<{ applied: string[] }> {
  const hardened = hardenAdapterFactory(engineOwnedFactory(opts.adapterFactory));
  const schema = fs.readFileSync(opts.schemaPath, 'utf8');
  const bound = bindMigrationAwareSqlAdapterFactory(hardened.factory);
  const engine = await createSchemaEngine(bound, [[opts.schemaPath, schema]]);
  try {
    const { appliedMigrationNames } = await engine.applyMigrations({
      migrationsList: readMigrationList(opts.migrationsDir),
      filters: { externalTables: [], externalEnums: [] },
    });
    return { applied: appliedMigrationNames };
  } catch (error) {
    throw toMigrationError(error, bound.errorRegistry);
  } finally {
    engine.free();
    await hardened.disposeAll();
  }
}

export interface PendingMigrationsOptions {
  adapterFactory: SqlDriverAdapterFactory;
  migrationsDir: string;
}

/**
 * The migrations in `migrationsDir` the database has not finished applying (a failed one counts
 * as pending): one query on `_prisma_migrations`, no engine involved. Opens and closes a
 * connection; a readiness check that runs often should hold one and use `pendingMigrationsOn`.
 */
export async function pendingMigrations(opts: PendingMigrationsOptions): Promise<string[]> {
  const adapter = await opts.adapterFactory.connect();
  try {
    return await pendingMigrationsOn(adapter, opts.migrationsDir);
  } finally {
    await adapter.dispose();
  }
}

/** `pendingMigrations` over a connection the caller holds. */
export async function pendingMigrationsOn(connection: SqlQueryable, migrationsDir: string): Promise<string[]> {
  const names = listMigrationNames(migrationsDir);
  const table = await connection.queryRaw({ sql: `SELECT to_regclass('_prisma_migrations') IS NOT NULL`, args: [], argTypes: [] });
  if (table.rows[0]?.[0] !== true) return names;
  const finished = await connection.queryRaw({
    sql: 'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL',
    args: [],
    argTypes: [],
  });
  const done = new Set(finished.rows.map((row) => row[0]));
  return names.filter((name) => !done.has(name));
}
