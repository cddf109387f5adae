import { startSupergraph, type Supergraph } from '../../testing/harness';
import { type Connection, uniqueEmail, uniqueSku } from '../../testing/data';
import { TARGETS } from '../../testing/databases';

/** The JSON log lines written while `run` runs (the harness silences logs; this turns them on). */
async function logLines(run: () => Promise<void>): Promise<{ level: string; message: string; [field: string]: unknown }[]> {
  const written: string[] = [];
  const level = process.env.LOG_LEVEL;
  const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
  process.env.LOG_LEVEL = 'info';
  try {
    await run();
  } finally {
    process.env.LOG_LEVEL = level;
    write.mockRestore();
  }
  return written
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

// Input hygiene through the running supergraph: control characters in any argument (refused by
// inputHygienePlugin, which lib/server.ts gives every service), LIKE wildcards in `search`, and
// invisible characters in names.

describe.each(TARGETS)('input hygiene on %s', (target) => {
  let graph: Supergraph;
  beforeAll(async () => {
    graph = await startSupergraph(target);
  });
  afterAll(() => graph?.stop());

  const CREATE = 'mutation ($input: CreateProductInput!) { createProduct(input: $input) { id name } }';
  const create = (sku: string, name: string) =>
    graph.router.query(CREATE, { input: { sku, name, priceCents: 100, stock: 1 } }, graph.adminToken);
  const SEARCH = /* GraphQL */ `
    query ($search: String) {
      products(first: 100, search: $search) { edges { node { name } } }
    }
  `;
  const search = async (text: string) => {
    const result = await graph.router.query<{ products: Connection<{ name: string }> }>(SEARCH, { search: text });
    expect(result.errors).toBeUndefined();
    return result.data!.products.edges.map((edge) => edge.node.name).sort();
  };

  describe('a NUL byte or control character in any argument is BAD_USER_INPUT, HTTP 400, before any subgraph is called', () => {
    let customer: { token: string; id: string };
    beforeAll(async () => {
      customer = await graph.signUp(uniqueEmail('hygiene'));
    });

    const refusedAtRouter = async (
      query: string,
      variables: Record<string, unknown> | undefined,
      token: string | undefined,
      argument: string,
    ) => {
      const before = {
        users: graph.users.stats.graphqlRequests,
        products: graph.products.stats.graphqlRequests,
        orders: graph.orders.stats.graphqlRequests,
      };
      let result!: Awaited<ReturnType<Supergraph['router']['query']>>;
      const lines = await logLines(async () => {
        result = await graph.router.query(query, variables, token);
      });
      expect(result.status).toBe(400);
      expect(result.errors).toHaveLength(1);
      expect(result.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', argument });
      expect(result.errors![0]!.message).toBe(
        `${argument.startsWith('$') ? 'Variable' : 'Argument'} "${argument}" contains a control character (U+0000); remove it.`,
      );
      expect({
        users: graph.users.stats.graphqlRequests,
        products: graph.products.stats.graphqlRequests,
        orders: graph.orders.stats.graphqlRequests,
      }).toEqual(before);
      // One WARN line at most, no stack: not the INTERNAL_SERVER_ERROR logged at ERROR it used to be.
      expect(lines.filter((line) => line.level === 'error')).toEqual([]);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 'warn', argument, codePoint: 'U+0000' });
      expect(JSON.stringify(lines[0])).not.toMatch(/stack|\\u0000/);
    };

    test('products(search:), as a literal and as a variable', async () => {
      await refusedAtRouter('{ products(search: "cot\\u0000ton") { edges { node { id } } } }', undefined, undefined, 'search');
      await refusedAtRouter(
        'query ($search: String) { products(search: $search) { edges { node { id } } } }',
        { search: 'cot\u0000ton' },
        undefined,
        '$search',
      );
    });

    test('order(id:), signed in', async () => {
      await refusedAtRouter('{ order(id: "\\u0000") { id } }', undefined, customer.token, 'id');
      await refusedAtRouter('query ($id: ID!) { order(id: $id) { id } }', { id: 'x\u0000' }, customer.token, '$id');
    });

    test('signIn email', async () => {
      await refusedAtRouter(
        'mutation { signIn(email: "a\\u0000@example.com", password: "password-123") { token } }',
        undefined,
        undefined,
        'email',
      );
      await refusedAtRouter(
        'mutation ($email: String!) { signIn(email: $email, password: "password-123") { token } }',
        { email: 'a\u0000@example.com' },
        undefined,
        '$email',
      );
    });

    test('createProduct name, as an ADMIN, inside the input object', async () => {
      await refusedAtRouter(
        /* GraphQL */ `
          mutation {
            createProduct(input: { sku: "NUL-1", name: "bad\\u0000name", priceCents: 1, stock: 1 }) { id }
          }
        `,
        undefined,
        graph.adminToken,
        'input.name',
      );
      await refusedAtRouter(
        CREATE,
        { input: { sku: 'NUL-1', name: 'bad\u0000name', priceCents: 1, stock: 1 } },
        graph.adminToken,
        '$input.name',
      );
      expect((await graph.products.query('{ productBySku(sku: "NUL-1") { id } }')).data!.productBySku).toBeNull();
    });

    test('each subgraph refuses the same on its own, _entities representations included', async () => {
      const search = await graph.products.query('query ($search: String) { products(search: $search) { edges { node { id } } } }', {
        search: '\u0000',
      });
      expect(search.status).toBe(400);
      expect(search.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', argument: '$search' });
      const signIn = await graph.users.query('mutation { signIn(email: "\\u0000", password: "password-123") { token } }');
      expect(signIn.status).toBe(400);
      expect(signIn.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', argument: 'email' });
      const order = await graph.orders.query('query ($id: ID!) { order(id: $id) { id } }', { id: '\u0000' }, customer.token);
      expect(order.status).toBe(400);
      expect(order.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', argument: '$id' });
      const entities = await graph.products.query(
        /* GraphQL */ `
          query ($representations: [_Any!]!) {
            _entities(representations: $representations) { ... on Product { name } }
          }
        `,
        {
          representations: [
            { __typename: 'Product', id: 'fine' },
            { __typename: 'Product', id: 'p\u0000' },
          ],
        },
      );
      expect(entities.status).toBe(400);
      expect(entities.errors![0]!.extensions).toEqual({ code: 'BAD_USER_INPUT', argument: '$representations[1].id' });
    });
  });

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
      const id = (await create(uniqueSku('BIDI-OK'), 'Plain name')).data!.createProduct.id;
      const result = await graph.router.query(
        /* GraphQL */ `
          mutation ($id: ID!, $input: UpdateProductInput!) {
            updateProduct(id: $id, input: $input) { name }
          }
        `,
        { id, input: { name: 'Plain\u202Ename' } },
        graph.adminToken,
      );
      expect(result.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
    });

    test('a signUp name with a bidi override is BAD_USER_INPUT naming the field; ordinary names pass', async () => {
      const SIGN_UP = 'mutation ($input: SignUpInput!) { signUp(input: $input) { user { name } } }';
      const refused = await graph.router.query(SIGN_UP, {
        input: { email: uniqueEmail('bidi'), password: 'password-123', name: 'Ann\u202Eeb' },
      });
      expect(refused.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
      expect(refused.errors![0]!.message).toContain('U+202E');
      const blank = await graph.router.query(SIGN_UP, { input: { email: uniqueEmail('blank'), password: 'password-123', name: '  ' } });
      expect(blank.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'name' });
      const accepted = await graph.router.query(SIGN_UP, {
        input: { email: uniqueEmail('zoe'), password: 'password-123', name: '  Zoë Ångström 😀 ' },
      });
      expect(accepted.errors).toBeUndefined();
      expect(accepted.data!.signUp.user.name).toBe('Zoë Ångström 😀');
    });
  });
});
