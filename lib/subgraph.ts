import fs from 'node:fs';
import type { BaseContext } from '@apollo/server';
import path from 'node:path';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse, type GraphQLSchema } from 'graphql';
import type { ServiceConfig } from './config';
import { openDatabase, type Database } from './db/database';
import type { Logger } from './log';
import { observePools } from './observability/db-pool';
import type { ServiceMetrics } from './observability/metrics';
import type { ServiceDefinition } from './server';

/** A subgraph built and ready to listen: its definition (with its database) and its port. */
export interface BuiltSubgraph<TContext extends BaseContext> {
  definition: ServiceDefinition<TContext> & { database: Database };
  port: number;
}

/**
 * What every `subgraphs/<name>/server.ts` exports as `build`: the subgraph from its environment.
 * Its index.ts (`runService(build)`) and the test harness both start it through this, so both
 * find any subgraph in the registry (lib/services.ts) the same way.
 */
export type BuildSubgraph<TContext extends BaseContext = BaseContext> = (
  env?: Record<string, string | undefined>,
) => Promise<BuiltSubgraph<TContext>>;

type ApolloResolverMap = NonNullable<Extract<Parameters<typeof buildSubgraphSchema>[0], { typeDefs: unknown }>['resolvers']>;

/**
 * A subgraph's schema from the `schema.graphql` beside its code, and its resolvers, typed by the
 * subgraph's generated `Resolvers` (scripts/codegen.ts). Those types are stricter than Apollo's
 * own map type, which calls `__resolveReference` a field resolver, hence the one cast, here.
 */
export function loadSubgraphSchema(dir: string, resolvers: object): GraphQLSchema {
  const typeDefs = parse(fs.readFileSync(path.join(dir, 'schema.graphql'), 'utf8'));
  return buildSubgraphSchema({ typeDefs, resolvers: resolvers as ApolloResolverMap });
}

/**
 * Opens the service's own database and applies its pending migrations, unless MIGRATE_ON_START
 * is false (a migrate job applies them; until then its /ready check reports them pending).
 */
export async function openServiceDatabase(config: ServiceConfig, log: Logger, metrics?: ServiceMetrics): Promise<Database> {
  const started = Date.now();
  const database = await openDatabase(config.service, config.databaseUrl, { poolSize: config.databasePoolSize, env: config.env });
  try {
    const applied = config.migrateOnStart ? await database.migrate() : 'skipped (MIGRATE_ON_START=false)';
    log.info('database ready', { kind: database.kind, migrationsApplied: applied, ms: Date.now() - started });
    // With `metrics`, its PostgreSQL pool use is in them (db_pool_connections).
    return metrics ? { ...database, adapter: observePools(database.adapter, metrics) } : database;
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** Closes a service's Prisma client, then its database (which releases an embedded one's lock). */
export function closeStore(prisma: { $disconnect(): Promise<void> }, database: Database): () => Promise<void> {
  return async () => {
    await prisma.$disconnect();
    await database.close();
  };
}
