import { jwksUrlOf, loadServiceConfig, readInteger, type ServiceConfig } from '../../lib/config';
import { DEFAULT_TRANSACTION_DEADLINE_MS } from './data';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface ProductsConfig extends ServiceConfig {
  /** Keys of the orders service, the one service allowed to reserve stock (`ORDERS_JWKS_URL`). */
  ordersJwksUrl: URL;
  /** A stock transaction's deadline, connection wait included (`STOCK_TRANSACTION_DEADLINE_MS`); below orders' PRODUCTS_CALL_TIMEOUT_MS. @default 1500 */
  transactionDeadlineMs: number;
  /** How long a RELEASED reservation (a tombstone) is kept before it is purged (`RELEASED_RESERVATION_RETENTION_MS`). @default 604800000 (7 days) */
  releasedRetentionMs: number;
}

export function loadProductsConfig(env: Record<string, string | undefined> = process.env): ProductsConfig {
  return {
    ...loadServiceConfig('products', env),
    ordersJwksUrl: jwksUrlOf(env, 'orders'),
    transactionDeadlineMs: readInteger(env, 'STOCK_TRANSACTION_DEADLINE_MS', DEFAULT_TRANSACTION_DEADLINE_MS, 100, 60_000),
    // A tombstone only has to outlive a reservation still in flight for its id: orders reserves an
    // id only while its order is PENDING, and releases it only after leaving PENDING, so that is
    // seconds (orders' PRODUCTS_REQUEST_BUDGET_MS, at most 30 s). An hour's minimum is far beyond.
    releasedRetentionMs: readInteger(env, 'RELEASED_RESERVATION_RETENTION_MS', 7 * DAY_MS, HOUR_MS, 366 * DAY_MS),
  };
}
