import path from 'node:path';
import { ConfigError, loadServiceConfig, readHttpUrl, readInteger, subgraphUrl, type ServiceConfig } from '../../lib/config';
import type { ProductsClientOptions } from './products-client';

export interface OrdersConfig extends ServiceConfig {
  /** Base URL of the products service's internal stock API (`PRODUCTS_INTERNAL_URL`). @default origin of PRODUCTS_URL */
  productsInternalUrl: URL;
  /** PKCS#8 PEM of the key this service signs its service tokens with (`SERVICE_PRIVATE_KEY`); else kept in the data dir. */
  servicePrivateKey?: string;
  serviceKeyFile: string;
  /** How often the recovery pass runs (`ORDERS_RECOVERY_INTERVAL_MS`; 0 turns it off). @default 30000 */
  recoveryIntervalMs: number;
  /** How long an order may stay PENDING before recovery compensates it (`ORDERS_PENDING_TIMEOUT_MS`). @default 300000 */
  pendingTimeoutMs: number;
  /** One call to products, and its retries; see products-client.ts. */
  products: ProductsClientOptions;
}

export function loadOrdersConfig(env: Record<string, string | undefined> = process.env): OrdersConfig {
  const base = loadServiceConfig('orders', env);
  if (base.production && !env.SERVICE_PRIVATE_KEY) {
    throw new ConfigError('SERVICE_PRIVATE_KEY must be set in production (an Ed25519 private key in PKCS#8 PEM).');
  }
  const productsInternalUrl = readHttpUrl(env, 'PRODUCTS_INTERNAL_URL', new URL('/', subgraphUrl(env, 'products')).href);
  return {
    ...base,
    productsInternalUrl,
    servicePrivateKey: env.SERVICE_PRIVATE_KEY,
    serviceKeyFile: path.join(base.dataDir, 'service-signing-key.pem'),
    recoveryIntervalMs: readInteger(env, 'ORDERS_RECOVERY_INTERVAL_MS', 30_000, 0, 86_400_000),
    // The default is far beyond a placement's own budget (PRODUCTS_REQUEST_BUDGET_MS, at most 30 s),
    // so recovery never races one. The minimum is low so the chaos suite can watch recovery in
    // seconds; a race is still safe, only wasteful: settling PENDING is one conditional update, and
    // a placement that loses it places the order afresh.
    pendingTimeoutMs: readInteger(env, 'ORDERS_PENDING_TIMEOUT_MS', 300_000, 1_000, 86_400_000),
    products: loadProductsCallOptions(env),
  };
}

/**
 * Deadlines for calls to products. Products bounds its own stock transactions by
 * STOCK_TRANSACTION_DEADLINE_MS (default 1.5 s, products config), below the 2 s per call here, so it
 * normally answers before we give up; a reservation that still commits after we gave up is met by
 * our release (or its tombstone) and changes nothing. The request budget (4 s) stays under the
 * router's SUBGRAPH_TIMEOUT_MS (5 s), so a client sees our SERVICE_UNAVAILABLE and its hint, not
 * the router's timeout.
 */
function loadProductsCallOptions(env: Record<string, string | undefined>): ProductsClientOptions {
  const attemptTimeoutMs = readInteger(env, 'PRODUCTS_CALL_TIMEOUT_MS', 2_000, 100, 60_000);
  const requestBudgetMs = readInteger(env, 'PRODUCTS_REQUEST_BUDGET_MS', 4_000, 100, 30_000);
  if (requestBudgetMs < attemptTimeoutMs) {
    throw new ConfigError(
      `PRODUCTS_REQUEST_BUDGET_MS (${requestBudgetMs}) must be at least PRODUCTS_CALL_TIMEOUT_MS (${attemptTimeoutMs}).`,
    );
  }
  return {
    attemptTimeoutMs,
    attempts: readInteger(env, 'PRODUCTS_CALL_ATTEMPTS', 3, 1, 10),
    baseDelayMs: 100,
    maxDelayMs: 1_000,
    requestBudgetMs,
  };
}
