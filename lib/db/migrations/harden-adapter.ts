import type pg from 'pg';
import type {
  SqlDriverAdapter,
  SqlDriverAdapterFactory,
  SqlMigrationAwareDriverAdapterFactory,
  SqlQuery,
  Transaction,
} from '@prisma/driver-adapter-utils';
import { tagCharColumnsOnPool, untagCharColumns } from './char-columns';

/**
 * Fixes for the driver adapters when the schema engine (rather than Prisma Client) drives them.
 * They patch the adapter instances in place, so everything else the adapter offers (e.g.
 * `underlyingDriver()`) stays as it was.
 */

type PgliteAdapterInternals = {
  client?: { exec?: (sql: string) => Promise<unknown> };
  onError?: (error: unknown) => never;
};
type PgAdapterInternals = { underlyingDriver?: () => pg.Pool };

/**
 * pglite-prisma-adapter 0.7.2's executeScript calls `exec` without awaiting it, so a failing
 * migration is reported as applied and its error lost. Await it, with the adapter's own error
 * conversion.
 */
function awaitPgliteScripts(adapter: SqlDriverAdapter): void {
  const internals = adapter as unknown as PgliteAdapterInternals;
  const client = internals.client;
  if (typeof client?.exec !== 'function') {
    throw new Error('pglite-prisma-adapter changed: its adapter has no `client.exec`; revisit lib/db/migrations');
  }
  adapter.executeScript = async (script: string): Promise<void> => {
    try {
      await client.exec!(script);
    } catch (error) {
      if (internals.onError) internals.onError(error);
      throw error;
    }
  };
}

/**
 * @prisma/adapter-pg: `"char"` columns (see char-columns.ts), and executeScript, which splits the
 * script on every `;` (breaking string literals and function bodies that contain one). A script
 * sent as one simple query runs as the native engine runs it: in one implicit transaction.
 */
function fixPgAdapter(adapter: SqlDriverAdapter): void {
  const pool = (adapter as unknown as PgAdapterInternals).underlyingDriver?.();
  if (!pool) throw new Error('@prisma/adapter-pg changed: no underlyingDriver(); revisit lib/db/migrations');
  tagCharColumnsOnPool(pool);
  const onError = (adapter as unknown as PgliteAdapterInternals).onError;
  adapter.executeScript = async (script: string): Promise<void> => {
    try {
      await pool.query(script);
    } catch (error) {
      if (onError) onError.call(adapter, error);
      throw error;
    }
  };
  untagQueries(adapter);
  const startTransaction = adapter.startTransaction.bind(adapter);
  adapter.startTransaction = async (...args) => untagQueries(await startTransaction(...args));
}

function untagQueries<T extends SqlDriverAdapter | Transaction>(queryable: T): T {
  const queryRaw = queryable.queryRaw.bind(queryable);
  queryable.queryRaw = async (query: SqlQuery) => untagCharColumns(await queryRaw(query));
  return queryable;
}

function hardenAdapter(adapter: SqlDriverAdapter): SqlDriverAdapter {
  if (adapter.adapterName === 'pglite-prisma-adapter') awaitPgliteScripts(adapter);
  else if (adapter.adapterName === '@prisma/adapter-pg') fixPgAdapter(adapter);
  return adapter;
}

/** A factory whose connections are hardened, and a way to close every connection it made. */
export interface HardenedFactory {
  factory: SqlMigrationAwareDriverAdapterFactory;
  /** Disposes every connection made through `factory` (the wasm engine never disposes them). */
  disposeAll(): Promise<void>;
}

/**
 * Wraps a factory so every connection it makes is hardened. A factory without a shadow database
 * (Prisma Client's kind) gets one that explains itself: applying migrations never needs it.
 */
export function hardenAdapterFactory(factory: SqlDriverAdapterFactory | SqlMigrationAwareDriverAdapterFactory): HardenedFactory {
  const opened = new Set<SqlDriverAdapter>();
  // The wasm engine disposes some connections itself (the shadow database's) and not others, so
  // dispose is made idempotent and disposeAll closes what is left.
  const track = (adapter: SqlDriverAdapter): SqlDriverAdapter => {
    const dispose = adapter.dispose.bind(adapter);
    let disposed: Promise<void> | undefined;
    adapter.dispose = () => {
      opened.delete(adapter);
      disposed ??= dispose();
      return disposed;
    };
    opened.add(adapter);
    return hardenAdapter(adapter);
  };
  const shadow = 'connectToShadowDb' in factory ? factory.connectToShadowDb.bind(factory) : undefined;
  return {
    factory: {
      provider: factory.provider,
      adapterName: factory.adapterName,
      connect: async () => track(await factory.connect()),
      connectToShadowDb: async () => {
        if (!shadow) throw new Error(`${factory.adapterName} was given without a shadow database`);
        return track(await shadow());
      },
    },
    disposeAll: async () => {
      await Promise.all([...opened].map((adapter) => adapter.dispose()));
    },
  };
}
