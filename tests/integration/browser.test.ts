import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../testing/browser';
import { startSupergraph, type Supergraph } from '../../testing/harness';

/**
 * A browser app on another origin calls the router, as a React/Vite app or Apollo Sandbox would:
 * a real headless Chromium (testing/browser.ts: the npm package's, or CHROMIUM_PATH's) runs a page
 * served from a second port, which signs in through the router and reads the viewer's orders.
 * The embedded database only: CORS is the router's, whatever the services store data in.
 */

/** The page: sign in, then ask for `me` with the token; the outcome lands in window.outcome. */
function page(routerUrl: string, email: string): string {
  return `<!doctype html><html><body><script>
    const post = (query, variables, token) => fetch(${JSON.stringify(routerUrl)}, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: 'Bearer ' + token } : {}) },
      body: JSON.stringify({ query, variables }),
    }).then((response) => response.json());
    (async () => {
      try {
        const signIn = await post('mutation ($email: String!, $password: String!) { signIn(email: $email, password: $password) { token } }',
          { email: ${JSON.stringify(email)}, password: 'password-123' });
        const me = await post('{ me { email orders(first: 5) { edges { node { id } } } } }', {}, signIn.data.signIn.token);
        window.outcome = { data: me.data };
      } catch (error) {
        window.outcome = { error: String(error) };
      }
    })();
  </script></body></html>`;
}

async function servePage(html: string): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end(html));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('a browser app on another origin', () => {
  let graph: Supergraph;
  let browser: Browser;
  let orderId: string;
  let site: { port: number; close(): Promise<void> };
  const email = 'browser-buyer@example.com';

  beforeAll(async () => {
    [graph, browser] = await Promise.all([startSupergraph('pglite'), launchChromium()]);
    const buyer = await graph.signUp(email);
    const productId = await graph.createProduct('BROWSER-1', 250, 5);
    const placed = await graph.router.query<{ placeOrder: { id: string } }>(
      'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
      { input: { items: [{ productId, quantity: 1 }] } },
      buyer.token,
    );
    orderId = placed.data!.placeOrder.id;
    site = await servePage(page(graph.router.url, email));
  });
  afterAll(async () => {
    await site?.close();
    await browser?.close();
    await graph?.stop();
  });

  async function outcomeAt(url: string): Promise<{ data?: unknown; error?: string }> {
    const tab = await browser.newPage();
    try {
      await tab.goto(url);
      await tab.waitForFunction(() => (window as unknown as { outcome?: unknown }).outcome !== undefined, undefined, { timeout: 30_000 });
      return await tab.evaluate(() => (window as unknown as { outcome: { data?: unknown; error?: string } }).outcome);
    } finally {
      await tab.close();
    }
  }

  test('an allowed origin signs in through the router and reads its orders', async () => {
    const started = performance.now();
    // The page's origin is http://127.0.0.1:<port>; the router is at http://localhost:<port>.
    const outcome = await outcomeAt(`http://127.0.0.1:${site.port}/`);
    process.stdout.write(`browser round trip (page load, preflights, signIn, me) took ${(performance.now() - started).toFixed(0)} ms\n`);
    expect(outcome.error).toBeUndefined();
    expect(outcome.data).toEqual({ me: { email, orders: { edges: [{ node: { id: orderId } }] } } });
  });

  test('a disallowed origin is blocked by the browser', async () => {
    // *.localhost resolves to this machine, but is not an origin the development default allows.
    const outcome = await outcomeAt(`http://shop.localhost:${site.port}/`);
    expect(outcome.data).toBeUndefined();
    expect(outcome.error).toMatch(/Failed to fetch/);
  });
});
