import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../lib/config';
import { startService, type RunningService } from '../../lib/server';
import { loadRouterConfig } from '../../router/config';
import { buildRouter } from '../../router/server';
import { startSupergraph, type Supergraph } from '../../testing/harness';
import { uniqueSku } from '../../testing/data';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const PRODUCT = 'query Product($sku: String!) { productBySku(sku: $sku) { sku name } }';
const ME = 'query Me { me { name } }';

/** The router serving only the operations of a manifest (router/trusted-documents.ts). */
describe('trusted documents at the router', () => {
  let graph: Supergraph;
  let dir: string;
  let manifest: string;
  let sku: string;
  const routers: RunningService[] = [];

  beforeAll(async () => {
    graph = await startSupergraph('pglite');
    sku = uniqueSku('TRUSTED');
    await graph.createProduct(sku, 300, 5);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trusted-'));
    manifest = path.join(dir, 'manifest.json');
    fs.writeFileSync(
      manifest,
      JSON.stringify({
        format: 'apollo-persisted-query-manifest',
        version: 1,
        operations: [
          { id: sha256(PRODUCT), name: 'Product', type: 'query', body: PRODUCT },
          { id: sha256(ME), name: 'Me', type: 'query', body: ME },
        ],
      }),
    );
  });
  afterAll(async () => {
    for (const router of routers) await router.stop();
    await graph?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function routerWith(env: Record<string, string>): Promise<RunningService> {
    const router = await startService(buildRouter(loadRouterConfig({ ...graph.env, TRUSTED_DOCUMENTS_MANIFEST: manifest, ...env })), {
      port: 0,
    });
    routers.push(router);
    return router;
  }

  async function post(url: string, body: object) {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return {
      status: response.status,
      body: (await response.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] },
    };
  }
  const byHash = (query: string) => ({ persistedQuery: { version: 1, sha256Hash: sha256(query) } });

  describe('required', () => {
    let router: RunningService;
    beforeAll(async () => {
      router = await routerWith({ TRUSTED_DOCUMENTS: 'required' });
    });

    test('a registered hash alone runs its document', async () => {
      const answer = await post(router.url, { extensions: byHash(PRODUCT), variables: { sku } });
      expect(answer).toEqual({ status: 200, body: { data: { productBySku: { sku, name: sku } } } });
    });

    test('a registered hash works over GET too', async () => {
      const url = new URL(router.url);
      url.searchParams.set('extensions', JSON.stringify(byHash(PRODUCT)));
      url.searchParams.set('variables', JSON.stringify({ sku }));
      const response = await fetch(url, { headers: { 'apollo-require-preflight': 'true' } });
      expect(await response.json()).toEqual({ data: { productBySku: { sku, name: sku } } });
    });

    test('a registered document sent in full runs', async () => {
      const answer = await post(router.url, { query: PRODUCT, variables: { sku } });
      expect(answer.body).toEqual({ data: { productBySku: { sku, name: sku } } });
    });

    test('an unregistered document is refused before it is parsed: even one that would not parse', async () => {
      const before = graph.products.stats.graphqlRequests;
      const other = await post(router.url, { query: `{ productBySku(sku: "${sku}") { sku } }` });
      expect(other.status).toBe(400);
      expect(other.body.errors).toEqual([
        { message: expect.stringMatching(/not registered/), extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST' } },
      ]);
      const broken = await post(router.url, { query: '{ productBySku(' });
      expect(broken.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
      expect(graph.products.stats.graphqlRequests).toBe(before);
    });

    test('an unregistered hash is refused, not asked for its document', async () => {
      const answer = await post(router.url, { extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ __typename }') } } });
      expect(answer.status).toBe(400);
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    });

    test('a tampered request, a registered hash with another document, runs nothing', async () => {
      const before = graph.products.stats.graphqlRequests;
      const answer = await post(router.url, { query: `{ productBySku(sku: "${sku}") { sku } }`, extensions: byHash(PRODUCT) });
      expect(answer.status).toBe(400);
      expect(answer.body.data).toBeUndefined();
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
      expect(graph.products.stats.graphqlRequests).toBe(before);
    });

    test('a batch is refused', async () => {
      const response = await fetch(router.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([{ query: PRODUCT, variables: { sku } }]),
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
        'PERSISTED_QUERY_NOT_IN_LIST',
      );
    });
  });

  test('allow: registered and unregistered documents both run', async () => {
    const router = await routerWith({ TRUSTED_DOCUMENTS: 'allow' });
    expect((await post(router.url, { extensions: byHash(PRODUCT), variables: { sku } })).body).toEqual({
      data: { productBySku: { sku, name: sku } },
    });
    expect((await post(router.url, { query: `{ productBySku(sku: "${sku}") { sku } }` })).body).toEqual({
      data: { productBySku: { sku } },
    });
  });

  test('the mode: required in production with a manifest, allow outside it, off without one; a bad manifest stops the start', () => {
    const config = (env: Record<string, string>) => loadRouterConfig({ ...graph.env, ...env }).trustedDocuments;
    expect(config({ NODE_ENV: 'production', TRUSTED_DOCUMENTS_MANIFEST: manifest }).mode).toBe('required');
    expect(config({ TRUSTED_DOCUMENTS_MANIFEST: manifest }).mode).toBe('allow');
    expect(config({ NODE_ENV: 'production' }).mode).toBe('off');
    expect(() => config({ TRUSTED_DOCUMENTS: 'required' })).toThrow(/needs TRUSTED_DOCUMENTS_MANIFEST/);
    expect(() => config({ TRUSTED_DOCUMENTS: 'strict', TRUSTED_DOCUMENTS_MANIFEST: manifest })).toThrow(ConfigError);

    const forged = path.join(dir, 'forged.json');
    fs.writeFileSync(
      forged,
      JSON.stringify({
        format: 'apollo-persisted-query-manifest',
        version: 1,
        operations: [{ id: sha256(ME), name: 'Me', body: PRODUCT }],
      }),
    );
    expect(() => buildRouter(loadRouterConfig({ ...graph.env, TRUSTED_DOCUMENTS_MANIFEST: forged }))).toThrow(
      /not the SHA-256 of its body/,
    );
    fs.writeFileSync(forged, '{"operations": []}');
    expect(() => buildRouter(loadRouterConfig({ ...graph.env, TRUSTED_DOCUMENTS_MANIFEST: forged }))).toThrow(
      /not an Apollo persisted query manifest/,
    );
  });
});
