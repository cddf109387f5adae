import { createHash } from 'node:crypto';

/**
 * What an idempotencyKey stands for: the order's lines, sorted by product so the same cart in
 * another order hashes the same. The prefix names this normalization, should it ever change.
 */
export function requestHash(items: readonly { productId: string; quantity: number }[]): string {
  const lines = items.map((item) => [item.productId, item.quantity] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256')
    .update(`v1:${JSON.stringify(lines)}`)
    .digest('hex');
}
