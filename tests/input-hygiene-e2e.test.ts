import { startSupergraph, type Supergraph } from './support/harness';
import { TARGETS } from './support/databases';

// Input hygiene through the running supergraph: LIKE wildcards in `search`, invisible characters
// in names, and (once lib/server.ts wires inputHygienePlugin) control characters in any argument.

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

  describe('names refuse bidi-override and zero-width characters', () => {
    test.each([
      ['U+202E', 'evil\u202Egnp.exe'],
      ['U+2066', 'a\u2066b'],
      ['U+200B', 'zero\u200Bwidth'],
      ['U+200F', 'mark\u200F'],
      ['U+2060', 'word\u2060joiner'],
      ['U+FEFF', 'b\uFEFFom'], // in the middle: trim() removes a leading U+FEFF as whitespace
    ])('a product name with %s is BAD_USER_INPUT naming the field', async (codePoint, name) => {
      const result = await create(`BIDI-${codePoint.slice(2)}`, name);
      expect(result.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
      expect(result.errors![0]!.message).toContain(codePoint);
    });

    test('updateProduct checks the name too', async () => {
      const id = (await create('BIDI-OK', 'Plain name')).data!.createProduct.id;
      const result = await graph.router.query(
        'mutation ($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { name } }',
        { id, input: { name: 'Plain\u202Ename' } },
        graph.adminToken,
      );
      expect(result.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
    });

    test('a signUp name with a bidi override is BAD_USER_INPUT naming the field; ordinary names pass', async () => {
      const SIGN_UP = 'mutation ($input: SignUpInput!) { signUp(input: $input) { user { name } } }';
      const refused = await graph.router.query(SIGN_UP, { input: { email: 'bidi@example.com', password: 'password-123', name: 'Ann\u202Eeb' } });
      expect(refused.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
      expect(refused.errors![0]!.message).toContain('U+202E');
      const blank = await graph.router.query(SIGN_UP, { input: { email: 'blank@example.com', password: 'password-123', name: '  ' } });
      expect(blank.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
      const accepted = await graph.router.query(SIGN_UP, { input: { email: 'zoe@example.com', password: 'password-123', name: '  Zoë Ångström 😀 ' } });
      expect(accepted.errors).toBeUndefined();
      expect(accepted.data!.signUp.user.name).toBe('Zoë Ångström 😀');
    });
  });
});
