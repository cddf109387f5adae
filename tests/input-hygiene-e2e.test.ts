import { startSupergraph, type Supergraph } from './support/harness';
import { TARGETS } from './support/databases';

// Input hygiene through the running supergraph: LIKE wildcards in `search`.

describe.each(TARGETS)('input hygiene on %s', (target) => {
  let graph: Supergraph;
  beforeAll(async () => {
    graph = await startSupergraph(target);
  });
  afterAll(() => graph?.stop());

  const CREATE = 'mutation ($input: CreateProductInput!) { createProduct(input: $input) { id name } }';
  const create = (sku: string, name: string) => graph.router.query(CREATE, { input: { sku, name, priceCents: 100, stock: 1 } }, graph.adminToken);
  const SEARCH = 'query ($search: String) { products(first: 100, search: $search) { edges { node { name } } } }';
  const search = async (text: string) => {
    const result = await graph.router.query(SEARCH, { search: text });
    expect(result.errors).toBeUndefined();
    return result.data!.products.edges.map((edge: any) => edge.node.name).sort();
  };

  describe('search treats %, _ and \\ literally', () => {
    beforeAll(async () => {
      for (const [sku, name] of [
        ['WILD-1', '100% cotton shirt'],
        ['WILD-2', 'Plain wool shirt'],
        ['WILD-3', 'snake_case mug'],
        ['WILD-4', 'snakes and ladders'],
        ['WILD-5', 'back\\slash poster'],
      ]) {
        expect((await create(sku!, name!)).errors).toBeUndefined();
      }
    });

    test('"%" finds only names with a percent sign', async () => {
      expect(await search('%')).toEqual(['100% cotton shirt']);
      expect(await search('0% c')).toEqual(['100% cotton shirt']);
      expect(await search('l%shirt')).toEqual([]);
    });

    test('"_" finds only names with an underscore', async () => {
      expect(await search('_')).toEqual(['snake_case mug']);
      expect(await search('snake_')).toEqual(['snake_case mug']);
    });

    test('"\\" finds only names with a backslash, and a trailing one is no error', async () => {
      expect(await search('\\')).toEqual(['back\\slash poster']);
      expect(await search('k\\s')).toEqual(['back\\slash poster']);
      expect(await search('\\%')).toEqual([]);
    });

    test('ordinary searches still match case-insensitively, names and SKUs', async () => {
      expect(await search('SHIRT')).toEqual(['100% cotton shirt', 'Plain wool shirt']);
      expect(await search('wild-3')).toEqual(['snake_case mug']);
    });
  });
});
