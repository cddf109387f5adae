import DataLoader from 'dataloader';
import { manyByKey, oneByKey } from '../../lib/db/batch';
import type { Database } from '../../lib/db/database';
import { keysetOf, keysetPage, type Keyset, type KeysetSort } from '../../lib/graphql/pagination';
import { Prisma, PrismaClient, type Order, type OrderItem, type OrderStatus } from './generated/prisma/client';

export type { Order, OrderItem, OrderStatus };

/** The orders service's data access; the only code that touches its database. */
export class OrdersStore {
  readonly prisma: PrismaClient;

  constructor(database: Database) {
    this.prisma = new PrismaClient({ adapter: database.adapter });
  }

  async findByIds(ids: readonly string[]): Promise<(Order | null)[]> {
    const rows = await this.prisma.order.findMany({ where: { id: { in: [...ids] } } });
    return oneByKey(ids, rows, (row) => row.id);
  }

  /** The lines of many orders in one statement, each order's in its buyer's order. */
  async itemsOf(orderIds: readonly string[]): Promise<OrderItem[][]> {
    const rows = await this.prisma.orderItem.findMany({ where: { orderId: { in: [...orderIds] } }, orderBy: { position: 'asc' } });
    return manyByKey(orderIds, rows, (row) => row.orderId);
  }

  findByIdempotencyKey(buyerId: string, idempotencyKey: string): Promise<Order | null> {
    return this.prisma.order.findUnique({ where: { buyerId_idempotencyKey: { buyerId, idempotencyKey } } });
  }

  /** Newest first; `take` rows after the keyset `[createdAt, id]`; only `buyerId`'s when given. */
  page(take: number, after: Keyset | null, buyerId?: string): Promise<Order[]> {
    const { where, orderBy } = keysetPage(ORDERS_ORDER, after);
    return this.prisma.order.findMany({ where: { ...(buyerId !== undefined && { buyerId }), ...where }, orderBy, take });
  }

  /**
   * The first `take` orders (newest first, after the keyset when given) of each of many buyers, in
   * one statement: a window function ranks each buyer's orders, so N users' order lists cost one
   * query, not N.
   */
  async pagesByBuyer(buyerIds: readonly string[], take: number, after: Keyset | null): Promise<Order[][]> {
    const afterClause = after ? Prisma.sql`AND (created_at, id) < (${new Date(after[0])}::timestamptz, ${after[1]})` : Prisma.empty;
    const rows = await this.prisma.$queryRaw<Order[]>`
      SELECT id, buyer_id AS "buyerId", status, total_cents AS "totalCents", currency,
             idempotency_key AS "idempotencyKey", request_hash AS "requestHash", stock_released_at AS "stockReleasedAt",
             created_at AS "createdAt", updated_at AS "updatedAt"
      FROM (
        SELECT *, row_number() OVER (PARTITION BY buyer_id ORDER BY created_at DESC, id DESC) AS rank
        FROM orders WHERE buyer_id = ANY(${[...buyerIds]}::text[]) ${afterClause}
      ) ranked
      WHERE rank <= ${take}
      ORDER BY created_at DESC, id DESC`;
    return manyByKey(buyerIds, rows, (row) => row.buyerId);
  }

  /** Records the intent before any stock is touched, so a crash leaves a trace to recover from. */
  createPending(buyerId: string, idempotencyKey: string | null, requestHash: string | null = null): Promise<Order> {
    return this.prisma.order.create({ data: { buyerId, idempotencyKey, requestHash, status: 'PENDING' } });
  }

  /**
   * PENDING → CONFIRMED with its priced lines and total, atomically. Only the first confirmation
   * writes; a second (a resumed duplicate) or one after a cancel just returns the order as it is
   * (null if it was withdrawn).
   */
  confirm(id: string, lines: Omit<OrderItem, 'orderId'>[], totalCents: number): Promise<Order | null> {
    return this.prisma.$transaction(async (tx) => {
      const [confirmed] = await tx.order.updateManyAndReturn({
        where: { id, status: 'PENDING' },
        data: { status: 'CONFIRMED', totalCents, currency: lines[0]?.currency ?? 'USD' },
      });
      if (!confirmed) return tx.order.findUnique({ where: { id } });
      await tx.orderItem.createMany({ data: lines.map((line) => ({ ...line, orderId: id })) });
      return confirmed;
    });
  }

  /** Records that a FAILED or CANCELLED order's stock is known to be back. */
  async markStockReleased(id: string): Promise<void> {
    await this.prisma.order.updateMany({ where: { id, status: { in: ['FAILED', 'CANCELLED'] } }, data: { stockReleasedAt: new Date() } });
  }

  /** Work for the recovery pass: orders PENDING since before `stuckBefore`, and settled orders whose stock may still be held. */
  async needingRecovery(stuckBefore: Date, limit: number): Promise<Order[]> {
    return this.prisma.order.findMany({
      where: {
        OR: [
          { status: 'PENDING', createdAt: { lt: stuckBefore } },
          { status: { in: ['FAILED', 'CANCELLED'] }, stockReleasedAt: null },
        ],
      },
      orderBy: { createdAt: 'asc' },
      take: limit,
    });
  }

  /** Forgets an order whose stock was refused, once it is settled FAILED and its reservation id released. */
  async removeFailed(id: string): Promise<void> {
    await this.prisma.order.deleteMany({ where: { id, status: 'FAILED' } });
  }

  /** Frees a FAILED order's idempotency key so the same key can place the order again; the failed order stays as history. */
  async freeKey(id: string): Promise<void> {
    await this.prisma.order.updateMany({ where: { id, status: 'FAILED' }, data: { idempotencyKey: null } });
  }

  /** Moves an order to `to` only from one of `from`; null when it was in another state. */
  async transition(id: string, from: OrderStatus[], to: OrderStatus): Promise<Order | null> {
    const [moved] = await this.prisma.order.updateManyAndReturn({ where: { id, status: { in: from } }, data: { status: to } });
    return moved ?? null;
  }
}

/**
 * Newest first, ties by id: the order and cursor of `orders` and `User.orders`. `pagesByBuyer`
 * writes the same order in SQL, as a row comparison, for its window query.
 */
export const ORDERS_ORDER: KeysetSort<'createdAt', 'timestamp', 'desc'> = { field: 'createdAt', kind: 'timestamp', direction: 'desc' };

export const orderKeyset = (order: Order): Keyset => keysetOf(ORDERS_ORDER, order);

/** One user's page of orders, as `User.orders(first, after)` asks for it. */
export interface BuyerPage {
  buyerId: string;
  take: number;
  after: Keyset | null;
}

export interface OrderLoaders {
  byId: DataLoader<string, Order | null>;
  items: DataLoader<string, OrderItem[]>;
  byBuyer: DataLoader<BuyerPage, Order[], string>;
}

/** Per-request loaders: N orders' lookups or lines cost one query each, not N. */
export function createOrderLoaders(store: OrdersStore): OrderLoaders {
  return {
    byId: new DataLoader((ids) => store.findByIds(ids)),
    items: new DataLoader((ids) => store.itemsOf(ids)),
    byBuyer: new DataLoader(
      async (pages) => {
        // Users asked for with the same arguments share one query (in practice: all of them).
        const byArguments = new Map<string, BuyerPage[]>();
        for (const page of pages) {
          const key = JSON.stringify([page.take, page.after]);
          byArguments.set(key, [...(byArguments.get(key) ?? []), page]);
        }
        const answers = new Map<BuyerPage, Order[]>();
        for (const group of byArguments.values()) {
          const { take, after } = group[0]!;
          const results = await store.pagesByBuyer(
            group.map((page) => page.buyerId),
            take,
            after,
          );
          group.forEach((page, index) => {
            answers.set(page, results[index]!);
          });
        }
        return pages.map((page) => answers.get(page)!);
      },
      { cacheKeyFn: (page) => JSON.stringify([page.buyerId, page.take, page.after]) },
    ),
  };
}
