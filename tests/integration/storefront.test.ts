import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../lib/paths';
import { startService, type RunningService } from '../../lib/server';
import { loadRouterConfig } from '../../router/config';
import { buildRouter } from '../../router/server';
import { launchChromium } from '../../testing/browser';
import { startSupergraph, type Supergraph } from '../../testing/harness';

const DIST = path.join(PROJECT_ROOT, 'storefront', 'dist');
/** Where the pages the test visits are saved, for a person to look at. */
const SCREENS = path.join(PROJECT_ROOT, '.data', 'storefront');

/** storefront/dist served as files, index.html for anything else (a single-page app). */
async function serveDist(): Promise<{ origin: string; close(): Promise<void> }> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.css': 'text/css' };
  const server = http.createServer((request, response) => {
    const wanted = path.join(DIST, decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname));
    const file = wanted.startsWith(DIST) && fs.existsSync(wanted) && fs.statSync(wanted).isFile() ? wanted : path.join(DIST, 'index.html');
    response.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' }).end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * The storefront (storefront/) built as `npm run storefront:build` builds it, in headless Chromium
 * against the real supergraph, through a router that serves only the storefront's registered
 * operations (TRUSTED_DOCUMENTS=required with the manifest the build wrote).
 */
describe('the storefront in a browser', () => {
  let graph: Supergraph;
  let router: RunningService;
  let browser: Browser;
  let site: { origin: string; close(): Promise<void> };
  let page: Page;
  const consoleLines: string[] = [];
  const shot = (name: string) => page.screenshot({ path: path.join(SCREENS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    const built = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/storefront.ts', 'build'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    });
    if (built.status !== 0) throw new Error(`storefront build failed:\n${built.stdout}\n${built.stderr}`);
    [graph, browser] = await Promise.all([startSupergraph('pglite'), launchChromium()]);
    for (const [sku, cents] of [
      ['STORE-LAMP', 4500],
      ['STORE-MUG', 1200],
      ['STORE-RUG', 9900],
    ] as const) {
      await graph.createProduct(sku, cents, 10);
    }
    router = await startService(
      buildRouter(
        loadRouterConfig({
          ...graph.env,
          TRUSTED_DOCUMENTS: 'required',
          TRUSTED_DOCUMENTS_MANIFEST: path.join(DIST, 'persisted-query-manifest.json'),
        }),
      ),
      { port: 0 },
    );
    site = await serveDist();
    fs.mkdirSync(SCREENS, { recursive: true });
    page = await browser.newPage();
    // What the page said, shown when a step fails.
    page.on('console', (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
    page.on('pageerror', (error) => consoleLines.push(`pageerror: ${error.message}`));
  }, 180_000);
  afterEach(() => {
    if (consoleLines.length > 0) process.stdout.write(`storefront console:\n${consoleLines.join('\n')}\n`);
  });
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await router?.stop();
    await graph?.stop();
  });

  test('browse, search, sign up, place an order and see it; with products down the page is partial, not blank', async () => {
    // The router is at http://localhost:<port>, the page at http://127.0.0.1:<port>: a cross-origin app.
    await page.goto(`${site.origin}/?router=${encodeURIComponent(router.url)}`);
    const products = page.getByTestId('product');
    await products.first().waitFor();
    expect(await products.count()).toBe(3);
    await shot('1-catalogue');

    await page.getByLabel('Search').fill('mug');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="product"]').length === 1);
    expect(await products.first().textContent()).toContain('STORE-MUG');

    await page.locator('input[name="name"]').fill('Storefront Buyer');
    await page.locator('input[name="email"]').fill('storefront-buyer@example.com');
    await page.locator('input[name="password"]').fill('storefront-password-1');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByTestId('viewer').waitFor();
    expect(await page.getByTestId('viewer').textContent()).toBe('Signed in as Storefront Buyer');
    await page.getByText('No orders yet.').waitFor();

    await page.getByRole('button', { name: 'Add STORE-MUG' }).click();
    await page.getByRole('button', { name: 'Add STORE-MUG' }).click();
    await shot('2-cart');
    await page.getByRole('button', { name: 'Place order' }).click();
    await page.getByTestId('placed').waitFor();
    expect(await page.getByTestId('placed').textContent()).toBe('Order placed: CONFIRMED, $24.00');
    await page.getByTestId('order').first().waitFor();
    expect(await page.getByTestId('order-item').allTextContents()).toEqual(['2 × STORE-MUG at $12.00']);
    expect(await graph.stockOf(await productId('STORE-MUG'))).toBe(8);
    await shot('3-ordered');

    // Products goes down mid-session: the orders stay, with their quantities and prices; only the product names are missing.
    await graph.products.stop();
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByTestId('product-missing').waitFor();
    expect(await page.getByTestId('partial').textContent()).toMatch(/the products service is unavailable/);
    expect(await page.getByTestId('viewer').textContent()).toBe('Signed in as Storefront Buyer');
    expect(await page.getByTestId('order-item').allTextContents()).toEqual(['2 × product details unavailable at $12.00']);
    expect(await page.getByTestId('order').first().textContent()).toContain('CONFIRMED');
    await shot('4-products-down');
  });

  async function productId(sku: string): Promise<string> {
    const answer = await graph.products.query<{ productBySku: { id: string } }>(
      'query ($sku: String!) { productBySku(sku: $sku) { id } }',
      {
        sku,
      },
    );
    return answer.data!.productBySku.id;
  }
});
