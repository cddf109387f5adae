import { DEFAULT_SLOW_REQUEST_MS } from './observability/http';
import { databaseUrlFor, serviceDataDir } from './db/url';
import { loadEdgeConfig, type EdgeConfig } from './edge-config';
import { defaultPortOf, portVariable, SUBGRAPHS, type ServiceName, type SubgraphEntry } from './services';

type Env = Record<string, string | undefined>;

/** Thrown at start-up for a setting that cannot work; the message names the variable. */
export class ConfigError extends Error {}

export function readInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

export function readPort(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw !== undefined && raw !== '' && !/^\d+$/.test(raw))
    throw new ConfigError(`${name} must be a port number between 0 and 65535, got "${raw}"`);
  return readInteger(env, name, fallback, 0, 65535);
}

export function readUrl(env: Env, name: string, fallback: string): URL {
  const raw = env[name] || fallback;
  try {
    return new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute URL such as ${fallback}, got "${raw}"`);
  }
}

/** `readUrl` for an address this service calls over HTTP: `users.internal:4001/graphql` parses, as scheme "users.internal:". */
export function readHttpUrl(env: Env, name: string, fallback: string): URL {
  const url = readUrl(env, name, fallback);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${name} must be an http:// or https:// URL such as ${fallback}, got "${env[name]}"`);
  }
  return url;
}

/** `SLOW_REQUEST_MS`, the same for the router and every subgraph: requests this slow are logged at warn. */
export function readSlowRequestMs(env: Env): number {
  return readInteger(env, 'SLOW_REQUEST_MS', DEFAULT_SLOW_REQUEST_MS, 0, 600_000);
}

export function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

/** Where each subgraph serves GraphQL; the router and other services reach it there. */
export function subgraphUrl(env: Env, service: string, registry: readonly SubgraphEntry[] = SUBGRAPHS): URL {
  const port = readPort(env, portVariable(service), defaultPortOf(service, registry));
  return readHttpUrl(env, `${service.toUpperCase()}_URL`, `http://localhost:${port}/graphql`);
}

/** A service's JWKS, served by the service itself next to its GraphQL endpoint. */
export function jwksUrlOf(env: Env, service: ServiceName): URL {
  return readHttpUrl(env, `${service.toUpperCase()}_JWKS_URL`, new URL('/.well-known/jwks.json', subgraphUrl(env, service)).href);
}

/** Settings every subgraph shares. */
export interface ServiceConfig {
  service: ServiceName;
  production: boolean;
  port: number;
  dataDir: string;
  databaseUrl: string;
  /** Seed demo data into an empty database (`npm start` turns it on). @default false */
  seedDemoData: boolean;
  /** PostgreSQL connections this service may hold (`DATABASE_POOL_SIZE`). @default 10 */
  databasePoolSize: number;
  /**
   * Apply pending migrations at start-up (`MIGRATE_ON_START`). Off where a one-shot migrate job
   * applies them (docker-compose.yml, deploy/k8s); /ready then answers 503 until it has. @default true
   */
  migrateOnStart: boolean;
  /** Where user tokens' signing keys are published (the users service). */
  usersJwksUrl: URL;
  /** CORS, trusted proxies and operation limits (lib/edge-config.ts). */
  edge: EdgeConfig;
  /** Send Apollo inline traces (`ftv1`) to a router that asks (`INLINE_TRACES`). @default false */
  inlineTraces: boolean;
  /** Requests this slow (ms) are logged at warn with the calls they made (`SLOW_REQUEST_MS`). @default 1000 */
  slowRequestMs: number;
  /** The variables this was read from: lib/db reads its embedded-database settings there too. */
  env: Env;
}

export function loadServiceConfig(service: ServiceName, env: Env = process.env): ServiceConfig {
  const production = env.NODE_ENV === 'production';
  const seedDemoData = readBoolean(env, 'SEED_DEMO_DATA', false);
  if (production && seedDemoData) {
    throw new ConfigError('SEED_DEMO_DATA must not be set in production: the demo accounts have published passwords.');
  }
  return {
    service,
    production,
    port: readPort(env, portVariable(service), defaultPortOf(service)),
    dataDir: serviceDataDir(service, env),
    databaseUrl: databaseUrlFor(service, env),
    seedDemoData,
    databasePoolSize: readInteger(env, 'DATABASE_POOL_SIZE', 10, 1, 1000),
    migrateOnStart: readBoolean(env, 'MIGRATE_ON_START', true),
    usersJwksUrl: jwksUrlOf(env, 'users'),
    edge: loadEdgeConfig(env, production),
    inlineTraces: readBoolean(env, 'INLINE_TRACES', false),
    slowRequestMs: readSlowRequestMs(env),
    env,
  };
}
