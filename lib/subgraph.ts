import fs from 'node:fs';
import path from 'node:path';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { parse, type GraphQLSchema } from 'graphql';
import type { ServiceConfig } from './config';
import { openDatabase, type Database } from './db/database';
import type { Logger } from './log';

/** A subgraph's schema from the `schema.graphql` beside its code, and its resolvers. */
export function loadSubgraphSchema<TContext>(dir: string, resolvers: GraphQLResolverMap<TContext>): GraphQLSchema {
  const typeDefs = parse(fs.readFileSync(path.join(dir, 'schema.graphql'), 'utf8'));
  return buildSubgraphSchema({ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> });
}

/** Opens the service's own database and applies its pending migrations. */
export async function openServiceDatabase(config: ServiceConfig, log: Logger): Promise<Database> {
  const started = Date.now();
  const database = await openDatabase(config.service, config.databaseUrl, { poolSize: config.databasePoolSize });
  try {
    const applied = await database.migrate();
    log.info('database ready', { kind: database.kind, migrationsApplied: applied, ms: Date.now() - started });
    return database;
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
