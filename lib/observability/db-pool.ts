import type { SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { Gauge } from 'prom-client';
import type { ServiceMetrics } from './metrics';

/** What node-postgres's Pool tells of its connections. */
interface PoolCounts {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

function isPool(driver: unknown): driver is PoolCounts {
  const pool = driver as Partial<PoolCounts> | null;
  return typeof pool?.totalCount === 'number' && typeof pool.idleCount === 'number' && typeof pool.waitingCount === 'number';
}

/**
 * The factory, unchanged, but every PostgreSQL pool it opens (one per Prisma client, probe or
 * migration run) is reported in `db_pool_connections{state}`: connections open, idle, and queries
 * waiting for one. An ended pool counts 0. The embedded database has no pool and reports nothing.
 */
export function observePools(factory: SqlDriverAdapterFactory, metrics: ServiceMetrics): SqlDriverAdapterFactory {
  const pools = new Set<PoolCounts>();
  new Gauge({
    name: 'db_pool_connections',
    help: "The service's PostgreSQL connections: total open, idle, and waiting (queries queued for a connection)",
    labelNames: ['state'],
    registers: [metrics.registry],
    collect() {
      if (pools.size === 0) return;
      let total = 0;
      let idle = 0;
      let waiting = 0;
      for (const pool of pools) {
        total += pool.totalCount;
        idle += pool.idleCount;
        waiting += pool.waitingCount;
      }
      this.set({ state: 'total' }, total);
      this.set({ state: 'idle' }, idle);
      this.set({ state: 'waiting' }, waiting);
    },
  });
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => {
      const adapter = await factory.connect();
      const driver = (adapter as { underlyingDriver?: () => unknown }).underlyingDriver?.();
      if (isPool(driver)) pools.add(driver);
      return adapter;
    },
  };
}
