import { createHash } from 'node:crypto';
import { startSupergraph, type Supergraph } from '../../testing/harness';
import { uniqueSku } from '../../testing/data';

/**
 * The router's caches: public catalogue answers for their max-age (and nothing else), and the
 * documents of automatic persisted queries.
 */
describe('the router response cache and persisted queries', () => {
  let graph: Supergraph;
  let productId: string;
  let buyer: { token: string; id: string };

  beforeAll(async () => {
    graph = await startSupergraph('pglite');
    productId = await graph.createProduct(uniqueSku('CACHE'), 250, 50);
    buyer = await graph.signUp(`cache-${Date.now()}@test.example`);
  });
  afterAll(() => graph?.stop());

  /** A POST to the router, with the answer's headers. */
  async function post(query: string | undefined, variables: Record<string, unknown> = {}, authorization?: string, extensions?: object) {
    const response = await fetch(graph.router.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization && { authorization }) },
      body: JSON.stringify({ query, variables, extensions }),
    });
    return {
      headers: response.headers,
      body: (await response.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] },
    };
  }
  const calls = () => ({
    products: graph.products.stats.graphqlRequests,
    orders: graph.orders.stats.graphqlRequests,
    users: graph.users.stats.graphqlRequests,
  });

  const PAGE =
    'query Page($first: Int) { products(first: $first) { edges { node { id name price { amountCents } stock } } pageInfo { hasNextPage } } }';

  test('an anonymous catalogue page is answered again from the cache, with its age, without calling products', async () => {
    const first = await post(PAGE, { first: 7 });
    expect(first.body.errors).toBeUndefined();
    expect(first.headers.get('cache-control')).toBe('max-age=10, public');
    expect(first.headers.get('age')).toBeNull();
    const before = calls();
    const again = await post(PAGE, { first: 7 });
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('age')).not.toBeNull();
    expect(calls()).toEqual(before);
  });

  test('public answers are shared by signed-in callers, but a bad token is still refused', async () => {
    await post(PAGE, { first: 8 });
    const before = calls();
    const signedIn = await post(PAGE, { first: 8 }, `Bearer ${buyer.token}`);
    expect(signedIn.body.errors).toBeUndefined();
    expect(signedIn.headers.get('age')).not.toBeNull();
    const forged = await post(PAGE, { first: 8 }, 'Bearer not-a-token');
    expect(forged.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(forged.body.data ?? null).toBeNull();
    expect(calls()).toEqual(before);
  });

  test('different variables are different entries', async () => {
    await post(PAGE, { first: 3 });
    const before = calls().products;
    const other = await post(PAGE, { first: 4 });
    expect(other.body.errors).toBeUndefined();
    expect(other.headers.get('age')).toBeNull();
    expect(calls().products).toBe(before + 1);
  });

  test('an answer with errors is not kept', async () => {
    const refused = await post(PAGE, { first: 1000 });
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const before = calls().products;
    await post(PAGE, { first: 1000 });
    expect(calls().products).toBe(before + 1);
  });

  test('personal data is never kept: an order query reaches the subgraphs every time and says no-store', async () => {
    const placed = await post(
      'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
      { input: { items: [{ productId, quantity: 1 }] } },
      `Bearer ${buyer.token}`,
    );
    expect(placed.body.errors).toBeUndefined();
    const MINE = '{ me { name orders(first: 5) { edges { node { id items { quantity product { name price { amountCents } } } } } } } }';
    const first = await post(MINE, {}, `Bearer ${buyer.token}`);
    expect(first.body.errors).toBeUndefined();
    expect(first.headers.get('cache-control')).toBe('no-store');
    const before = calls();
    const again = await post(MINE, {}, `Bearer ${buyer.token}`);
    expect(again.headers.get('age')).toBeNull();
    expect(calls().orders).toBeGreaterThan(before.orders);
    expect(calls().users).toBeGreaterThan(before.users);
  });

  test('mutations are never answered from the cache', async () => {
    const RESTOCK = 'mutation ($id: ID!) { restock(id: $id, quantity: 1) { id stock } }';
    const first = await post(RESTOCK, { id: productId }, `Bearer ${graph.adminToken}`);
    const second = await post(RESTOCK, { id: productId }, `Bearer ${graph.adminToken}`);
    const stock = (answer: typeof first) => (answer.body.data as { restock: { stock: number } }).restock.stock;
    expect(stock(second)).toBe(stock(first) + 1);
    expect(second.headers.get('cache-control')).toBe('no-store');
  });

  test('automatic persisted queries: a hash alone is asked for its document once, then answered by hash', async () => {
    const query = '{ products(first: 2) { edges { node { sku } } } }';
    const persisted = { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') } };
    const unknown = await post(undefined, {}, undefined, persisted);
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const registered = await post(query, {}, undefined, persisted);
    expect(registered.body.errors).toBeUndefined();
    const byHash = await post(undefined, {}, undefined, persisted);
    expect(byHash.body).toEqual(registered.body);
    // The same cached answer, whether the document came in full or by hash.
    expect(byHash.headers.get('age')).not.toBeNull();
  });

  test('a document that does not match its hash is refused, and not registered', async () => {
    const query = '{ products(first: 1) { edges { node { id } } } }';
    const wrong = { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update('{ me { id } }').digest('hex') } };
    const tampered = await post(query, {}, undefined, wrong);
    expect(tampered.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    const byHash = await post(undefined, {}, undefined, wrong);
    expect(byHash.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  test('a document over the operation limits is refused and never registered under its hash', async () => {
    const flood = `{ ${Array.from({ length: 25 }, (_, i) => `a${i}: products(first: 1) { pageInfo { hasNextPage } }`).join(' ')} }`;
    const persisted = { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(flood).digest('hex') } };
    const before = calls().products;
    const refused = await post(flood, {}, undefined, persisted);
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'MAX_QUERY_ALIASES' });
    const byHash = await post(undefined, {}, undefined, persisted);
    expect(byHash.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(calls().products).toBe(before);
  });
});
