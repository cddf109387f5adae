import path from 'node:path';
import { ConfigError, loadServiceConfig, readInteger, subgraphUrl, type ServiceConfig } from '../../lib/config';

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
}

export function loadOrdersConfig(env: Record<string, string | undefined> = process.env): OrdersConfig {
  const base = loadServiceConfig('orders', env);
  if (base.production && !env.SERVICE_PRIVATE_KEY) {
    throw new ConfigError('SERVICE_PRIVATE_KEY must be set in production (an Ed25519 private key in PKCS#8 PEM).');
  }
  const productsInternalUrl = env.PRODUCTS_INTERNAL_URL ? new URL(env.PRODUCTS_INTERNAL_URL) : new URL('/', subgraphUrl(env, 'products'));
  return {
    ...base,
    productsInternalUrl,
    servicePrivateKey: env.SERVICE_PRIVATE_KEY,
    serviceKeyFile: path.join(base.dataDir, 'service-signing-key.pem'),
    recoveryIntervalMs: readInteger(env, 'ORDERS_RECOVERY_INTERVAL_MS', 30_000, 0, 86_400_000),
    // Far beyond a placement's own deadlines (products answers within 20 s), so it never races one.
    pendingTimeoutMs: readInteger(env, 'ORDERS_PENDING_TIMEOUT_MS', 300_000, 60_000, 86_400_000),
  };
}
