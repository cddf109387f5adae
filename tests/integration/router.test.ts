import { startSupergraph, type GraphQLResponse, type Supergraph } from '../../testing/harness';
import { type Connection, uniqueEmail, uniqueSku } from '../../testing/data';
import { TARGETS } from '../../testing/databases';

describe.each(TARGETS)('the router over all three subgraphs on %s', (target) => {
  let graph: Supergraph;
  // Shared by the tests, which only add orders: four buyers and three products with stock for all.
  let buyers: { token: string; id: string; email: string }[];
  let productIds: string[];
  let skus: string[];

  beforeAll(async () => {
    graph = await startSupergraph(target);
    buyers = [];
    for (let i = 0; i < 4; i++) {
      const email = uniqueEmail(`router-buyer-${i}`);
      buyers.push({ ...(await graph.signUp(email, `Buyer ${i}`)), email });
    }
    productIds = [];
    skus = [uniqueSku('R'), uniqueSku('R'), uniqueSku('R')];
    for (let i = 0; i < 3; i++) {
      const created = await graph.router.query(
        'mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }',
        { input: { sku: skus[i], name: `Router product ${i}`, priceCents: 100 * (i + 1), stock: 10_000 } },
        graph.adminToken,
      );
      productIds.push(created.data!.createProduct.id);
    }
  });
  afterAll(() => graph?.stop());

  const placeOrders = async (count: number) => {
    for (let start = 0; start < count; start += 10) {
      await Promise.all(
        Array.from({ length: Math.min(10, count - start) }, (_, offset) => {
          const i = start + offset;
          const items = [
            { productId: productIds[i % 3]!, quantity: 1 },
            { productId: productIds[(i + 1) % 3]!, quantity: 2 },
          ];
          return graph.router.query(
            'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
            { input: { items } },
            buyers[i % buyers.length]!.token,
          );
        }),
      );
    }
  };

  const JOINED = /* GraphQL */ `
    query ($first: Int) {
      orders(first: $first) {
        edges {
          node {
            id
            status
            total { amountCents currency }
            buyer { id name email }
            items { quantity unitPrice { amountCents } product { id sku name price { amountCents } stock } }
          }
        }
      }
    }
  `;
  interface JoinedOrder {
    id: string;
    status: string;
    total: { amountCents: number; currency: string };
    buyer: { id: string; name: string; email: string };
    items: { quantity: number; unitPrice: { amountCents: number }; product: { id: string; sku: string; name: string } }[];
  }

  test('a query joining users, products and orders answers through the router, forwarding the token', async () => {
    await placeOrders(1);
    const result = await graph.router.query<{ orders: Connection<JoinedOrder> }>(JOINED, { first: 1 }, buyers[0]!.token);
    expect(result.errors).toBeUndefined();
    const order = result.data!.orders.edges[0]!.node;
    expect(order.buyer).toEqual({ id: buyers[0]!.id, name: 'Buyer 0', email: buyers[0]!.email });
    expect(order.items).toEqual([
      {
        quantity: 1,
        unitPrice: { amountCents: 100 },
        product: expect.objectContaining({ id: productIds[0], sku: skus[0], price: { amountCents: 100 } }),
      },
      { quantity: 2, unitPrice: { amountCents: 200 }, product: expect.objectContaining({ id: productIds[1], sku: skus[1] }) },
    ]);
    expect(order.total).toEqual({ amountCents: 500, currency: 'USD' });
    const me = await graph.router.query<{ me: { orders: Connection<{ id: string }> } }>(
      '{ me { id name orders { edges { node { id } } } } }',
      {},
      buyers[0]!.token,
    );
    expect(me.data!.me.orders.edges.map((edge) => edge.node.id)).toContain(order.id);
  });

  test('the router refuses a bad token with 401 before calling any subgraph', async () => {
    const subgraphRequests = () => [graph.users, graph.products, graph.orders].map((service) => service.stats.graphqlRequests);
    const before = subgraphRequests();
    const bad = await graph.router.query('{ orders { edges { node { id } } } }', {}, 'forged.token.value');
    expect(bad.status).toBe(401);
    expect(bad).toHaveErrorCode('UNAUTHENTICATED');
    expect(subgraphRequests()).toEqual(before);
  });

  test("a subgraph's errors reach the client through the router with their codes and paths", async () => {
    const anonymous = await graph.router.query('{ orders { edges { node { id } } } }');
    expect(anonymous).toHaveErrorCode('UNAUTHENTICATED', ['orders']);
    const tooMany = await graph.router.query('{ products(first: 101) { edges { node { id } } } }');
    expect(tooMany).toHaveErrorCode('BAD_USER_INPUT', ['products']);
    const PLACE = 'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }';
    const scarce = await graph.createProduct(uniqueSku('SCARCE'), 100, 999);
    const short = await graph.router.query(PLACE, { input: { items: [{ productId: scarce, quantity: 1000 }] } }, buyers[1]!.token);
    expect(short).toHaveErrorCode('INSUFFICIENT_STOCK', ['placeOrder']);
    // Within the stock, the same line is no error, and takes the stock.
    const placed = await graph.router.query(PLACE, { input: { items: [{ productId: scarce, quantity: 999 }] } }, buyers[1]!.token);
    expect(placed.errors).toBeUndefined();
    expect(await graph.stockOf(scarce)).toBe(0);
  });

  test('no N+1: N = 1 and N = 100 orders cost the same SQL statements and subgraph fetches', async () => {
    await placeOrders(120);
    const measure = async (first: number) => {
      const services = [graph.users, graph.products, graph.orders];
      const sql = services.map((service) => service.database.statements.count);
      const fetches = services.map((service) => service.stats.graphqlRequests);
      const result = await graph.router.query<{ orders: Connection<JoinedOrder> }>(JOINED, { first }, graph.adminToken);
      expect(result.errors).toBeUndefined();
      expect(result.data!.orders.edges).toHaveLength(first);
      expect(result.data!.orders.edges.every((edge) => edge.node.buyer.name && edge.node.items[1]?.product.sku)).toBe(true);
      return {
        sql: services.map((service, i) => service.database.statements.count - sql[i]!),
        fetches: services.map((service, i) => service.stats.graphqlRequests - fetches[i]!),
      };
    };
    const one = await measure(1);
    const hundred = await measure(100);
    process.stdout.write(
      `SQL statements [users, products, orders]: N=1 ${JSON.stringify(one.sql)}, N=100 ${JSON.stringify(hundred.sql)}\n`,
    );
    expect(hundred).toEqual(one);
    expect(one.fetches).toEqual([1, 1, 1]);
    expect(one.sql).toEqual([1, 1, 2]); // users IN (...); products IN (...); orders page + items IN (...)
  });

  test('users { orders } for many users costs one orders query, and each user gets their own newest orders', async () => {
    await placeOrders(40); // ten more for each buyer: more than one page of 7
    const QUERY = /* GraphQL */ `
      {
        users(first: 100) {
          edges { node { id orders(first: 3) { edges { node { id createdAt } } pageInfo { hasNextPage } } } }
        }
      }
    `;
    type NewestOrders = Connection<{ id: string; createdAt: string }>;
    const before = graph.orders.database.statements.count;
    const result = await graph.router.query<{ users: Connection<{ id: string; orders: NewestOrders }> }>(QUERY, {}, graph.adminToken);
    expect(result.errors).toBeUndefined();
    expect(graph.orders.database.statements.count - before).toBe(1);
    for (const buyer of buyers) {
      const node = result.data!.users.edges.find((edge) => edge.node.id === buyer.id)!.node;
      const own = await graph.orders.query<{ orders: NewestOrders }>(
        '{ orders(first: 3) { edges { node { id createdAt } } pageInfo { hasNextPage } } }',
        {},
        buyer.token,
      );
      expect(node.orders).toEqual(own.data!.orders);
    }
    // Paging through me.orders with cursors visits every order of the user once, newest first.
    const PAGE = /* GraphQL */ `
      query ($after: String) {
        me {
          orders(first: 7, after: $after) {
            edges { node { id } }
            pageInfo { hasNextPage endCursor }
          }
        }
      }
    `;
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page: GraphQLResponse<{ me: { orders: Connection<{ id: string }> } }> = await graph.router.query(
        PAGE,
        { after },
        buyers[0]!.token,
      );
      const { edges, pageInfo } = page.data!.me.orders;
      seen.push(...edges.map((edge) => edge.node.id));
      after = pageInfo.hasNextPage ? pageInfo.endCursor : null;
    } while (after);
    const all = await graph.orders.query<{ orders: Connection<{ id: string }> }>(
      '{ orders(first: 100) { edges { node { id } } } }',
      {},
      buyers[0]!.token,
    );
    expect(seen.length).toBeGreaterThanOrEqual(10);
    expect(seen).toEqual(all.data!.orders.edges.map((edge) => edge.node.id));
  });

  test('GET /health answers 200 once the supergraph is loaded; unknown paths are 404', async () => {
    const origin = new URL(graph.router.url).origin;
    expect(await (await fetch(`${origin}/health`)).json()).toMatchObject({ status: 'ok', service: 'router' });
    expect((await fetch(`${origin}/nowhere`)).status).toBe(404);
  });
});
