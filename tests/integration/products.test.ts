import { startSupergraph, type GraphQLResponse, type Supergraph } from '../../testing/harness';
import { type Connection, uniqueEmail, uniqueSku, uniqueSuffix } from '../../testing/data';
import { TARGETS } from '../../testing/databases';

describe.each(TARGETS)('products subgraph on %s', (target) => {
  let graph: Supergraph;
  let customer: { token: string; id: string };
  beforeAll(async () => {
    graph = await startSupergraph(target);
    customer = await graph.signUp(uniqueEmail('shopper'));
  });
  afterAll(() => graph?.stop());

  const CREATE = /* GraphQL */ `
    mutation ($input: CreateProductInput!) {
      createProduct(input: $input) { id sku name description price { amountCents currency } stock }
    }
  `;
  const UPDATE = /* GraphQL */ `
    mutation ($id: ID!, $input: UpdateProductInput!) {
      updateProduct(id: $id, input: $input) { name description price { amountCents } }
    }
  `;
  const BY_SKU = 'query ($sku: String!) { productBySku(sku: $sku) { id name } }';
  const RESTOCK = 'mutation ($id: ID!, $quantity: Int!) { restock(id: $id, quantity: $quantity) { stock } }';
  const create = (input: Record<string, unknown>, token = graph.adminToken) => graph.products.query(CREATE, { input }, token);

  test('an ADMIN creates, updates and restocks products', async () => {
    const sku = uniqueSku('PEN');
    const created = await create({ sku, name: 'Pen', priceCents: 150, stock: 3 });
    expect(created.errors).toBeUndefined();
    const pen = created.data!.createProduct;
    expect(pen).toMatchObject({ sku, name: 'Pen', description: null, price: { amountCents: 150, currency: 'USD' }, stock: 3 });
    const updated = await graph.products.query(
      UPDATE,
      { id: pen.id, input: { description: 'Blue ink', priceCents: 175 } },
      graph.adminToken,
    );
    expect(updated.data!.updateProduct).toEqual({ name: 'Pen', description: 'Blue ink', price: { amountCents: 175 } });
    const restocked = await graph.products.query(RESTOCK, { id: pen.id, quantity: 7 }, graph.adminToken);
    expect(restocked.data!.restock.stock).toBe(10);
  });

  test('mutations need an ADMIN: FORBIDDEN for a customer, UNAUTHENTICATED anonymously', async () => {
    const input = { sku: uniqueSku('X'), name: 'X', priceCents: 1, stock: 1 };
    expect(await create(input, customer.token)).toHaveErrorCode('FORBIDDEN', ['createProduct']);
    expect(await graph.products.query(CREATE, { input })).toHaveErrorCode('UNAUTHENTICATED', ['createProduct']);
    expect((await graph.products.query(BY_SKU, { sku: input.sku })).data!.productBySku).toBeNull();
  });

  test('createProduct with a SKU already taken fails with SKU_TAKEN and leaves the first product as it was', async () => {
    const sku = uniqueSku('DUP');
    expect((await create({ sku, name: 'First', priceCents: 1, stock: 1 })).errors).toBeUndefined();
    expect(await create({ sku, name: 'Second', priceCents: 2, stock: 2 })).toHaveErrorCode('SKU_TAKEN', ['createProduct']);
    expect((await graph.products.query(BY_SKU, { sku })).data!.productBySku).toMatchObject({ name: 'First' });
  });

  test.each([
    ['a SKU with spaces', { sku: 'bad sku!', name: 'X', priceCents: 1, stock: 1 }],
    ['a negative price', { sku: 'NEG-1', name: 'X', priceCents: -1, stock: 1 }],
    ['a negative stock', { sku: 'NEG-2', name: 'X', priceCents: 1, stock: -5 }],
    ['an empty name', { sku: 'NEG-3', name: '', priceCents: 1, stock: 1 }],
  ])('createProduct with %s fails with BAD_USER_INPUT', async (_case, input) => {
    expect(await create(input)).toHaveErrorCode('BAD_USER_INPUT', ['createProduct']);
  });

  test('a mutation naming a missing id is NOT_FOUND; restock quantity must be positive', async () => {
    const missing = await graph.products.query(RESTOCK, { id: 'nope', quantity: 1 }, graph.adminToken);
    expect(missing).toHaveErrorCode('NOT_FOUND', ['restock']);
    const id = await graph.createProduct(uniqueSku('ZERO'), 100, 4);
    const zero = await graph.products.query(RESTOCK, { id, quantity: 0 }, graph.adminToken);
    expect(zero).toHaveErrorCode('BAD_USER_INPUT', ['restock']);
    expect(await graph.stockOf(id)).toBe(4);
    expect(
      await graph.products.query('mutation { updateProduct(id: "nope", input: {name: "Y"}) { id } }', {}, graph.adminToken),
    ).toHaveErrorCode('NOT_FOUND', ['updateProduct']);
  });

  test('restocking cannot push stock past its cap', async () => {
    const id = await graph.createProduct(uniqueSku('BIG'), 1, 999_999_999);
    const over = await graph.products.query(RESTOCK, { id, quantity: 2 }, graph.adminToken);
    expect(over).toHaveErrorCode('BAD_USER_INPUT', ['restock']);
    expect(await graph.stockOf(id)).toBe(999_999_999);
  });

  test('products lists by name with keyset cursors and case-insensitive search', async () => {
    // Every name carries this test's tag, so the search sees only its own products.
    const tag = uniqueSuffix();
    for (const name of [`apple ${tag}`, `Banana ${tag}`, `cherry ${tag}`, `Apple ${tag} pie`, `Pineapple ${tag}`]) {
      expect((await create({ sku: uniqueSku('FRUIT'), name, priceCents: 100, stock: 1 })).errors).toBeUndefined();
    }
    const QUERY = /* GraphQL */ `
      query ($after: String, $search: String) {
        products(first: 2, after: $after, search: $search) {
          edges { node { name } }
          pageInfo { hasNextPage endCursor }
        }
      }
    `;
    const names: string[] = [];
    let after: string | null = null;
    do {
      const page: GraphQLResponse<{ products: Connection<{ name: string }> }> = await graph.products.query(QUERY, {
        after,
        search: `APPLE ${tag.toUpperCase()}`,
      });
      const { edges, pageInfo } = page.data!.products;
      names.push(...edges.map((edge) => edge.node.name));
      after = pageInfo.hasNextPage ? pageInfo.endCursor : null;
    } while (after);
    expect(names).toEqual([`Apple ${tag} pie`, `Pineapple ${tag}`, `apple ${tag}`]);
    const big = await graph.products.query('{ products(first: 1000) { edges { node { id } } } }');
    expect(big).toHaveErrorCode('BAD_USER_INPUT', ['products']);
  });

  test('_entities resolves Products by id and by sku, batched', async () => {
    const [pen, banana, apple] = [uniqueSku('PEN'), uniqueSku('B'), uniqueSku('A')];
    const penId = await graph.createProduct(pen, 100, 1);
    await graph.createProduct(banana, 100, 1);
    await graph.createProduct(apple, 100, 1);
    const before = graph.products.database.statements.count;
    const result = await graph.products.query('query ($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id sku } } }', {
      r: [
        { __typename: 'Product', id: penId },
        { __typename: 'Product', sku: banana },
        { __typename: 'Product', id: 'missing' },
        { __typename: 'Product', sku: apple },
      ],
    });
    expect(result.data!._entities).toEqual([
      { id: penId, sku: pen },
      expect.objectContaining({ sku: banana }),
      null,
      expect.objectContaining({ sku: apple }),
    ]);
    expect(graph.products.database.statements.count - before).toBe(2); // one by id, one by sku
  });

  test('the stock reservation API refuses callers without a valid service token, and the router does not expose it', async () => {
    const origin = new URL(graph.products.url).origin;
    const post = (authorization?: string) =>
      fetch(`${origin}/internal/stock-reservations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ id: 'r1', items: [{ productId: 'x', quantity: 1 }] }),
      });
    expect((await post()).status).toBe(401);
    expect((await post(`Bearer ${customer.token}`)).status).toBe(401); // a user token is not a service token
    // The router's API has no way to reach it: no root field mentions reservations.
    const schema = await graph.router.query('{ __schema { queryType { fields { name } } mutationType { fields { name } } } }');
    const rootFields = [...schema.data!.__schema.queryType.fields, ...schema.data!.__schema.mutationType.fields].map(
      (field: { name: string }) => field.name,
    );
    expect(rootFields).toEqual(expect.arrayContaining(['placeOrder', 'restock', 'signIn']));
    expect(rootFields.filter((name) => /reserv|release/i.test(name))).toEqual([]);
  });
});
