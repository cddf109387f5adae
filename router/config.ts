import path from 'node:path';
import { DEFAULT_PORTS, jwksUrlOf, readPort, subgraphUrl } from '../lib/config';
import { loadEdgeConfig, type EdgeConfig } from '../lib/edge-config';
import { SERVICES, type ServiceName } from '../lib/db/url';
import { SUPERGRAPH_FILE } from './compose';

export interface RouterConfig {
  production: boolean;
  port: number;
  /** The supergraph schema to serve (`SUPERGRAPH_PATH`). @default router/supergraph.graphql */
  supergraphPath: string;
  /** Where each subgraph is reached, overriding the URLs in the supergraph file. */
  subgraphUrls: Record<ServiceName, URL>;
  usersJwksUrl: URL;
  /** CORS, trusted proxies and operation limits (lib/edge-config.ts). */
  edge: EdgeConfig;
}

export function loadRouterConfig(env: Record<string, string | undefined> = process.env): RouterConfig {
  const production = env.NODE_ENV === 'production';
  return {
    production,
    port: readPort(env, 'ROUTER_PORT', DEFAULT_PORTS.router),
    supergraphPath: env.SUPERGRAPH_PATH ? path.resolve(env.SUPERGRAPH_PATH) : SUPERGRAPH_FILE,
    subgraphUrls: Object.fromEntries(SERVICES.map((name) => [name, subgraphUrl(env, name)])) as Record<ServiceName, URL>,
    usersJwksUrl: jwksUrlOf(env, 'users'),
    edge: loadEdgeConfig(env, production),
  };
}
