import type http from 'node:http';
import { ApolloServer, type ApolloServerOptions, type ApolloServerPlugin, type BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import type { ApolloGateway } from '@apollo/gateway';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { GraphQLSchema } from 'graphql';
import { originAllowed, type EdgeConfig } from './edge-config';
import { maskInternalErrors, type ErrorCodes, type MaskOptions } from './graphql/errors';
import { inputHygienePlugin } from './graphql/input-hygiene';
import { costLimitPlugin, limitErrorCode, limitValidationRules } from './graphql/limits';
import type { Logger } from './log';
import { ConfigError } from './config';
import { observabilityPlugin } from './observability/graphql-plugin';
import { observeRequests } from './observability/http';
import { listenForMetrics, ServiceMetrics, type MetricsConfig } from './observability/metrics';
import { NotReadyError } from './readiness';
import { DEFAULT_SHUTDOWN_GRACE_MS } from './shutdown';

/** What an HTTP route other than /graphql gets, and answers. */
export interface RouteRequest {
  headers: http.IncomingHttpHeaders;
  body: unknown;
}
export interface RouteResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}
export type Route = { method: 'GET' | 'POST'; path: string; handle(request: RouteRequest): Promise<RouteResponse> };

/** Everything that makes one service (a subgraph or the router); `startService` serves it. */
export interface ServiceDefinition<TContext extends BaseContext> {
  name: string;
  log: Logger;
  graph: { schema: GraphQLSchema } | { gateway: ApolloGateway };
  /** `clientIp` is the caller's address (from X-Forwarded-For only where TRUST_PROXY trusts the sender). */
  context(request: { headers: http.IncomingHttpHeaders; clientIp: string }): Promise<TContext>;
  /** For GET /ready: resolves when the service can serve traffic, rejects saying why not. */
  checkReady?(): Promise<void>;
  routes?: Route[];
  plugins?: ApolloServerPlugin<TContext>[];
  /** A subgraph's own error codes (`subgraphs/<name>/errors.ts`): shown beside lib's; any other code it throws is masked. */
  errorCodes?: Pick<ErrorCodes<string>, 'code'>;
  /** Called once the server has drained: close database clients here. */
  close?(): Promise<void>;
  /** Turns off introspection and schema hints in errors (Apollo also serves its production landing page, not Sandbox). */
  production: boolean;
  /** CORS, trusted proxies and operation limits. */
  edge: EdgeConfig;
  /** Send Apollo's inline traces (`ftv1`) to the router when it asks (`INLINE_TRACES`). @default false */
  inlineTraces?: boolean;
  /** The service's Prometheus registry, which its own metrics are added to. @default a new, empty one */
  metrics?: ServiceMetrics;
  /** Where GET /metrics is served (lib/observability/metrics.ts). @default on the service's port outside production, nowhere in production */
  metricsConfig?: MetricsConfig;
  /** Requests this slow (ms) are logged at warn with the calls they made. @default DEFAULT_SLOW_REQUEST_MS */
  slowRequestMs?: number;
  /**
   * Sees a GraphQL request's parameters (a POST's body, a GET's query string) before Apollo parses
   * anything: may refuse the request, or give the document to run (the router's trusted documents).
   */
  gate?(parameters: unknown): GateDecision;
}

/** What a service's gate decides: refuse with this answer, run this document, or go on as sent. */
export type GateDecision = { refuse: RouteResponse } | { document: string } | undefined;

/** Puts the document a gate gave into the request, where Apollo reads it: a POST's body, a GET's URL. */
function runDocument(request: FastifyRequest, document: string): void {
  if (request.method !== 'GET') {
    (request.body as { query?: string }).query = document;
    return;
  }
  const url = new URL(request.raw.url ?? '/', 'http://local');
  url.searchParams.set('query', document);
  request.raw.url = `${url.pathname}${url.search}`;
}

export interface RunningService {
  url: string;
  port: number;
  /** GraphQL requests served so far; tests and benchmarks read it to count router fan-out. */
  stats: { graphqlRequests: number };
  /** Where GET /metrics answers, if anywhere (the metrics port in production). */
  metricsUrl?: string;
  /**
   * Drains, then closes: /health and /ready answer 503 at once, the port stops accepting
   * connections, requests already received finish (each answered with `Connection: close`), and
   * connections still open after `graceMs` are closed; then the definition's `close` runs. Safe
   * to call again: every call resolves (or rejects) with the first.
   */
  stop(options?: { graceMs?: number }): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

/** Headers a browser may send cross-origin: Apollo Client's, CSRF prevention's, and tracing's. */
const CORS_HEADERS = [
  'content-type',
  'authorization',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'x-request-id',
  'traceparent',
  'tracestate',
];

/**
 * Serves a service over HTTP with Fastify: GraphQL at /graphql (Apollo Sandbox on a browser GET
 * outside production), GET /health (200 once started), GET /ready (the service's own check),
 * GET /metrics (Prometheus; where `metricsConfig` says) and its routes, behind CORS, security headers and a body limit. Both probes answer 503 while the
 * service starts and once it drains (`stop()`).
 */
export async function startService<TContext extends BaseContext>(
  definition: ServiceDefinition<TContext>,
  options: { port: number; host?: string },
): Promise<RunningService> {
  const { edge } = definition;
  // Fastify takes a hop count for trustProxy too; its type declaration leaves numbers out.
  // return503OnClosing off: while draining, our /health and /ready say so themselves, and a
  // request on a connection that was already open is still served (with `Connection: close`).
  const app = Fastify({
    logger: false,
    bodyLimit: MAX_BODY_BYTES,
    trustProxy: edge.trustProxy as boolean | string[],
    return503OnClosing: false,
  });
  let draining: Promise<void> | undefined;
  const drain = (graceMs: number) => (draining ??= drainHttp(app, graceMs, definition.log));
  const isGateway = 'gateway' in definition.graph;
  const metrics = definition.metrics ?? new ServiceMetrics(definition.name);
  const metricsConfig = definition.metricsConfig ?? { port: null, onServicePort: !definition.production, portGiven: false };
  const apollo = new ApolloServer<TContext>({
    ...definition.graph,
    includeStacktraceInErrorResponses: false,
    // Schema discovery is for development; production answers only the operations clients send.
    introspection: !definition.production,
    hideSchemaDetailsFromClientErrors: definition.production,
    ...(edge.limits && { parseOptions: { maxTokens: edge.limits.tokens }, validationRules: limitValidationRules(edge.limits) }),
    logger: apolloLogger(definition.log),
    formatError: formatErrors(definition.log, { codes: definition.errorCodes, subgraphAnswers: isGateway }),
    // lib/main.ts handles SIGTERM/SIGINT: Apollo's own handler re-raises the signal, so the
    // process would die by signal instead of exiting 0, and it drains on a fixed 10 s.
    stopOnTerminationSignals: false,
    plugins: [
      { serverWillStart: async () => ({ drainServer: () => drain(DEFAULT_SHUTDOWN_GRACE_MS) }) },
      observabilityPlugin(metrics),
      inputHygienePlugin(definition.log),
      ...(edge.limits ? [costLimitPlugin(edge.limits)] : []),
      ...(!isGateway && !definition.inlineTraces ? [ApolloServerPluginInlineTraceDisabled()] : []),
      ...(definition.plugins ?? []),
      { serverWillStart: async () => ({ serverWillStop: async () => definition.close?.() }) },
    ],
  } as ApolloServerOptions<TContext>);
  let graphql: ((request: FastifyRequest, reply: FastifyReply) => Promise<unknown>) | undefined;
  const stats = { graphqlRequests: 0 };
  observeRequests(app, { service: definition.name, log: definition.log, metrics, slowRequestMs: definition.slowRequestMs });

  await app.register(fastifyCors, {
    origin: (origin, callback) => callback(null, origin !== undefined && originAllowed(edge.cors, origin)),
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: CORS_HEADERS,
    // Browser clients may read the request id, to quote it in a bug report.
    exposedHeaders: ['x-request-id'],
    maxAge: 7200,
  });
  // An API answers JSON; the page-level policies (CSP, COEP, CORP) would break Apollo's landing page.
  await app.register(fastifyHelmet, { contentSecurityPolicy: false, crossOriginEmbedderPolicy: false, crossOriginResourcePolicy: false });
  // Apollo answers a non-JSON POST with its CSRF-prevention message instead of a bare 415.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.setErrorHandler((error: { statusCode?: number; code?: string }, request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return reply.code(413).send({ error: `Request body over ${MAX_BODY_BYTES} bytes` });
    if ((error.statusCode === 400 && /JSON/i.test(String(error.code))) || error instanceof SyntaxError) {
      return reply.code(400).send({ errors: [{ message: 'The request body is not valid JSON.', extensions: { code: 'BAD_REQUEST' } }] });
    }
    definition.log.error('request failed', { error, url: request.url });
    return reply.code(500).send({ error: 'Internal server error' });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: `No route ${request.url.split('?')[0]}: GraphQL is at /graphql` }),
  );

  // Once draining, every answer closes its connection, so callers reconnect to a live process.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (draining) void reply.header('connection', 'close');
    return payload;
  });
  const unavailable = () => (draining ? 'draining' : graphql ? undefined : 'starting');
  app.get('/health', (_request, reply) => {
    const status = unavailable();
    return reply.code(status ? 503 : 200).send({ status: status ?? 'ok', service: definition.name });
  });
  app.get('/ready', async (_request, reply) => {
    const status = unavailable();
    if (status) return reply.code(503).send({ status, service: definition.name });
    try {
      await definition.checkReady?.();
      return reply.send({ status: 'ready', service: definition.name });
    } catch (error) {
      // A driver's error names hosts and addresses: log it, show only reasons meant to be shown.
      if (!(error instanceof NotReadyError)) definition.log.warn('not ready', { error });
      const reason = error instanceof NotReadyError ? error.message : 'a dependency is unreachable; see the service log';
      return reply.code(503).send({ status: 'not ready', service: definition.name, reason });
    }
  });
  if (metricsConfig.onServicePort) {
    app.get('/metrics', async (_request, reply) => {
      const { contentType, body } = await metrics.exposition();
      return reply.type(contentType).send(body);
    });
  }
  for (const route of definition.routes ?? []) {
    app.route({
      method: route.method,
      url: route.path,
      handler: async (request, reply) => {
        const answer = await route.handle({ headers: request.headers, body: request.body });
        return reply
          .code(answer.status)
          .headers(answer.headers ?? {})
          .send(answer.body);
      },
    });
  }
  const serveGraphQL = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!graphql)
      return reply
        .code(503)
        .send({ errors: [{ message: 'Starting up; try again shortly.', extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
    stats.graphqlRequests++;
    const decision = definition.gate?.(request.method === 'GET' ? request.query : request.body);
    if (decision && 'refuse' in decision) return reply.code(decision.refuse.status).send(decision.refuse.body);
    if (decision) runDocument(request, decision.document);
    return graphql(request, reply);
  };
  app.route({ method: ['GET', 'POST'], url: '/graphql', handler: serveGraphQL });
  app.route({ method: ['GET', 'POST'], url: '/', handler: serveGraphQL });

  await app.listen({ port: options.port, host: options.host ?? '::' });
  let metricsListener: Awaited<ReturnType<typeof listenForMetrics>> | undefined;
  try {
    if (metricsConfig.port !== null) {
      metricsListener = await listenForMetrics(metrics, metricsConfig.port).catch((error: Error) => {
        const message = `METRICS_PORT ${metricsConfig.port} cannot be listened on: ${error.message}`;
        if (metricsConfig.portGiven) throw new ConfigError(message);
        definition.log.warn(`${message}; serving no metrics (set METRICS_PORT for each service on one host)`);
        return undefined;
      });
    }
    await apollo.start();
  } catch (error) {
    await app.close();
    await metricsListener?.close();
    await definition.close?.();
    throw error;
  }
  const handler = fastifyApolloHandler<TContext>(apollo, {
    context: async (request) => definition.context({ headers: request.headers, clientIp: request.ip }),
  });
  // The handler's declared request and reply types are narrower generics of the same objects.
  type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  graphql = (request, reply) => (handler as unknown as Handler).call(app, request, reply);
  const port = app.server.address() as { port: number };
  return {
    url: `http://localhost:${port.port}/graphql`,
    port: port.port,
    stats,
    metricsUrl: metricsListener
      ? `http://localhost:${metricsListener.port}/metrics`
      : metricsConfig.onServicePort
        ? `http://localhost:${port.port}/metrics`
        : undefined,
    // drain() first, in this tick: the port is closed before the caller logs that it drains.
    stop: (stopOptions) => {
      const drained = drain(stopOptions?.graceMs ?? DEFAULT_SHUTDOWN_GRACE_MS);
      // Metrics stay up while draining (a last scrape sees the drain), and close with the service.
      return apollo
        .stop()
        .then(() => drained)
        .finally(() => metricsListener?.close());
    },
  };
}

/**
 * Stops taking connections now (Fastify would on its next tick), closes idle keep-alive ones,
 * waits for requests in progress, and after `graceMs` closes whatever is still open.
 */
function drainHttp(app: FastifyInstance, graceMs: number, log: Logger): Promise<void> {
  app.server.close();
  const cut = setTimeout(() => {
    log.warn('shutdown grace over: closing the connections still open', { graceMs });
    app.server.closeAllConnections();
  }, graceMs);
  return app.close().finally(() => clearTimeout(cut));
}

/**
 * Internal errors masked, then size refusals given back their own code. A subgraph shows its own
 * codes; the router, which knows none of them, shows what the subgraphs answered.
 */
function formatErrors(log: Logger, options: MaskOptions) {
  const mask = maskInternalErrors(log, options);
  return (formatted: Parameters<typeof mask>[0], error: unknown) => mask(limitErrorCode(formatted, error), error);
}

/** Apollo's own messages, in our log format; its debug chatter is dropped. */
function apolloLogger(log: Logger) {
  const text = (args: unknown[]) => args.map(String).join(' ');
  return {
    debug: () => {},
    info: (...args: unknown[]) => log.info(text(args)),
    warn: (...args: unknown[]) => log.warn(text(args)),
    error: (...args: unknown[]) => log.error(text(args)),
  };
}
