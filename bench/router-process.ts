/**
 * One router for `npm run bench -- router`, in a process of its own so that its CPU time is its
 * own: `node --import tsx bench/router-process.ts <variant>`, configured by the environment the
 * benchmark passes (the subgraphs' ports, ROUTER_PORT). The benchmark waits until it answers its query.
 *
 *   router        this project's router, as `npm start` runs it (tracing when the benchmark
 *                 passes OTEL_EXPORTER_OTLP_ENDPOINT: "router, tracing on")
 *   no limits     the same without the operation limits (depth, aliases, tokens, cost)
 *   stock gateway @apollo/server's standalone server over a plain ApolloGateway and
 *                 RemoteGraphQLDataSource: no limits, hygiene, auth, timeouts or breaker
 */
import fs from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { runService } from '../lib/main';
import { loadRouterConfig, type RouterConfig } from '../router/config';
import { buildRouter } from '../router/server';

export const ROUTER_VARIANTS = ['router', 'no limits', 'stock gateway'] as const;
export type RouterVariant = (typeof ROUTER_VARIANTS)[number];

async function startStockGateway(config: RouterConfig): Promise<void> {
  const gateway = new ApolloGateway({
    supergraphSdl: fs.readFileSync(config.supergraphPath, 'utf8'),
    buildService: ({ name, url }) => new RemoteGraphQLDataSource({ url: config.subgraphUrls[name]?.href ?? url }),
  });
  const server = new ApolloServer({ gateway });
  await startStandaloneServer(server, { listen: { port: config.port } });
}

const variant = process.argv[2] as RouterVariant;
const config = loadRouterConfig();
if (variant === 'stock gateway') {
  startStockGateway(config).catch((error: unknown) => {
    process.stderr.write(`stock gateway failed: ${(error as Error).message}\n`);
    process.exit(1);
  });
} else if (variant === 'router' || variant === 'no limits') {
  const chosen = variant === 'no limits' ? { ...config, edge: { ...config.edge, limits: null } } : config;
  runService(async () => ({ definition: buildRouter(chosen), port: chosen.port }));
} else {
  process.stderr.write(`unknown variant "${variant}": one of ${ROUTER_VARIANTS.join(', ')}\n`);
  process.exit(2);
}
