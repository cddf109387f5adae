import fs from 'node:fs';
import { ApolloGateway, type SupergraphSdlHook } from '@apollo/gateway';
import responseCachePlugin from '@apollo/server-plugin-response-cache';
import { createTokenVerifier, USER_TOKEN } from '../lib/auth/tokens';
import { viewerFromAuthorization } from '../lib/auth/viewer';
import { ConfigError } from '../lib/config';
import { createLogger, type Logger } from '../lib/log';
import { ServiceMetrics } from '../lib/observability/metrics';
import { watchFiles } from '../lib/watch-files';
import type { ServiceDefinition } from '../lib/server';
import type { RouterConfig } from './config';
import { subgraphCallMetrics } from './metrics';
import { oneErrorPerUnavailableSubgraph, SubgraphDataSource, type RouterContext } from './subgraph-source';
import { trustedDocumentsGate } from './trusted-documents';

export type { RouterContext };

/**
 * The router: an Apollo Gateway over a static supergraph file. It checks the caller's token at the
 * edge (a bad token is refused before any subgraph is called) and forwards the Authorization
 * header and the client's address (router/subgraph-source.ts).
 *
 * Answers every subgraph it touched marked public and cacheable (the catalogue's `@cacheControl`,
 * sent as `Cache-Control`) are kept in memory and served again, to anyone, until the shortest
 * max-age among them runs out (Apollo's response-cache plugin). Nothing invalidates them sooner: a
 * change to a product shows within its max-age. Answers with errors, mutations and anything a
 * subgraph did not mark (orders, users) are never kept.
 */
export function buildRouter(config: RouterConfig): ServiceDefinition<RouterContext> {
  if (!fs.existsSync(config.supergraphPath)) {
    throw new ConfigError(`SUPERGRAPH_PATH: no file at ${config.supergraphPath} (run "npm run compose" to create it)`);
  }
  const log = createLogger('router');
  const metrics = new ServiceMetrics('router');
  const callMetrics = subgraphCallMetrics(metrics);
  const { subgraphUrls: urls, subgraphCalls: calls } = config;
  const sources: SubgraphDataSource[] = [];
  const gateway = new ApolloGateway({
    supergraphSdl: config.watchSupergraph ? watchedSupergraph(config.supergraphPath, log) : fs.readFileSync(config.supergraphPath, 'utf8'),
    buildService: ({ name, url }) => {
      const source = new SubgraphDataSource({
        name,
        url: urls[name]?.href ?? url!,
        timeoutMs: calls.timeoutMsBySubgraph[name] ?? calls.timeoutMs,
        breakerFailures: calls.breakerFailures,
        breakerCooldownMs: calls.breakerCooldownMs,
        deduplicate: calls.deduplicate,
        log,
        metrics: callMetrics,
      });
      sources.push(source);
      return source;
    },
  });
  const gate = trustedDocumentsGate(config.trustedDocuments, log);
  const verify = createTokenVerifier({ jwks: config.usersJwksUrl, ...USER_TOKEN });
  return {
    name: 'router',
    log,
    production: config.production,
    edge: config.edge,
    metrics,
    metricsConfig: config.metrics,
    slowRequestMs: config.slowRequestMs,
    gate,
    graph: { gateway },
    plugins: [oneErrorPerUnavailableSubgraph(), ...(config.responseCache ? [responseCachePlugin<RouterContext>()] : [])],
    // Runs once the server has drained: no call is in progress any more.
    close: async () => {
      await Promise.all(sources.map((source) => source.close()));
    },
    context: async ({ headers, clientIp }) => {
      // Refuse a bad token here, at the edge; a good one (or none) is passed on as it came.
      const viewer = await viewerFromAuthorization(headers.authorization, verify);
      return viewer ? { authorization: headers.authorization, clientIp } : { clientIp };
    },
  };
}

/**
 * The supergraph file, and every later version of it: Apollo Gateway swaps in a new supergraph
 * between requests (those in flight finish on the one they started with). A file that is not a
 * valid supergraph is logged and the router keeps serving the last good one.
 */
function watchedSupergraph(file: string, log: Logger): SupergraphSdlHook {
  return async ({ update }) => {
    let current = fs.readFileSync(file, 'utf8');
    const reload = () => {
      let next: string;
      try {
        next = fs.readFileSync(file, 'utf8');
      } catch {
        return; // Being replaced: the rename that follows fires again.
      }
      if (next === current || next.trim() === '') return;
      try {
        update(next);
        current = next;
        log.info('supergraph updated', { file });
      } catch (error) {
        log.error('new supergraph refused; still serving the last good one', { file, error });
      }
    };
    // npm run dev and editors replace the file: watchFiles sees that.
    const stop = watchFiles([file], reload, 100);
    return { supergraphSdl: current, cleanup: async () => stop() };
  };
}
