import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from '../log';
import type { ServiceMetrics } from './metrics';
import { currentRequestScope, REQUEST_ID_HEADER, requestIdFrom, runInRequestScope, type RequestScope } from './request-scope';

/** Probes and scrapes: no request log line, metric or span each (they come every few seconds). */
const UNOBSERVED = new Set(['/health', '/ready', '/metrics']);

export interface HttpObservation {
  log: Logger;
  metrics: ServiceMetrics;
}

/**
 * Gives every request a scope (lib/observability/request-scope.ts): its id (the caller's
 * `x-request-id` if acceptable, else a new one), sent back in the response header; logs one line
 * (at debug) when it is answered, and times it by route and status.
 */
export function observeRequests(app: FastifyInstance, options: HttpObservation): void {
  const scopes = new WeakMap<FastifyRequest, RequestScope>();
  app.addHook('onRequest', (request, reply, done) => {
    const scope: RequestScope = { requestId: requestIdFrom(request.headers[REQUEST_ID_HEADER]) };
    scopes.set(request, scope);
    void reply.header(REQUEST_ID_HEADER, scope.requestId);
    runInRequestScope(scope, () => done());
  });
  // The body is read on the connection's own async context: the handler enters the request's scope again.
  app.addHook('preHandler', (request, _reply, done) => {
    const scope = scopes.get(request);
    if (scope && currentRequestScope() !== scope) runInRequestScope(scope, () => done());
    else done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const scope = scopes.get(request);
    const route = request.routeOptions.url;
    if (scope && !(route && UNOBSERVED.has(route))) {
      options.metrics.httpRequest(request.method, route ?? '(no route)', reply.statusCode, reply.elapsedTime / 1000);
      runInRequestScope(scope, () =>
        options.log.debug?.('request', {
          method: request.method,
          path: request.url.split('?')[0],
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 10) / 10,
          ...(scope.operation !== undefined && { operation: scope.operation }),
        }),
      );
    }
    done();
  });
}
