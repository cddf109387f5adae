import type { IncomingHttpHeaders } from 'node:http';
import type { TokenVerifier } from '../../lib/auth/tokens';
import { viewerFromAuthorization, type Viewer } from '../../lib/auth/viewer';
import type { Logger } from '../../lib/log';
import { createOrderLoaders, type OrderLoaders, type OrdersStore } from './data';
import type { OrderMetrics } from './metrics';
import type { StockApi } from './products-client';

export interface OrdersContext {
  viewer: Viewer | null;
  store: OrdersStore;
  products: StockApi;
  orders: OrderLoaders;
  log: Logger;
  metrics: OrderMetrics;
}

export function createContextFactory(deps: {
  store: OrdersStore;
  products: StockApi;
  verify: TokenVerifier;
  log: Logger;
  metrics: OrderMetrics;
}) {
  return async ({ headers }: { headers: IncomingHttpHeaders }): Promise<OrdersContext> => ({
    viewer: await viewerFromAuthorization(headers.authorization, deps.verify),
    store: deps.store,
    products: deps.products,
    orders: createOrderLoaders(deps.store),
    log: deps.log,
    metrics: deps.metrics,
  });
}
