import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { OpenedTarget } from './types';

/** The same server URL naming another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** The database a URL names (PostgreSQL's default: the user's name). */
export function databaseName(url: string): string {
  const parsed = new URL(url);
  return decodeURIComponent(parsed.pathname.slice(1)) || decodeURIComponent(parsed.username) || 'postgres';
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Connects and checks the server really put us on `expected` (see connectToShadowDb). */
async function connectTo(url: string, expected: string): Promise<SqlDriverAdapter> {
  const adapter = await new PrismaPg({ connectionString: url }).connect();
  const { rows } = await adapter.queryRaw({ sql: 'SELECT current_database()', args: [], argTypes: [] });
  const actual = rows[0]?.[0];
  if (actual !== expected) {
    await adapter.dispose();
    throw new Error(`Connected to database "${String(actual)}" instead of "${expected}"; refusing to continue`);
  }
  return adapter;
}

/**
 * @prisma/adapter-pg's own connectToShadowDb passes `{ connectionString, database }` to pg, where
 * the connection string wins: the "shadow" database silently is the main one, and `migrate dev`
 * then resets or diverges against real data. It also drops the temporary database while its own
 * pool still holds connections, and never closes the main pool it made. This factory builds the
 * shadow URL itself and checks `current_database()` on it.
 */
class PostgresMigrationFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = 'postgres';
  readonly adapterName = '@prisma/adapter-pg';

  constructor(
    private readonly url: string,
    private readonly shadowUrl: string | undefined,
  ) {}

  connect(): Promise<SqlDriverAdapter> {
    return new PrismaPg({ connectionString: this.url }).connect();
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    if (this.shadowUrl) return this.connectToConfiguredShadowDb(this.shadowUrl);
    const name = `prisma_migrate_shadow_db_${randomUUID()}`;
    const admin = new pg.Client({ connectionString: this.url });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
    } catch (error) {
      await admin.end();
      throw error;
    }
    const dropDatabase = async (): Promise<void> => {
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    };
    let adapter: SqlDriverAdapter;
    try {
      adapter = await connectTo(withDatabase(this.url, name), name);
    } catch (error) {
      await dropDatabase();
      throw error;
    }
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      await dispose();
      await dropDatabase();
    };
    return adapter;
  }

  /**
   * A configured shadow database is emptied first, as the native engine does. It must not be the
   * main database: emptying that would destroy the data.
   */
  private async connectToConfiguredShadowDb(shadowUrl: string): Promise<SqlDriverAdapter> {
    const main = new URL(this.url);
    const shadow = new URL(shadowUrl);
    if (main.host === shadow.host && databaseName(this.url) === databaseName(shadowUrl)) {
      throw new Error('The shadow database URL names the main database; point it at a database of its own');
    }
    const adapter = await connectTo(shadowUrl, databaseName(shadowUrl));
    await adapter.executeScript('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;');
    return adapter;
  }
}

export function openPostgres(url: string, shadowUrl: string | undefined): OpenedTarget {
  return { factory: new PostgresMigrationFactory(url, shadowUrl), close: async () => {} };
}
