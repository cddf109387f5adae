import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { ConfigError, loadServiceConfig } from '../../lib/config';
import { DEFAULT_LIMITS, loadEdgeConfig, originAllowed, readTrustProxy } from '../../lib/edge-config';
import { createLogger } from '../../lib/log';
import { startService, type RunningService } from '../../lib/server';
import { loadRouterConfig } from '../../router/config';
import { buildRouter } from '../../router/server';
import { TARGETS } from '../../testing/databases';
import { queryAt, startSupergraph, type Supergraph } from '../../testing/harness';

describe('edge settings', () => {
  test('development allows local dev servers and Apollo Studio; production allows none until CORS_ORIGINS is set', () => {
    const dev = loadEdgeConfig({}, false).cors;
    expect(originAllowed(dev, 'http://localhost:5173')).toBe(true);
    expect(originAllowed(dev, 'http://127.0.0.1:3000')).toBe(true);
    expect(originAllowed(dev, 'https://studio.apollographql.com')).toBe(true);
    expect(originAllowed(dev, 'http://localhost.evil.example')).toBe(false);
    expect(originAllowed(dev, 'https://shop.example.com')).toBe(false);
    const prod = loadEdgeConfig({}, true).cors;
    expect(originAllowed(prod, 'http://localhost:5173')).toBe(false);
    expect(originAllowed(prod, 'https://studio.apollographql.com')).toBe(false);
    const listed = loadEdgeConfig({ CORS_ORIGINS: 'https://shop.example.com, https://admin.example.com' }, true).cors;
    expect(originAllowed(listed, 'https://shop.example.com')).toBe(true);
    expect(originAllowed(listed, 'https://evil.example.com')).toBe(false);
  });

  test('CORS_ORIGINS=* is refused in production, and a malformed origin names the variable', () => {
    expect(() => loadEdgeConfig({ CORS_ORIGINS: '*' }, true)).toThrow(ConfigError);
    expect(originAllowed(loadEdgeConfig({ CORS_ORIGINS: '*' }, false).cors, 'https://anything.example')).toBe(true);
    expect(() => loadEdgeConfig({ CORS_ORIGINS: 'shop.example.com' }, false)).toThrow(/CORS_ORIGINS/);
    expect(() => loadEdgeConfig({ CORS_ORIGINS: 'https://shop.example.com/path' }, false)).toThrow(/CORS_ORIGINS/);
  });

  test('limits have defaults, each overridable, and TRUST_PROXY is parsed once', () => {
    expect(loadEdgeConfig({}, false).limits).toEqual(DEFAULT_LIMITS);
    expect(loadEdgeConfig({ MAX_QUERY_DEPTH: '5', MAX_QUERY_COST: '100' }, false).limits).toMatchObject({ depth: 5, cost: 100 });
    expect(() => loadEdgeConfig({ MAX_QUERY_ALIASES: 'many' }, false)).toThrow(/MAX_QUERY_ALIASES/);
    expect(readTrustProxy({})).toBe(false);
    expect(readTrustProxy({ TRUST_PROXY: 'true' })).toBe(true);
    expect(readTrustProxy({ TRUST_PROXY: '2' })).toBe(2);
    expect(readTrustProxy({ TRUST_PROXY: 'loopback, 10.0.0.0/8' })).toEqual(['loopback', '10.0.0.0/8']);
    expect(() => readTrustProxy({ TRUST_PROXY: 'the load balancer' })).toThrow(/TRUST_PROXY/);
  });
});

describe.each(TARGETS)('the edge of the supergraph on %s', (target) => {
  let graph: Supergraph;
  let origin: string;
  beforeAll(async () => {
    graph = await startSupergraph(target);
    origin = new URL(graph.router.url).origin;
    for (let i = 0; i < 5; i++) await graph.createProduct(`EDGE-${i}`, 100, 10);
  });
  afterAll(() => graph?.stop());

  const preflight = (url: string, from: string) =>
    fetch(url, {
      method: 'OPTIONS',
      headers: { origin: from, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
    });

  test('a preflight from an allowed origin gets 204 with methods, headers, Vary and max-age, on the router and a subgraph', async () => {
    for (const url of [graph.router.url, graph.products.url]) {
      const response = await preflight(url, 'http://localhost:5173');
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
      expect(response.headers.get('access-control-allow-methods')!.split(/,\s*/)).toEqual(['GET', 'POST', 'OPTIONS']);
      const allowed = response.headers.get('access-control-allow-headers')!.split(/,\s*/);
      expect(allowed).toEqual(
        expect.arrayContaining([
          'content-type',
          'authorization',
          'apollo-require-preflight',
          'x-apollo-operation-name',
          'x-request-id',
          'traceparent',
        ]),
      );
      expect(response.headers.get('vary')).toMatch(/Origin/);
      expect(Number(response.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    }
    const post = await fetch(graph.router.url, {
      method: 'POST',
      headers: { origin: 'http://localhost:5173', 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(post.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });

  test('a disallowed origin gets no CORS headers, and CSRF prevention still refuses simple requests', async () => {
    const response = await preflight(graph.router.url, 'https://evil.example');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const post = await fetch(graph.router.url, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(post.headers.get('access-control-allow-origin')).toBeNull();
    const simple = await fetch(graph.router.url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(simple.status).toBe(400);
    expect(await simple.text()).toMatch(/CSRF/);
  });

  test('responses carry security headers', async () => {
    const response = await fetch(`${origin}/health`);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-powered-by')).toBeNull();
  });

  /** Runs `query` through `url` and returns the answer and the SQL statements and subgraph fetches it caused. */
  async function measured(url: string, query: string, variables: Record<string, unknown> = {}) {
    const services = [graph.users, graph.products, graph.orders];
    const sqlBefore = services.reduce((sum, s) => sum + s.database.statements.count, 0);
    const fetchesBefore = services.reduce((sum, s) => sum + s.stats.graphqlRequests, 0);
    const started = performance.now();
    const answer = await queryAt(url)(query, variables, graph.adminToken);
    const ms = performance.now() - started;
    const sql = services.reduce((sum, s) => sum + s.database.statements.count, 0) - sqlBefore;
    const fetches = services.reduce((sum, s) => sum + s.stats.graphqlRequests, 0) - fetchesBefore - (url === graph.router.url ? 0 : 1);
    process.stdout.write(
      `${target}: ${answer.errors?.[0]?.extensions?.code ?? 'ok'} in ${ms.toFixed(1)} ms, ${query.length} bytes, ${sql} SQL statements, ${fetches} subgraph fetches\n`,
    );
    return { answer, sql, fetches };
  }

  test('an alias flood is refused before any fetch or SQL statement, at the router and at a subgraph', async () => {
    const flood = `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: products(first: 100) { edges { node { id name } } }`).join(' ')} }`;
    for (const url of [graph.router.url, graph.products.url]) {
      const { answer, sql, fetches } = await measured(url, flood);
      expect(answer.status).toBe(400);
      expect(answer).toHaveErrorCode('QUERY_TOO_COMPLEX');
      expect(answer.errors![0]!.message).toMatch(/MAX_QUERY_(TOKENS|ALIASES)/);
      expect(answer.data).toBeUndefined();
      expect({ sql, fetches }).toEqual({ sql: 0, fetches: 0 });
    }
    const fewTokens = `{ ${Array.from({ length: 30 }, (_, i) => `a${i}: products(first: 1) { edges { node { id } } }`).join(' ')} }`;
    const aliases = await measured(graph.router.url, fewTokens);
    expect(aliases.answer.errors![0]!.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'MAX_QUERY_ALIASES', max: 20 });
    expect(aliases.answer.errors![0]!.message).toMatch(/Aliases limit of 20 exceeded, found 30/i);
  });

  test('a depth-6 cycle through orders and buyers is refused by depth, a wide nesting by cost', async () => {
    let cycle = 'id';
    for (let i = 0; i < 6; i++) cycle = `orders(first: 20) { edges { node { buyer { ${cycle} } } } }`;
    const deep = await measured(graph.router.url, `{ me { ${cycle} } }`);
    expect(deep.answer.errors![0]!.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'MAX_QUERY_DEPTH', max: 12 });
    expect(deep.answer.errors![0]!.message).toMatch(/depth limit of 12 exceeded/);
    expect({ sql: deep.sql, fetches: deep.fetches }).toEqual({ sql: 0, fetches: 0 });

    const wide = await measured(
      graph.router.url,
      /* GraphQL */ `
        {
          users(first: 100) {
            edges { node { orders(first: 100) { edges { node { id items { product { name } } } } } } }
          }
        }
      `,
    );
    expect(wide.answer.errors![0]!.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'MAX_QUERY_COST', max: 20_000 });
    expect(wide.answer.errors![0]!.message).toMatch(/cost limit of 20000 exceeded, found \d+/);
    expect({ sql: wide.sql, fetches: wide.fetches }).toEqual({ sql: 0, fetches: 0 });
    // The cost follows variables: the same query with a small page passes.
    const small = await measured(
      graph.router.url,
      /* GraphQL */ `
        query ($n: Int) {
          users(first: $n) {
            edges { node { orders(first: $n) { edges { node { id } } } } }
          }
        }
      `,
      { n: 5 },
    );
    expect(small.answer.errors).toBeUndefined();
    const large = await measured(
      graph.router.url,
      /* GraphQL */ `
        query ($n: Int) {
          users(first: $n) {
            edges { node { orders(first: $n) { edges { node { id items { product { name } } } } } } }
          }
        }
      `,
      { n: 100 },
    );
    expect(large.answer).toHaveErrorCode('QUERY_TOO_COMPLEX');
  });

  test('token and root-field limits refuse with the variable named', async () => {
    const many = await measured(graph.router.url, `{ products { edges { node { ${'id '.repeat(2100)} } } } }`);
    expect(many.answer.errors![0]!.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'MAX_QUERY_TOKENS', max: 2000 });
    let strict: RunningService | undefined;
    try {
      strict = await startService(buildRouter(loadRouterConfig({ ...graph.env, MAX_QUERY_ROOT_FIELDS: '2' })), { port: 0 });
      const three = await queryAt(strict.url)(
        /* GraphQL */ `
          {
            me { id }
            products(first: 1) { edges { node { id } } }
            ... on Query { product(id: "x") { id } }
          }
        `,
        {},
        graph.adminToken,
      );
      expect(three.errors![0]!.extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX', limit: 'MAX_QUERY_ROOT_FIELDS', max: 2 });
      expect(three.errors![0]!.message).toMatch(/Root field limit of 2 exceeded, found 3/);
    } finally {
      await strict?.stop();
    }
  });

  test('every query the README shows fits the default limits', async () => {
    const me = await graph.router.query(
      /* GraphQL */ `
        query MyOrders {
          me {
            name
            orders(first: 5) {
              edges {
                node {
                  id
                  status
                  total { amountCents }
                  items { quantity unitPrice { amountCents } product { name stock } }
                }
              }
            }
          }
        }
      `,
      {},
      graph.adminToken,
    );
    expect(me.errors).toBeUndefined();
    const catalogue = await graph.router.query('{ products(first: 3) { edges { node { id sku name price { amountCents } stock } } } }');
    expect(catalogue.errors).toBeUndefined();
  });
});

describe('what production does not tell', () => {
  const typeDefs = parse(`
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
    type Product @key(fields: "id") { id: ID! name: String }
    type Query { products: [Product!]! }
  `);
  const schema = buildSubgraphSchema({ typeDefs, resolvers: { Query: { products: () => [{ id: '1', name: 'Mug' }] } } });
  const start = (production: boolean, inlineTraces?: boolean) =>
    startService(
      {
        name: 'probe',
        log: createLogger('probe'),
        production,
        inlineTraces,
        edge: loadEdgeConfig({}, production),
        graph: { schema },
        context: async () => ({}),
      },
      { port: 0 },
    );
  const ask = (service: RunningService, query: string, headers: Record<string, string> = {}) =>
    fetch(service.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query }),
    }).then((r) => r.json() as Promise<{ errors?: { message: string }[]; extensions?: Record<string, unknown> }>);

  test('validation errors suggest field names in development only', async () => {
    const [dev, prod] = await Promise.all([start(false), start(true)]);
    try {
      expect((await ask(dev, '{ products { nme } }')).errors![0]!.message).toMatch(/Did you mean "name"/);
      const hidden = await ask(prod, '{ products { nme } }');
      expect(hidden.errors![0]!.message).toMatch(/Cannot query field "nme"/);
      expect(hidden.errors![0]!.message).not.toMatch(/Did you mean/);
    } finally {
      await Promise.all([dev.stop(), prod.stop()]);
    }
  });

  test('a subgraph sends inline traces (ftv1) to a router that asks only when INLINE_TRACES is on', async () => {
    expect(loadServiceConfig('products', {}).inlineTraces).toBe(false);
    expect(loadServiceConfig('products', { INLINE_TRACES: 'true' }).inlineTraces).toBe(true);
    const [quiet, tracing] = await Promise.all([start(false), start(false, true)]);
    try {
      const asTheGatewayAsks = { 'apollo-federation-include-trace': 'ftv1' };
      expect((await ask(quiet, '{ products { id } }', asTheGatewayAsks)).extensions?.ftv1).toBeUndefined();
      expect(typeof (await ask(tracing, '{ products { id } }', asTheGatewayAsks)).extensions?.ftv1).toBe('string');
    } finally {
      await Promise.all([quiet.stop(), tracing.stop()]);
    }
  });
});

describe.each(TARGETS)('what the router passes on to subgraphs, and back, on %s', (target) => {
  let graph: Supergraph;
  // Three sign-in attempts per client address a minute, so the tests can reach the limit.
  beforeAll(async () => (graph = await startSupergraph(target, { AUTH_RATE_LIMIT_IP_ATTEMPTS: '3' })));
  afterAll(() => graph?.stop());

  const SIGN_IN = 'mutation ($email: String!) { signIn(email: $email, password: "wrong-password") { token } }';
  const signInFrom = async (url: string, address: string, email: string) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': address },
      body: JSON.stringify({ query: SIGN_IN, variables: { email } }),
    });
    return {
      status: response.status,
      ...((await response.json()) as { errors?: { message: string; extensions?: Record<string, unknown> }[] }),
    };
  };

  test("a subgraph's RATE_LIMITED reaches the client through the router with its code and retry hint, counted per client address", async () => {
    for (let i = 0; i < 3; i++) {
      expect(await signInFrom(graph.router.url, '203.0.113.7', `nobody-${i}@example.com`)).toHaveErrorCode('INVALID_CREDENTIALS', [
        'signIn',
      ]);
    }
    const limited = await signInFrom(graph.router.url, '203.0.113.7', 'nobody-3@example.com');
    expect(limited.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    expect(limited.errors![0]!.extensions!.response).toBeUndefined();
    expect(limited.errors![0]!.message).toMatch(/try again/i);
    // Another client behind the same router has its own count.
    expect(await signInFrom(graph.router.url, '203.0.113.8', 'nobody-4@example.com')).toHaveErrorCode('INVALID_CREDENTIALS', ['signIn']);
  });

  test('a router that trusts no proxy ignores a client-sent X-Forwarded-For', async () => {
    const edge = await startService(buildRouter(loadRouterConfig({ ...graph.env, TRUST_PROXY: 'false' })), { port: 0 });
    try {
      const answers = [];
      for (let i = 0; i < 5; i++) answers.push(await signInFrom(edge.url, `198.51.100.${i}`, `spoof-${i}@example.com`));
      // One address, whatever the header said: its fourth and fifth attempts are over the limit of 3.
      for (const answer of answers.slice(3)) expect(answer).toHaveErrorCode('RATE_LIMITED', ['signIn']);
    } finally {
      await edge.stop();
    }
  });

  test("a subgraph's UNAUTHENTICATED keeps its message and never shows the subgraph's URL or body", async () => {
    const anonymous = await graph.router.query('{ orders { edges { node { id } } } }');
    expect(anonymous).toHaveErrorCode('UNAUTHENTICATED', ['orders']);
    expect(anonymous.errors![0]!.message).toMatch(/Sign in first/);
    expect(JSON.stringify(anonymous)).not.toMatch(/localhost:\d+|127\.0\.0\.1|"response"/);
  });
});
