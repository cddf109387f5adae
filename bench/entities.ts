/**
 * `npm run bench -- entities`: the router query for N orders with buyer and items { product },
 * for N = 1, 10 and 100 side by side in one run: SQL statements and fetches per subgraph (which
 * must not grow with N) and median latency over repeated runs.
 */
import { startSupergraph } from '../testing/harness';
import type { Target } from '../testing/databases';
import { median } from './stats';

const QUERY = `query ($first: Int) { orders(first: $first) { edges { node {
  id total { amountCents } buyer { name } items { quantity product { sku name price { amountCents } } }
} } } }`;

export async function benchEntities(target: Target, repeats: number): Promise<void> {
  process.env.LOG_LEVEL = 'silent';
  const graph = await startSupergraph(target);
  try {
    const buyers = await Promise.all([0, 1, 2, 3].map((i) => graph.signUp(`bench-${i}@example.com`)));
    const products: string[] = [];
    for (let i = 0; i < 5; i++) {
      const created = await graph.products.query(
        'mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }',
        { input: { sku: `B-${i}`, name: `Bench ${i}`, priceCents: 100, stock: 100_000 } },
        graph.adminToken,
      );
      products.push(created.data!.createProduct.id);
    }
    for (let i = 0; i < 100; i += 10) {
      await Promise.all(
        Array.from({ length: 10 }, (_, j) =>
          graph.orders.query(
            'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
            {
              input: {
                items: [
                  { productId: products[(i + j) % 5], quantity: 1 },
                  { productId: products[(i + j + 1) % 5], quantity: 1 },
                ],
              },
            },
            buyers[(i + j) % 4]!.token,
          ),
        ),
      );
    }
    const services = { users: graph.users, products: graph.products, orders: graph.orders };
    console.log(`router query for N orders with buyer and items { product } on ${target}, ${repeats} runs each:`);
    for (const first of [1, 10, 100]) {
      const times: number[] = [];
      let sql: Record<string, number> = {};
      let fetches: Record<string, number> = {};
      for (let run = 0; run < repeats; run++) {
        const sqlBefore = Object.fromEntries(Object.entries(services).map(([name, s]) => [name, s.database.statements.count]));
        const fetchBefore = Object.fromEntries(Object.entries(services).map(([name, s]) => [name, s.stats.graphqlRequests]));
        const started = process.hrtime.bigint();
        const result = await graph.router.query(QUERY, { first }, graph.adminToken);
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
        if (result.errors) throw new Error(JSON.stringify(result.errors));
        sql = Object.fromEntries(Object.entries(services).map(([name, s]) => [name, s.database.statements.count - sqlBefore[name]!]));
        fetches = Object.fromEntries(Object.entries(services).map(([name, s]) => [name, s.stats.graphqlRequests - fetchBefore[name]!]));
      }
      console.log(
        `  N=${String(first).padEnd(3)} median ${median(times).toFixed(1)} ms; SQL statements ${JSON.stringify(sql)}; subgraph fetches ${JSON.stringify(fetches)}`,
      );
    }
  } finally {
    await graph.stop();
  }
}
