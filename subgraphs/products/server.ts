import { createTokenVerifier, serviceTokenOptions, USER_TOKEN } from '../../lib/auth/tokens';
import type { Database } from '../../lib/db/database';
import { createLogger } from '../../lib/log';
import { loadMetricsConfig, ServiceMetrics } from '../../lib/observability/metrics';
import type { ServiceDefinition } from '../../lib/server';
import { closeStore, loadSubgraphSchema, openServiceDatabase, type BuildSubgraph } from '../../lib/subgraph';
import { loadProductsConfig, type ProductsConfig } from './config';
import { createContextFactory, type ProductsContext } from './context';
import { ProductsStore } from './data';
import { productsErrors } from './errors';
import { reservationRoutes } from './internal-api';
import { resolvers } from './resolvers';
import { startPurgeLoop } from './purge';
import { seedDemoProducts } from './seed';

/** Opens the products database (migrating it) and describes the service. */
export async function buildProductsService(config: ProductsConfig): Promise<ServiceDefinition<ProductsContext> & { database: Database }> {
  const log = createLogger('products');
  const metrics = new ServiceMetrics('products');
  const database = await openServiceDatabase(config, log, metrics);
  const store = new ProductsStore(database, config.transactionDeadlineMs);
  const closeDatabase = closeStore(store.prisma, database);
  const purge = startPurgeLoop(store, config.releasedRetentionMs, log);
  const close = async () => {
    await purge.stop();
    await closeDatabase();
  };
  try {
    if (config.seedDemoData) await seedDemoProducts(store, log);
  } catch (error) {
    await close();
    throw error;
  }
  const verifyUser = createTokenVerifier({ jwks: config.usersJwksUrl, ...USER_TOKEN });
  const verifyOrdersService = createTokenVerifier({ jwks: config.ordersJwksUrl, ...serviceTokenOptions('orders', 'products') });
  return {
    name: 'products',
    log,
    production: config.production,
    edge: config.edge,
    inlineTraces: config.inlineTraces,
    slowRequestMs: config.slowRequestMs,
    metrics,
    metricsConfig: loadMetricsConfig(config.env, config.production),
    database,
    graph: { schema: loadSubgraphSchema(__dirname, resolvers) },
    errorCodes: productsErrors,
    context: createContextFactory({ store, verify: verifyUser }),
    checkReady: () => database.checkReady(),
    routes: reservationRoutes(store, verifyOrdersService),
    close,
  };
}

/** The subgraph from its environment: what index.ts runs and the test harness starts (lib/subgraph.ts). */
export const build: BuildSubgraph<ProductsContext> = async (env = process.env) => {
  const config = loadProductsConfig(env);
  return { definition: await buildProductsService(config), port: config.port };
};
