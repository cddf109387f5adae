import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import type { Viewer } from '../../lib/auth/viewer';
import { clientError, ErrorCode, notFound } from '../../lib/graphql/errors';
import type { Logger } from '../../lib/log';
import type { Order, OrderItem, OrderStatus } from '../../subgraphs/orders/data';
import { ordersErrors } from '../../subgraphs/orders/errors';
import { cancelOrder, placeOrder, recoverOrders, type PlacementDeps, type PlacementStore } from '../../subgraphs/orders/placement';
import { ReservationReleased, type CallOptions, type ReservedLine, type StockApi } from '../../subgraphs/orders/products-client';
import { requestHash } from '../../subgraphs/orders/request-hash';

/**
 * Placement's decisions (subgraphs/orders/placement.ts) against in-memory fakes of the orders store
 * and the products stock API. Each fake keeps the contract of the real one: the store's updates are
 * conditional on the order's status as in subgraphs/orders/data.ts, and a reservation is all lines
 * or none, idempotent by id, and refused for good once released, as in subgraphs/products/data.ts.
 * The same paths run end to end on real databases in tests/integration/placement.test.ts.
 */

/** Lets other pending work run, as a round trip to a database or a service would. */
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const unavailable = () => clientError(ErrorCode.SERVICE_UNAVAILABLE, 'The products service is unreachable.');

/** Every write that took effect, in order, as `<what>:<order id>`, shared by both fakes. */
type Journal = string[];

class FakeOrdersStore implements PlacementStore {
  readonly rows = new Map<string, Order>();
  readonly items = new Map<string, OrderItem[]>();
  /** Set to make `confirm` fail as a lost database connection would. */
  confirmFails: Error | null = null;

  constructor(private readonly journal: Journal) {}

  async findByIds(ids: readonly string[]): Promise<(Order | null)[]> {
    await tick();
    return ids.map((id) => this.read(id));
  }

  async findByIdempotencyKey(buyerId: string, idempotencyKey: string): Promise<Order | null> {
    await tick();
    const row = [...this.rows.values()].find((order) => order.buyerId === buyerId && order.idempotencyKey === idempotencyKey);
    return row ? this.read(row.id) : null;
  }

  async createPending(buyerId: string, idempotencyKey: string | null, requestHash: string | null = null): Promise<Order> {
    await tick();
    // @@unique([buyerId, idempotencyKey]): NULLs never collide.
    if (idempotencyKey !== null && [...this.rows.values()].some((o) => o.buyerId === buyerId && o.idempotencyKey === idempotencyKey)) {
      throw Object.assign(new Error('Unique constraint failed on the fields: (`buyerId`,`idempotencyKey`)'), { code: 'P2002' });
    }
    const now = new Date();
    const order: Order = {
      id: randomUUID(),
      buyerId,
      status: 'PENDING',
      totalCents: 0,
      currency: 'USD',
      idempotencyKey,
      requestHash,
      stockReleasedAt: null,
      createdAt: now,
      updatedAt: now,
    };
    this.rows.set(order.id, order);
    this.journal.push(`create:${order.id}`);
    return this.read(order.id)!;
  }

  /** PENDING → CONFIRMED with its lines; otherwise the order as it is (null when gone), like the real one. */
  async confirm(id: string, lines: Omit<OrderItem, 'orderId'>[], totalCents: number): Promise<Order | null> {
    await tick();
    if (this.confirmFails) throw this.confirmFails;
    const row = this.rows.get(id);
    if (row?.status === 'PENDING') {
      this.update(row, { status: 'CONFIRMED', totalCents, currency: lines[0]?.currency ?? 'USD' });
      this.items.set(
        id,
        lines.map((line) => ({ ...line, orderId: id })),
      );
      this.journal.push(`CONFIRMED:${id}`);
    }
    return this.read(id);
  }

  async transition(id: string, from: OrderStatus[], to: OrderStatus): Promise<Order | null> {
    await tick();
    const row = this.rows.get(id);
    if (!row || !from.includes(row.status)) return null;
    this.update(row, { status: to });
    this.journal.push(`${to}:${id}`);
    return this.read(id);
  }

  async markStockReleased(id: string): Promise<void> {
    await tick();
    const row = this.rows.get(id);
    if (row && (row.status === 'FAILED' || row.status === 'CANCELLED')) {
      this.update(row, { stockReleasedAt: new Date() });
      this.journal.push(`stockReleased:${id}`);
    }
  }

  async needingRecovery(stuckBefore: Date, limit: number): Promise<Order[]> {
    await tick();
    return [...this.rows.values()]
      .filter(
        (order) =>
          (order.status === 'PENDING' && order.createdAt < stuckBefore) ||
          ((order.status === 'FAILED' || order.status === 'CANCELLED') && order.stockReleasedAt === null),
      )
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())
      .slice(0, limit)
      .map((order) => this.read(order.id)!);
  }

  async removeFailed(id: string): Promise<void> {
    await tick();
    if (this.rows.get(id)?.status === 'FAILED') {
      this.rows.delete(id);
      this.journal.push(`removed:${id}`);
    }
  }

  async freeKey(id: string): Promise<void> {
    await tick();
    const row = this.rows.get(id);
    if (row?.status === 'FAILED') {
      this.update(row, { idempotencyKey: null });
      this.journal.push(`keyFreed:${id}`);
    }
  }

  /** The stored order (a copy, as a fresh read would give), or null. */
  read(id: string): Order | null {
    const row = this.rows.get(id);
    return row ? { ...row } : null; // its Dates are replaced on change, never mutated, so sharing them is safe
  }

  ordersOf(buyerId: string): Order[] {
    return [...this.rows.values()].filter((order) => order.buyerId === buyerId).map((order) => this.read(order.id)!);
  }

  /** Makes an order look created `ms` ago, for the recovery pass's age cut-off. */
  backdate(id: string, ms: number): void {
    const row = this.rows.get(id)!;
    row.createdAt = new Date(row.createdAt.getTime() - ms);
  }

  private update(row: Order, change: Partial<Order>): void {
    Object.assign(row, change, { updatedAt: new Date() });
  }
}

/** A fault or a concurrent actor, run at a point of a call; throwing from it fails the call there. */
type Hook = (reservationId: string) => Promise<void> | void;

class FakeStockApi implements StockApi {
  readonly products = new Map<string, { stock: number; priceCents: number }>();
  readonly reservations = new Map<string, { status: 'RESERVED' | 'RELEASED'; lines: ReservedLine[] }>();
  /** Every call's options, to check that one client request's calls share one budget. */
  readonly calls: { call: 'reserve' | 'release'; id: string; options?: CallOptions }[] = [];
  /** Before the call reaches products (an outage there means nothing happened). */
  beforeReserve?: Hook;
  /** After the reservation took effect, before its answer arrives (an outage there is a lost answer). */
  afterReserve?: Hook;
  beforeRelease?: Hook;

  constructor(private readonly journal: Journal) {}

  product(priceCents: number, stock: number): string {
    const id = `product-${randomUUID()}`;
    this.products.set(id, { stock, priceCents });
    return id;
  }

  stockOf(productId: string): number {
    return this.products.get(productId)!.stock;
  }

  /** How many reservations took stock for this id: at most one, whatever the retries. */
  reservedTimes(id: string): number {
    return this.journal.filter((entry) => entry === `reserved:${id}`).length;
  }

  async reserve(id: string, items: { productId: string; quantity: number }[], options?: CallOptions): Promise<ReservedLine[]> {
    this.calls.push({ call: 'reserve', id, options });
    await this.beforeReserve?.(id);
    await tick();
    let reservation = this.reservations.get(id);
    if (reservation?.status === 'RELEASED') throw new ReservationReleased(`Reservation ${id} was released.`);
    if (!reservation) {
      // All lines or none: check every line before taking any stock.
      for (const item of items) {
        const product = this.products.get(item.productId);
        if (!product) throw notFound('Product', item.productId);
        if (product.stock < item.quantity) {
          throw ordersErrors.error('INSUFFICIENT_STOCK', `Not enough stock of product ${item.productId}: ${product.stock} left.`, {
            productId: item.productId,
          });
        }
      }
      const lines = items.map((item) => {
        const product = this.products.get(item.productId)!;
        product.stock -= item.quantity;
        return { ...item, unitPriceCents: product.priceCents, currency: 'USD' };
      });
      reservation = { status: 'RESERVED', lines };
      this.reservations.set(id, reservation);
      this.journal.push(`reserved:${id}`);
    }
    await this.afterReserve?.(id);
    return reservation.lines.map((line) => ({ ...line }));
  }

  async release(id: string, options?: CallOptions): Promise<void> {
    this.calls.push({ call: 'release', id, options });
    await this.beforeRelease?.(id);
    await tick();
    const reservation = this.reservations.get(id);
    if (!reservation) {
      // A tombstone: a reservation that arrives later for this id is refused.
      this.reservations.set(id, { status: 'RELEASED', lines: [] });
    } else if (reservation.status === 'RESERVED') {
      for (const line of reservation.lines) this.products.get(line.productId)!.stock += line.quantity;
      reservation.status = 'RELEASED';
    }
    this.journal.push(`release:${id}`);
  }
}

function setup() {
  const journal: Journal = [];
  const store = new FakeOrdersStore(journal);
  const products = new FakeStockApi(journal);
  const logs: { level: 'info' | 'warn' | 'error'; message: string; fields?: Record<string, unknown> }[] = [];
  const log: Logger = {
    info: (message, fields) => logs.push({ level: 'info', message, fields }),
    warn: (message, fields) => logs.push({ level: 'warn', message, fields }),
    error: (message, fields) => logs.push({ level: 'error', message, fields }),
  };
  const deps: PlacementDeps = { store, products, log };
  const viewer: Viewer = { id: `buyer-${randomUUID()}`, role: 'CUSTOMER' };
  /** The writes made for one order, in order, without its id. */
  const writesOf = (id: string) => journal.filter((entry) => entry.endsWith(`:${id}`)).map((entry) => entry.slice(0, -id.length - 1));
  return { store, products, logs, deps, viewer, journal, writesOf };
}

/** Runs `hook` once, at the first call that reaches it. */
function once(hook: Hook): Hook {
  let done = false;
  return (id) => {
    if (done) return;
    done = true;
    return hook(id);
  };
}

const codeOf = (error: unknown) => (error instanceof GraphQLError ? error.extensions.code : undefined);

describe('placeOrder', () => {
  test('writes the order PENDING, reserves under its id, then confirms it at the reserved prices', async () => {
    const { store, products, deps, viewer, writesOf } = setup();
    const pen = products.product(250, 10);
    const ink = products.product(1_000, 5);
    const statusWhileReserving: (OrderStatus | undefined)[] = [];
    products.afterReserve = (id) => void statusWhileReserving.push(store.read(id)?.status);

    const order = await placeOrder(deps, viewer, {
      items: [
        { productId: ink, quantity: 1 },
        { productId: pen, quantity: 3 },
      ],
    });

    expect(order).toMatchObject({ buyerId: viewer.id, status: 'CONFIRMED', totalCents: 1_750, currency: 'USD', idempotencyKey: null });
    expect(statusWhileReserving).toEqual(['PENDING']);
    expect(writesOf(order.id)).toEqual(['create', 'reserved', 'CONFIRMED']);
    expect(store.items.get(order.id)).toEqual([
      { orderId: order.id, productId: ink, quantity: 1, unitPriceCents: 1_000, currency: 'USD', position: 0 },
      { orderId: order.id, productId: pen, quantity: 3, unitPriceCents: 250, currency: 'USD', position: 1 },
    ]);
    expect([products.stockOf(pen), products.stockOf(ink)]).toEqual([7, 4]);
  });

  test('refused stock: INSUFFICIENT_STOCK, no line reserved, the order settled FAILED, its id released, then forgotten', async () => {
    const { store, products, deps, viewer, writesOf } = setup();
    const plenty = products.product(100, 10);
    const scarce = products.product(100, 1);
    const input = {
      items: [
        { productId: plenty, quantity: 2 },
        { productId: scarce, quantity: 5 },
      ],
      idempotencyKey: 'refused',
    };

    const error = await placeOrder(deps, viewer, input).catch((caught: unknown) => caught);

    expect(codeOf(error)).toBe('INSUFFICIENT_STOCK');
    expect((error as GraphQLError).extensions.productId).toBe(scarce);
    expect([products.stockOf(plenty), products.stockOf(scarce)]).toEqual([10, 1]);
    const [id] = [...products.reservations.keys()];
    // FAILED before the release, so a concurrent retry can no longer confirm it; then deleted.
    expect(writesOf(id!)).toEqual(['create', 'FAILED', 'release', 'stockReleased', 'removed']);
    expect(store.ordersOf(viewer.id)).toEqual([]);
    // Its id is a tombstone: a reservation still in flight for it takes nothing.
    await expect(products.reserve(id!, [{ productId: plenty, quantity: 1 }])).rejects.toBeInstanceOf(ReservationReleased);
    expect(products.stockOf(plenty)).toBe(10);
    // Nothing was ordered, so the key is free for the request the buyer can afford.
    const placed = await placeOrder(deps, viewer, { ...input, items: [{ productId: scarce, quantity: 1 }] });
    expect(placed.status).toBe('CONFIRMED');
    expect(products.stockOf(scarce)).toBe(0);
  });

  test('an unknown product is NOT_FOUND and is withdrawn the same way, reserving nothing', async () => {
    const { store, products, deps, viewer } = setup();
    const real = products.product(100, 3);
    await expect(
      placeOrder(deps, viewer, {
        items: [
          { productId: real, quantity: 1 },
          { productId: 'no-such-product', quantity: 1 },
        ],
      }),
    ).rejects.toMatchObject({ extensions: { code: 'NOT_FOUND', id: 'no-such-product' } });
    expect(products.stockOf(real)).toBe(3);
    expect(store.ordersOf(viewer.id)).toEqual([]);
  });

  test('refused stock whose withdrawal cannot reach products: still INSUFFICIENT_STOCK; the order stays FAILED until its key is used again', async () => {
    const { store, products, logs, deps, viewer, writesOf } = setup();
    const item = products.product(100, 2);
    products.beforeRelease = () => {
      throw unavailable();
    };
    await expect(placeOrder(deps, viewer, { items: [{ productId: item, quantity: 3 }], idempotencyKey: 'k' })).rejects.toMatchObject({
      extensions: { code: 'INSUFFICIENT_STOCK' },
    });
    const [failed] = store.ordersOf(viewer.id);
    expect(failed).toMatchObject({ status: 'FAILED', stockReleasedAt: null, idempotencyKey: 'k' });
    expect(logs.filter((line) => line.level === 'error')).toHaveLength(1);

    products.beforeRelease = undefined;
    // A FAILED order ordered nothing: its key may be used for other lines. Its release is retried first.
    const placed = await placeOrder(deps, viewer, { items: [{ productId: item, quantity: 2 }], idempotencyKey: 'k' });
    expect(placed).toMatchObject({ status: 'CONFIRMED', totalCents: 200, idempotencyKey: 'k' });
    expect(placed.id).not.toBe(failed!.id);
    expect(writesOf(failed!.id)).toEqual(['create', 'FAILED', 'release', 'stockReleased', 'keyFreed']);
    expect(store.read(failed!.id)).toMatchObject({ status: 'FAILED', idempotencyKey: null });
    expect(products.stockOf(item)).toBe(0);
  });

  test('products unreachable before reserving: SERVICE_UNAVAILABLE, the order FAILED with its id released, nothing held', async () => {
    const { store, products, logs, deps, viewer, writesOf } = setup();
    const item = products.product(100, 5);
    products.beforeReserve = () => {
      throw unavailable();
    };
    await expect(placeOrder(deps, viewer, { items: [{ productId: item, quantity: 1 }] })).rejects.toMatchObject({
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    });
    const [order] = store.ordersOf(viewer.id);
    expect(order).toMatchObject({ status: 'FAILED', stockReleasedAt: expect.any(Date) });
    expect(writesOf(order!.id)).toEqual(['create', 'FAILED', 'release', 'stockReleased']);
    expect(products.stockOf(item)).toBe(5);
    expect(logs.map((line) => line.level)).toEqual(['warn']);
  });

  test("a reservation whose answer was lost is compensated: FAILED first, then its stock back, within the request's budget", async () => {
    const { store, products, deps, viewer, writesOf } = setup();
    const item = products.product(100, 10);
    products.afterReserve = () => {
      throw unavailable();
    };
    await expect(placeOrder(deps, viewer, { items: [{ productId: item, quantity: 4 }] })).rejects.toMatchObject({
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    });
    const [order] = store.ordersOf(viewer.id);
    expect(writesOf(order!.id)).toEqual(['create', 'reserved', 'FAILED', 'release', 'stockReleased']);
    expect(products.stockOf(item)).toBe(10);
    // The reserve and its compensating release count against one budget, from when the request began.
    const startedAt = products.calls.map((call) => call.options?.startedAt);
    expect(startedAt).toEqual([expect.any(Number), startedAt[0]]);
  });

  test('a lost answer and a release that cannot get through: FAILED holding stock; a retry with the key gives it back and places once', async () => {
    const { store, products, logs, deps, viewer } = setup();
    const item = products.product(100, 10);
    const input = { items: [{ productId: item, quantity: 2 }], idempotencyKey: 'outage' };
    products.afterReserve = () => {
      throw unavailable();
    };
    products.beforeRelease = () => {
      throw unavailable();
    };
    await expect(placeOrder(deps, viewer, input)).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    const [failed] = store.ordersOf(viewer.id);
    expect(failed).toMatchObject({ status: 'FAILED', stockReleasedAt: null });
    expect(products.stockOf(item)).toBe(8);
    expect(logs.find((line) => line.level === 'error')?.fields).toMatchObject({ orderId: failed!.id });

    products.afterReserve = undefined;
    products.beforeRelease = undefined;
    const placed = await placeOrder(deps, viewer, input);
    expect(placed).toMatchObject({ status: 'CONFIRMED', totalCents: 200 });
    expect(products.stockOf(item)).toBe(8);
    expect(products.reservedTimes(placed.id)).toBe(1);
    expect(store.read(failed!.id)).toMatchObject({ status: 'FAILED', idempotencyKey: null, stockReleasedAt: expect.any(Date) });
  });

  test('a database error while confirming is compensated and thrown as it is', async () => {
    const { store, products, deps, viewer, writesOf } = setup();
    const item = products.product(100, 10);
    const lost = new Error('connection terminated');
    store.confirmFails = lost;
    await expect(placeOrder(deps, viewer, { items: [{ productId: item, quantity: 3 }] })).rejects.toBe(lost);
    const [order] = store.ordersOf(viewer.id);
    expect(writesOf(order!.id)).toEqual(['create', 'reserved', 'FAILED', 'release', 'stockReleased']);
    expect(products.stockOf(item)).toBe(10);
  });

  test('a total up to 2^31 - 1 cents is confirmed; one cent more is BAD_USER_INPUT on items and gives its stock back', async () => {
    const { store, products, deps, viewer } = setup();
    const big = products.product(2_147_483_646, 5);
    const cent = products.product(1, 5);
    const atLimit = await placeOrder(deps, viewer, {
      items: [
        { productId: big, quantity: 1 },
        { productId: cent, quantity: 1 },
      ],
    });
    expect(atLimit).toMatchObject({ status: 'CONFIRMED', totalCents: 2_147_483_647 });

    const error = await placeOrder(deps, viewer, {
      items: [
        { productId: big, quantity: 1 },
        { productId: cent, quantity: 2 },
      ],
    }).catch((caught: unknown) => caught);
    expect((error as GraphQLError).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'items' });
    expect((error as GraphQLError).message).toMatch(/split it/);
    expect([products.stockOf(big), products.stockOf(cent)]).toEqual([4, 4]);
    expect(
      store
        .ordersOf(viewer.id)
        .map((order) => order.status)
        .sort(),
    ).toEqual(['CONFIRMED', 'FAILED']);
  });

  test('a repeat with the same key and lines, in any order, answers with the same order and reserves once', async () => {
    const { store, products, deps, viewer } = setup();
    const a = products.product(100, 10);
    const b = products.product(300, 10);
    const first = await placeOrder(deps, viewer, {
      items: [
        { productId: a, quantity: 1 },
        { productId: b, quantity: 2 },
      ],
      idempotencyKey: 'cart-1',
    });
    const repeat = await placeOrder(deps, viewer, {
      items: [
        { productId: b, quantity: 2 },
        { productId: a, quantity: 1 },
      ],
      idempotencyKey: 'cart-1',
    });
    expect(repeat).toEqual(first);
    expect(products.calls.filter((call) => call.call === 'reserve')).toHaveLength(1);
    expect([products.stockOf(a), products.stockOf(b)]).toEqual([9, 8]);
    // A key is per buyer: another buyer's same key is another order.
    const other: Viewer = { id: `buyer-${randomUUID()}`, role: 'CUSTOMER' };
    const theirs = await placeOrder(deps, other, { items: [{ productId: a, quantity: 1 }], idempotencyKey: 'cart-1' });
    expect(theirs.id).not.toBe(first.id);
    expect(store.ordersOf(viewer.id)).toHaveLength(1);
  });

  test('concurrent repeats of one key (their inserts collide on the key) all answer with one order, reserved once', async () => {
    const { store, products, deps, viewer } = setup();
    const item = products.product(100, 10);
    const input = { items: [{ productId: item, quantity: 3 }], idempotencyKey: 'double-click' };
    const orders = await Promise.all(Array.from({ length: 5 }, () => placeOrder(deps, viewer, input)));
    expect(new Set(orders.map((order) => order.id)).size).toBe(1);
    expect(orders.every((order) => order.status === 'CONFIRMED')).toBe(true);
    expect(store.ordersOf(viewer.id)).toHaveLength(1);
    expect(products.reservedTimes(orders[0]!.id)).toBe(1);
    expect(products.stockOf(item)).toBe(7);
  });

  test.each(['CONFIRMED', 'PENDING', 'CANCELLED'] as const)(
    'a key reused with other lines while its order is %s is IDEMPOTENCY_KEY_REUSED, naming the order; nothing changes',
    async (status) => {
      const { store, products, deps, viewer } = setup();
      const item = products.product(100, 10);
      const lines = [{ productId: item, quantity: 1 }];
      const order = await store.createPending(viewer.id, 'reused', requestHash(lines));
      if (status !== 'PENDING') await store.transition(order.id, ['PENDING'], status);
      const error = await placeOrder(deps, viewer, { items: [{ productId: item, quantity: 2 }], idempotencyKey: 'reused' }).catch(
        (caught: unknown) => caught,
      );
      expect((error as GraphQLError).extensions).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', orderId: order.id });
      expect((error as GraphQLError).message).toMatch(/use a new key/);
      expect(products.calls).toEqual([]);
      expect(store.read(order.id)?.status).toBe(status);
      expect(products.stockOf(item)).toBe(10);
    },
  );

  test('a repeat that finds its order PENDING (a crash after reserving) finishes it without reserving again', async () => {
    const { store, products, deps, viewer } = setup();
    const item = products.product(100, 10);
    const input = { items: [{ productId: item, quantity: 3 }], idempotencyKey: 'crashed' };
    const orphan = await store.createPending(viewer.id, 'crashed', requestHash(input.items));
    await products.reserve(orphan.id, input.items); // ...and then the process died
    const resumed = await placeOrder(deps, viewer, input);
    expect(resumed).toMatchObject({ id: orphan.id, status: 'CONFIRMED', totalCents: 300 });
    expect(products.reservedTimes(orphan.id)).toBe(1);
    expect(products.stockOf(item)).toBe(7);
  });

  test('cancelled while being placed: the reservation is refused as released, and placement answers with the CANCELLED order', async () => {
    const { store, products, deps, viewer } = setup();
    const item = products.product(100, 5);
    products.beforeReserve = once(async (id) => {
      await cancelOrder(deps, store.read(id)!);
    });
    const answer = await placeOrder(deps, viewer, { items: [{ productId: item, quantity: 2 }], idempotencyKey: 'cancelled' });
    expect(answer.status).toBe('CANCELLED');
    expect(store.ordersOf(viewer.id)).toEqual([answer]);
    expect(products.reservedTimes(answer.id)).toBe(0);
    expect(products.stockOf(item)).toBe(5);
    // A repeat answers with the cancelled order and reserves nothing.
    expect(await placeOrder(deps, viewer, { items: [{ productId: item, quantity: 2 }], idempotencyKey: 'cancelled' })).toEqual(answer);
    expect(products.stockOf(item)).toBe(5);
  });

  test('settled FAILED by another request between reserving and confirming: never confirmed on released stock; placed afresh', async () => {
    const { store, products, deps, viewer, writesOf } = setup();
    const item = products.product(100, 10);
    // Another request (a retry's compensation, or recovery) fails the order and gives its stock back.
    products.afterReserve = once(async (id) => {
      await store.transition(id, ['PENDING'], 'FAILED');
      await products.release(id);
    });
    const placed = await placeOrder(deps, viewer, { items: [{ productId: item, quantity: 4 }], idempotencyKey: 'raced' });
    const [lost] = store.ordersOf(viewer.id).filter((order) => order.id !== placed.id);
    expect(placed).toMatchObject({ status: 'CONFIRMED', idempotencyKey: 'raced' });
    expect(lost).toMatchObject({ status: 'FAILED', idempotencyKey: null });
    expect(writesOf(lost!.id)).not.toContain('CONFIRMED');
    expect(products.stockOf(item)).toBe(6);
  });

  test('three passes each lost to another request: SERVICE_UNAVAILABLE, nothing confirmed, no stock held', async () => {
    const { store, products, deps, viewer } = setup();
    const item = products.product(100, 10);
    products.afterReserve = async (id) => {
      await store.transition(id, ['PENDING'], 'FAILED');
      await products.release(id);
    };
    const error = await placeOrder(deps, viewer, { items: [{ productId: item, quantity: 1 }], idempotencyKey: 'contended' }).catch(
      (caught: unknown) => caught,
    );
    expect(codeOf(error)).toBe('SERVICE_UNAVAILABLE');
    expect((error as GraphQLError).message).toMatch(/another request/);
    expect(store.ordersOf(viewer.id).map((order) => order.status)).toEqual(['FAILED', 'FAILED', 'FAILED']);
    expect(products.stockOf(item)).toBe(10);
  });

  test('input is validated before anything is written', async () => {
    const { store, products, deps, viewer } = setup();
    await expect(placeOrder(deps, viewer, { items: [] })).rejects.toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'items' } });
    expect(store.rows.size).toBe(0);
    expect(products.calls).toEqual([]);
  });
});

describe('cancelOrder', () => {
  test('a CONFIRMED order: CANCELLED first, then its stock back; cancelling again releases again but gives nothing twice', async () => {
    const { store, products, deps, viewer, writesOf } = setup();
    const item = products.product(100, 10);
    const order = await placeOrder(deps, viewer, { items: [{ productId: item, quantity: 4 }] });
    const cancelled = await cancelOrder(deps, order);
    expect(cancelled).toMatchObject({ id: order.id, status: 'CANCELLED' });
    expect(store.read(order.id)?.stockReleasedAt).toEqual(expect.any(Date));
    expect(writesOf(order.id)).toEqual(['create', 'reserved', 'CONFIRMED', 'CANCELLED', 'release', 'stockReleased']);
    expect(products.stockOf(item)).toBe(10);

    expect(await cancelOrder(deps, cancelled)).toMatchObject({ id: order.id, status: 'CANCELLED' });
    expect(products.calls.filter((call) => call.call === 'release')).toHaveLength(2);
    expect(products.stockOf(item)).toBe(10);
  });

  test('a stale view of an order cancelled meanwhile answers with the order as stored', async () => {
    const { store, products, deps, viewer } = setup();
    const item = products.product(100, 10);
    const order = await placeOrder(deps, viewer, { items: [{ productId: item, quantity: 1 }] });
    await cancelOrder(deps, order);
    expect(order.status).toBe('CONFIRMED');
    expect(await cancelOrder(deps, order)).toMatchObject({ id: order.id, status: 'CANCELLED' });
    expect(store.read(order.id)?.status).toBe('CANCELLED');
    expect(products.stockOf(item)).toBe(10);
  });

  test('a PENDING order is cancelled for good: its reservation, still in flight, is refused when it lands', async () => {
    const { store, products, deps, viewer } = setup();
    const item = products.product(100, 5);
    const pending = await store.createPending(viewer.id, null);
    expect(await cancelOrder(deps, pending)).toMatchObject({ status: 'CANCELLED' });
    await expect(products.reserve(pending.id, [{ productId: item, quantity: 1 }])).rejects.toBeInstanceOf(ReservationReleased);
    expect(products.stockOf(item)).toBe(5);
  });

  test('a FAILED order is ORDER_NOT_CANCELLABLE, but any stock it still held is given back', async () => {
    const { store, products, deps, viewer } = setup();
    const item = products.product(100, 10);
    const order = await store.createPending(viewer.id, null);
    await products.reserve(order.id, [{ productId: item, quantity: 3 }]);
    await store.transition(order.id, ['PENDING'], 'FAILED'); // a compensation whose release never got through
    // The caller's view may be older (still PENDING): the stored status decides.
    await expect(cancelOrder(deps, order)).rejects.toMatchObject({ extensions: { code: 'ORDER_NOT_CANCELLABLE' } });
    expect(products.stockOf(item)).toBe(10);
    expect(store.read(order.id)).toMatchObject({ status: 'FAILED', stockReleasedAt: expect.any(Date) });
  });

  test('an order that no longer exists is NOT_FOUND', async () => {
    const { store, deps, viewer } = setup();
    const order = await store.createPending(viewer.id, null);
    await store.transition(order.id, ['PENDING'], 'FAILED');
    await store.removeFailed(order.id);
    await expect(cancelOrder(deps, order)).rejects.toMatchObject({ extensions: { code: 'NOT_FOUND', id: order.id } });
  });

  test('products unreachable: the order is CANCELLED all the same, and its stock is left to recovery', async () => {
    const { store, products, deps, viewer } = setup();
    const item = products.product(100, 10);
    const order = await placeOrder(deps, viewer, { items: [{ productId: item, quantity: 2 }] });
    products.beforeRelease = () => {
      throw unavailable();
    };
    await expect(cancelOrder(deps, order)).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    expect(store.read(order.id)).toMatchObject({ status: 'CANCELLED', stockReleasedAt: null });
    expect(products.stockOf(item)).toBe(8);

    products.beforeRelease = undefined;
    expect(await recoverOrders(deps, { stuckAfterMs: 60_000 })).toEqual({ compensated: 0, released: 1, failed: 0, unreachable: false });
    expect(products.stockOf(item)).toBe(10);
  });
});

describe('recoverOrders', () => {
  /** An order whose process reserved its stock and then died: PENDING, holding `quantity`. */
  async function orphan(env: ReturnType<typeof setup>, productId: string, quantity: number, ageMs: number): Promise<Order> {
    const order = await env.store.createPending(env.viewer.id, null);
    await env.products.reserve(order.id, [{ productId, quantity }]);
    env.store.backdate(order.id, ageMs);
    return order;
  }

  /** A FAILED or CANCELLED order whose release never got through. */
  async function unreleased(env: ReturnType<typeof setup>, productId: string, quantity: number, status: 'FAILED' | 'CANCELLED') {
    const order = await env.store.createPending(env.viewer.id, null);
    await env.products.reserve(order.id, [{ productId, quantity }]);
    await env.store.transition(order.id, ['PENDING'], status);
    return order;
  }

  test('compensates PENDING orders past the cut-off, leaves younger ones in flight, and releases settled orders still holding stock', async () => {
    const env = setup();
    const { store, products, logs, deps } = env;
    const item = products.product(100, 100);
    const stuck = await orphan(env, item, 1, 120_000);
    const inFlight = await orphan(env, item, 2, 1_000);
    const failed = await unreleased(env, item, 4, 'FAILED');
    const cancelled = await unreleased(env, item, 8, 'CANCELLED');
    const done = await placeOrder(deps, env.viewer, { items: [{ productId: item, quantity: 16 }] });
    expect(products.stockOf(item)).toBe(69);

    expect(await recoverOrders(deps, { stuckAfterMs: 60_000 })).toEqual({ compensated: 1, released: 2, failed: 0, unreachable: false });
    expect(store.read(stuck.id)).toMatchObject({ status: 'FAILED', stockReleasedAt: expect.any(Date) });
    expect(store.read(inFlight.id)).toMatchObject({ status: 'PENDING', stockReleasedAt: null });
    expect(store.read(failed.id)?.stockReleasedAt).toEqual(expect.any(Date));
    expect(store.read(cancelled.id)).toMatchObject({ status: 'CANCELLED', stockReleasedAt: expect.any(Date) });
    expect(store.read(done.id)?.status).toBe('CONFIRMED');
    expect(products.stockOf(item)).toBe(82); // 100 - 2 (in flight) - 16 (confirmed)
    // Recovery's calls belong to no client request, so no request budget applies to them.
    expect(products.calls.filter((call) => call.call === 'release').every((call) => call.options?.startedAt === undefined)).toBe(true);
    expect(logs.filter((line) => line.message === 'recovery pass')).toHaveLength(1);

    // Nothing left: a quiet pass.
    logs.length = 0;
    expect(await recoverOrders(deps, { stuckAfterMs: 60_000 })).toEqual({ compensated: 0, released: 0, failed: 0, unreachable: false });
    expect(logs).toEqual([]);
  });

  test('products unreachable: the pass stops at the first order, with one WARN for the whole pass', async () => {
    const env = setup();
    const { products, logs, deps } = env;
    const item = products.product(100, 10);
    for (let i = 0; i < 3; i++) await unreleased(env, item, 1, 'FAILED');
    products.beforeRelease = () => {
      throw unavailable();
    };
    const callsBefore = products.calls.length;
    expect(await recoverOrders(deps, { stuckAfterMs: 60_000 })).toEqual({ compensated: 0, released: 0, failed: 1, unreachable: true });
    expect(products.calls.length - callsBefore).toBe(1);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ level: 'warn', fields: { waiting: 3, unreachable: true } });
    expect(products.stockOf(item)).toBe(7);
  });

  test('another failure on one order is counted and the pass goes on to the rest', async () => {
    const env = setup();
    const { store, products, logs, deps } = env;
    const item = products.product(100, 10);
    const broken = await unreleased(env, item, 1, 'FAILED');
    const fine = await unreleased(env, item, 2, 'CANCELLED');
    products.beforeRelease = (id) => {
      if (id === broken.id) throw new Error('products answered 500');
    };
    expect(await recoverOrders(deps, { stuckAfterMs: 60_000 })).toEqual({ compensated: 0, released: 1, failed: 1, unreachable: false });
    expect(store.read(fine.id)?.stockReleasedAt).toEqual(expect.any(Date));
    expect(store.read(broken.id)?.stockReleasedAt).toBeNull();
    expect(logs.map((line) => line.level)).toEqual(['warn']);
    expect(products.stockOf(item)).toBe(9);
  });

  test('a stuck order confirmed after the pass listed it keeps its stock and is not counted', async () => {
    const env = setup();
    const { store, products, deps } = env;
    const item = products.product(100, 10);
    const late = await orphan(env, item, 3, 120_000);
    const list = store.needingRecovery.bind(store);
    // Its placement was slow, not dead: it confirms just after the pass read the list.
    store.needingRecovery = async (stuckBefore, limit) => {
      const orders = await list(stuckBefore, limit);
      await store.confirm(late.id, [{ productId: item, quantity: 3, unitPriceCents: 100, currency: 'USD', position: 0 }], 300);
      return orders;
    };
    expect(await recoverOrders(deps, { stuckAfterMs: 60_000 })).toEqual({ compensated: 0, released: 0, failed: 0, unreachable: false });
    expect(store.read(late.id)?.status).toBe('CONFIRMED');
    expect(products.calls.filter((call) => call.call === 'release')).toEqual([]);
    expect(products.stockOf(item)).toBe(7);
  });
});
