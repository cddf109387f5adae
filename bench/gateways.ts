/**
 * `npm run bench -- gateways [seconds=10] [rounds=3] [scenarios=mix,hot,catalogue,users]
 * [gateways=router,stock,hive]`: this project's router beside a stock Apollo Gateway and Hive
 * Gateway (bench/router-process.ts), all on the same three subgraphs, under realistic traffic.
 *
 * Everything runs as production does: compiled (`npm run build`, then the gateway launcher
 * transpiled beside it), NODE_ENV=production, every service in a process of its own, on fresh
 * embedded databases, or on PostgreSQL ones when BENCH_DATABASE_URL names a server
 * (postgresql://postgres@127.0.0.1:5432/postgres). The data: 200 products, 50 customers, 100 orders.
 *
 * Scenarios (20 connections, autocannon in this process):
 *   mix        50 customers; ~60 % anonymous catalogue reads (`products` pages and searches,
 *              `product`, `productBySku`), 30 % personal reads (`me { orders { items { product } } }`),
 *              10 % `placeOrder`
 *   hot        one ADMIN sending one identical query: 20 orders with `buyer` and `items { product }`
 *   catalogue  anonymous `products(first: 20)`
 *   users      20 customers, each reading their own orders with items and products
 *
 * Gateways (GATEWAY_CHOICES): router, stock, hive; and, to see what a part of the router costs,
 * tracing (the router exporting every span over OTLP/HTTP to a sink in this process), trusted (the
 * router with TRUSTED_DOCUMENTS=required and a manifest of this bench's operations, which the
 * clients send in full, so the router hashes each one), no-limits
 * (the router without its operation limits) and router-again (the same router twice: the spread
 * between the two is the noise floor of the run). `npm run bench -- router` is
 * `gateways 5 3 catalogue router,tracing,trusted,no-limits,stock,router-again`.
 *
 * Before measuring, every gateway must give the same data for each scenario's fixed requests. Then
 * rounds alternate across gateways (ABBA). Per gateway it prints requests/s, p50 and p99 latency,
 * answers with errors, CPU per answered request of the gateway and of each subgraph (from
 * /proc/<pid>/stat deltas), ratios to stock Apollo Gateway and to Hive Gateway (when they run), and
 * RSS idle and after the run; medians over the rounds. The same tables are written as markdown to
 * .data/bench/gateways-<time>.md. With BENCH_CPU_PROF=1 every process runs under `--cpu-prof` and
 * the end of the run says where each spent its CPU (bench/profile.ts).
 *
 * BENCH_RATE=<requests/s> offers every gateway the same load instead of as much as it takes, so
 * their latencies compare at equal throughput (autocannon's overallRate, corrected for coordinated
 * omission). Without it, a faster gateway is sent more requests and its subgraphs queue more.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import autocannon from 'autocannon';
import { transformSync } from 'esbuild';
import { PROJECT_ROOT } from '../lib/paths';
import { portVariable, SERVICES, type ServiceName } from '../lib/services';
import { createTestDatabases } from '../testing/databases';
import { freePort } from '../testing/free-port';
import { cpuMsOf, IMAGE_ENV, rssMiB } from './proc';
import { formatProfile, summariseProfile } from './profile';
import type { RouterVariant } from './router-process';
import { median } from './stats';

/** What `gateways=` may name: its name in the tables, the launcher's variant, and whether it traces. */
export const GATEWAY_CHOICES = {
  router: { name: 'router', variant: 'router' },
  stock: { name: 'stock gateway', variant: 'stock gateway' },
  hive: { name: 'hive gateway', variant: 'hive gateway' },
  tracing: { name: 'router, tracing on', variant: 'router', tracing: true },
  trusted: { name: 'router, trusted documents', variant: 'router', trusted: true },
  'no-limits': { name: 'no limits', variant: 'no limits' },
  'router-again': { name: 'router again', variant: 'router' },
} as const satisfies Record<string, GatewaySpec>;

interface GatewaySpec {
  name: string;
  variant: RouterVariant;
  tracing?: boolean;
  /** TRUSTED_DOCUMENTS=required with a manifest of QUERIES. */
  trusted?: boolean;
}
export type GatewayChoice = keyof typeof GATEWAY_CHOICES;
export const DEFAULT_GATEWAYS: readonly GatewayChoice[] = ['router', 'stock', 'hive'];
export const SCENARIOS = ['mix', 'hot', 'catalogue', 'users'] as const;
type ScenarioName = (typeof SCENARIOS)[number];
const CONNECTIONS = 20;
const PASSWORD = 'bench-password-1';
const ADMIN = { email: 'admin@bench.example', password: 'bench-admin-password-1' };
const WORDS = ['Blue', 'Red', 'Green', 'Oak', 'Steel', 'Linen', 'Cedar', 'Amber', 'Slate', 'Ivory'];
const THINGS = ['Mug', 'Lamp', 'Chair', 'Table', 'Shelf', 'Rug', 'Vase', 'Clock', 'Bowl', 'Desk'];

interface Request {
  body: string;
  token?: string;
}

interface Scenario {
  name: ScenarioName;
  describe: string;
  /** Requests every gateway must answer with the same data before anything is measured. */
  samples: Request[];
  next(): Request;
}

interface Seeded {
  productIds: string[];
  skus: string[];
  /** `after` cursors of the catalogue's pages of 20, in name order (the first page has none). */
  cursors: (string | null)[];
  customers: string[];
}

interface Running {
  name: string;
  child: ChildProcess;
  url: string;
  /** Its Prometheus metrics (this project's services only), for the V8 heap and external memory. */
  metricsUrl?: string;
}

/** V8's heap (used and reserved) and memory outside it (ArrayBuffers such as PGlite's WebAssembly memory), in MiB, from a service's /metrics. */
async function heapOf(metricsUrl: string | undefined): Promise<{ used: number; total: number; external: number } | undefined> {
  if (!metricsUrl) return undefined;
  try {
    const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) })).text();
    const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN) / 1024 / 1024;
    return {
      used: value('nodejs_heap_size_used_bytes'),
      total: value('nodejs_heap_size_total_bytes'),
      external: value('nodejs_external_memory_bytes'),
    };
  } catch {
    return undefined;
  }
}

interface Round {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU per answered request, in ms, of the gateway and of each subgraph. */
  cpu: Record<string, number>;
}

const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
const body = (query: string, variables?: Record<string, unknown>) => JSON.stringify({ query, variables });

const QUERIES = {
  page: 'query Catalogue($after: String) { products(first: 20, after: $after) { edges { node { id sku name price { amountCents currency } } } pageInfo { hasNextPage endCursor } } }',
  search:
    'query Search($search: String!) { products(first: 20, search: $search) { edges { node { id sku name price { amountCents currency } } } pageInfo { hasNextPage endCursor } } }',
  product: 'query Product($id: ID!) { product(id: $id) { id sku name description price { amountCents currency } stock } }',
  bySku: 'query BySku($sku: String!) { productBySku(sku: $sku) { id sku name price { amountCents currency } stock } }',
  myOrders:
    'query MyOrders { me { name orders(first: 5) { edges { node { id status total { amountCents currency } items { quantity product { id name price { amountCents } } } } } } } }',
  placeOrder: 'mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id status total { amountCents currency } } }',
  hot: '{ orders(first: 20) { edges { node { id status buyer { name } items { quantity product { name } } } } } }',
  catalogue: '{ products(first: 20) { edges { node { id sku name price { amountCents currency } } } pageInfo { hasNextPage endCursor } } }',
  users: '{ me { orders(first: 20) { edges { node { id items { quantity product { name } } } } } } }',
};

function scenarios(seeded: Seeded, tokens: { admin: string; customers: string[] }): Scenario[] {
  const catalogueRead = (): Request => {
    const kind = Math.random();
    if (kind < 0.35) return { body: body(QUERIES.page, { after: pick(seeded.cursors) }) };
    if (kind < 0.6) return { body: body(QUERIES.search, { search: pick([...WORDS, ...THINGS]).toLowerCase() }) };
    if (kind < 0.8) return { body: body(QUERIES.product, { id: pick(seeded.productIds) }) };
    return { body: body(QUERIES.bySku, { sku: pick(seeded.skus) }) };
  };
  const placeOrder = (): Request => {
    const products = [pick(seeded.productIds), pick(seeded.productIds)];
    const items = [...new Set(products)].map((productId) => ({ productId, quantity: 1 }));
    return { body: body(QUERIES.placeOrder, { input: { items, idempotencyKey: randomUUID() } }), token: pick(tokens.customers) };
  };
  const users = tokens.customers.slice(0, 20);
  return [
    {
      name: 'mix',
      describe: '50 customers: 60 % anonymous catalogue reads, 30 % their own orders with products, 10 % placeOrder',
      samples: [
        { body: body(QUERIES.page, { after: seeded.cursors[1] }) },
        { body: body(QUERIES.search, { search: 'lamp' }) },
        { body: body(QUERIES.product, { id: seeded.productIds[0] }) },
        { body: body(QUERIES.bySku, { sku: seeded.skus[1] }) },
        { body: body(QUERIES.myOrders), token: tokens.customers[0] },
      ],
      next: () => {
        const kind = Math.random();
        if (kind < 0.6) return catalogueRead();
        if (kind < 0.9) return { body: body(QUERIES.myOrders), token: pick(tokens.customers) };
        return placeOrder();
      },
    },
    {
      name: 'hot',
      describe: 'one ADMIN, one identical query: 20 orders with buyer and items { product }',
      samples: [{ body: body(QUERIES.hot), token: tokens.admin }],
      next: () => ({ body: body(QUERIES.hot), token: tokens.admin }),
    },
    {
      name: 'catalogue',
      describe: 'anonymous products(first: 20)',
      samples: [{ body: body(QUERIES.catalogue) }],
      next: () => ({ body: body(QUERIES.catalogue) }),
    },
    {
      name: 'users',
      describe: '20 customers, each reading their own orders with items and products',
      samples: users.slice(0, 3).map((token) => ({ body: body(QUERIES.users), token })),
      next: () => ({ body: body(QUERIES.users), token: pick(users) }),
    },
  ];
}

async function post<T>(url: string, request: Request): Promise<{ data?: T; errors?: { message: string }[] }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(request.token ? { authorization: `Bearer ${request.token}` } : {}) },
    body: request.body,
    signal: AbortSignal.timeout(30_000),
  });
  return (await response.json()) as { data?: T; errors?: { message: string }[] };
}

async function must<T>(url: string, query: string, variables?: Record<string, unknown>, token?: string): Promise<T> {
  const answer = await post<T>(url, { body: body(query, variables), token });
  if (!answer.data || answer.errors) throw new Error(`${query.slice(0, 60)}… failed: ${JSON.stringify(answer.errors)}`);
  return answer.data;
}

/** Requests per second offered to every gateway (BENCH_RATE); unset, each takes as many as it can. */
const RATE = Number(process.env.BENCH_RATE) || undefined;

/** With BENCH_CPU_PROF set, every process writes a V8 CPU profile here as it exits. */
const PROFILE_DIR = process.env.BENCH_CPU_PROF ? path.join(PROJECT_ROOT, '.data', 'bench', `profiles-${Date.now()}`) : undefined;

function start(name: string, entry: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const profile = PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', path.join(PROFILE_DIR, name)] : [];
  const child = spawn(process.execPath, [...profile, ...entry], { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  readline.createInterface({ input: child.stderr! }).on('line', (line) => process.stderr.write(`[${name}] ${line}\n`));
  return child;
}

/** SIGTERM, then SIGKILL after 5 s: Hive Gateway's runtime keeps its process alive after SIGTERM while it disposes. */
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function waitFor(running: Running, ready: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 120_000;
  let last = 'no answer';
  for (;;) {
    if (running.child.exitCode !== null) throw new Error(`${running.name} exited with ${running.child.exitCode}`);
    try {
      if (await ready()) return;
    } catch (error) {
      last = `${(error as Error).message} ${String((error as Error).cause ?? '')} (${running.url})`;
    }
    if (Date.now() > deadline) throw new Error(`${running.name} did not answer within 120 s: ${last}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A trusted documents manifest (Apollo's format) of every operation this bench sends; returns its path. */
function writeManifest(): string {
  const file = path.join(PROJECT_ROOT, '.data', 'bench', 'manifest.json');
  const operations = Object.entries(QUERIES).map(([name, body]) => ({
    id: createHash('sha256').update(body).digest('hex'),
    name,
    type: body.startsWith('mutation') ? 'mutation' : 'query',
    body,
  }));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations }));
  return file;
}

/** dist/ as `npm run build` makes it, plus the gateway launcher compiled beside it (it imports dist/lib, dist/router). */
function build(): void {
  const built = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], { cwd: PROJECT_ROOT, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('npm run build failed');
  const source = fs.readFileSync(path.join(PROJECT_ROOT, 'bench', 'router-process.ts'), 'utf8');
  const { code } = transformSync(source, { loader: 'ts', format: 'cjs', platform: 'node', target: 'node20' });
  fs.mkdirSync(path.join(PROJECT_ROOT, 'dist', 'bench'), { recursive: true });
  fs.writeFileSync(path.join(PROJECT_ROOT, 'dist', 'bench', 'router-process.js'), code);
}

async function seed(urls: Record<ServiceName, string>): Promise<Seeded> {
  const [admin] = await signIn(urls.users, [ADMIN]);
  const productIds: string[] = [];
  const skus: string[] = [];
  for (let i = 0; i < 200; i++) {
    const sku = `BENCH-${String(i).padStart(4, '0')}`;
    const name = `${WORDS[i % WORDS.length]} ${THINGS[Math.floor(i / WORDS.length) % THINGS.length]} ${i}`;
    const input = { sku, name, description: `${name}, for the benchmark`, priceCents: 500 + ((i * 37) % 5000), stock: 1_000_000_000 };
    const created = await must<{ createProduct: { id: string } }>(
      urls.products,
      'mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }',
      { input },
      admin!,
    );
    productIds.push(created.createProduct.id);
    skus.push(sku);
  }
  const cursors: (string | null)[] = [null];
  for (;;) {
    const page = await must<{ products: { pageInfo: { hasNextPage: boolean; endCursor: string } } }>(urls.products, QUERIES.page, {
      after: cursors.at(-1),
    });
    if (!page.products.pageInfo.hasNextPage) break;
    cursors.push(page.products.pageInfo.endCursor);
  }
  const customers: string[] = [];
  for (let i = 0; i < 50; i++) customers.push(`customer-${i}@bench.example`);
  for (const email of customers) {
    await must(urls.users, 'mutation ($input: SignUpInput!) { signUp(input: $input) { token } }', {
      input: { email, password: PASSWORD, name: `Customer ${email.split('@')[0]}` },
    });
  }
  const tokens = await signIn(
    urls.users,
    customers.map((email) => ({ email, password: PASSWORD })),
  );
  for (let i = 0; i < 100; i++) {
    const items = [...new Set([pick(productIds), pick(productIds), pick(productIds)])].map((productId) => ({
      productId,
      quantity: 1 + (i % 3),
    }));
    await must(urls.orders, QUERIES.placeOrder, { input: { items, idempotencyKey: `seed-${i}` } }, tokens[i % tokens.length]);
  }
  return { productIds, skus, cursors, customers };
}

/** Fresh access tokens (they live 15 minutes), one per account; 8 at a time, within users' password-hashing queue. */
async function signIn(usersUrl: string, accounts: { email: string; password: string }[]): Promise<string[]> {
  const mutation = 'mutation ($e: String!, $p: String!) { signIn(email: $e, password: $p) { token } }';
  const tokens: string[] = [];
  for (let i = 0; i < accounts.length; i += 8) {
    const batch = accounts.slice(i, i + 8);
    tokens.push(
      ...(await Promise.all(
        batch.map(
          async ({ email, password }) =>
            (
              await must<{ signIn: { token: string } }>(usersUrl, mutation, { e: email, p: password })
            ).signIn.token,
        ),
      )),
    );
  }
  return tokens;
}

function load(
  url: string,
  seconds: number,
  scenario: Scenario,
): Promise<{ result: autocannon.Result; errors: number; firstError?: string }> {
  let errors = 0;
  let firstError: string | undefined;
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections: CONNECTIONS,
        duration: seconds,
        ...(RATE && { overallRate: RATE }),
        requests: [
          {
            method: 'POST',
            setupRequest: (request) => {
              const next = scenario.next();
              return {
                ...request,
                method: 'POST',
                body: next.body,
                headers: { 'content-type': 'application/json', ...(next.token ? { authorization: `Bearer ${next.token}` } : {}) },
              };
            },
            onResponse: (status, text) => {
              if (status !== 200 || text.includes('"errors"')) {
                errors++;
                firstError ??= `HTTP ${status} ${text.slice(0, 300)}`;
              }
            },
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve({ result, errors, firstError })),
    );
  });
}

/** The `data` each gateway gives for the scenario's fixed requests: all must be equal. */
async function checkSameAnswers(gateways: Running[], scenario: Scenario): Promise<void> {
  for (const sample of scenario.samples) {
    const answers = await Promise.all(gateways.map(async ({ url }) => JSON.stringify(await post(url, sample))));
    if (answers.some((answer) => answer !== answers[0]) || answers[0]!.includes('"errors"')) {
      throw new Error(
        `${scenario.name}: the gateways answer ${sample.body} differently:\n${gateways.map(({ name }, i) => `  ${name}: ${answers[i]!.slice(0, 400)}`).join('\n')}`,
      );
    }
  }
}

const format = (value: number, digits = 0) => value.toFixed(digits);

/** An OTLP/HTTP endpoint that takes every export and keeps only a count of them and their bytes. */
async function startOtlpSink(): Promise<{ url: string; received: { exports: number; bytes: number }; close(): void }> {
  const received = { exports: 0, bytes: 0 };
  const server = http.createServer((request, response) => {
    request.on('data', (chunk: Buffer) => (received.bytes += chunk.length));
    request.on('end', () => {
      received.exports++;
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, received, close: () => server.close() };
}

export async function benchGateways(
  seconds: number,
  rounds: number,
  only: readonly ScenarioName[] = SCENARIOS,
  chosen: readonly GatewayChoice[] = DEFAULT_GATEWAYS,
): Promise<void> {
  const unknown = [...only.filter((name) => !SCENARIOS.includes(name)), ...chosen.filter((choice) => !(choice in GATEWAY_CHOICES))];
  if (unknown.length > 0) {
    throw new Error(
      `unknown: ${unknown.join(', ')}; scenarios are ${SCENARIOS.join(', ')}, gateways ${Object.keys(GATEWAY_CHOICES).join(', ')}`,
    );
  }
  build();
  const sink = chosen.some((choice) => 'tracing' in GATEWAY_CHOICES[choice]) ? await startOtlpSink() : undefined;
  const server = process.env.BENCH_DATABASE_URL;
  if (server) process.env.TEST_DATABASE_URL = server;
  const databases = await createTestDatabases(server ? 'postgres' : 'pglite');
  const key = () => generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const ports = Object.fromEntries(await Promise.all(SERVICES.map(async (name) => [name, await freePort()] as const))) as Record<
    ServiceName,
    number
  >;
  const urls = Object.fromEntries(SERVICES.map((name) => [name, `http://127.0.0.1:${ports[name]}/graphql`])) as Record<ServiceName, string>;
  const env: NodeJS.ProcessEnv = {
    ...IMAGE_ENV,
    ...process.env,
    ...databases.env,
    NODE_ENV: 'production',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'error',
    ALLOW_EMBEDDED_DB: 'true',
    JWT_PRIVATE_KEY: key(),
    SERVICE_PRIVATE_KEY: key(),
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    TRUST_PROXY: 'loopback',
    // Sign-ins and the seeding all come from 127.0.0.1.
    AUTH_RATE_LIMIT_IP_ATTEMPTS: '1000000',
    OTEL_EXPORTER_OTLP_ENDPOINT: '',
    ...Object.fromEntries(SERVICES.map((name) => [portVariable(name), String(ports[name])])),
    ...Object.fromEntries(SERVICES.map((name) => [`${name.toUpperCase()}_URL`, urls[name]])),
  };
  const subgraphs: Running[] = [];
  const gateways: Running[] = [];
  const all = () => [...subgraphs, ...gateways];
  /** Every process's heap now, by name (undefined for the gateways that serve no metrics). */
  const heaps = async () =>
    Object.fromEntries(await Promise.all(all().map(async ({ name, metricsUrl }) => [name, await heapOf(metricsUrl)] as const)));
  try {
    for (const name of SERVICES) {
      const metricsPort = await freePort();
      const running = {
        name,
        url: urls[name],
        metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
        child: start(name, [`dist/subgraphs/${name}/index.js`], { ...env, METRICS_PORT: String(metricsPort) }),
      };
      subgraphs.push(running);
    }
    for (const running of subgraphs) await waitFor(running, async () => (await fetch(running.url.replace('/graphql', '/ready'))).ok);
    console.log(`Seeding ${server ? 'PostgreSQL' : 'embedded'} databases: 200 products, 50 customers, 100 orders…`);
    const seeded = await seed(urls);
    for (const choice of chosen) {
      const gateway: GatewaySpec = GATEWAY_CHOICES[choice];
      const { name } = gateway;
      const port = await freePort();
      const metricsPort = await freePort();
      const child = start(name, ['dist/bench/router-process.js', gateway.variant], {
        ...env,
        ROUTER_PORT: String(port),
        METRICS_PORT: String(metricsPort),
        ...(gateway.tracing && sink ? { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url } : {}),
        ...(gateway.trusted ? { TRUSTED_DOCUMENTS: 'required', TRUSTED_DOCUMENTS_MANIFEST: writeManifest() } : {}),
      });
      // The stock and Hive gateways serve no metrics.
      const ours = gateway.variant === 'router' || gateway.variant === 'no limits';
      const running = {
        name,
        url: `http://127.0.0.1:${port}/graphql`,
        child,
        metricsUrl: ours ? `http://127.0.0.1:${metricsPort}/metrics` : undefined,
      };
      gateways.push(running);
      await waitFor(running, async () => {
        const answer = await post<{ products: unknown }>(running.url, { body: body(QUERIES.catalogue) });
        if (!answer.data?.products) throw new Error(`answered ${JSON.stringify(answer).slice(0, 300)}`);
        return true;
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const idleRss = Object.fromEntries(all().map(({ name, child }) => [name, rssMiB(child.pid!)]));
    const idleHeaps = await heaps();

    /** Each scenario's heading and table, printed as it ends and written to the report at the end. */
    const sections: string[] = [];
    for (const scenarioName of only) {
      // Tokens live 15 minutes: fresh ones for every scenario.
      const [admin] = await signIn(urls.users, [ADMIN]);
      const tokens = {
        admin: admin!,
        customers: await signIn(
          urls.users,
          seeded.customers.map((email) => ({ email, password: PASSWORD })),
        ),
      };
      const scenario = scenarios(seeded, tokens).find(({ name }) => name === scenarioName)!;
      await checkSameAnswers(gateways, scenario);
      console.log(`\n${scenario.name}: ${scenario.describe}`);
      for (const gateway of gateways) await load(gateway.url, 3, scenario); // warm-up: JIT, plan caches, pools
      const perGateway = new Map<string, Round[]>(gateways.map(({ name }) => [name, []]));
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? gateways : [...gateways].reverse();
        for (const gateway of order) {
          const measured = [gateway, ...subgraphs];
          const before = measured.map(({ child }) => cpuMsOf(child.pid!));
          const { result, errors, firstError } = await load(gateway.url, seconds, scenario);
          const after = measured.map(({ child }) => cpuMsOf(child.pid!));
          const answered = Math.max(1, result.requests.total - result.non2xx - result.errors);
          if (firstError) console.log(`  ${gateway.name}: ${errors} answers with errors, the first: ${firstError}`);
          perGateway.get(gateway.name)!.push({
            rps: result.requests.average,
            p50: result.latency.p50,
            p99: result.latency.p99,
            errors: errors + result.errors,
            cpu: Object.fromEntries(measured.map(({ name }, i) => [i === 0 ? 'gateway' : name, (after[i]! - before[i]!) / answered])),
          });
        }
      }
      const table = scenarioTable(perGateway);
      console.log(table);
      sections.push(`## ${scenario.name}: ${scenario.describe}\n\n${table}\n`);
    }
    const afterRss = Object.fromEntries(all().map(({ name, child }) => [name, rssMiB(child.pid!)]));
    const afterHeaps = await heaps();
    const memory = [
      '| process | RSS idle (MiB) | RSS after the run (MiB) | V8 heap used / reserved, idle (MiB) | after | external, idle / after (MiB) |',
      '|---|---|---|---|---|---|',
      ...all().map(({ name }) => {
        const [idle, after] = [idleHeaps[name], afterHeaps[name]];
        const heap = (h: typeof idle) => (h ? `${format(h.used)} / ${format(h.total)}` : '—');
        const external = idle && after ? `${format(idle.external)} / ${format(after.external)}` : '—';
        return `| ${name} | ${format(idleRss[name]!)} | ${format(afterRss[name]!)} | ${heap(idle)} | ${heap(after)} | ${external} |`;
      }),
    ].join('\n');
    console.log(`\nMemory\n${memory}`);
    const header = [
      `# Gateways benchmark, ${new Date().toISOString()}`,
      '',
      `\`npm run bench -- gateways ${seconds} ${rounds} ${only.join(',')} ${chosen.join(',')}\`${server ? ' with BENCH_DATABASE_URL (PostgreSQL)' : ' (embedded databases)'}, Node ${process.version}, ${CONNECTIONS} connections${RATE ? `, ${RATE} requests/s offered` : ''}, ${rounds} rounds of ${seconds} s per gateway, alternating; medians.`,
    ];
    const file = path.join(PROJECT_ROOT, '.data', 'bench', `gateways-${new Date().toISOString().replace(/[:.]/g, '-')}.md`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, [...header, '', ...sections, '## Memory', '', memory, ''].join('\n'));
    console.log(`\nWritten to ${path.relative(process.cwd(), file)}`);
  } finally {
    // A tracing router exports its last spans as it stops.
    await Promise.all(all().map(({ child }) => stop(child)));
    await databases.drop();
    sink?.close();
  }
  if (sink)
    console.log(`\nOTLP sink: ${sink.received.exports} exports, ${(sink.received.bytes / 1024 / 1024).toFixed(1)} MiB of spans received`);
  if (PROFILE_DIR) printProfiles(PROFILE_DIR);
}

/** Where each process spent its CPU over the whole run (seeding and every gateway's load included). */
function printProfiles(dir: string): void {
  console.log(`\nCPU profiles (BENCH_CPU_PROF) in ${path.relative(process.cwd(), dir)}:`);
  for (const name of fs.readdirSync(dir)) {
    const files = fs.readdirSync(path.join(dir, name)).filter((file) => file.endsWith('.cpuprofile'));
    if (files.length === 0) console.log(`\n${name}: no profile (killed before it could write one)`);
    for (const file of files) console.log(`\n${formatProfile(name, summariseProfile(path.join(dir, name, file)))}`);
  }
}

function scenarioTable(perGateway: Map<string, Round[]>): string {
  const gateways = [...perGateway.keys()];
  const medianOf = (gateway: string, value: (round: Round) => number) => median(perGateway.get(gateway)!.map(value));
  const rps = (gateway: string) => medianOf(gateway, (round) => round.rps);
  // Ratios to the gateways this run compares against, those of them it ran.
  const baselines = (
    [
      ['stock gateway', '× stock'],
      ['hive gateway', '× Hive'],
    ] as const
  ).filter(([name]) => perGateway.has(name));
  const rows = gateways.map((gateway) => {
    const cpu = (name: string) => medianOf(gateway, (round) => round.cpu[name]!);
    const total = medianOf(gateway, (round) => Object.values(round.cpu).reduce((sum, value) => sum + value, 0));
    const errors = perGateway.get(gateway)!.reduce((sum, round) => sum + round.errors, 0);
    return [
      gateway,
      format(rps(gateway)),
      ...baselines.map(([baseline]) => `${format(rps(gateway) / rps(baseline), 2)}×`),
      format(
        medianOf(gateway, (round) => round.p50),
        1,
      ),
      format(
        medianOf(gateway, (round) => round.p99),
        1,
      ),
      String(errors),
      format(cpu('gateway'), 2),
      ...SERVICES.map((name) => format(cpu(name), 2)),
      format(total, 2),
    ];
  });
  const columns = [
    'gateway',
    'req/s',
    ...baselines.map(([, column]) => column),
    'p50 ms',
    'p99 ms',
    'errors',
    'gateway CPU ms/req',
    ...SERVICES.map((name) => `${name} CPU ms/req`),
    'total CPU ms/req',
  ];
  return [`| ${columns.join(' | ')} |`, `|${' --- |'.repeat(columns.length)}`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}
