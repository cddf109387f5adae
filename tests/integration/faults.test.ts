import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startService, type RunningService } from '../../lib/server';
import { loadRouterConfig } from '../../router/config';
import { SUPERGRAPH_FILE } from '../../router/compose';
import { buildRouter } from '../../router/server';
import { TARGETS } from '../../testing/databases';
import { freePort, queryAt, startSupergraph, type Supergraph } from '../../testing/harness';

/** A subgraph that is paused (SIGSTOP): the kernel accepts connections, nothing ever answers. */
async function blackHole(): Promise<{ url: string; requests: () => number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  // Requests, not connections: undici opens a spare connection after an aborted request.
  let requests = 0;
  const server = net.createServer((socket) => {
    socket.once('data', () => requests++);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    requests: () => requests,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe.each(TARGETS)('a failing subgraph costs only its own fields, on %s', (target) => {
  let graph: Supergraph;
  let token: string;
  let orderId: string;
  const routers: RunningService[] = [];
  beforeAll(async () => {
    graph = await startSupergraph(target);
    token = (await graph.signUp('faults@example.com', 'Fault Tester')).token;
    const productId = await graph.createProduct('FAULT-1', 100, 10);
    const placed = await graph.router.query<{ placeOrder: { id: string } }>(
      'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
      { input: { items: [{ productId, quantity: 2 }], idempotencyKey: 'faults-1' } },
      token,
    );
    orderId = placed.data!.placeOrder.id;
  });
  afterAll(async () => {
    for (const router of routers) await router.stop();
    await graph?.stop();
  });

  /** A router over the running subgraphs, with `env` on top (e.g. one subgraph pointed elsewhere). */
  async function routerWith(env: Record<string, string>): Promise<RunningService> {
    // Token keys come from the real users service: a router that had cached them before users
    // paused (keys outlive an outage by 24 h; tests/unit/jwks-cache.test.ts).
    const keys = new URL('/.well-known/jwks.json', graph.users.url).href;
    const router = await startService(buildRouter(loadRouterConfig({ ...graph.env, USERS_JWKS_URL: keys, ...env })), { port: 0 });
    routers.push(router);
    return router;
  }

  const BOTH = '{ me { name } products(first: 1) { edges { node { sku } } } }';

  test('users paused: me is null with one SUBGRAPH_UNAVAILABLE naming users, products are answered, within the deadline', async () => {
    const hole = await blackHole();
    try {
      const router = await routerWith({ USERS_URL: hole.url, SUBGRAPH_TIMEOUT_MS: '300' });
      const started = performance.now();
      const answer = await queryAt(router.url)(BOTH, {}, token);
      process.stdout.write(
        `${target}: users paused, answered in ${(performance.now() - started).toFixed(0)} ms: ${JSON.stringify(answer.data)}\n`,
      );
      expect(answer.status).toBe(200);
      expect(answer.data).toEqual({ me: null, products: { edges: [{ node: { sku: 'FAULT-1' } }] } });
      expect(answer.errors).toHaveLength(1);
      expect(answer.errors![0]!.extensions).toEqual({ code: 'SUBGRAPH_UNAVAILABLE', service: 'users' });
      expect(answer.errors![0]!.message).toMatch(/no answer within 300 ms/);
      expect(JSON.stringify(answer)).not.toContain(hole.url.replace('/graphql', ''));
    } finally {
      await hole.close();
    }
  });

  /** Fields of all three services, reached from each service's own root field. */
  const ALL = `{
    me { name orders(first: 5) { edges { node { id items { quantity product { name } } } } } }
    orders(first: 5) { edges { node { id status buyer { name } items { quantity product { name } } } } }
    products(first: 1) { edges { node { sku } } }
  }`;
  /** What ALL answers with `down` down (or none): its own fields null, nothing else. */
  const partial = (down?: 'users' | 'products' | 'orders') => {
    const items = [{ quantity: 2, product: down === 'products' ? null : { name: 'FAULT-1' } }];
    const orders = {
      edges: [{ node: { id: orderId, status: 'CONFIRMED', buyer: down === 'users' ? null : { name: 'Fault Tester' }, items } }],
    };
    return {
      me:
        down === 'users'
          ? null
          : { name: 'Fault Tester', orders: down === 'orders' ? null : { edges: [{ node: { id: orderId, items } }] } },
      orders: down === 'orders' ? null : orders,
      products: down === 'products' ? null : { edges: [{ node: { sku: 'FAULT-1' } }] },
    };
  };

  test('with every service up, the three-service query is answered whole', async () => {
    const answer = await graph.router.query(ALL, {}, token);
    expect(answer.errors).toBeUndefined();
    expect(answer.data).toEqual(partial());
  });

  test.each(['users', 'products', 'orders'] as const)(
    '%s paused: its fields are null, every field of the other two is there, one SUBGRAPH_UNAVAILABLE names it',
    async (down) => {
      const hole = await blackHole();
      try {
        const router = await routerWith({ [`${down.toUpperCase()}_URL`]: hole.url, SUBGRAPH_TIMEOUT_MS: '300' });
        const answer = await queryAt(router.url)(ALL, {}, token);
        process.stdout.write(`${target}: ${down} paused: ${JSON.stringify(answer)}\n`);
        expect(answer.status).toBe(200);
        expect(answer.data).toEqual(partial(down));
        expect(answer.errors).toHaveLength(1);
        expect(answer.errors![0]!.extensions).toEqual({ code: 'SUBGRAPH_UNAVAILABLE', service: down });
      } finally {
        await hole.close();
      }
    },
  );

  test('products killed: its field is null, the rest answered, and the error shows no address', async () => {
    const closedPort = await freePort();
    const router = await routerWith({ PRODUCTS_URL: `http://127.0.0.1:${closedPort}/graphql` });
    const answer = await queryAt(router.url)('{ me { name } productBySku(sku: "FAULT-1") { name } }', {}, token);
    process.stdout.write(`${target}: products killed: ${JSON.stringify(answer.data)}\n`);
    expect(answer.data).toEqual({ me: { name: 'Fault Tester' }, productBySku: null });
    expect(answer.errors).toHaveLength(1);
    expect(answer.errors![0]!.extensions).toEqual({ code: 'SUBGRAPH_UNAVAILABLE', service: 'products' });
    expect(JSON.stringify(answer)).not.toMatch(new RegExp(`${closedPort}|ECONNREFUSED|fetch failed`));
  });

  test('after repeated failures the circuit opens: calls fail at once without reaching it, then one probe goes out', async () => {
    const hole = await blackHole();
    try {
      const router = await routerWith({
        USERS_URL: hole.url,
        SUBGRAPH_TIMEOUT_MS: '200',
        SUBGRAPH_BREAKER_FAILURES: '2',
        SUBGRAPH_BREAKER_COOLDOWN_MS: '500',
      });
      const ask = () => queryAt(router.url)('{ me { name } }', {}, token);
      for (let i = 0; i < 2; i++) expect((await ask()).errors![0]!.message).toMatch(/no answer within 200 ms/);
      const requestsWhenOpened = hole.requests();
      const fast = await ask();
      expect(fast.errors![0]!.extensions).toEqual({ code: 'SUBGRAPH_UNAVAILABLE', service: 'users' });
      expect(fast.errors![0]!.message).toMatch(/failing repeatedly/);
      expect(hole.requests()).toBe(requestsWhenOpened); // failed fast: never reached the subgraph
      await new Promise((resolve) => setTimeout(resolve, 600)); // past the cool-down: half-open
      expect((await ask()).errors![0]!.message).toMatch(/no answer within 200 ms/); // the probe went out
      expect(hole.requests()).toBe(requestsWhenOpened + 1);
    } finally {
      await hole.close();
    }
  });

  test('the supergraph file decides where a subgraph lives unless its URL or port is given', async () => {
    // A supergraph whose products subgraph lives at another address than the default localhost:4002.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'supergraph-'));
    try {
      const file = path.join(dir, 'supergraph.graphql');
      const sdl = fs
        .readFileSync(SUPERGRAPH_FILE, 'utf8')
        .replace(/(@join__graph\(name: "products", url: ")[^"]+/, `$1${graph.products.url}`);
      expect(sdl).toContain(graph.products.url);
      fs.writeFileSync(file, sdl);
      const { PRODUCTS_PORT: _port, ...withoutProducts } = graph.env;
      const router = await startService(buildRouter(loadRouterConfig({ ...withoutProducts, SUPERGRAPH_PATH: file })), { port: 0 });
      routers.push(router);
      const answer = await queryAt(router.url)('{ productBySku(sku: "FAULT-1") { name } }');
      expect(answer).toMatchObject({ data: { productBySku: { name: 'FAULT-1' } } });
      expect(loadRouterConfig({}).subgraphUrls).toEqual({});
      expect(loadRouterConfig({ USERS_URL: 'http://users.internal:4001/graphql' }).subgraphUrls).toEqual({
        users: new URL('http://users.internal:4001/graphql'),
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
