import { jwksUrlOf, loadServiceConfig, type ServiceConfig } from '../../lib/config';

export interface ProductsConfig extends ServiceConfig {
  /** Keys of the orders service, the one service allowed to reserve stock (`ORDERS_JWKS_URL`). */
  ordersJwksUrl: URL;
}

export function loadProductsConfig(env: Record<string, string | undefined> = process.env): ProductsConfig {
  return { ...loadServiceConfig('products', env), ordersJwksUrl: jwksUrlOf(env, 'orders') };
}
