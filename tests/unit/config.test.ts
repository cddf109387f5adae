import path from 'node:path';
import { ConfigError, loadServiceConfig, readBoolean, readInteger, readPort, readUrl } from '../../lib/config';
import { DEFAULT_LIMITS, LIMIT_VARIABLES, loadEdgeConfig, originAllowed, type OperationLimits } from '../../lib/edge-config';
import { PROJECT_ROOT } from '../../lib/paths';
import { loadRouterConfig } from '../../router/config';
import { loadOrdersConfig } from '../../subgraphs/orders/config';
import { loadUsersConfig } from '../../subgraphs/users/config';
import { loadProductsConfig } from '../../subgraphs/products/config';

// tests/unit/lib.test.ts already covers a bad port's message, the database URL, PRODUCTS_INTERNAL_URL
// and SEED_DEMO_DATA=true in production; this file covers the rest of start-up configuration.

type Env = Record<string, string | undefined>;

/** The ConfigError `run` throws; fails unless there is one and its message names `variable`. */
function configError(run: () => unknown, variable: string): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(variable);
    return (error as Error).message;
  }
  throw new Error(`expected a ConfigError naming ${variable}`);
}

describe('reading one variable (lib/config.ts)', () => {
  test('readInteger: unset or empty is the default; the bounds are inclusive; anything else names the variable', () => {
    expect(readInteger({}, 'N', 7, 1, 10)).toBe(7);
    expect(readInteger({ N: '' }, 'N', 7, 1, 10)).toBe(7);
    expect(readInteger({ N: '1' }, 'N', 7, 1, 10)).toBe(1);
    expect(readInteger({ N: '10' }, 'N', 7, 1, 10)).toBe(10);
    // Number() would read '1e1' as 10, '0xA' as 10 and ' 5 ' as 5: only plain decimal digits are a whole number here.
    for (const raw of ['0', '11', '2.5', 'ten', '-3', '1e1', '0xA', ' 5 ', '5ms', '+5']) {
      expect(configError(() => readInteger({ N: raw }, 'N', 7, 1, 10), 'N')).toBe(
        `N must be a whole number between 1 and 10, got "${raw}"`,
      );
    }
  });

  test('readPort: digits from 0 to 65535 only', () => {
    expect(readPort({}, 'P', 4001)).toBe(4001);
    expect(readPort({ P: '0' }, 'P', 4001)).toBe(0);
    expect(readPort({ P: '65535' }, 'P', 4001)).toBe(65535);
    for (const raw of ['65536', '-1', '4001.0', ' 4001', '0x10', '1e3']) configError(() => readPort({ P: raw }, 'P', 4001), 'P');
  });

  test('readUrl: unset or empty is the default; a value that is not an absolute URL names the variable and the expected form', () => {
    expect(readUrl({}, 'U', 'http://localhost:4002/graphql').href).toBe('http://localhost:4002/graphql');
    expect(readUrl({ U: '' }, 'U', 'http://localhost:4002/graphql').href).toBe('http://localhost:4002/graphql');
    expect(readUrl({ U: 'https://products.internal/graphql' }, 'U', 'http://x/').host).toBe('products.internal');
    for (const raw of ['/graphql', 'products port 4002', 'http://']) {
      expect(configError(() => readUrl({ U: raw }, 'U', 'http://localhost:4002/graphql'), 'U')).toBe(
        `U must be an absolute URL such as http://localhost:4002/graphql, got "${raw}"`,
      );
    }
  });

  test('readBoolean: 1/true/yes/on and 0/false/no/off in any case; anything else names the variable', () => {
    for (const raw of ['1', 'true', 'TRUE', 'yes', 'On']) expect(readBoolean({ B: raw }, 'B', false)).toBe(true);
    for (const raw of ['0', 'false', 'No', 'OFF']) expect(readBoolean({ B: raw }, 'B', true)).toBe(false);
    expect(readBoolean({}, 'B', true)).toBe(true);
    expect(readBoolean({ B: '' }, 'B', false)).toBe(false);
    for (const raw of ['maybe', 'y', '2', 'enabled']) {
      expect(configError(() => readBoolean({ B: raw }, 'B', false), 'B')).toBe(`B must be true or false, got "${raw}"`);
    }
  });
});

describe('settings every subgraph shares (loadServiceConfig)', () => {
  test('the defaults: each service on its own port, demo data and inline traces off, ten connections, keys from users', () => {
    const ports = (['users', 'products', 'orders'] as const).map((service) => loadServiceConfig(service, {}).port);
    expect(ports).toEqual([4001, 4002, 4003]);
    expect(loadServiceConfig('products', {})).toMatchObject({
      production: false,
      seedDemoData: false,
      databasePoolSize: 10,
      inlineTraces: false,
    });
    expect(loadServiceConfig('orders', {}).usersJwksUrl.href).toBe('http://localhost:4001/.well-known/jwks.json');
  });

  test("<SERVICE>_PORT moves that service only; where users listens moves every service's JWKS URL", () => {
    expect(loadServiceConfig('products', { PRODUCTS_PORT: '5002' }).port).toBe(5002);
    expect(loadServiceConfig('users', { PRODUCTS_PORT: '5002' }).port).toBe(4001);
    expect(loadServiceConfig('orders', { USERS_PORT: '5001' }).usersJwksUrl.href).toBe('http://localhost:5001/.well-known/jwks.json');
    expect(loadServiceConfig('orders', { USERS_URL: 'https://users.internal:8443/graphql' }).usersJwksUrl.href).toBe(
      'https://users.internal:8443/.well-known/jwks.json',
    );
    expect(
      loadServiceConfig('orders', { USERS_URL: 'https://users.internal/graphql', USERS_JWKS_URL: 'https://keys.example.com/jwks' })
        .usersJwksUrl.href,
    ).toBe('https://keys.example.com/jwks');
  });

  test('MIGRATE_ON_START: on unless a migrate job owns migrations; a typo names the variable', () => {
    expect(loadServiceConfig('orders', {}).migrateOnStart).toBe(true);
    expect(loadServiceConfig('orders', { MIGRATE_ON_START: 'false' }).migrateOnStart).toBe(false);
    configError(() => loadServiceConfig('orders', { MIGRATE_ON_START: 'ture' }), 'MIGRATE_ON_START');
  });

  test('seeding demo data is allowed in development and refused in production however it is spelled', () => {
    expect(loadServiceConfig('users', { SEED_DEMO_DATA: 'yes' }).seedDemoData).toBe(true);
    for (const raw of ['1', 'on', 'TRUE']) {
      configError(() => loadServiceConfig('products', { NODE_ENV: 'production', SEED_DEMO_DATA: raw }), 'SEED_DEMO_DATA');
    }
    expect(loadServiceConfig('products', { NODE_ENV: 'production', SEED_DEMO_DATA: 'false' })).toMatchObject({
      production: true,
      seedDemoData: false,
    });
  });

  test.each<[string, Env]>([
    ['ORDERS_PORT', { ORDERS_PORT: 'http' }],
    ['DATABASE_POOL_SIZE', { DATABASE_POOL_SIZE: '0' }],
    ['DATABASE_POOL_SIZE', { DATABASE_POOL_SIZE: '1001' }],
    ['SEED_DEMO_DATA', { SEED_DEMO_DATA: 'please' }],
    ['INLINE_TRACES', { INLINE_TRACES: 'sometimes' }],
    ['USERS_PORT', { USERS_PORT: '99999' }],
    ['USERS_URL', { USERS_URL: 'users.internal/graphql' }],
    // Parsed by URL as the scheme "users.internal:", so only a scheme check catches it.
    ['USERS_URL', { USERS_URL: 'users.internal:4001/graphql' }],
    ['USERS_JWKS_URL', { USERS_JWKS_URL: 'jwks.json' }],
    ['USERS_JWKS_URL', { USERS_JWKS_URL: 'keys.internal:4001/jwks.json' }],
    ['MAX_QUERY_DEPTH', { MAX_QUERY_DEPTH: '0' }],
    ['TRUST_PROXY', { TRUST_PROXY: 'the load balancer' }],
    ['CORS_ORIGINS', { CORS_ORIGINS: 'shop.example.com' }],
  ])('a bad %s stops the orders service naming it', (variable, env) => {
    configError(() => loadServiceConfig('orders', env), variable);
  });
});

describe('edge settings (lib/edge-config.ts)', () => {
  const cors = (env: Env, production: boolean) => loadEdgeConfig(env, production).cors;
  const allowed = (env: Env, production: boolean, origins: string[]) =>
    origins.filter((origin) => originAllowed(cors(env, production), origin));

  test('without CORS_ORIGINS: any local dev server and Apollo Studio in development, no origin at all in production', () => {
    const candidates = [
      'http://localhost:5173',
      'http://127.0.0.1:3000',
      'http://[::1]:8080',
      'http://localhost',
      'https://studio.apollographql.com',
      'https://localhost:5173',
      'http://localhost.evil.example',
      'http://localhost:5173.evil.example',
      'https://shop.example.com',
    ];
    const development = [
      'http://localhost:5173',
      'http://127.0.0.1:3000',
      'http://[::1]:8080',
      'http://localhost',
      'https://studio.apollographql.com',
    ];
    expect(allowed({}, false, candidates)).toEqual(development);
    expect(allowed({ CORS_ORIGINS: '  ' }, false, candidates)).toEqual(development);
    expect(allowed({}, true, candidates)).toEqual([]);
    expect(cors({}, true)).toEqual({ origins: new Set(), any: false, localhost: false });
  });

  test('named origins are the only ones allowed, in either mode; a trailing slash and spaces are dropped', () => {
    const env = { CORS_ORIGINS: ' https://shop.example.com , https://admin.example.com/ ,' };
    for (const production of [false, true]) {
      expect(cors(env, production)).toEqual({
        origins: new Set(['https://shop.example.com', 'https://admin.example.com']),
        any: false,
        localhost: false,
      });
      expect(allowed(env, production, ['https://shop.example.com', 'http://shop.example.com', 'http://localhost:5173'])).toEqual([
        'https://shop.example.com',
      ]);
    }
  });

  test('"*" is any origin in development and refused in production, alone or in a list', () => {
    expect(cors({ CORS_ORIGINS: '*' }, false)).toEqual({ origins: new Set(), any: true, localhost: false });
    for (const raw of ['*', 'https://shop.example.com, *']) {
      expect(configError(() => loadEdgeConfig({ CORS_ORIGINS: raw }, true), 'CORS_ORIGINS')).toMatch(/must list origins in production/);
    }
  });

  test.each(['shop.example.com', 'https://shop.example.com/app', 'ftp://files.example.com', 'https://user@shop.example.com', 'null'])(
    'the CORS origin %p is refused, naming the variable and the entry',
    (entry) => {
      expect(configError(() => loadEdgeConfig({ CORS_ORIGINS: `https://ok.example.com,${entry}` }, false), 'CORS_ORIGINS')).toContain(
        `"${entry}"`,
      );
    },
  );

  test('TRUST_PROXY: off by default; true/false, a hop count of 1 to 100, or addresses, CIDRs and named ranges', () => {
    const trust = (raw: string | undefined) => loadEdgeConfig({ TRUST_PROXY: raw }, true).trustProxy;
    for (const raw of [undefined, '', 'false', '0', 'off']) expect(trust(raw)).toBe(false);
    for (const raw of ['true', 'YES', 'on']) expect(trust(raw)).toBe(true);
    expect(trust('2')).toBe(2);
    expect(trust('100')).toBe(100);
    expect(trust(' 10.0.0.0/8, loopback ,fd00::/8,::1 ')).toEqual(['10.0.0.0/8', 'loopback', 'fd00::/8', '::1']);
    for (const raw of ['101', 'proxy.internal', '10.0.0.0/8;reboot', 'loopback,*']) {
      configError(() => trust(raw), 'TRUST_PROXY');
    }
  });

  test('operation limits: the defaults, each overridden by its own variable, each refused below 1 or above 10,000,000', () => {
    expect(loadEdgeConfig({}, true).limits).toEqual(DEFAULT_LIMITS);
    for (const [key, variable] of Object.entries(LIMIT_VARIABLES) as [keyof OperationLimits, string][]) {
      expect(loadEdgeConfig({ [variable]: '7' }, false).limits).toEqual({ ...DEFAULT_LIMITS, [key]: 7 });
      expect(loadEdgeConfig({ [variable]: '10000000' }, false).limits?.[key]).toBe(10_000_000);
      for (const raw of ['0', '10000001', 'lots', '1.5']) configError(() => loadEdgeConfig({ [variable]: raw }, false), variable);
    }
  });
});

describe('router settings (router/config.ts)', () => {
  test('without overrides: port 4000, the committed supergraph, every subgraph where it says, the default call policy', () => {
    const config = loadRouterConfig({});
    expect(config).toMatchObject({ production: false, port: 4000, subgraphUrls: {}, responseCache: true, slowRequestMs: 1000 });
    expect(config.supergraphPath).toBe(path.join(PROJECT_ROOT, 'router', 'supergraph.graphql'));
    expect(config.usersJwksUrl.href).toBe('http://localhost:4001/.well-known/jwks.json');
    expect(config.subgraphCalls).toEqual({
      timeoutMs: 5000,
      timeoutMsBySubgraph: {},
      breakerFailures: 5,
      breakerCooldownMs: 10_000,
      deduplicate: true,
    });
  });

  test('ROUTER_WORKERS: 1 by default, a whole number of processes otherwise', () => {
    expect(loadRouterConfig({}).workers).toBe(1);
    expect(loadRouterConfig({ ROUTER_WORKERS: '4' }).workers).toBe(4);
    expect(() => loadRouterConfig({ ROUTER_WORKERS: '0' })).toThrow('ROUTER_WORKERS');
  });

  test('RESPONSE_CACHE=false turns the response cache off', () => {
    expect(loadRouterConfig({ RESPONSE_CACHE: 'false' }).responseCache).toBe(false);
  });

  test('a subgraph is overridden only when its <NAME>_URL or <NAME>_PORT is set', () => {
    expect(loadRouterConfig({ PRODUCTS_PORT: '5002' }).subgraphUrls).toEqual({ products: new URL('http://localhost:5002/graphql') });
    const both = loadRouterConfig({ USERS_URL: 'https://users.internal/graphql', ORDERS_PORT: '5003', ROUTER_PORT: '8080' });
    expect(Object.keys(both.subgraphUrls).sort()).toEqual(['orders', 'users']);
    expect(both.subgraphUrls.users?.href).toBe('https://users.internal/graphql');
    expect(both.subgraphUrls.orders?.href).toBe('http://localhost:5003/graphql');
    expect(both.port).toBe(8080);
    expect(both.usersJwksUrl.href).toBe('https://users.internal/.well-known/jwks.json');
    expect(loadRouterConfig({ SUPERGRAPH_PATH: 'elsewhere/sg.graphql' }).supergraphPath).toBe(path.resolve('elsewhere/sg.graphql'));
  });

  test("SUBGRAPH_<NAME>_TIMEOUT_MS sets one subgraph's deadline; SUBGRAPH_TIMEOUT_MS all the others", () => {
    const calls = loadRouterConfig({ SUBGRAPH_TIMEOUT_MS: '8000', SUBGRAPH_PRODUCTS_TIMEOUT_MS: '250' }).subgraphCalls;
    expect(calls.timeoutMs).toBe(8000);
    expect(calls.timeoutMsBySubgraph).toEqual({ products: 250 });
  });

  test.each<[string, Env]>([
    ['ROUTER_PORT', { ROUTER_PORT: 'eighty' }],
    ['ORDERS_URL', { ORDERS_URL: 'orders.internal/graphql' }],
    ['ORDERS_URL', { ORDERS_URL: 'orders.internal:4003/graphql' }],
    ['ORDERS_PORT', { ORDERS_PORT: '4003a' }],
    ['SUBGRAPH_TIMEOUT_MS', { SUBGRAPH_TIMEOUT_MS: '0' }],
    ['SUBGRAPH_USERS_TIMEOUT_MS', { SUBGRAPH_USERS_TIMEOUT_MS: '600001' }],
    // A misspelt subgraph name would otherwise be accepted and never apply.
    ['SUBGRAPH_PRODUCT_TIMEOUT_MS', { SUBGRAPH_PRODUCT_TIMEOUT_MS: '250' }],
    ['SUBGRAPH_BREAKER_FAILURES', { SUBGRAPH_BREAKER_FAILURES: '0' }],
    ['SUBGRAPH_BREAKER_COOLDOWN_MS', { SUBGRAPH_BREAKER_COOLDOWN_MS: '99' }],
    ['USERS_JWKS_URL', { USERS_JWKS_URL: 'keys' }],
    ['CORS_ORIGINS', { NODE_ENV: 'production', CORS_ORIGINS: '*' }],
    ['MAX_QUERY_COST', { MAX_QUERY_COST: 'unlimited' }],
  ])('a bad %s stops the router naming it', (variable, env) => {
    configError(() => loadRouterConfig(env), variable);
  });
});

describe('orders settings (subgraphs/orders/config.ts)', () => {
  test('the defaults: products where PRODUCTS_URL or PRODUCTS_PORT says, recovery every 30 s, 2 s calls within a 4 s budget', () => {
    const config = loadOrdersConfig({});
    expect(config.productsInternalUrl.href).toBe('http://localhost:4002/');
    expect(loadOrdersConfig({ PRODUCTS_URL: 'https://products.internal:8443/graphql' }).productsInternalUrl.href).toBe(
      'https://products.internal:8443/',
    );
    expect(config).toMatchObject({ recoveryIntervalMs: 30_000, pendingTimeoutMs: 300_000, servicePrivateKey: undefined });
    expect(config.products).toMatchObject({ attemptTimeoutMs: 2_000, attempts: 3, requestBudgetMs: 4_000 });
    expect(path.dirname(config.serviceKeyFile)).toBe(config.dataDir);
    expect(loadOrdersConfig({ ORDERS_RECOVERY_INTERVAL_MS: '0' }).recoveryIntervalMs).toBe(0);
  });

  test('production needs SERVICE_PRIVATE_KEY: a key kept in the data dir would differ on every replica', () => {
    configError(() => loadOrdersConfig({ NODE_ENV: 'production' }), 'SERVICE_PRIVATE_KEY');
    const pem = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----';
    expect(loadOrdersConfig({ NODE_ENV: 'production', SERVICE_PRIVATE_KEY: pem }).servicePrivateKey).toBe(pem);
  });

  test('PRODUCTS_INTERNAL_URL must be an http(s) URL: "products.internal:4002" parses as scheme "products.internal:"', () => {
    const message = configError(() => loadOrdersConfig({ PRODUCTS_INTERNAL_URL: 'products.internal:4002' }), 'PRODUCTS_INTERNAL_URL');
    expect(message).toContain('http:// or https://');
  });

  test("the request budget must hold at least one call's timeout", () => {
    const message = configError(
      () => loadOrdersConfig({ PRODUCTS_CALL_TIMEOUT_MS: '3000', PRODUCTS_REQUEST_BUDGET_MS: '2999' }),
      'PRODUCTS_REQUEST_BUDGET_MS',
    );
    expect(message).toContain('PRODUCTS_CALL_TIMEOUT_MS');
    expect(loadOrdersConfig({ PRODUCTS_CALL_TIMEOUT_MS: '3000', PRODUCTS_REQUEST_BUDGET_MS: '3000' }).products).toMatchObject({
      attemptTimeoutMs: 3000,
      requestBudgetMs: 3000,
    });
  });

  test.each<[string, string]>([
    ['ORDERS_RECOVERY_INTERVAL_MS', '-1'],
    ['ORDERS_PENDING_TIMEOUT_MS', '999'],
    ['PRODUCTS_CALL_TIMEOUT_MS', '99'],
    ['PRODUCTS_REQUEST_BUDGET_MS', '30001'],
    ['PRODUCTS_CALL_ATTEMPTS', '11'],
    ['PRODUCTS_CALL_ATTEMPTS', '0'],
    ['PRODUCTS_PORT', 'x'],
  ])('%s=%s is refused, naming the variable', (variable, raw) => {
    configError(() => loadOrdersConfig({ [variable]: raw }), variable);
  });
});

describe('products settings (subgraphs/products/config.ts)', () => {
  const DAY_MS = 86_400_000;

  test("the defaults: orders' keys next to orders' GraphQL endpoint, 1.5 s stock transactions, tombstones kept 7 days", () => {
    expect(loadProductsConfig({})).toMatchObject({ transactionDeadlineMs: 1_500, releasedRetentionMs: 7 * DAY_MS });
    expect(loadProductsConfig({}).ordersJwksUrl.href).toBe('http://localhost:4003/.well-known/jwks.json');
    expect(loadProductsConfig({ ORDERS_PORT: '5003' }).ordersJwksUrl.href).toBe('http://localhost:5003/.well-known/jwks.json');
    expect(loadProductsConfig({ ORDERS_JWKS_URL: 'https://orders.internal/keys' }).ordersJwksUrl.href).toBe('https://orders.internal/keys');
  });

  test('a tombstone is kept at least an hour (far beyond any reservation still in flight) and at most 366 days', () => {
    expect(loadProductsConfig({ RELEASED_RESERVATION_RETENTION_MS: '3600000' }).releasedRetentionMs).toBe(3_600_000);
    expect(loadProductsConfig({ RELEASED_RESERVATION_RETENTION_MS: String(366 * DAY_MS) }).releasedRetentionMs).toBe(366 * DAY_MS);
    configError(() => loadProductsConfig({ RELEASED_RESERVATION_RETENTION_MS: '3599999' }), 'RELEASED_RESERVATION_RETENTION_MS');
    configError(
      () => loadProductsConfig({ RELEASED_RESERVATION_RETENTION_MS: String(366 * DAY_MS + 1) }),
      'RELEASED_RESERVATION_RETENTION_MS',
    );
  });

  test.each<[string, string]>([
    ['STOCK_TRANSACTION_DEADLINE_MS', '99'],
    ['STOCK_TRANSACTION_DEADLINE_MS', '60001'],
    ['ORDERS_JWKS_URL', 'keys.json'],
    ['ORDERS_PORT', '-4003'],
    ['PRODUCTS_PORT', '70000'],
  ])('%s=%s is refused, naming the variable', (variable, raw) => {
    configError(() => loadProductsConfig({ [variable]: raw }), variable);
  });
});

describe('the users service (subgraphs/users/config.ts)', () => {
  test('defaults: rate limits in memory, 30-day refresh tokens, no admin', () => {
    const config = loadUsersConfig({});
    expect(config.rateLimitStore).toEqual({ redisUrl: undefined, keyPrefix: 'commerce:' });
    expect(config.refreshTokenTtlMs).toBe(30 * 24 * 60 * 60 * 1000);
    expect(config.admin).toBeUndefined();
    expect(config.authLimits).toMatchObject({ ipAttempts: 30, emailFailures: 10 });
  });

  test('ADMIN_EMAIL is normalised; REDIS_URL moves the counters to Redis', () => {
    const config = loadUsersConfig({ ADMIN_EMAIL: ' Root@Example.COM ', ADMIN_PASSWORD: 'long-enough-1', REDIS_URL: 'redis://cache:6379' });
    expect(config.admin).toEqual({ email: 'root@example.com', password: 'long-enough-1' });
    expect(config.rateLimitStore.redisUrl).toBe('redis://cache:6379');
  });

  test.each<[string, Env]>([
    ['ADMIN_PASSWORD', { ADMIN_EMAIL: 'root@example.com' }],
    ['ADMIN_PASSWORD', { ADMIN_EMAIL: 'root@example.com', ADMIN_PASSWORD: 'short' }],
    ['JWT_PRIVATE_KEY', { NODE_ENV: 'production' }],
    ['REFRESH_TOKEN_TTL_DAYS', { REFRESH_TOKEN_TTL_DAYS: '0' }],
    ['REDIS_URL', { REDIS_URL: 'http://cache:6379' }],
    ['AUTH_RATE_LIMIT_IP_ATTEMPTS', { AUTH_RATE_LIMIT_IP_ATTEMPTS: '0' }],
    ['PASSWORD_HASH_QUEUE_SIZE', { PASSWORD_HASH_QUEUE_SIZE: '-1' }],
  ])('a bad %s stops the users service naming it', (variable, env) => {
    configError(() => loadUsersConfig(env), variable);
  });
});
