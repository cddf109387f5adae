import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../lib/paths';
import { freePort, queryAt } from '../../testing/harness';

/** What `npm run dev` needs of the project, copied so that the test can edit its SDL freely. */
const COPIED = ['lib', 'router', 'subgraphs', 'prisma', 'scripts', 'tools', 'package.json', 'tsconfig.json'];

/** `npm run dev` (scripts/start.ts --watch) in a copy of the project, on fresh embedded databases. */
describe('npm run dev', () => {
  let root: string;
  let dev: ChildProcess;
  let output = '';
  let query: ReturnType<typeof queryAt>;

  const waitFor = async <T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 90_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await check();
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms; output:\n${output.slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  const products = path.join('subgraphs', 'products', 'schema.graphql');
  const editSdl = (change: (sdl: string) => string) => {
    const file = path.join(root, products);
    fs.writeFileSync(file, change(fs.readFileSync(file, 'utf8')));
  };

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'dev-loop-'));
    for (const entry of COPIED) fs.cpSync(path.join(PROJECT_ROOT, entry), path.join(root, entry), { recursive: true });
    fs.symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(root, 'node_modules'));
    const ports = {
      ROUTER_PORT: await freePort(),
      USERS_PORT: await freePort(),
      PRODUCTS_PORT: await freePort(),
      ORDERS_PORT: await freePort(),
    };
    dev = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'scripts', 'start.ts'), '--watch'], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'development',
        DATA_DIR: path.join(root, '.data'),
        EMBEDDED_DB_FSYNC: 'false',
        ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [dev.stdout!, dev.stderr!]) stream.on('data', (chunk: Buffer) => (output += chunk.toString()));
    query = queryAt(`http://localhost:${ports.ROUTER_PORT}/graphql`);
    await waitFor('"Supergraph ready"', () => (output.includes('Supergraph ready') ? true : undefined), 120_000);
  }, 150_000);

  afterAll(async () => {
    if (dev && dev.exitCode === null) {
      const exited = new Promise((resolve) => dev.once('exit', resolve));
      dev.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 20_000))]);
    }
    if (root) fs.rmSync(root, { recursive: true, force: true });
  }, 30_000);

  const CURRENCY = '{ products(first: 1) { edges { node { sku currency } } } }';

  test('a field added to a subgraph SDL is served through the router, which is not restarted; a composition error leaves the last good supergraph', async () => {
    const before = await query(CURRENCY);
    expect(before.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED'); // no such field yet
    const routerStarts = output.split('\n').filter((line) => line.startsWith('[router]') && /router ready/.test(line)).length;
    expect(routerStarts).toBe(1);

    editSdl((sdl) =>
      sdl.replace(/^(type Product @key[^\n]*\{\n)/m, '$1  "The currency of its price (added by the dev-loop test)."\n  currency: String\n'),
    );
    const answered = await waitFor('the new field through the router', async () => {
      const answer = await query(CURRENCY);
      return answer.errors ? undefined : answer;
    });
    expect(answered.data?.products.edges[0].node.currency).toBe('USD');
    expect(output).toContain('recomposed router/supergraph.graphql');
    expect(output).toMatch(/\[router\]\s+supergraph updated/);
    expect(output.split('\n').filter((line) => line.startsWith('[router]') && /router ready/.test(line)).length).toBe(routerStarts);

    // Then a composition error: printed, and the router keeps serving the last good supergraph.
    // Valid for products alone (it restarts and serves it), but Money's amountCents no longer matches the other subgraphs'.
    editSdl((sdl) => sdl.replace(/(type Money @shareable \{[^}]*amountCents: )Int!/, '$1String!'));
    await waitFor('the composition error', () => (/composition failed/.test(output) ? true : undefined));
    // Products restarts on its own SDL; once it answers, the field is still in the router's supergraph.
    const still = await waitFor('an answer once products is back', async () => {
      const answer = await query(CURRENCY);
      expect(answer.errors?.[0]?.extensions?.code).not.toBe('GRAPHQL_VALIDATION_FAILED');
      return answer.errors ? undefined : answer;
    });
    expect(still.data?.products.edges[0].node.currency).toBe('USD');
    expect(fs.readFileSync(path.join(root, 'router', 'supergraph.graphql'), 'utf8')).toContain('currency: String');
  }, 120_000);
});
