import { jwksUrlOf, loadServiceConfig, readInteger, type ServiceConfig } from '../../lib/config';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface ProductsConfig extends ServiceConfig {
  /** Keys of the orders service, the one service allowed to reserve stock (`ORDERS_JWKS_URL`). */
  ordersJwksUrl: URL;
  /** How long a RELEASED reservation (a tombstone) is kept before it is purged (`RELEASED_RESERVATION_RETENTION_MS`). @default 604800000 (7 days) */
  releasedRetentionMs: number;
}

export function loadProductsConfig(env: Record<string, string | undefined> = process.env): ProductsConfig {
  return {
    ...loadServiceConfig('products', env),
    ordersJwksUrl: jwksUrlOf(env, 'orders'),
    // A tombstone only has to outlive a reservation still in flight for its id: orders reserves an
    // id only while its order is PENDING, and releases it only after leaving PENDING, so that is
    // seconds (orders' request timeouts). An hour's minimum is far beyond.
    releasedRetentionMs: readInteger(env, 'RELEASED_RESERVATION_RETENTION_MS', 7 * DAY_MS, HOUR_MS, 366 * DAY_MS),
  };
}
