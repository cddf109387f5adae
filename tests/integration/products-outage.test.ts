import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { loadSigningKey } from '../../lib/auth/keys';
import type { Logger } from '../../lib/log';
import { runInRequestScope, type RequestScope } from '../../lib/observability/request-scope';
import { loadOrdersConfig } from '../../subgraphs/orders/config';
import { OrdersStore } from '../../subgraphs/orders/data';
import { placeOrder, recoverOrders, type PlacementDeps } from '../../subgraphs/orders/placement';
import { ProductsClient, type ProductsClientOptions } from '../../subgraphs/orders/products-client';
import { freePort, startSupergraph, type Supergraph } from '../../testing/harness';
import { uniqueEmail, uniqueSku } from '../../testing/data';
import { TARGETS } from '../../testing/databases';

type Mode = 'pass' | 'hang' | 'refuse' | 'error500' | 'error400';

/**
 * Between orders and products: passes requests on, or fails them on cue (accepts and never answers,
 * drops the connection, answers 500 or 400), counting the requests per path.
 */
async function startProxy() {
  let target = '';
  let mode: Mode = 'pass';
  const counts = new Map<string, number>();
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      counts.set(request.url!, (counts.get(request.url!) ?? 0) + 1);
      if (mode === 'hang') return void hanging.add(response);
      if (mode === 'refuse') return void request.socket.destroy();
      if (mode === 'error500' || mode === 'error400') {
        return void response
          .writeHead(mode === 'error500' ? 500 : 400, { 'content-type': 'application/json' })
          .end('{"error":{"code":"X","message":"fault"}}');
      }
      const answer = await fetch(new URL(request.url!, target), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: request.headers.authorization ?? '' },
        body: Buffer.concat(chunks),
      });
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    forwardTo: (url: string) => (target = url),
    set: (next: Mode) => ((mode = next), counts.clear()),
    count: (suffix = '') => [...counts].filter(([url]) => url.endsWith(suffix)).reduce((sum, [, n]) => sum + n, 0),
    close: () => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const RESERVE = '/internal/stock-reservations';
const RELEASE = '/internal/stock-reservations/release';
const PLACE = 'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }';
// Short deadlines so a "down" products costs this suite well under a second per call.
const FAST: ProductsClientOptions = { attempts: 3, attemptTimeoutMs: 200, baseDelayMs: 10, maxDelayMs: 50, requestBudgetMs: 3_000 };

describe.each(TARGETS)('orders → products with products down, on %s', (target) => {
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let graph: Supergraph;
  let store: OrdersStore;
  let client: ProductsClient;
  let buyer: { id: string; token: string };
  const warnings: string[] = [];
  const log: Logger = { info: () => {}, warn: (message) => warnings.push(message), error: () => {} };
  const deps = (): PlacementDeps => ({ store, products: client, log });

  beforeAll(async () => {
    proxy = await startProxy();
    graph = await startSupergraph(target, {
      PRODUCTS_INTERNAL_URL: proxy.url,
      PRODUCTS_CALL_TIMEOUT_MS: String(FAST.attemptTimeoutMs),
      PRODUCTS_REQUEST_BUDGET_MS: String(FAST.requestBudgetMs),
    });
    proxy.forwardTo(new URL(graph.products.url).origin);
    store = new OrdersStore(graph.orders.database);
    const key = await loadSigningKey({ file: path.join(graph.env.DATA_DIR!, 'orders', 'service-signing-key.pem') });
    client = new ProductsClient(new URL(proxy.url), key, FAST);
    buyer = await graph.signUp(uniqueEmail('outage'));
  });
  afterEach(() => proxy.set('pass'));
  afterAll(async () => {
    await store?.prisma.$disconnect();
    await graph?.stop();
    await proxy?.close();
  });

  test('products accepts and never answers: placeOrder is SERVICE_UNAVAILABLE with the retry hint after 3 reserve attempts; the order is FAILED, holding nothing', async () => {
    const item = await graph.createProduct(uniqueSku('HANG'), 100, 10);
    proxy.set('hang');
    const input = { items: [{ productId: item, quantity: 2 }], idempotencyKey: 'hang-1' };
    const result = await graph.orders.query(PLACE, { input }, buyer.token);
    expect(result).toHaveErrorCode('SERVICE_UNAVAILABLE', ['placeOrder']);
    expect(result.errors![0]!.message).toMatch(/try again .*same idempotencyKey/);
    expect(proxy.count(RESERVE)).toBe(3);
    expect(proxy.count(RELEASE)).toBeLessThanOrEqual(3);
    const order = await store.findByIdempotencyKey(buyer.id, 'hang-1');
    expect(order).toMatchObject({ status: 'FAILED', stockReleasedAt: null });
    expect(await store.itemsOf([order!.id])).toEqual([[]]);
    expect(await graph.stockOf(item)).toBe(10);

    // Products is back: the same key gives the FAILED order's reservation id back and places the order once.
    proxy.set('pass');
    const retried = await graph.orders.query(PLACE, { input }, buyer.token);
    expect(retried.data!.placeOrder.status).toBe('CONFIRMED');
    expect(await graph.stockOf(item)).toBe(8);
  });

  test('a refused connection and a 500 are retried 3 times; a 4xx is an answer, tried once', async () => {
    const item = await graph.createProduct(uniqueSku('FAULTS'), 100, 10);
    for (const [mode, attempts] of [
      ['refuse', 3],
      ['error500', 3],
      ['error400', 1],
    ] as const) {
      proxy.set(mode);
      const failure = await placeOrder(deps(), { id: buyer.id, role: 'CUSTOMER' }, { items: [{ productId: item, quantity: 1 }] }).catch(
        (error: unknown) => error,
      );
      expect(proxy.count(RESERVE)).toBe(attempts);
      if (mode === 'error400') expect(failure).toMatchObject({ message: expect.stringMatching(/answered 400/) });
      else expect(failure).toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    }
    proxy.set('pass');
    expect(await graph.stockOf(item)).toBe(10);
  });

  test("every try at products is one entry in the request's calls (the slow-request line): three 500s, then one that answers", async () => {
    const item = await graph.createProduct(uniqueSku('CALLS'), 100, 10);
    const calls: NonNullable<RequestScope['calls']> = [];
    proxy.set('error500');
    await runInRequestScope({ requestId: 'calls-test', calls }, () =>
      placeOrder(deps(), { id: buyer.id, role: 'CUSTOMER' }, { items: [{ productId: item, quantity: 1 }] }).catch(() => undefined),
    );
    // Three failed reserve tries; the compensating release is refused by the same proxy, three more.
    expect(calls.slice(0, 3)).toEqual([0, 1, 2].map(() => ({ service: 'products', ms: expect.any(Number), ok: false })));
    proxy.set('pass');
    calls.length = 0;
    await runInRequestScope({ requestId: 'calls-test-2', calls }, () =>
      placeOrder(deps(), { id: buyer.id, role: 'CUSTOMER' }, { items: [{ productId: item, quantity: 1 }] }),
    );
    expect(calls).toEqual([{ service: 'products', ms: expect.any(Number), ok: true }]);
  });

  test('N orders waiting for recovery while products is down: one WARN for the pass, one call tried (not N), and the next pass settles them all', async () => {
    const item = await graph.createProduct(uniqueSku('RECOVERY-OUTAGE'), 100, 20);
    // Orders whose compensation could not reach products: FAILED, still holding their stock.
    const stuck = [];
    for (let i = 0; i < 4; i++) {
      const order = await store.createPending(buyer.id, null);
      await client.reserve(order.id, [{ productId: item, quantity: 1 }]);
      await store.transition(order.id, ['PENDING'], 'FAILED');
      stuck.push(order.id);
    }
    expect(await graph.stockOf(item)).toBe(16);
    proxy.set('refuse');
    warnings.length = 0;
    const down = await recoverOrders(deps(), { stuckAfterMs: 300_000 });
    expect(down).toMatchObject({ unreachable: true, failed: 1, released: 0 });
    expect(warnings).toEqual(['recovery pass stopped: the products service is unreachable; backing off']);
    expect(proxy.count(RELEASE)).toBe(FAST.attempts);

    proxy.set('pass');
    const up = await recoverOrders(deps(), { stuckAfterMs: 300_000 });
    expect(up).toMatchObject({ unreachable: false, failed: 0 });
    expect(up.released).toBeGreaterThanOrEqual(4);
    expect(await graph.stockOf(item)).toBe(20);
    for (const [order] of await Promise.all(stuck.map((id) => store.findByIds([id]))))
      expect(order!.stockReleasedAt).toEqual(expect.any(Date));
  });

  test('with the default deadlines (2 s a call, 4 s a request) a silent products gets 2 reserve attempts and no release: the budget, not the attempts, ends the request', async () => {
    const key = await loadSigningKey({ file: path.join(graph.env.DATA_DIR!, 'orders', 'service-signing-key.pem') });
    const defaults = new ProductsClient(new URL(proxy.url), key, loadOrdersConfig({}).products);
    const item = await graph.createProduct(uniqueSku('DEFAULTS'), 100, 3);
    proxy.set('hang');
    const input = { items: [{ productId: item, quantity: 1 }], idempotencyKey: 'defaults-1' };
    await expect(placeOrder({ store, products: defaults, log }, { id: buyer.id, role: 'CUSTOMER' }, input)).rejects.toMatchObject({
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    });
    expect(proxy.count(RESERVE)).toBe(2);
    expect(proxy.count(RELEASE)).toBe(0); // left to the recovery pass, or the retry with the same key
    expect(await store.findByIdempotencyKey(buyer.id, 'defaults-1')).toMatchObject({ status: 'FAILED', stockReleasedAt: null });
  });

  test('a stopped port (nothing listening): SERVICE_UNAVAILABLE, the order FAILED', async () => {
    const key = await loadSigningKey({ file: path.join(graph.env.DATA_DIR!, 'orders', 'service-signing-key.pem') });
    const nowhere = new ProductsClient(new URL(`http://127.0.0.1:${await freePort()}`), key, FAST);
    const item = await graph.createProduct(uniqueSku('NOWHERE'), 100, 3);
    const input = { items: [{ productId: item, quantity: 1 }], idempotencyKey: 'nowhere-1' };
    await expect(placeOrder({ store, products: nowhere, log }, { id: buyer.id, role: 'CUSTOMER' }, input)).rejects.toMatchObject({
      extensions: { code: 'SERVICE_UNAVAILABLE' },
      message: expect.stringMatching(/same idempotencyKey/),
    });
    expect((await store.findByIdempotencyKey(buyer.id, 'nowhere-1'))?.status).toBe('FAILED');
    expect(await graph.stockOf(item)).toBe(3);
  });
});
