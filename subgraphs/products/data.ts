import DataLoader from 'dataloader';
import { oneByKey } from '../../lib/db/batch';
import type { Database } from '../../lib/db/database';
import type { Keyset } from '../../lib/graphql/pagination';
import { PrismaClient, type Prisma, type Product, type StockReservation, type StockReservationItem } from './generated/prisma/client';

export type { Product };
export type Reservation = StockReservation & { items: StockReservationItem[] };

/** Why a reservation could not be made; nothing was changed. */
export class ReservationRefused extends Error {
  constructor(
    readonly reason: 'INSUFFICIENT_STOCK' | 'NOT_FOUND',
    readonly productId: string,
    readonly available?: number,
  ) {
    super(reason === 'NOT_FOUND' ? `No product with id "${productId}" exists.` : `Not enough stock of product ${productId}: ${available} left.`);
  }
}

// Concurrent orders queue for the one PGlite connection or a pool slot: wait for it, don't fail.
const TRANSACTION_OPTIONS = { maxWait: 15_000, timeout: 15_000 } as const;

/** The products service's data access; the only code that touches its database. */
export class ProductsStore {
  readonly prisma: PrismaClient;

  constructor(database: Database) {
    this.prisma = new PrismaClient({ adapter: database.adapter });
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
      filters.push({ OR: [{ name: { contains: search, mode: 'insensitive' } }, { sku: { contains: search, mode: 'insensitive' } }] });
    }
    if (after) filters.push({ OR: [{ name: { gt: after[0] } }, { name: after[0], id: { gt: after[1] } }] });
    return this.prisma.product.findMany({ where: { AND: filters }, orderBy: [{ name: 'asc' }, { id: 'asc' }], take });
  }

  create(data: Prisma.ProductCreateInput): Promise<Product> {
    return this.prisma.product.create({ data });
  }

  /** Null when no product has that id. */
  async update(id: string, data: Prisma.ProductUpdateInput): Promise<Product | null> {
    const { count } = await this.prisma.product.updateMany({ where: { id }, data });
    return count === 0 ? null : this.prisma.product.findUnique({ where: { id } });
  }

  count(): Promise<number> {
    return this.prisma.product.count();
  }

  /**
   * Takes stock for every line, all or nothing, in one transaction. Each line is a conditional
   * decrement (`stock >= quantity`), done in product-id order so concurrent reservations never
   * deadlock: stock can never go negative however many orders race. The reservation id is the
   * caller's, so asking again returns the first reservation and takes nothing twice.
   */
  reserve(id: string, holder: string, lines: { productId: string; quantity: number }[]): Promise<Reservation> {
    return this.prisma.$transaction(async (tx) => {
      const existing = await tx.stockReservation.findUnique({ where: { id }, include: { items: true } });
      if (existing) return existing;
      for (const line of [...lines].sort((a, b) => (a.productId < b.productId ? -1 : 1))) {
        const { count } = await tx.product.updateMany({
          where: { id: line.productId, stock: { gte: line.quantity } },
          data: { stock: { decrement: line.quantity } },
        });
        if (count === 0) {
          const product = await tx.product.findUnique({ where: { id: line.productId }, select: { stock: true } });
          throw new ReservationRefused(product ? 'INSUFFICIENT_STOCK' : 'NOT_FOUND', line.productId, product?.stock);
        }
      }
      const products = await tx.product.findMany({ where: { id: { in: lines.map((line) => line.productId) } } });
      const byId = new Map(products.map((product) => [product.id, product]));
      return tx.stockReservation.create({
        data: {
          id,
          holder,
          items: {
            create: lines.map((line, position) => {
              const product = byId.get(line.productId)!;
              return { productId: line.productId, quantity: line.quantity, unitPriceCents: product.priceCents, currency: product.currency, position };
            }),
          },
        },
        include: { items: true },
      });
    }, TRANSACTION_OPTIONS);
  }

  /** Gives a reservation's stock back, once: releasing it again changes nothing. Null if unknown. */
  release(id: string): Promise<Reservation | null> {
    return this.prisma.$transaction(async (tx) => {
      const { count } = await tx.stockReservation.updateMany({ where: { id, status: 'RESERVED' }, data: { status: 'RELEASED', releasedAt: new Date() } });
      const reservation = await tx.stockReservation.findUnique({ where: { id }, include: { items: true } });
      if (count === 1 && reservation) {
        for (const item of [...reservation.items].sort((a, b) => (a.productId < b.productId ? -1 : 1))) {
          await tx.product.update({ where: { id: item.productId }, data: { stock: { increment: item.quantity } } });
        }
      }
      return reservation;
    }, TRANSACTION_OPTIONS);
  }
}

export const productKeyset = (product: Product): Keyset => [product.name, product.id];

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
