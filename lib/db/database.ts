import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapter, SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { applyMigrations, pendingMigrations, pendingMigrationsOn } from './migrations';
import { PROJECT_ROOT } from '../paths';
import { NotReadyError } from '../readiness';
import { countStatements, StatementCounter } from './counting';
import { embeddedDbSettings, refuseEmbeddedInProduction } from './embedded-settings';
import { openPgliteDir } from './pglite';
import { subgraphPath, type ServiceName } from '../services';
import { parseDatabaseUrl } from './url';

/** A service's own database, whichever kind it is; hand `adapter` to that service's PrismaClient. */
export interface Database {
  readonly kind: 'pglite' | 'postgres';
  readonly adapter: SqlDriverAdapterFactory;
  readonly statements: StatementCounter;
  /** Applies pending migrations; returns the names applied. */
  migrate(): Promise<string[]>;
  /** Resolves when the database answers and every migration is applied; rejects saying why not. */
  checkReady(): Promise<void>;
  close(): Promise<void>;
}

export function migrationsDirOf(service: ServiceName): string {
  return subgraphPath(service, 'migrations');
}

export interface OpenDatabaseOptions {
  /** PostgreSQL connections to hold. @default 10 */
  poolSize?: number;
  /** Where NODE_ENV, ALLOW_EMBEDDED_DB and EMBEDDED_DB_FSYNC are read. @default process.env */
  env?: Record<string, string | undefined>;
}

/**
 * Opens the database at `url` for `service`: PostgreSQL through `pg`, or the embedded PGlite
 * database, locked so that no second process can open it, and refused in production unless
 * ALLOW_EMBEDDED_DB says so (a ConfigError).
 */
export async function openDatabase(service: ServiceName, url: string, options: OpenDatabaseOptions = {}): Promise<Database> {
  const { poolSize = 10, env = process.env } = options;
  const target = parseDatabaseUrl(url);
  const statements = new StatementCounter();
  const migrations = {
    migrationsDir: migrationsDirOf(service),
    schemaPath: path.join(PROJECT_ROOT, 'prisma', service, 'schema.prisma'),
  };
  let factory: SqlDriverAdapterFactory;
  let closeDriver: () => Promise<void>;
  if (target.kind === 'pglite') {
    refuseEmbeddedInProduction(service, env);
    const opened = await openPgliteDir(target.dir, `${service} service`, embeddedDbSettings(env));
    factory = new PrismaPGlite(opened.pglite);
    closeDriver = opened.close;
  } else {
    factory = new PrismaPg({ connectionString: target.url, max: poolSize });
    closeDriver = async () => {};
  }
  const adapter = countStatements(factory, statements);
  let probe: Promise<SqlDriverAdapter> | undefined;
  return {
    kind: target.kind,
    adapter,
    statements,
    // One cheap query first: the WASM schema engine (slow to load, heavy in memory) only when needed.
    migrate: async () => {
      const pending = await pendingMigrations({ adapterFactory: factory, migrationsDir: migrations.migrationsDir });
      return pending.length === 0 ? [] : (await applyMigrations({ adapterFactory: factory, ...migrations })).applied;
    },
    checkReady: async () => {
      // A probe every few seconds must not open a connection (a new pool, with pg) each time.
      probe ??= factory.connect();
      const connection = probe;
      const pending = await pendingMigrationsOn(await connection, migrations.migrationsDir).catch(async (error: unknown) => {
        probe = undefined; // reconnect next time: the database may be back
        await (await connection.catch(() => undefined))?.dispose().catch(() => {});
        throw error;
      });
      if (pending.length > 0) throw new NotReadyError(`migrations not applied: ${pending.join(', ')}`);
    },
    close: async () => {
      await (await probe?.catch(() => undefined))?.dispose();
      await closeDriver();
    },
  };
}
