import path from 'node:path';
import { loadSigningKey } from '../../lib/auth/keys';
import { clientError, ErrorCode } from '../../lib/graphql/errors';
import { createLogger } from '../../lib/log';
import { loadOrdersConfig } from '../../subgraphs/orders/config';
import { OrdersStore } from '../../subgraphs/orders/data';
import { requestHash } from '../../subgraphs/orders/request-hash';
import { RELEASE_PATH } from '../../lib/contracts/stock-reservations';
import { reservationRoutes } from '../../subgraphs/products/internal-api';
import { ProductsStore, ReservationRefused } from '../../subgraphs/products/data';
import { placeOrder, recoverOrders, type PlacementDeps } from '../../subgraphs/orders/placement';
import { ProductsClient, ReservationReleased, type StockApi } from '../../subgraphs/orders/products-client';
import { startSupergraph, type Supergraph } from '../../testing/harness';
import { uniqueEmail, uniqueSku } from '../../testing/data';
import { TARGETS } from '../../testing/databases';

/**
 * Order placement when the products service fails mid-flight: the real orders store and the real
 * products service, with the network between them made to fail on cue.
 */
describe.each(TARGETS)('placing orders through failures on %s', (target) => {
  let graph: Supergraph;
  let store: OrdersStore;
  let products: ProductsClient;
  let buyer: { id: string; token: string };
  const viewer = () => ({ id: buyer.id, role: 'CUSTOMER' as const });
  const outage = () => clientError(ErrorCode.SERVICE_UNAVAILABLE, 'The products service is unreachable.');

  /** The real client, but `reserve` and `release` fail while `down` says so; `lostReply` loses reserve's answer after it took effect. */
  function network(faults: { down?: boolean; releaseDown?: boolean; lostReply?: boolean }): StockApi {
    return {
      reserve: async (id, items) => {
        if (faults.down) throw outage();
        const reserved = await products.reserve(id, items);
        if (faults.lostReply) throw outage();
        return reserved;
      },
      release: async (id) => {
        if (faults.down || faults.releaseDown) throw outage();
        await products.release(id);
      },
    };
  }
  const deps = (stock: StockApi): PlacementDeps => ({ store, products: stock, log: createLogger('test') });
  const createProduct = (skuPrefix: string, priceCents: number, stock: number) =>
    graph.createProduct(uniqueSku(skuPrefix), priceCents, stock);
  const stockOf = (id: string) => graph.stockOf(id);

  beforeAll(async () => {
    graph = await startSupergraph(target);
    store = new OrdersStore(graph.orders.database);
    const key = await loadSigningKey({ file: path.join(graph.env.DATA_DIR!, 'orders', 'service-signing-key.pem') });
    products = new ProductsClient(new URL(new URL(graph.products.url).origin), key, loadOrdersConfig({}).products);
    buyer = await graph.signUp(uniqueEmail('resilient'));
  });
  afterAll(async () => {
    await store?.prisma.$disconnect();
    await graph?.stop();
  });

  test('concurrent repeats of one idempotencyKey all answer with the same CONFIRMED order, reserved once', async () => {
    const pen = await createProduct('IDEM', 250, 20);
    const input = { items: [{ productId: pen, quantity: 3 }], idempotencyKey: 'same-cart' };
    const PLACE = /* GraphQL */ `
      mutation ($input: PlaceOrderInput!) {
        placeOrder(input: $input) { id status total { amountCents } items { quantity } }
      }
    `;
    const results = await Promise.all(Array.from({ length: 5 }, () => graph.orders.query(PLACE, { input }, buyer.token)));
    for (const result of results) {
      expect(result.errors).toBeUndefined();
      expect(result.data!.placeOrder).toEqual({
        id: results[0]!.data!.placeOrder.id,
        status: 'CONFIRMED',
        total: { amountCents: 750 },
        items: [{ quantity: 3 }],
      });
    }
    expect(await stockOf(pen)).toBe(17);
  });

  test('an outage through placement and compensation: the order is FAILED holding its stock; the same key gives it back and places it once', async () => {
    const item = await createProduct('OUTAGE', 100, 10);
    const input = { items: [{ productId: item, quantity: 2 }], idempotencyKey: 'outage-1' };
    // The reservation is made but its answer is lost, and the compensating release cannot get through either.
    await expect(placeOrder(deps(network({ lostReply: true, releaseDown: true })), viewer(), input)).rejects.toMatchObject({
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    });
    const failed = await store.findByIdempotencyKey(buyer.id, 'outage-1');
    expect(failed?.status).toBe('FAILED');
    expect(await stockOf(item)).toBe(8);
    const retried = await placeOrder(deps(network({})), viewer(), input);
    expect(retried).toMatchObject({ status: 'CONFIRMED', totalCents: 200 });
    expect(await stockOf(item)).toBe(8);
  });

  test('an order left PENDING by a crash after reserving: retrying with the same key finishes it without reserving again', async () => {
    const item = await createProduct('CRASH', 100, 10);
    const input = { items: [{ productId: item, quantity: 3 }], idempotencyKey: 'crash-1' };
    const orphan = await store.createPending(buyer.id, 'crash-1', requestHash(input.items));
    await products.reserve(orphan.id, input.items); // ...and then the orders process died
    expect(await stockOf(item)).toBe(7);
    const resumed = await placeOrder(deps(network({})), viewer(), input);
    expect(resumed).toMatchObject({ id: orphan.id, status: 'CONFIRMED', totalCents: 300 });
    expect(await stockOf(item)).toBe(7);
  });

  test('a failed placement is compensated (stock back, order FAILED) and the same key then places it afresh', async () => {
    const item = await createProduct('FAILS', 100, 10);
    const input = { items: [{ productId: item, quantity: 4 }], idempotencyKey: 'fails-1' };
    await expect(placeOrder(deps(network({ lostReply: true })), viewer(), input)).rejects.toMatchObject({
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    });
    const failed = await store.findByIdempotencyKey(buyer.id, 'fails-1');
    expect(failed?.status).toBe('FAILED');
    expect(await stockOf(item)).toBe(10);
    const retried = await placeOrder(deps(network({})), viewer(), input);
    expect(retried.status).toBe('CONFIRMED');
    expect(retried.id).not.toBe(failed!.id);
    expect(await stockOf(item)).toBe(6);
    expect((await store.findByIds([failed!.id]))[0]).toMatchObject({ status: 'FAILED', idempotencyKey: null });
  });

  test('a reservation that arrives after its release (the caller gave up) is refused and takes no stock', async () => {
    const item = await createProduct('LATE', 100, 5);
    await products.release('late-order');
    await expect(products.reserve('late-order', [{ productId: item, quantity: 1 }])).rejects.toBeInstanceOf(ReservationReleased);
    expect(await stockOf(item)).toBe(5);
  });

  test('an order whose total would pass a GraphQL Int is refused with BAD_USER_INPUT and gives its stock back', async () => {
    const jewel = await createProduct('JEWEL', 1_000_000_000, 5);
    const result = await graph.orders.query(
      'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
      { input: { items: [{ productId: jewel, quantity: 3 }] } },
      buyer.token,
    );
    expect(result).toHaveErrorCode('BAD_USER_INPUT', ['placeOrder']);
    expect(result.errors![0]!.message).toMatch(/split it/);
    expect(await stockOf(jewel)).toBe(5);
  });

  test('cancelling an order while it is still PENDING releases it for good', async () => {
    const item = await createProduct('CANCELPENDING', 100, 5);
    const input = { items: [{ productId: item, quantity: 1 }], idempotencyKey: 'cancel-pending' };
    const pending = await store.createPending(buyer.id, 'cancel-pending', requestHash(input.items)); // its placement is still in flight
    const cancelled = await graph.orders.query('mutation ($id: ID!) { cancelOrder(id: $id) { status } }', { id: pending.id }, buyer.token);
    expect(cancelled.data!.cancelOrder.status).toBe('CANCELLED');
    // The in-flight reservation lands after the cancel: refused, no stock taken.
    await expect(products.reserve(pending.id, input.items)).rejects.toBeInstanceOf(ReservationReleased);
    // A retry finds the order cancelled: it answers with it and reserves nothing.
    expect(await placeOrder(deps(network({})), viewer(), input)).toMatchObject({ id: pending.id, status: 'CANCELLED' });
    expect(await stockOf(item)).toBe(5);
  });

  test('a refused attempt and a same-key retry that succeeds in between: the confirmed order keeps its stock', async () => {
    const item = await createProduct('REFUSED-RACE', 100, 5);
    let refused!: () => void;
    const wasRefused = new Promise<void>((resolve) => (refused = resolve));
    let letRelease!: () => void;
    const releaseMayGo = new Promise<void>((resolve) => (letRelease = resolve));
    // A asks for too much and is refused; its withdrawal is held up until B has placed the order.
    const slowWithdrawal: StockApi = {
      reserve: (id, items) => products.reserve(id, items).catch((error: unknown) => (refused(), Promise.reject(error))),
      release: async (id) => (await releaseMayGo, products.release(id)),
    };
    const a = placeOrder(deps(slowWithdrawal), viewer(), {
      items: [{ productId: item, quantity: 9 }],
      idempotencyKey: 'refused-race',
    }).catch((error) => error);
    await wasRefused;
    // A refused order is FAILED before it is withdrawn, which frees its key for another request.
    while ((await store.findByIdempotencyKey(buyer.id, 'refused-race'))?.status !== 'FAILED')
      await new Promise((resolve) => setTimeout(resolve, 5));
    const b = await placeOrder(deps(network({})), viewer(), { items: [{ productId: item, quantity: 2 }], idempotencyKey: 'refused-race' });
    letRelease();
    expect(await a).toMatchObject({ extensions: { code: 'INSUFFICIENT_STOCK' } });
    expect(b.status).toBe('CONFIRMED');
    expect((await store.findByIds([b.id]))[0]?.status).toBe('CONFIRMED');
    expect(await stockOf(item)).toBe(3); // A's late withdrawal did not give B's stock back
  });

  test('releases racing reservations of the same id never leave stock taken', async () => {
    const item = await createProduct('RELEASE-RACE', 1, 100_000);
    const stores = [new ProductsStore(graph.products.database), new ProductsStore(graph.products.database)] as const;
    try {
      for (let i = 0; i < 60; i++) {
        const id = `race-${target}-${i}`;
        await Promise.all([
          stores[0].reserve(id, 'orders', [{ productId: item, quantity: 1 }]).catch(() => null),
          new Promise((resolve) => setTimeout(resolve, (i % 6) * 1)).then(() => stores[1].release(id, 'orders')),
        ]);
        expect((await stores[0].prisma.stockReservation.findUnique({ where: { id } }))?.status).toBe('RELEASED');
      }
      expect(await stockOf(item)).toBe(100_000);
    } finally {
      await Promise.all(stores.map((store) => store.prisma.$disconnect()));
    }
  });

  test('the recovery pass gives back stock a failed compensation kept, and compensates orders stuck PENDING', async () => {
    const item = await createProduct('RECOVER', 100, 10);
    // A compensation whose release never got through: FAILED, holding 2.
    await expect(
      placeOrder(deps(network({ lostReply: true, releaseDown: true })), viewer(), { items: [{ productId: item, quantity: 2 }] }),
    ).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    // A process that crashed after reserving, with no key to retry by: PENDING, holding 3.
    const orphan = await store.createPending(buyer.id, null);
    await products.reserve(orphan.id, [{ productId: item, quantity: 3 }]);
    expect(await stockOf(item)).toBe(5);

    // A pass before the PENDING order is overdue leaves it alone (it might still be in flight).
    const early = await recoverOrders(deps(network({})), { stuckAfterMs: 60_000 });
    expect(early).toMatchObject({ compensated: 0, failed: 0 });
    expect(early.released).toBeGreaterThanOrEqual(1);
    expect(await stockOf(item)).toBe(7);
    expect((await store.findByIds([orphan.id]))[0]?.status).toBe('PENDING');

    const late = await recoverOrders(deps(network({})), { stuckAfterMs: 0 });
    expect(late).toMatchObject({ compensated: 1, failed: 0 });
    expect(await stockOf(item)).toBe(10);
    expect((await store.findByIds([orphan.id]))[0]).toMatchObject({ status: 'FAILED', stockReleasedAt: expect.any(Date) });
    // Nothing left to do.
    expect(await recoverOrders(deps(network({})), { stuckAfterMs: 0 })).toEqual({
      compensated: 0,
      released: 0,
      failed: 0,
      unreachable: false,
    });
  });

  test('repeats of one key racing for the last unit: every answer is the same CONFIRMED order', async () => {
    const last = await createProduct('LASTONE', 100, 1);
    const input = { items: [{ productId: last, quantity: 1 }], idempotencyKey: 'last-one' };
    const PLACE = 'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }';
    for (let round = 0; round < 3; round++) {
      const key = { ...input, idempotencyKey: `last-one-${round}` };
      if (round > 0)
        await graph.products.query('mutation ($id: ID!) { restock(id: $id, quantity: 1) { stock } }', { id: last }, graph.adminToken);
      const results = await Promise.all(Array.from({ length: 4 }, () => graph.orders.query(PLACE, { input: key }, buyer.token)));
      for (const result of results) expect(result.data?.placeOrder).toEqual({ id: results[0]!.data!.placeOrder.id, status: 'CONFIRMED' });
      expect(await stockOf(last)).toBe(0);
    }
  });

  test("a repeat of a PENDING order's key with other lines is IDEMPOTENCY_KEY_REUSED: the order is not finished with them", async () => {
    const item = await createProduct('REUSE-PENDING', 100, 10);
    const first = { items: [{ productId: item, quantity: 1 }], idempotencyKey: 'reuse-pending' };
    const pending = await store.createPending(buyer.id, 'reuse-pending', requestHash(first.items)); // its placement is in flight
    await expect(placeOrder(deps(network({})), viewer(), { ...first, items: [{ productId: item, quantity: 5 }] })).rejects.toMatchObject({
      extensions: { code: 'IDEMPOTENCY_KEY_REUSED', orderId: pending.id },
      message: expect.stringMatching(/use a new key/),
    });
    expect((await store.findByIds([pending.id]))[0]?.status).toBe('PENDING');
    expect(await stockOf(item)).toBe(10);
    // The request it was made for still finishes it.
    expect(await placeOrder(deps(network({})), viewer(), first)).toMatchObject({ id: pending.id, status: 'CONFIRMED', totalCents: 100 });
    expect(await stockOf(item)).toBe(9);
  });

  test("only a reservation's holder may release it (or reserve its id): another service is refused and nothing changes", async () => {
    const item = await createProduct('HOLDER', 100, 10);
    const products = new ProductsStore(graph.products.database);
    try {
      await products.reserve('held-by-orders', 'orders', [{ productId: item, quantity: 4 }]);
      await expect(products.release('held-by-orders', 'intruder')).rejects.toMatchObject({ reason: 'NOT_HOLDER' });
      await expect(products.reserve('held-by-orders', 'intruder', [{ productId: item, quantity: 4 }])).rejects.toBeInstanceOf(
        ReservationRefused,
      );
      expect(await stockOf(item)).toBe(6);
      expect((await products.prisma.stockReservation.findUnique({ where: { id: 'held-by-orders' } }))?.status).toBe('RESERVED');

      // Through the internal API, with two service identities (the token's subject is the holder).
      const routes = reservationRoutes(products, async (token) => ({ sub: token }));
      const release = routes.find((route) => route.path === RELEASE_PATH)!;
      const as = (service: string) => ({ headers: { authorization: `Bearer ${service}` }, body: { id: 'held-by-orders' } });
      expect(await release.handle(as('intruder'))).toMatchObject({ status: 403, body: { error: { code: 'NOT_HOLDER' } } });
      expect(await stockOf(item)).toBe(6);
      expect(await release.handle(as('orders'))).toMatchObject({ status: 200, body: { status: 'RELEASED' } });
      expect(await stockOf(item)).toBe(10);
    } finally {
      await products.prisma.$disconnect();
    }
  });

  test('the purge removes RELEASED reservations older than the cutoff, and nothing younger or still held', async () => {
    const item = await createProduct('PURGE', 100, 10);
    const products = new ProductsStore(graph.products.database);
    const released = (id: string) => products.prisma.stockReservation.findUnique({ where: { id } });
    try {
      const day = 86_400_000;
      await products.release('purge-old-tombstone', 'orders');
      await products.reserve('purge-old-released', 'orders', [{ productId: item, quantity: 1 }]);
      await products.release('purge-old-released', 'orders');
      await products.release('purge-young-tombstone', 'orders');
      await products.reserve('purge-old-held', 'orders', [{ productId: item, quantity: 2 }]);
      // Backdate: two released 8 days ago, one 6 days ago; the held one was made 8 days ago.
      await products.prisma.stockReservation.updateMany({
        where: { id: { in: ['purge-old-tombstone', 'purge-old-released'] } },
        data: { releasedAt: new Date(Date.now() - 8 * day) },
      });
      await products.prisma.stockReservation.update({
        where: { id: 'purge-young-tombstone' },
        data: { releasedAt: new Date(Date.now() - 6 * day) },
      });
      await products.prisma.stockReservation.update({
        where: { id: 'purge-old-held' },
        data: { createdAt: new Date(Date.now() - 8 * day) },
      });

      expect(await products.purgeReleased(new Date(Date.now() - 7 * day), 1)).toBeGreaterThanOrEqual(2); // batches of one: the loop goes on
      expect(await released('purge-old-tombstone')).toBeNull();
      expect(await released('purge-old-released')).toBeNull();
      expect(await products.prisma.stockReservationItem.count({ where: { reservationId: 'purge-old-released' } })).toBe(0);
      expect((await released('purge-young-tombstone'))?.status).toBe('RELEASED');
      expect((await released('purge-old-held'))?.status).toBe('RESERVED');
      expect(await stockOf(item)).toBe(8);
      // The young tombstone still refuses a late reservation of its id.
      await expect(products.reserve('purge-young-tombstone', 'orders', [{ productId: item, quantity: 1 }])).rejects.toMatchObject({
        reason: 'RELEASED',
      });
    } finally {
      await products.prisma.$disconnect();
    }
  });
});
