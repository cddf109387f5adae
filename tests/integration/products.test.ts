import { startSupergraph, type GraphQLResponse, type Supergraph } from '../../testing/harness';
import type { Connection } from '../../testing/data';
import { TARGETS } from '../../testing/databases';

describe.each(TARGETS)('products subgraph on %s', (target) => {
  let graph: Supergraph;
  let customer: { token: string; id: string };
  beforeAll(async () => {
    graph = await startSupergraph(target);
    customer = await graph.signUp('shopper@example.com');
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
  const create = (input: Record<string, unknown>, token = graph.adminToken) => graph.products.query(CREATE, { input }, token);

  test('an ADMIN creates, updates and restocks products', async () => {
    const created = await create({ sku: 'PEN-1', name: 'Pen', priceCents: 150, stock: 3 });
    expect(created.errors).toBeUndefined();
    const pen = created.data!.createProduct;
    expect(pen).toMatchObject({ sku: 'PEN-1', name: 'Pen', description: null, price: { amountCents: 150, currency: 'USD' }, stock: 3 });
    const updated = await graph.products.query(
      UPDATE,
      { id: pen.id, input: { description: 'Blue ink', priceCents: 175 } },
      graph.adminToken,
    );
    expect(updated.data!.updateProduct).toEqual({ name: 'Pen', description: 'Blue ink', price: { amountCents: 175 } });
    const restocked = await graph.products.query(
      'mutation ($id: ID!) { restock(id: $id, quantity: 7) { stock } }',
      { id: pen.id },
      graph.adminToken,
    );
    expect(restocked.data!.restock.stock).toBe(10);
  });

  test('mutations need an ADMIN: FORBIDDEN for a customer, UNAUTHENTICATED anonymously', async () => {
    expect(await create({ sku: 'X-1', name: 'X', priceCents: 1, stock: 1 }, customer.token)).toHaveErrorCode('FORBIDDEN', [
      'createProduct',
    ]);
    expect(await graph.products.query(CREATE, { input: { sku: 'X-1', name: 'X', priceCents: 1, stock: 1 } })).toHaveErrorCode(
      'UNAUTHENTICATED',
      ['createProduct'],
    );
    expect((await graph.products.query('{ productBySku(sku: "X-1") { id } }')).data!.productBySku).toBeNull();
  });

  test.each([
    [{ sku: 'PEN-1', name: 'Dup', priceCents: 1, stock: 1 }, 'SKU_TAKEN'],
    [{ sku: 'bad sku!', name: 'X', priceCents: 1, stock: 1 }, 'BAD_USER_INPUT'],
    [{ sku: 'NEG-1', name: 'X', priceCents: -1, stock: 1 }, 'BAD_USER_INPUT'],
    [{ sku: 'NEG-2', name: 'X', priceCents: 1, stock: -5 }, 'BAD_USER_INPUT'],
    [{ sku: 'NEG-3', name: '', priceCents: 1, stock: 1 }, 'BAD_USER_INPUT'],
  ])('createProduct %j fails with %s', async (input, code) => {
    const result = await create(input);
    expect(result).toHaveErrorCode(code, ['createProduct']);
  });

  test('a mutation naming a missing id is NOT_FOUND; restock quantity must be positive', async () => {
    const missing = await graph.products.query('mutation { restock(id: "nope", quantity: 1) { id } }', {}, graph.adminToken);
    expect(missing).toHaveErrorCode('NOT_FOUND', ['restock']);
    const pen = (await graph.products.query('{ productBySku(sku: "PEN-1") { id } }')).data!.productBySku;
    const zero = await graph.products.query(
      'mutation ($id: ID!) { restock(id: $id, quantity: 0) { id } }',
      { id: pen.id },
      graph.adminToken,
    );
    expect(zero).toHaveErrorCode('BAD_USER_INPUT', ['restock']);
    expect(
      await graph.products.query('mutation { updateProduct(id: "nope", input: {name: "Y"}) { id } }', {}, graph.adminToken),
    ).toHaveErrorCode('NOT_FOUND', ['updateProduct']);
  });

  test('restocking cannot push stock past its cap', async () => {
    const big = (await create({ sku: 'BIG-1', name: 'Big', priceCents: 1, stock: 999_999_999 })).data!.createProduct;
    const over = await graph.products.query(
      'mutation ($id: ID!) { restock(id: $id, quantity: 2) { stock } }',
      { id: big.id },
      graph.adminToken,
    );
    expect(over).toHaveErrorCode('BAD_USER_INPUT', ['restock']);
    expect((await graph.products.query('query ($id: ID!) { product(id: $id) { stock } }', { id: big.id })).data!.product.stock).toBe(
      999_999_999,
    );
  });

  test('products lists by name with keyset cursors and case-insensitive search', async () => {
    for (const [sku, name] of [
      ['A-1', 'apple'],
      ['B-1', 'Banana'],
      ['C-1', 'cherry'],
      ['C-2', 'Apple pie'],
    ]) {
      await create({ sku, name, priceCents: 100, stock: 1 });
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
        search: 'APPLE',
      });
      const { edges, pageInfo } = page.data!.products;
      names.push(...edges.map((edge) => edge.node.name));
      after = pageInfo.hasNextPage ? pageInfo.endCursor : null;
    } while (after);
    expect(names).toEqual(['Apple pie', 'apple']);
    const big = await graph.products.query('{ products(first: 1000) { edges { node { id } } } }');
    expect(big).toHaveErrorCode('BAD_USER_INPUT', ['products']);
  });

  test('_entities resolves Products by id and by sku, batched', async () => {
    const pen = (await graph.products.query('{ productBySku(sku: "PEN-1") { id } }')).data!.productBySku;
    const before = graph.products.database.statements.count;
    const result = await graph.products.query('query ($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id sku } } }', {
      r: [
        { __typename: 'Product', id: pen.id },
        { __typename: 'Product', sku: 'B-1' },
        { __typename: 'Product', id: 'missing' },
        { __typename: 'Product', sku: 'A-1' },
      ],
    });
    expect(result.data!._entities).toEqual([
      { id: pen.id, sku: 'PEN-1' },
      expect.objectContaining({ sku: 'B-1' }),
      null,
      expect.objectContaining({ sku: 'A-1' }),
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
