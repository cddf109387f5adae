// Service logs would drown jest's report; LOG_LEVEL=info shows them when debugging.
process.env.LOG_LEVEL ??= 'silent';

import type { Database } from '../lib/db/database';
import { portVariable, SUBGRAPHS, subgraphPath, type ServiceName } from '../lib/services';
import type { BuildSubgraph } from '../lib/subgraph';
import { startService, type RunningService } from '../lib/server';
import { loadRouterConfig } from '../router/config';
import { buildRouter } from '../router/server';
import { createTestDatabases, type Target } from './databases';
import { freePort } from './free-port';

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string; [key: string]: unknown } }[];
}

export type QueryFn = <T = Record<string, any>>(
  query: string,
  variables?: Record<string, unknown>,
  token?: string,
) => Promise<GraphQLResponse<T>>;

export interface RunningSubgraph extends RunningService {
  database: Database;
  query: QueryFn;
}

/** The router and every subgraph in the registry (lib/services.ts), each under its name. */
export type Supergraph = SupergraphHelpers & Record<ServiceName, RunningSubgraph>;

export interface SupergraphHelpers {
  router: RunningService & { query: QueryFn };
  env: Record<string, string>;
  /** A token for the seeded ADMIN. */
  adminToken: string;
  signUp(email: string, name?: string): Promise<{ token: string; id: string }>;
  /** Creates a product as the ADMIN (name = sku); returns its id. */
  createProduct(sku: string, priceCents: number, stock: number): Promise<string>;
  /** A product's stock as the products subgraph reports it now. */
  stockOf(productId: string): Promise<number>;
  stop(): Promise<void>;
}

export const ADMIN = { email: 'admin@test.example', password: 'admin-password-1' };

export function queryAt(url: string): QueryFn {
  return async (query, variables, token) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, ...((await response.json()) as object) };
  };
}

export { freePort };

/**
 * The three subgraphs and the router, in this process, on free ports and fresh databases of the
 * target kind, with `extraEnv` added to their configuration. Always call `stop()` (in afterAll): it
 * stops every server and drops the databases.
 */
export async function startSupergraph(target: Target, extraEnv: Record<string, string> = {}): Promise<Supergraph> {
  const databases = await createTestDatabases(target);
  const ports = await Promise.all(SUBGRAPHS.map(async ({ name }) => [portVariable(name), String(await freePort())] as const));
  const env: Record<string, string> = {
    ...databases.env,
    NODE_ENV: 'test',
    ...Object.fromEntries(ports),
    ROUTER_PORT: '0',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    // Tests run the recovery pass themselves, when they mean to.
    ORDERS_RECOVERY_INTERVAL_MS: '0',
    // Every suite signs up its users from 127.0.0.1, more than the default 30 a minute per IP;
    // tests/integration/auth-limits.test.ts tests the limits with its own small values.
    AUTH_RATE_LIMIT_IP_ATTEMPTS: '100000',
    // As under npm start: the subgraphs believe the X-Forwarded-For the router (on loopback) sends.
    TRUST_PROXY: 'loopback',
    // Durability is tested in tests/integration/embedded-db.test.ts; here it would only slow every write ~3.5x.
    EMBEDDED_DB_FSYNC: 'false',
    // scrypt with N = 2^10 (the default is 2^14, tests/integration/rate-limit.test.ts): the suite
    // hashes ~460 passwords, ~40 ms of CPU each at the default.
    PASSWORD_SCRYPT_COST: '10',
    ...extraEnv,
  };
  const running: RunningService[] = [];
  const stop = async () => {
    for (const service of running.reverse()) await service.stop();
    await databases.drop();
  };
  try {
    // Each subgraph as its index.ts starts it, through the `build` its server.ts exports.
    const built = await Promise.all(
      SUBGRAPHS.map(async ({ name }) => {
        const { build } = (await import(subgraphPath(name, 'server'))) as { build: BuildSubgraph };
        return [name, await build(env)] as const;
      }),
    );
    const subgraphs = {} as Record<ServiceName, RunningSubgraph>;
    for (const [name, { definition, port }] of built) {
      const service = await startService(definition, { port });
      running.push(service);
      subgraphs[name] = { ...service, database: definition.database, query: queryAt(service.url) };
    }
    const routerService = await startService(buildRouter(loadRouterConfig(env)), { port: 0 });
    running.push(routerService);
    const router = { ...routerService, query: queryAt(routerService.url) };
    const signIn = await subgraphs.users.query<{ signIn: { token: string } }>(
      'mutation ($email: String!, $password: String!) { signIn(email: $email, password: $password) { token } }',
      ADMIN,
    );
    const adminToken = signIn.data!.signIn.token;
    const signUp = async (email: string, name = 'Test User') => {
      const result = await subgraphs.users.query<{ signUp: { token: string; user: { id: string } } }>(
        'mutation ($input: SignUpInput!) { signUp(input: $input) { token user { id } } }',
        { input: { email, password: 'password-123', name } },
      );
      if (!result.data) throw new Error(`signUp failed: ${JSON.stringify(result.errors)}`);
      return { token: result.data.signUp.token, id: result.data.signUp.user.id };
    };
    const createProduct = async (sku: string, priceCents: number, stock: number) => {
      const result = await subgraphs.products.query<{ createProduct: { id: string } }>(
        'mutation ($input: CreateProductInput!) { createProduct(input: $input) { id } }',
        { input: { sku, name: sku, priceCents, stock } },
        adminToken,
      );
      if (!result.data) throw new Error(`createProduct failed: ${JSON.stringify(result.errors)}`);
      return result.data.createProduct.id;
    };
    const stockOf = async (productId: string) =>
      (await subgraphs.products.query<{ product: { stock: number } }>('query ($id: ID!) { product(id: $id) { stock } }', { id: productId }))
        .data!.product.stock;
    return { router, ...subgraphs, env, adminToken, signUp, createProduct, stockOf, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
