import { ConfigError, readInteger } from './config';

type Env = Record<string, string | undefined>;

/**
 * Who may call a service from a browser, whose X-Forwarded-For to believe, and how much work one
 * operation may ask for. The router and every subgraph read the same variables: a subgraph that
 * can be reached directly must be as safe as the router.
 */
export interface EdgeConfig {
  cors: CorsPolicy;
  /** Fastify's `trustProxy` from `TRUST_PROXY`: false, true, a hop count or addresses/CIDRs. @default false */
  trustProxy: boolean | number | string[];
  /** Null only where code builds a service without limits on purpose (the router benchmark's baseline). */
  limits: OperationLimits | null;
}

/** Browser origins allowed to call (`CORS_ORIGINS`); anything else gets no CORS headers. */
export interface CorsPolicy {
  /** Exact origins, such as `https://shop.example.com`. */
  origins: ReadonlySet<string>;
  /** Any origin (`CORS_ORIGINS=*`, development only). */
  any: boolean;
  /** Any `http://localhost:<port>` or `http://127.0.0.1:<port>` origin (development default). */
  localhost: boolean;
}

/** Per-operation limits, checked before any subgraph fetch or SQL statement. */
export interface OperationLimits {
  /** Deepest field nesting (`MAX_QUERY_DEPTH`). @default 12 */
  depth: number;
  /** Aliased fields in one operation (`MAX_QUERY_ALIASES`). @default 20 */
  aliases: number;
  /** Fields at the root of one operation (`MAX_QUERY_ROOT_FIELDS`). @default 10 */
  rootFields: number;
  /** Lexical tokens in the document (`MAX_QUERY_TOKENS`). @default 2000 */
  tokens: number;
  /** Directives in one operation (`MAX_QUERY_DIRECTIVES`). @default 20 */
  directives: number;
  /** Cost budget: a field costs 1, times the `first` of every list it sits in (`MAX_QUERY_COST`). @default 20000 */
  cost: number;
}

export const DEFAULT_LIMITS: OperationLimits = { depth: 12, aliases: 20, rootFields: 10, tokens: 2000, directives: 20, cost: 20_000 };

/** The variable that sets each limit, named in the error a refused operation gets. */
export const LIMIT_VARIABLES: Record<keyof OperationLimits, string> = {
  depth: 'MAX_QUERY_DEPTH',
  aliases: 'MAX_QUERY_ALIASES',
  rootFields: 'MAX_QUERY_ROOT_FIELDS',
  tokens: 'MAX_QUERY_TOKENS',
  directives: 'MAX_QUERY_DIRECTIVES',
  cost: 'MAX_QUERY_COST',
};

/** Apollo Sandbox and Studio, which call a local endpoint from the browser in development. */
export const APOLLO_STUDIO_ORIGINS = [
  'https://studio.apollographql.com',
  'https://sandbox.embed.apollographql.com',
  'https://explorer.embed.apollographql.com',
  'https://embeddable-sandbox.cdn.apollographql.com',
];

export function loadEdgeConfig(env: Env, production: boolean): EdgeConfig {
  const limit = (key: keyof OperationLimits) => readInteger(env, LIMIT_VARIABLES[key], DEFAULT_LIMITS[key], 1, 10_000_000);
  const limits: OperationLimits = {
    depth: limit('depth'),
    aliases: limit('aliases'),
    rootFields: limit('rootFields'),
    tokens: limit('tokens'),
    directives: limit('directives'),
    cost: limit('cost'),
  };
  return { cors: readCorsPolicy(env, production), trustProxy: readTrustProxy(env), limits };
}

export function readCorsPolicy(env: Env, production: boolean): CorsPolicy {
  const raw = env.CORS_ORIGINS?.trim();
  if (!raw) {
    // Same-origin only in production until origins are named; any local dev server otherwise.
    return production
      ? { origins: new Set(), any: false, localhost: false }
      : { origins: new Set(APOLLO_STUDIO_ORIGINS), any: false, localhost: true };
  }
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.includes('*')) {
    if (production)
      throw new ConfigError(
        'CORS_ORIGINS must list origins in production; "*" would let any website call the API with its visitors\' tokens.',
      );
    return { origins: new Set(), any: true, localhost: false };
  }
  const origins = entries.map((entry) => {
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {
      // reported below
    }
    if (!url || !/^https?:$/.test(url.protocol) || url.origin !== entry.replace(/\/$/, '')) {
      throw new ConfigError(`CORS_ORIGINS must be a comma-separated list of origins such as https://shop.example.com, got "${entry}"`);
    }
    return url.origin;
  });
  return { origins: new Set(origins), any: false, localhost: false };
}

const LOCAL_ORIGIN = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

export function originAllowed(policy: CorsPolicy, origin: string): boolean {
  return policy.any || policy.origins.has(origin) || (policy.localhost && LOCAL_ORIGIN.test(origin));
}

/** `TRUST_PROXY`: true/false, a number of proxy hops, or comma-separated addresses, CIDRs or `loopback`. */
export function readTrustProxy(env: Env): boolean | number | string[] {
  const raw = env.TRUST_PROXY?.trim();
  if (!raw || /^(0|false|no|off)$/i.test(raw)) return false;
  if (/^(true|yes|on)$/i.test(raw)) return true;
  if (/^\d+$/.test(raw)) return readInteger(env, 'TRUST_PROXY', 0, 1, 100);
  const entries = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const valid = /^(loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(\/\d{1,3})?)$/;
  const bad = entries.find((entry) => !valid.test(entry));
  if (bad)
    throw new ConfigError(`TRUST_PROXY must be true, false, a hop count, or addresses/CIDRs such as 10.0.0.0/8,loopback; got "${bad}"`);
  return entries;
}
