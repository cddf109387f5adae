import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from '../log';
import type { ServiceMetrics } from './metrics';
import { SpanStatusCode } from '@opentelemetry/api';
import { REQUEST_ID_HEADER, requestIdFrom, runInRequestScope, type RequestScope } from './request-scope';
import { runInTraceContext, startServerSpan } from './tracing';

/** Probes and scrapes: no request log line, metric or span each (they come every few seconds). */
const UNOBSERVED = new Set(['/health', '/ready', '/metrics']);

export interface HttpObservation {
  service: string;
  log: Logger;
  metrics: ServiceMetrics;
  /** A request that takes this long or longer is logged at warn, with its calls. @default DEFAULT_SLOW_REQUEST_MS */
  slowRequestMs?: number;
}

/** A request this slow (ms) is logged at warn, saying where its time went (`SLOW_REQUEST_MS` at the router). */
export const DEFAULT_SLOW_REQUEST_MS = 1000;

/**
 * Gives every request a scope (lib/observability/request-scope.ts): its id (the caller's
 * `x-request-id` if acceptable, else a new one), sent back in the response header; logs one line
 * (at debug) when it is answered, or at warn with the calls it made to other services when it took
 * `slowRequestMs` or longer, and times it by route and status. With tracing on, each request
 * is a server span, child of the caller's `traceparent`, and runs in its trace context.
 */
export function observeRequests(app: FastifyInstance, options: HttpObservation): void {
  const scopes = new WeakMap<FastifyRequest, RequestScope>();
  app.addHook('onRequest', (request, reply, done) => {
    const scope: RequestScope = { requestId: requestIdFrom(request.headers[REQUEST_ID_HEADER]), calls: [] };
    scopes.set(request, scope);
    void reply.header(REQUEST_ID_HEADER, scope.requestId);
    const route = request.routeOptions.url;
    if (!(route && UNOBSERVED.has(route))) {
      scope.trace = startServerSpan(options.service, request.method, route ?? '(no route)', request.headers);
      scope.trace?.span.setAttribute('request.id', scope.requestId);
    }
    runInTraceContext(scope.trace?.context, () => runInRequestScope(scope, () => done()));
  });
  // The body is read on the connection's own async context: the handler enters the request's scope again.
  app.addHook('preHandler', (request, _reply, done) => {
    const scope = scopes.get(request);
    if (!scope) return done();
    runInTraceContext(scope.trace?.context, () => runInRequestScope(scope, () => done()));
  });
  app.addHook('onRequestAbort', (request, done) => {
    scopes.get(request)?.trace?.span.end();
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const scope = scopes.get(request);
    const route = request.routeOptions.url;
    const span = scope?.trace?.span;
    if (span) {
      span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    if (scope && !(route && UNOBSERVED.has(route))) {
      options.metrics.httpRequest(request.method, route ?? '(no route)', reply.statusCode, reply.elapsedTime / 1000);
      const fields = {
        method: request.method,
        path: request.url.split('?')[0],
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        ...(scope.operation !== undefined && { operation: scope.operation }),
      };
      runInRequestScope(scope, () => {
        if (reply.elapsedTime >= (options.slowRequestMs ?? DEFAULT_SLOW_REQUEST_MS))
          options.log.warn('slow request', { ...fields, calls: scope.calls });
        else options.log.debug?.('request', fields);
      });
    }
    done();
  });
}
