import path from 'node:path';
import { ConfigError, jwksUrlOf, readBoolean, readInteger, readPort, readSlowRequestMs, subgraphUrl } from '../lib/config';
import { portVariable, ROUTER, SUBGRAPHS, type SubgraphEntry } from '../lib/services';
import { loadEdgeConfig, type EdgeConfig } from '../lib/edge-config';
import { loadMetricsConfig, type MetricsConfig } from '../lib/observability/metrics';
import { SUPERGRAPH_FILE } from './compose';
import { TRUSTED_DOCUMENTS_MODES, type TrustedDocumentsConfig, type TrustedDocumentsMode } from './trusted-documents';

type Env = Record<string, string | undefined>;

export interface RouterConfig {
  production: boolean;
  port: number;
  /**
   * Router processes sharing the port (`ROUTER_WORKERS`, node:cluster; router/workers.ts). One is
   * right beside the subgraphs on a small host; on a host of its own, its core count. @default 1
   */
  workers: number;
  /** The supergraph schema to serve (`SUPERGRAPH_PATH`). @default router/supergraph.graphql */
  supergraphPath: string;
  /**
   * Take a new supergraph file while running, without a restart or a dropped request
   * (`SUPERGRAPH_WATCH`; `npm run dev` sets it). @default false
   */
  watchSupergraph: boolean;
  /**
   * Subgraphs whose address was given (`<NAME>_URL`, or `<NAME>_PORT` for one on this machine);
   * every other subgraph is reached where the supergraph file says.
   */
  subgraphUrls: Record<string, URL>;
  usersJwksUrl: URL;
  /** CORS, trusted proxies and operation limits (lib/edge-config.ts). */
  edge: EdgeConfig;
  subgraphCalls: SubgraphCallPolicy;
  /**
   * Keep answers the subgraphs mark public and cacheable (`@cacheControl`, the catalogue) and serve
   * them again until their max-age runs out (`RESPONSE_CACHE`). @default true
   */
  responseCache: boolean;
  /** Requests this slow (ms) are logged at warn, with each subgraph call and its time (`SLOW_REQUEST_MS`). @default 1000 */
  slowRequestMs: number;
  /** Where GET /metrics is served (`METRICS_PORT`, `METRICS_PUBLIC`; lib/observability/metrics.ts). */
  metrics: MetricsConfig;
  /**
   * Which documents are served (router/trusted-documents.ts): `TRUSTED_DOCUMENTS` off, allow or
   * required, from the manifest at `TRUSTED_DOCUMENTS_MANIFEST`. @default required in production
   * when a manifest is given, allow outside production (Sandbox keeps working), off without one
   */
  trustedDocuments: TrustedDocumentsConfig;
}

/** How the router calls each subgraph: bounded in time, and failed fast while one keeps failing. */
export interface SubgraphCallPolicy {
  /** Per-call deadline (`SUBGRAPH_TIMEOUT_MS`). @default 5000 */
  timeoutMs: number;
  /** Deadlines for single subgraphs, from `SUBGRAPH_<NAME>_TIMEOUT_MS` (e.g. `SUBGRAPH_PRODUCTS_TIMEOUT_MS`). */
  timeoutMsBySubgraph: Record<string, number>;
  /** Consecutive failures that open a subgraph's circuit (`SUBGRAPH_BREAKER_FAILURES`). @default 5 */
  breakerFailures: number;
  /** How long an open circuit fails calls at once before one probe is let through (`SUBGRAPH_BREAKER_COOLDOWN_MS`). @default 10000 */
  breakerCooldownMs: number;
  /** Identical queries in flight share one subgraph call (`SUBGRAPH_DEDUPLICATE`); never mutations. @default true */
  deduplicate: boolean;
}

export function loadRouterConfig(env: Env = process.env, registry: readonly SubgraphEntry[] = SUBGRAPHS): RouterConfig {
  const production = env.NODE_ENV === 'production';
  const given = registry.filter(({ name }) => env[`${name.toUpperCase()}_URL`] || env[portVariable(name)]);
  return {
    production,
    port: readPort(env, portVariable(ROUTER.name), ROUTER.defaultPort),
    workers: readInteger(env, 'ROUTER_WORKERS', 1, 1, 256),
    supergraphPath: env.SUPERGRAPH_PATH ? path.resolve(env.SUPERGRAPH_PATH) : SUPERGRAPH_FILE,
    watchSupergraph: readBoolean(env, 'SUPERGRAPH_WATCH', false),
    subgraphUrls: Object.fromEntries(given.map(({ name }) => [name, subgraphUrl(env, name, registry)])),
    usersJwksUrl: jwksUrlOf(env, 'users'),
    edge: loadEdgeConfig(env, production),
    metrics: loadMetricsConfig(env, production),
    responseCache: readBoolean(env, 'RESPONSE_CACHE', true),
    slowRequestMs: readSlowRequestMs(env),
    trustedDocuments: readTrustedDocuments(env, production),
    subgraphCalls: {
      timeoutMs: readInteger(env, 'SUBGRAPH_TIMEOUT_MS', 5000, 1, 600_000),
      timeoutMsBySubgraph: Object.fromEntries(
        Object.keys(env)
          .map((key) => /^SUBGRAPH_([A-Z0-9_]+)_TIMEOUT_MS$/.exec(key)?.[1])
          .filter((name): name is string => name !== undefined)
          .map((name) => [
            subgraphNamed(registry, name, `SUBGRAPH_${name}_TIMEOUT_MS`),
            readInteger(env, `SUBGRAPH_${name}_TIMEOUT_MS`, 5000, 1, 600_000),
          ]),
      ),
      breakerFailures: readInteger(env, 'SUBGRAPH_BREAKER_FAILURES', 5, 1, 1000),
      breakerCooldownMs: readInteger(env, 'SUBGRAPH_BREAKER_COOLDOWN_MS', 10_000, 100, 600_000),
      deduplicate: readBoolean(env, 'SUBGRAPH_DEDUPLICATE', true),
    },
  };
}

/** The registered subgraph a variable names (`PRODUCTS` in SUBGRAPH_PRODUCTS_TIMEOUT_MS): a misspelt one would never apply. */
function subgraphNamed(registry: readonly SubgraphEntry[], upper: string, variable: string): string {
  const entry = registry.find(({ name }) => name.toUpperCase() === upper);
  if (!entry)
    throw new ConfigError(`${variable} names no subgraph: use one of ${registry.map(({ name }) => name.toUpperCase()).join(', ')}`);
  return entry.name;
}

function readTrustedDocuments(env: Env, production: boolean): TrustedDocumentsConfig {
  const manifestPath = env.TRUSTED_DOCUMENTS_MANIFEST ? path.resolve(env.TRUSTED_DOCUMENTS_MANIFEST) : undefined;
  const given = env.TRUSTED_DOCUMENTS;
  if (given !== undefined && given !== '' && !TRUSTED_DOCUMENTS_MODES.includes(given as TrustedDocumentsMode)) {
    throw new ConfigError(`TRUSTED_DOCUMENTS must be one of ${TRUSTED_DOCUMENTS_MODES.join(', ')}, not "${given}"`);
  }
  const mode = (given || (manifestPath ? (production ? 'required' : 'allow') : 'off')) as TrustedDocumentsMode;
  if (mode === 'off') return { mode };
  if (!manifestPath) throw new ConfigError(`TRUSTED_DOCUMENTS=${mode} needs TRUSTED_DOCUMENTS_MANIFEST, the manifest's path`);
  return { mode, manifestPath };
}
