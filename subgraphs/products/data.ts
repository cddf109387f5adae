import DataLoader from 'dataloader';
import { oneByKey } from '../../lib/db/batch';
import { isUniqueViolation } from '../../lib/db/errors';
import type { Database } from '../../lib/db/database';
import { keysetOf, keysetPage, type Keyset, type KeysetSort } from '../../lib/graphql/pagination';
import { PrismaClient, type Prisma, type Product, type StockReservation, type StockReservationItem } from './generated/prisma/client';

export type { Product };
export type Reservation = StockReservation & { items: StockReservationItem[] };

/** Why a reservation could not be made; nothing was changed. */
export class ReservationRefused extends Error {
  constructor(
    /**
     * RELEASED: this reservation id was released (or cancelled before it was made) and cannot be
     * taken again. NOT_HOLDER: another service holds this id; only it may reserve or release it.
     */
    readonly reason: 'INSUFFICIENT_STOCK' | 'NOT_FOUND' | 'RELEASED' | 'NOT_HOLDER',
    message: string,
    readonly details: { productId?: string; available?: number } = {},
  ) {
    super(message);
  }
}

/** Stock is a GraphQL `Int` (an int4 column); this cap leaves restocking far from overflow. */
export const MAX_STOCK = 1_000_000_000;

/**
 * How long a stock transaction may take, waiting for a connection included
 * (`STOCK_TRANSACTION_DEADLINE_MS`). It must stay below the orders service's deadline per call
 * (PRODUCTS_CALL_TIMEOUT_MS, 2 s), so products answers before orders gives up (and should a
 * reservation still commit after that, orders' release or its tombstone makes it harmless).
 */
export const DEFAULT_TRANSACTION_DEADLINE_MS = 1_500;
const byProductId = (a: { productId: string }, b: { productId: string }) => (a.productId < b.productId ? -1 : 1);

/**
 * Prisma's `contains` wraps the text in `%…%` for ILIKE without escaping it, so `%` and `_` in a
 * search would match anything and `\` would escape the next character: escape all three (`\` is
 * PostgreSQL's default LIKE escape, in PGlite too) so a search matches only what it says.
 */
const likeLiteral = (text: string): string => text.replace(/[\\%_]/g, '\\$&');

/** The products service's data access; the only code that touches its database. */
export class ProductsStore {
  readonly prisma: PrismaClient;
  /** Concurrent orders queue for the one PGlite connection or a pool slot: most of the deadline is for that wait. */
  private readonly transactionOptions: { maxWait: number; timeout: number };

  constructor(database: Database, transactionDeadlineMs = DEFAULT_TRANSACTION_DEADLINE_MS) {
    this.prisma = new PrismaClient({ adapter: database.adapter });
    const maxWait = Math.round((transactionDeadlineMs * 2) / 3);
    this.transactionOptions = { maxWait, timeout: transactionDeadlineMs - maxWait };
  }

  async findByIds(ids: readonly string[]): Promise<(Product | null)[]> {
    const rows = await this.prisma.product.findMany({ where: { id: { in: [...ids] } } });
    return oneByKey(ids, rows, (row) => row.id);
  }

  async findBySkus(skus: readonly string[]): Promise<(Product | null)[]> {
    const rows = await this.prisma.product.findMany({ where: { sku: { in: [...skus] } } });
    return oneByKey(skus, rows, (row) => row.sku);
  }

  /** By name, then id; `take` rows after the keyset `[name, id]`, optionally filtered. */
  page(take: number, after: Keyset | null, search: string | null): Promise<Product[]> {
    const filters: Prisma.ProductWhereInput[] = [];
    if (search) {
      const contains = likeLiteral(search);
      filters.push({ OR: [{ name: { contains, mode: 'insensitive' } }, { sku: { contains, mode: 'insensitive' } }] });
    }
    const { where, orderBy } = keysetPage(PRODUCTS_ORDER, after);
    if (where) filters.push(where);
    return this.prisma.product.findMany({ where: { AND: filters }, orderBy, take });
  }

  create(data: Prisma.ProductCreateInput): Promise<Product> {
    return this.prisma.product.create({ data });
  }

  /** Null when no product has that id. */
  async update(id: string, data: Prisma.ProductUpdateInput): Promise<Product | null> {
    const [updated] = await this.prisma.product.updateManyAndReturn({ where: { id }, data });
    return updated ?? null;
  }

  count(): Promise<number> {
    return this.prisma.product.count();
  }

  /** Adds stock, unless that would pass `MAX_STOCK` (then `limited`); null when no product has that id. */
  async restock(id: string, quantity: number): Promise<{ product: Product; limited: boolean } | null> {
    const [restocked] = await this.prisma.product.updateManyAndReturn({
      where: { id, stock: { lte: MAX_STOCK - quantity } },
      data: { stock: { increment: quantity } },
    });
    if (restocked) return { product: restocked, limited: false };
    const product = await this.prisma.product.findUnique({ where: { id } });
    return product && { product, limited: true };
  }

  /**
   * Takes stock for every line, all or nothing, in one transaction. Each line is a conditional
   * decrement (`stock >= quantity`), done in product-id order so concurrent reservations never
   * deadlock: stock can never go negative however many orders race. The reservation id is the
   * caller's, so asking again (even concurrently) returns the first reservation and takes nothing
   * twice; an id that was released is refused, never taken again.
   */
  async reserve(id: string, holder: string, lines: { productId: string; quantity: number }[]): Promise<Reservation> {
    try {
      // Every statement is a round trip inside the transaction, which holds the row locks it took:
      // each write returns what later steps need (RETURNING) instead of reading it back.
      return await this.prisma.$transaction(async (tx) => {
        const existing = await tx.stockReservation.findUnique({ where: { id } });
        if (existing)
          return this.existingFor({ ...existing, items: await tx.stockReservationItem.findMany({ where: { reservationId: id } }) }, holder);
        // The row first: a concurrent call with the same id now waits on its unique index and then
        // finds this reservation, instead of racing it for the stock.
        const reservation = await tx.stockReservation.create({ data: { id, holder } });
        const prices = new Map<string, { priceCents: number; currency: string }>();
        for (const line of [...lines].sort(byProductId)) {
          const [taken] = await tx.product.updateManyAndReturn({
            where: { id: line.productId, stock: { gte: line.quantity } },
            data: { stock: { decrement: line.quantity } },
            select: { priceCents: true, currency: true },
          });
          if (!taken) {
            const product = await tx.product.findUnique({ where: { id: line.productId }, select: { stock: true } });
            if (!product)
              throw new ReservationRefused('NOT_FOUND', `No product with id "${line.productId}" exists.`, { productId: line.productId });
            throw new ReservationRefused('INSUFFICIENT_STOCK', `Not enough stock of product ${line.productId}: ${product.stock} left.`, {
              productId: line.productId,
              available: product.stock,
            });
          }
          prices.set(line.productId, taken);
        }
        const items = await tx.stockReservationItem.createManyAndReturn({
          data: lines.map((line, position) => ({
            reservationId: id,
            productId: line.productId,
            quantity: line.quantity,
            unitPriceCents: prices.get(line.productId)!.priceCents,
            currency: prices.get(line.productId)!.currency,
            position,
          })),
        });
        return { ...reservation, items };
      }, this.transactionOptions);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      // A concurrent call with the same id, or a release, wrote the row first: answer as it stands.
      const winner = await this.prisma.stockReservation.findUniqueOrThrow({ where: { id }, include: { items: true } });
      return this.existingFor(winner, holder);
    }
  }

  /** A repeated reservation answers with the first, to its holder only; a released one is refused. */
  private existingFor(reservation: Reservation, holder: string): Reservation {
    if (reservation.holder !== holder) throw notHolder(reservation.id);
    if (reservation.status === 'RELEASED')
      throw new ReservationRefused('RELEASED', `Reservation ${reservation.id} was released; use a new id.`);
    return reservation;
  }

  /**
   * Gives a reservation's stock back, once: releasing it again changes nothing. Releasing an id
   * never reserved leaves a RELEASED tombstone, so a reservation still in flight for it (its
   * caller gave up) is refused instead of taking stock no one will ever give back. Only the
   * reservation's holder may release it (NOT_HOLDER otherwise, and nothing changes).
   */
  async release(id: string, holder: string): Promise<Reservation> {
    const attempt = () =>
      this.prisma.$transaction(async (tx) => {
        // Existence first: under READ COMMITTED an update that misses a reservation committing right
        // now would release nothing, while the tombstone insert waits for it and fails, so we retry.
        const existing = await tx.stockReservation.findUnique({ where: { id } });
        if (!existing) {
          return tx.stockReservation.create({ data: { id, holder, status: 'RELEASED', releasedAt: new Date() }, include: { items: true } });
        }
        if (existing.holder !== holder) throw notHolder(id);
        const { count } = await tx.stockReservation.updateMany({
          where: { id, status: 'RESERVED' },
          data: { status: 'RELEASED', releasedAt: new Date() },
        });
        const reservation = await tx.stockReservation.findUniqueOrThrow({ where: { id }, include: { items: true } });
        if (count === 1) {
          for (const item of [...reservation.items].sort(byProductId)) {
            await tx.product.update({ where: { id: item.productId }, data: { stock: { increment: item.quantity } } });
          }
        }
        return reservation;
      }, this.transactionOptions);
    try {
      return await attempt();
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      return attempt(); // the reservation was committed meanwhile: now release it
    }
  }

  /**
   * Deletes RELEASED reservations (tombstones, and released reservations' history) released
   * before `cutoff`, a batch at a time so no statement holds many locks. Returns how many.
   */
  async purgeReleased(cutoff: Date, batch = 1_000): Promise<number> {
    const old = { status: 'RELEASED', releasedAt: { lt: cutoff } } as const;
    let purged = 0;
    for (;;) {
      const rows = await this.prisma.stockReservation.findMany({ where: old, select: { id: true }, take: batch });
      if (rows.length > 0)
        purged += (await this.prisma.stockReservation.deleteMany({ where: { ...old, id: { in: rows.map((row) => row.id) } } })).count;
      if (rows.length < batch) return purged;
    }
  }
}

const notHolder = (id: string) =>
  new ReservationRefused('NOT_HOLDER', `Reservation ${id} is held by another service; only its holder may reserve or release it.`);

/** By name, ties by id: `products(first, after)`'s order and cursor. */
export const PRODUCTS_ORDER: KeysetSort<'name', 'text', 'asc'> = { field: 'name', kind: 'text', direction: 'asc' };

export const productKeyset = (product: Product): Keyset => keysetOf(PRODUCTS_ORDER, product);

export interface ProductLoaders {
  byId: DataLoader<string, Product | null>;
  bySku: DataLoader<string, Product | null>;
}

/** Per-request loaders: every product lookup in one request shares one query per key. */
export function createProductLoaders(store: ProductsStore): ProductLoaders {
  return {
    byId: new DataLoader((ids) => store.findByIds(ids)),
    bySku: new DataLoader((skus) => store.findBySkus(skus)),
  };
}
