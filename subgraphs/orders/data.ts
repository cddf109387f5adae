import DataLoader from 'dataloader';
import type { Database } from '../../lib/db/database';
import type { Keyset } from '../../lib/graphql/pagination';
import { PrismaClient, type Order, type OrderItem, type OrderStatus, type Prisma } from './generated/prisma/client';

export type { Order, OrderItem, OrderStatus };

/** The orders service's data access; the only code that touches its database. */
export class OrdersStore {
  readonly prisma: PrismaClient;

  constructor(database: Database) {
    this.prisma = new PrismaClient({ adapter: database.adapter });
  }

  async findByIds(ids: readonly string[]): Promise<(Order | null)[]> {
    const rows = await this.prisma.order.findMany({ where: { id: { in: [...ids] } } });
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** The lines of many orders in one statement, each order's in its buyer's order. */
  async itemsOf(orderIds: readonly string[]): Promise<OrderItem[][]> {
    const rows = await this.prisma.orderItem.findMany({ where: { orderId: { in: [...orderIds] } }, orderBy: { position: 'asc' } });
    const byOrder = new Map<string, OrderItem[]>(orderIds.map((id) => [id, []]));
    for (const row of rows) byOrder.get(row.orderId)?.push(row);
    return orderIds.map((id) => byOrder.get(id) ?? []);
  }

  findByIdempotencyKey(buyerId: string, idempotencyKey: string): Promise<Order | null> {
    return this.prisma.order.findUnique({ where: { buyerId_idempotencyKey: { buyerId, idempotencyKey } } });
  }

  /** Newest first; `take` rows after the keyset `[createdAt, id]`; only `buyerId`'s when given. */
  page(take: number, after: Keyset | null, buyerId?: string): Promise<Order[]> {
    const where: Prisma.OrderWhereInput = {
      ...(buyerId !== undefined && { buyerId }),
      ...(after && { OR: [{ createdAt: { lt: new Date(after[0]) } }, { createdAt: new Date(after[0]), id: { lt: after[1] } }] }),
    };
    return this.prisma.order.findMany({ where, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take });
  }

  /** Records the intent before any stock is touched, so a crash leaves a trace to recover from. */
  createPending(buyerId: string, idempotencyKey: string | null): Promise<Order> {
    return this.prisma.order.create({ data: { buyerId, idempotencyKey, status: 'PENDING' } });
  }

  /** PENDING → CONFIRMED with its priced lines and total, atomically. */
  confirm(id: string, lines: Omit<OrderItem, 'orderId'>[]): Promise<Order> {
    const totalCents = lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
    return this.prisma.$transaction(async (tx) => {
      await tx.orderItem.createMany({ data: lines.map((line) => ({ ...line, orderId: id })) });
      return tx.order.update({ where: { id, status: 'PENDING' }, data: { status: 'CONFIRMED', totalCents, currency: lines[0]?.currency ?? 'USD' } });
    });
  }

  /** Moves an order to `to` only from one of `from`; null when it was in another state. */
  async transition(id: string, from: OrderStatus[], to: OrderStatus): Promise<Order | null> {
    const { count } = await this.prisma.order.updateMany({ where: { id, status: { in: from } }, data: { status: to } });
    return count === 1 ? this.prisma.order.findUnique({ where: { id } }) : null;
  }

  async remove(id: string): Promise<void> {
    await this.prisma.order.delete({ where: { id } });
  }
}

export const orderKeyset = (order: Order): Keyset => [order.createdAt.toISOString(), order.id];

export interface OrderLoaders {
  byId: DataLoader<string, Order | null>;
  items: DataLoader<string, OrderItem[]>;
}

/** Per-request loaders: N orders' lookups or lines cost one query each, not N. */
export function createOrderLoaders(store: OrdersStore): OrderLoaders {
  return {
    byId: new DataLoader((ids) => store.findByIds(ids)),
    items: new DataLoader((ids) => store.itemsOf(ids)),
  };
}
