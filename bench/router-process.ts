/**
 * One gateway for the benchmarks (`npm run bench -- gateways`), in a process of its own so
 * that its CPU time is its own: `node --import tsx bench/router-process.ts <variant>`, configured by
 * the environment the benchmark passes (ROUTER_PORT, the subgraphs' `<NAME>_URL`s). The benchmark
 * waits until it answers.
 *
 *   router        this project's router, as production runs it (tracing when the benchmark
 *                 passes OTEL_EXPORTER_OTLP_ENDPOINT: "router, tracing on")
 *   no limits     the same without the operation limits (depth, aliases, tokens, cost)
 *   stock gateway @apollo/server's standalone server over a plain ApolloGateway of the same
 *                 version, default settings, forwarding Authorization; no limits, hygiene, auth,
 *                 timeouts or breaker
 *   hive gateway  GraphQL Hive's gateway runtime (@graphql-hive/gateway-runtime, the engine of the
 *                 `hive-gateway` CLI) on node:http, default settings, forwarding Authorization
 */
import fs from 'node:fs';
import http from 'node:http';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import { runService } from '../lib/main';
import { loadRouterConfig, type RouterConfig } from '../router/config';
import { buildRouter } from '../router/server';

export const ROUTER_VARIANTS = ['router', 'no limits', 'stock gateway', 'hive gateway'] as const;
export type RouterVariant = (typeof ROUTER_VARIANTS)[number];

interface Forwarded {
  authorization?: string;
}

/** The supergraph with each subgraph's `url` replaced by the address the benchmark gave. */
function supergraphAt(config: RouterConfig): string {
  return fs
    .readFileSync(config.supergraphPath, 'utf8')
    .replace(/(@join__graph\(name: "([^"]+)", url: ")[^"]*"/g, (whole, head: string, name: string) =>
      config.subgraphUrls[name] ? `${head}${config.subgraphUrls[name].href}"` : whole,
    );
}

async function startStockGateway(config: RouterConfig): Promise<void> {
  const gateway = new ApolloGateway({
    supergraphSdl: supergraphAt(config),
    buildService: ({ url }) =>
      new RemoteGraphQLDataSource<Forwarded>({
        url,
        willSendRequest({ request, context }) {
          if (context.authorization) request.http?.headers.set('authorization', context.authorization);
        },
      }),
  });
  const server = new ApolloServer<Forwarded>({ gateway });
  await startStandaloneServer(server, {
    listen: { port: config.port },
    context: async ({ req }) => ({ authorization: req.headers.authorization }),
  });
}

async function startHiveGateway(config: RouterConfig): Promise<void> {
  const gateway = createGatewayRuntime({
    supergraph: supergraphAt(config),
    logging: false,
    propagateHeaders: {
      fromClientToSubgraphs: ({ request }) => ({ authorization: request.headers.get('authorization') }),
    },
  });
  const server = http.createServer(gateway);
  await new Promise<void>((resolve) => server.listen(config.port, resolve));
}

const variant = process.argv[2] as RouterVariant;
const config = loadRouterConfig();
const fail = (error: unknown) => {
  process.stderr.write(`${variant} failed: ${(error as Error).message}\n`);
  process.exit(1);
};
if (variant === 'stock gateway') {
  startStockGateway(config).catch(fail);
} else if (variant === 'hive gateway') {
  startHiveGateway(config).catch(fail);
} else if (variant === 'router' || variant === 'no limits') {
  const chosen = variant === 'no limits' ? { ...config, edge: { ...config.edge, limits: null } } : config;
  runService(async () => ({ definition: buildRouter(chosen), port: chosen.port }));
} else {
  process.stderr.write(`unknown variant "${variant}": one of ${ROUTER_VARIANTS.join(', ')}\n`);
  process.exit(2);
}
