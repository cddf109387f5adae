import { startSupergraph, type GraphQLResponse, type Supergraph } from '../../testing/harness';
import { type Connection, uniqueEmail, uniqueSku } from '../../testing/data';
import { TARGETS } from '../../testing/databases';

const PLACE = /* GraphQL */ `
  mutation ($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      id
      status
      total { amountCents currency }
      items { product { id } quantity unitPrice { amountCents } }
      buyer { id }
    }
  }
`;
const CANCEL = 'mutation ($id: ID!) { cancelOrder(id: $id) { id status } }';

describe.each(TARGETS)('orders across services on %s', (target) => {
  let graph: Supergraph;
  let buyer: { token: string; id: string };
  let other: { token: string; id: string };

  const createProduct = (skuPrefix: string, priceCents: number, stock: number) =>
    graph.createProduct(uniqueSku(skuPrefix), priceCents, stock);
  const stockOf = (id: string) => graph.stockOf(id);
  /** Places an order for one unit of `productId` as `user`; returns its id. */
  const place = async (user: { token: string }, productId: string): Promise<string> => {
    const placed = await graph.orders.query(PLACE, { input: { items: [{ productId, quantity: 1 }] } }, user.token);
    if (!placed.data) throw new Error(`placeOrder failed: ${JSON.stringify(placed.errors)}`);
    return placed.data.placeOrder.id;
  };
  const myOrders = async (token: string) =>
    (
      await graph.orders.query<{ orders: Connection<{ id: string; status: string }> }>(
        '{ orders(first: 100) { edges { node { id status } } } }',
        {},
        token,
      )
    ).data!.orders.edges;

  beforeAll(async () => {
    // 40 orders at once queue on one product's row lock: on a busy machine the last of them waited
    // past the default 1.5 s stock deadline and were refused as SERVICE_UNAVAILABLE, which is the
    // overload behaviour (faults.test.ts, products-outage.test.ts), not what these tests are about.
    graph = await startSupergraph(target, {
      STOCK_TRANSACTION_DEADLINE_MS: '20000',
      PRODUCTS_CALL_TIMEOUT_MS: '25000',
      PRODUCTS_REQUEST_BUDGET_MS: '30000',
    });
  });
  afterAll(() => graph?.stop());
  // Each test has its own two customers: their orders and idempotency keys are that test's alone.
  beforeEach(async () => {
    buyer = await graph.signUp(uniqueEmail('buyer'));
    other = await graph.signUp(uniqueEmail('other'));
  });

  test('placeOrder takes current prices, reserves stock and stores the total', async () => {
    const mug = await createProduct('MUG', 1200, 5);
    const tee = await createProduct('TEE', 2500, 5);
    const result = await graph.orders.query(
      PLACE,
      {
        input: {
          items: [
            { productId: tee, quantity: 1 },
            { productId: mug, quantity: 2 },
          ],
        },
      },
      buyer.token,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data!.placeOrder).toMatchObject({
      status: 'CONFIRMED',
      total: { amountCents: 2500 + 2 * 1200, currency: 'USD' },
      buyer: { id: buyer.id },
      items: [
        { product: { id: tee }, quantity: 1, unitPrice: { amountCents: 2500 } },
        { product: { id: mug }, quantity: 2, unitPrice: { amountCents: 1200 } },
      ],
    });
    expect(await stockOf(mug)).toBe(3);
    expect(await stockOf(tee)).toBe(4);
  });

  test('not enough stock: INSUFFICIENT_STOCK, no order, no stock change on any line', async () => {
    const plenty = await createProduct('PLENTY', 100, 50);
    const scarce = await createProduct('SCARCE', 100, 2);
    const before = (await myOrders(buyer.token)).length;
    const result = await graph.orders.query(
      PLACE,
      {
        input: {
          items: [
            { productId: plenty, quantity: 5 },
            { productId: scarce, quantity: 3 },
          ],
        },
      },
      buyer.token,
    );
    expect(result).toHaveErrorCode('INSUFFICIENT_STOCK', ['placeOrder']);
    expect(result.errors![0]!.message).toMatch(/stock/i);
    expect(await stockOf(plenty)).toBe(50);
    expect(await stockOf(scarce)).toBe(2);
    expect(await myOrders(buyer.token)).toHaveLength(before);
  });

  test('the same idempotencyKey from the same user returns the same order and reserves once', async () => {
    const pen = await createProduct('PEN', 300, 10);
    const input = { items: [{ productId: pen, quantity: 4 }], idempotencyKey: 'checkout-42' };
    const [first, second] = await Promise.all([
      graph.orders.query(PLACE, { input }, buyer.token),
      graph.orders.query(PLACE, { input }, buyer.token),
    ]);
    const third = await graph.orders.query(PLACE, { input }, buyer.token);
    expect(first.data!.placeOrder.status).toBe('CONFIRMED');
    expect(second.data!.placeOrder).toEqual(first.data!.placeOrder);
    expect(third.data!.placeOrder.id).toBe(first.data!.placeOrder.id);
    expect(third.data!.placeOrder.status).toBe('CONFIRMED');
    expect(await stockOf(pen)).toBe(6);
    // The key is per user: another user's identical key is another order.
    const theirs = await graph.orders.query(PLACE, { input }, other.token);
    expect(theirs.data!.placeOrder.id).not.toBe(first.data!.placeOrder.id);
    expect(await stockOf(pen)).toBe(2);
  });

  test('a repeated idempotencyKey with other items or quantities is IDEMPOTENCY_KEY_REUSED; the same lines in another order are the same request', async () => {
    const ink = await createProduct('INK', 100, 10);
    const nib = await createProduct('NIB', 50, 10);
    const cart = [
      { productId: ink, quantity: 2 },
      { productId: nib, quantity: 1 },
    ];
    const first = await graph.orders.query(PLACE, { input: { items: cart, idempotencyKey: 'cart-7' } }, buyer.token);
    expect(first.data!.placeOrder.status).toBe('CONFIRMED');
    const reordered = await graph.orders.query(PLACE, { input: { items: [...cart].reverse(), idempotencyKey: 'cart-7' } }, buyer.token);
    expect(reordered.data!.placeOrder.id).toBe(first.data!.placeOrder.id);
    for (const items of [
      [
        { productId: ink, quantity: 3 },
        { productId: nib, quantity: 1 },
      ],
      [{ productId: ink, quantity: 2 }],
    ]) {
      const reused = await graph.orders.query(PLACE, { input: { items, idempotencyKey: 'cart-7' } }, buyer.token);
      expect(reused).toHaveErrorCode('IDEMPOTENCY_KEY_REUSED', ['placeOrder']);
      expect(reused.errors![0]!.message).toMatch(/use a new key/);
    }
    expect(await stockOf(ink)).toBe(8);
    expect(await stockOf(nib)).toBe(9);
  });

  test('cancelOrder releases the stock once; repeating it changes nothing', async () => {
    const cap = await createProduct('CAP', 900, 4);
    const placed = await graph.orders.query(PLACE, { input: { items: [{ productId: cap, quantity: 3 }] } }, buyer.token);
    const id = placed.data!.placeOrder.id;
    expect(await stockOf(cap)).toBe(1);
    const forbidden = await graph.orders.query(CANCEL, { id }, other.token);
    expect(forbidden).toHaveErrorCode('FORBIDDEN', ['cancelOrder']);
    for (let attempt = 0; attempt < 3; attempt++) {
      const cancelled = await graph.orders.query(CANCEL, { id }, buyer.token);
      expect(cancelled.data!.cancelOrder).toEqual({ id, status: 'CANCELLED' });
      expect(await stockOf(cap)).toBe(4);
    }
    expect(await graph.orders.query(CANCEL, { id: 'no-such-order' }, buyer.token)).toHaveErrorCode('NOT_FOUND', ['cancelOrder']);
  });

  test('40 concurrent single-unit orders against stock 10: exactly 10 succeed and stock ends at 0', async () => {
    const hot = await createProduct('HOT', 100, 10);
    const results = await Promise.all(
      Array.from({ length: 40 }, () => graph.orders.query(PLACE, { input: { items: [{ productId: hot, quantity: 1 }] } }, other.token)),
    );
    const succeeded = results.filter((result) => result.data?.placeOrder?.status === 'CONFIRMED');
    const refused = results.filter((result) => !result.data?.placeOrder);
    expect(succeeded).toHaveLength(10);
    expect(refused).toHaveLength(30);
    for (const result of refused) expect(result).toHaveErrorCode('INSUFFICIENT_STOCK', ['placeOrder']);
    expect(await stockOf(hot)).toBe(0);
  });

  test.each([
    [{ items: [] }, /at least one item/],
    [{ items: [{ productId: 'p', quantity: 0 }] }, /quantity must be from 1 to 1000/],
    [{ items: [{ productId: 'p', quantity: 1001 }] }, /quantity must be from 1 to 1000/],
    [{ items: Array.from({ length: 51 }, (_, i) => ({ productId: `p${i}`, quantity: 1 })) }, /at most 50 lines/],
    [
      {
        items: [
          { productId: 'p', quantity: 1 },
          { productId: 'p', quantity: 2 },
        ],
      },
      /more than once/,
    ],
    [{ items: [{ productId: 'p', quantity: 1 }], idempotencyKey: '' }, /idempotencyKey/],
  ])('placeOrder %# rejects bad input with BAD_USER_INPUT', async (input, message) => {
    const result = await graph.orders.query(PLACE, { input }, buyer.token);
    expect(result).toHaveErrorCode('BAD_USER_INPUT', ['placeOrder']);
    expect(result.errors![0]!.message).toMatch(message);
  });

  test('placeOrder needs a signed-in user; an unknown product is NOT_FOUND and orders nothing', async () => {
    const anonymous = await graph.orders.query(PLACE, { input: { items: [{ productId: 'p', quantity: 1 }] } });
    expect(anonymous).toHaveErrorCode('UNAUTHENTICATED', ['placeOrder']);
    const before = (await myOrders(buyer.token)).length;
    const missing = await graph.orders.query(PLACE, { input: { items: [{ productId: 'no-such-product', quantity: 1 }] } }, buyer.token);
    expect(missing).toHaveErrorCode('NOT_FOUND', ['placeOrder']);
    expect(await myOrders(buyer.token)).toHaveLength(before);
  });

  test('order(id) is for its buyer or an ADMIN; orders lists own for customers and all for ADMINs, newest first', async () => {
    const item = await createProduct('LISTED', 100, 10);
    const mine = [await place(buyer, item), await place(buyer, item)];
    const theirs = [await place(other, item), await place(other, item)];
    const ORDER = 'query ($id: ID!) { order(id: $id) { id } }';
    expect((await graph.orders.query(ORDER, { id: mine[0] }, buyer.token)).data!.order.id).toBe(mine[0]);
    expect(await graph.orders.query(ORDER, { id: mine[0] }, other.token)).toHaveErrorCode('FORBIDDEN', ['order']);
    expect((await graph.orders.query(ORDER, { id: 'nope' }, buyer.token)).data!.order).toBeNull();
    const ids = async (token: string) => (await myOrders(token)).map((edge) => edge.node.id).sort();
    expect(await ids(buyer.token)).toEqual([...mine].sort());
    expect(await ids(other.token)).toEqual([...theirs].sort());
    const all = await myOrders(graph.adminToken);
    expect(all.map((edge) => edge.node.id)).toEqual(expect.arrayContaining([...mine, ...theirs]));
    expect(await graph.orders.query('{ orders { edges { node { id } } } }')).toHaveErrorCode('UNAUTHENTICATED', ['orders']);
    const QUERY = /* GraphQL */ `
      query ($after: String) {
        orders(first: 3, after: $after) {
          edges { node { id createdAt } }
          pageInfo { hasNextPage endCursor }
        }
      }
    `;
    const paged: { id: string; createdAt: string }[] = [];
    let after: string | null = null;
    do {
      const page: GraphQLResponse<{ orders: Connection<{ id: string; createdAt: string }> }> = await graph.orders.query(
        QUERY,
        { after },
        graph.adminToken,
      );
      const { edges, pageInfo } = page.data!.orders;
      paged.push(...edges.map((edge) => edge.node));
      after = pageInfo.hasNextPage ? pageInfo.endCursor : null;
    } while (after);
    expect(paged.map((order) => order.id)).toEqual(all.map((edge) => edge.node.id));
    const tampered = Buffer.from(JSON.stringify(['not-a-date', 'x'])).toString('base64url');
    expect(await graph.orders.query(QUERY, { after: tampered }, graph.adminToken)).toHaveErrorCode('BAD_USER_INPUT', ['orders']);
    const times = paged.map((order) => order.createdAt);
    expect([...times].sort().reverse()).toEqual(times);
  });

  test('_entities resolves an Order for its buyer and refuses others', async () => {
    const mine = await place(buyer, await createProduct('ENTITY', 100, 10));
    const QUERY = 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Order { id status } } }';
    const own = await graph.orders.query(QUERY, { r: [{ __typename: 'Order', id: mine }] }, buyer.token);
    expect(own.data!._entities).toEqual([{ id: mine, status: 'CONFIRMED' }]);
    const theirs = await graph.orders.query(QUERY, { r: [{ __typename: 'Order', id: mine }] }, other.token);
    expect(theirs).toHaveErrorCode('FORBIDDEN', ['_entities', 0]);
    const USER_ORDERS = /* GraphQL */ `
      query ($r: [_Any!]!) {
        _entities(representations: $r) {
          ... on User { orders(first: 1) { edges { node { id } } } }
        }
      }
    `;
    const user = await graph.orders.query(USER_ORDERS, { r: [{ __typename: 'User', id: buyer.id }] }, buyer.token);
    expect(user.data!._entities[0].orders.edges).toEqual([{ node: { id: mine } }]);
  });
});
