import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap, type ApolloServerOptions, type BaseContext, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import type { ApolloGateway } from '@apollo/gateway';
import type { GraphQLSchema } from 'graphql';
import { maskInternalErrors } from './graphql/errors';
import type { Logger } from './log';
import { NotReadyError } from './readiness';

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
  context(request: { headers: http.IncomingHttpHeaders }): Promise<TContext>;
  /** For GET /ready: resolves when the service can serve traffic, rejects saying why not. */
  checkReady?(): Promise<void>;
  routes?: Route[];
  plugins?: ApolloServerPlugin<TContext>[];
  /** Called once the server has drained: close database clients here. */
  close?(): Promise<void>;
  /** Turns off introspection (Apollo also serves its production landing page, not Sandbox). */
  production: boolean;
}

export interface RunningService {
  url: string;
  port: number;
  /** GraphQL requests served so far; tests and benchmarks read it to count router fan-out. */
  stats: { graphqlRequests: number };
  stop(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Serves a service over HTTP: GraphQL at /graphql (Apollo Sandbox on a browser GET outside
 * production), GET /health (200 once started), GET /ready (the service's own check) and its routes.
 */
export async function startService<TContext extends BaseContext>(
  definition: ServiceDefinition<TContext>,
  options: { port: number; host?: string },
): Promise<RunningService> {
  const httpServer = http.createServer();
  const config = {
    ...definition.graph,
    includeStacktraceInErrorResponses: false,
    // Schema discovery is for development; production answers only the operations clients send.
    introspection: !definition.production,
    logger: apolloLogger(definition.log),
    formatError: maskInternalErrors(definition.log),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: 5000 }),
      ...(definition.plugins ?? []),
      { serverWillStart: async () => ({ serverWillStop: async () => definition.close?.() }) },
    ],
  } as ApolloServerOptions<TContext>;
  const apollo = new ApolloServer<TContext>(config);
  let started = false;
  const stats = { graphqlRequests: 0 };
  const routes = new Map((definition.routes ?? []).map((route) => [`${route.method} ${route.path}`, route]));

  httpServer.on('request', (req, res) => {
    handle(req, res).catch((error: unknown) => {
      definition.log.error('request failed', { error, url: req.url });
      if (!res.headersSent) sendJson(res, 500, { error: 'Internal server error' });
      else res.end();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    if (url.pathname === '/health' && method === 'GET') {
      return sendJson(res, started ? 200 : 503, { status: started ? 'ok' : 'starting', service: definition.name });
    }
    if (url.pathname === '/ready' && method === 'GET') {
      if (!started) return sendJson(res, 503, { status: 'starting', service: definition.name });
      try {
        await definition.checkReady?.();
        return sendJson(res, 200, { status: 'ready', service: definition.name });
      } catch (error) {
        // A driver's error names hosts and addresses: log it, show only reasons meant to be shown.
        if (!(error instanceof NotReadyError)) definition.log.warn('not ready', { error });
        const reason = error instanceof NotReadyError ? error.message : 'a dependency is unreachable; see the service log';
        return sendJson(res, 503, { status: 'not ready', service: definition.name, reason });
      }
    }
    const body = await readBody(req);
    if (body.tooLarge) return sendJson(res, 413, { error: `Request body over ${MAX_BODY_BYTES} bytes` });
    const route = routes.get(`${method} ${url.pathname}`);
    if (route) {
      const parsed = parseJson(body.text, req.headers['content-type']);
      if (!parsed.ok) return sendJson(res, 400, { error: 'Request body must be JSON' });
      const answer = await route.handle({ headers: req.headers, body: parsed.value });
      return sendJson(res, answer.status, answer.body, answer.headers);
    }
    if (url.pathname !== '/graphql' && url.pathname !== '/') return sendJson(res, 404, { error: `No route ${url.pathname}: GraphQL is at /graphql` });
    if (!started) return sendJson(res, 503, { errors: [{ message: 'Starting up; try again shortly.', extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
    stats.graphqlRequests++;
    await serveGraphQL(req, res, url, body.text);
  }

  async function serveGraphQL(req: http.IncomingMessage, res: http.ServerResponse, url: URL, text: string): Promise<void> {
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const parsed = parseJson(text, req.headers['content-type']);
    if (!parsed.ok) {
      return sendJson(res, 400, { errors: [{ message: 'The request body is not valid JSON.', extensions: { code: 'BAD_REQUEST' } }] });
    }
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers, search: url.search, body: parsed.value },
      context: () => definition.context({ headers: req.headers }),
    });
    for (const [key, value] of result.headers) res.setHeader(key, value);
    res.statusCode = result.status ?? 200;
    if (result.body.kind === 'complete') {
      res.end(result.body.string);
      return;
    }
    for await (const chunk of result.body.asyncIterator) res.write(chunk);
    res.end();
  }

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  try {
    await apollo.start();
  } catch (error) {
    httpServer.close();
    await definition.close?.();
    throw error;
  }
  started = true;
  const { port } = httpServer.address() as AddressInfo;
  return {
    url: `http://localhost:${port}/graphql`,
    port,
    stats,
    stop: () => apollo.stop(),
  };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

async function readBody(req: http.IncomingMessage): Promise<{ text: string; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return { text: '', tooLarge: true };
    chunks.push(chunk);
  }
  return { text: Buffer.concat(chunks).toString('utf8'), tooLarge: false };
}

function parseJson(text: string, contentType: string | undefined): { ok: true; value: unknown } | { ok: false } {
  if (!text) return { ok: true, value: undefined };
  if (!contentType?.includes('json')) return { ok: true, value: text };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
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
