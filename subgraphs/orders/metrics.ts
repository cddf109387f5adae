import { Counter } from 'prom-client';
import type { ServiceMetrics } from '../../lib/observability/metrics';

/** What placement and recovery report (subgraphs/orders/placement.ts). */
export interface OrderMetrics {
  /** An order was confirmed by this placement. */
  placed(): void;
  /** Products refused the reservation (INSUFFICIENT_STOCK, NOT_FOUND): nothing was ordered. */
  refused(code: string): void;
  /** A half-placed order was undone: settled FAILED and its stock given back. */
  compensated(): void;
  /** The recovery pass settled orders: stuck PENDING ones compensated, or stock releases completed. */
  recovered(kind: 'compensated' | 'released', count: number): void;
}

export function orderMetrics(metrics: ServiceMetrics): OrderMetrics {
  const registers = [metrics.registry];
  const placed = new Counter({ name: 'orders_placed_total', help: 'Orders confirmed', registers });
  const refused = new Counter({
    name: 'orders_refused_total',
    help: 'Orders refused by the products service (no stock, unknown product), by code',
    labelNames: ['code'],
    registers,
  });
  const compensated = new Counter({
    name: 'orders_compensated_total',
    help: 'Half-placed orders undone during placement (settled FAILED, stock given back)',
    registers,
  });
  const recovered = new Counter({
    name: 'orders_recovered_total',
    help: 'Orders settled by the recovery pass: stuck PENDING ones compensated, or stock releases completed',
    labelNames: ['kind'],
    registers,
  });
  for (const kind of ['compensated', 'released']) recovered.inc({ kind }, 0);
  return {
    placed: () => placed.inc(),
    refused: (code) => refused.inc({ code }),
    compensated: () => compensated.inc(),
    recovered: (kind, count) => recovered.inc({ kind }, count),
  };
}
