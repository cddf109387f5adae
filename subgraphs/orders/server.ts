import { jwksRoute, loadSigningKey } from '../../lib/auth/keys';
import { createTokenVerifier, USER_TOKEN } from '../../lib/auth/tokens';
import type { Database } from '../../lib/db/database';
import { createLogger } from '../../lib/log';
import { loadMetricsConfig, ServiceMetrics } from '../../lib/observability/metrics';
import type { ServiceDefinition } from '../../lib/server';
import { closeStore, loadSubgraphSchema, openServiceDatabase, type BuildSubgraph } from '../../lib/subgraph';
import { loadOrdersConfig, type OrdersConfig } from './config';
import { createContextFactory, type OrdersContext } from './context';
import { OrdersStore } from './data';
import { ordersErrors } from './errors';
import { orderMetrics } from './metrics';
import { ProductsClient } from './products-client';
import { recoverOrders } from './placement';
import { startRecoveryLoop, type RecoveryLoop } from './recovery';
import { resolvers } from './resolvers';

/** Opens the orders database (migrating it), loads the service key and describes the service. */
export async function buildOrdersService(config: OrdersConfig): Promise<ServiceDefinition<OrdersContext> & { database: Database }> {
  const log = createLogger('orders');
  const metrics = new ServiceMetrics('orders');
  const orders = orderMetrics(metrics);
  const serviceKey = await loadSigningKey({ pem: config.servicePrivateKey, file: config.serviceKeyFile });
  const database = await openServiceDatabase(config, log, metrics);
  const store = new OrdersStore(database);
  const products = new ProductsClient(config.productsInternalUrl, serviceKey, config.products);
  const closeDatabase = closeStore(store.prisma, database);
  let recovery: RecoveryLoop | undefined;
  if (config.recoveryIntervalMs > 0) {
    const pass = () => recoverOrders({ store, products, log, metrics: orders }, { stuckAfterMs: config.pendingTimeoutMs });
    recovery = startRecoveryLoop(pass, { intervalMs: config.recoveryIntervalMs, log });
  }
  return {
    name: 'orders',
    log,
    production: config.production,
    edge: config.edge,
    inlineTraces: config.inlineTraces,
    slowRequestMs: config.slowRequestMs,
    metrics,
    metricsConfig: loadMetricsConfig(config.env, config.production),
    database,
    graph: { schema: loadSubgraphSchema(__dirname, resolvers) },
    errorCodes: ordersErrors,
    context: createContextFactory({
      store,
      products,
      verify: createTokenVerifier({ jwks: config.usersJwksUrl, ...USER_TOKEN }),
      log,
      metrics: orders,
    }),
    checkReady: () => database.checkReady(),
    // Products checks our service tokens against this key set.
    routes: [jwksRoute(serviceKey)],
    close: async () => {
      await recovery?.stop();
      await closeDatabase();
    },
  };
}

/** The subgraph from its environment: what index.ts runs and the test harness starts (lib/subgraph.ts). */
export const build: BuildSubgraph<OrdersContext> = async (env = process.env) => {
  const config = loadOrdersConfig(env);
  return { definition: await buildOrdersService(config), port: config.port };
};
