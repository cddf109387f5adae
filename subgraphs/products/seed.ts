import type { Logger } from '../../lib/log';
import type { ProductsStore } from './data';

/** A small demo catalogue for development, created only in an empty database. */
export const DEMO_PRODUCTS = [
  { sku: 'MUG-001', name: 'Federation Mug', description: 'Holds 350 ml of coffee and one supergraph.', priceCents: 1200, stock: 100 },
  { sku: 'TEE-001', name: 'Subgraph T-Shirt', description: 'Organic cotton, one size fits most.', priceCents: 2500, stock: 50 },
  { sku: 'STK-001', name: 'Sticker Pack', description: 'Ten vinyl stickers.', priceCents: 500, stock: 500 },
  { sku: 'HAT-001', name: 'Router Cap', description: null, priceCents: 1800, stock: 25 },
  { sku: 'BK-001', name: 'Distributed Systems Book', description: 'Paperback, 480 pages.', priceCents: 4200, stock: 10 },
];

export async function seedDemoProducts(store: ProductsStore, log: Logger): Promise<void> {
  if ((await store.count()) > 0) return;
  for (const product of DEMO_PRODUCTS) await store.create(product);
  log.info('seeded demo products', { count: DEMO_PRODUCTS.length });
}
