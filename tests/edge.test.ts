import { ConfigError } from '../lib/config';
import { loadEdgeConfig, originAllowed, readTrustProxy } from '../lib/edge-config';
import { TARGETS } from './support/databases';
import { startSupergraph, type Supergraph } from './support/harness';

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

  test('TRUST_PROXY is parsed once, naming the variable when wrong', () => {
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
    fetch(url, { method: 'OPTIONS', headers: { origin: from, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' } });

  test('a preflight from an allowed origin gets 204 with methods, headers, Vary and max-age, on the router and a subgraph', async () => {
    for (const url of [graph.router.url, graph.products.url]) {
      const response = await preflight(url, 'http://localhost:5173');
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
      expect(response.headers.get('access-control-allow-methods')!.split(/,\s*/)).toEqual(['GET', 'POST', 'OPTIONS']);
      const allowed = response.headers.get('access-control-allow-headers')!.split(/,\s*/);
      expect(allowed).toEqual(expect.arrayContaining(['content-type', 'authorization', 'apollo-require-preflight', 'x-apollo-operation-name', 'x-request-id', 'traceparent']));
      expect(response.headers.get('vary')).toMatch(/Origin/);
      expect(Number(response.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    }
    const post = await fetch(graph.router.url, { method: 'POST', headers: { origin: 'http://localhost:5173', 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(post.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });

  test('a disallowed origin gets no CORS headers, and CSRF prevention still refuses simple requests', async () => {
    const response = await preflight(graph.router.url, 'https://evil.example');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    const post = await fetch(graph.router.url, { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(post.headers.get('access-control-allow-origin')).toBeNull();
    const simple = await fetch(graph.router.url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ query: '{ __typename }' }) });
    expect(simple.status).toBe(400);
    expect(await simple.text()).toMatch(/CSRF/);
  });

  test('responses carry security headers', async () => {
    const response = await fetch(`${origin}/health`);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-powered-by')).toBeNull();
  });
});
