import { buildSchema, parse, type GraphQLSchema } from 'graphql';
import { costLimitPlugin } from '../../lib/graphql/limits';
import type { OperationLimits } from '../../lib/edge-config';

const SCHEMA = buildSchema(`
  type Item { id: ID! children(first: Int = 1): [Item!]! }
  type Query { items(first: Int = 1, search: String): [Item!]! }
`);
const QUERY = `query Items($n: Int, $search: String, $deep: Boolean!) {
  items(first: $n, search: $search) { id children(first: 100) @include(if: $deep) { id } }
}`;
const LIMITS = { depth: 10, aliases: 10, directives: 10, rootFields: 10, tokens: 1000, cost: 1000 } satisfies OperationLimits;

/** The plugin's verdict on QUERY with these variables: the error's message, or 'ok'. */
async function verdict(plugin: ReturnType<typeof costLimitPlugin>, variables: Record<string, unknown>, schema: GraphQLSchema = SCHEMA) {
  const listener = await plugin.requestDidStart!({} as never);
  try {
    await listener!.didResolveOperation!({
      schema,
      document: parse(QUERY),
      request: { query: QUERY, variables },
      operationName: 'Items',
      queryHash: 'hash-of-QUERY',
    } as never);
    return 'ok';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('the cost limit, remembered per operation', () => {
  test('numbers and booleans in the variables still decide the cost after the operation was estimated', async () => {
    const plugin = costLimitPlugin(LIMITS);
    expect(await verdict(plugin, { n: 5, deep: false })).toBe('ok');
    expect(await verdict(plugin, { n: 50, deep: false })).toBe('ok');
    expect(await verdict(plugin, { n: 50, deep: true })).toMatch(/cost limit of 1000 exceeded, found \d+/);
    expect(await verdict(plugin, { n: 5, deep: true })).toBe('ok');
    expect(await verdict(plugin, { n: 50, deep: true, search: 'another word' })).toMatch(/cost limit of 1000 exceeded/);
  });

  test('variables that do not coerce are left to execution, and do not decide later requests', async () => {
    const plugin = costLimitPlugin(LIMITS);
    expect(await verdict(plugin, { n: 'many', deep: true })).toBe('ok');
    expect(await verdict(plugin, { deep: true, n: 50 })).toMatch(/cost limit of 1000 exceeded/);
  });

  test('another schema (a new supergraph) is estimated again', async () => {
    const plugin = costLimitPlugin(LIMITS);
    const withDefault = (first: number) =>
      buildSchema(`
        type Item { id: ID! children(first: Int = 1): [Item!]! }
        type Query { items(first: Int = ${first}, search: String): [Item!]! }
      `);
    // No $n: the page size is the schema's default.
    expect(await verdict(plugin, { deep: false }, withDefault(5000))).toMatch(/cost limit of 1000 exceeded/);
    expect(await verdict(plugin, { deep: false }, withDefault(5))).toBe('ok');
  });
});
