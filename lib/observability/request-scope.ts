import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Context, Span } from '@opentelemetry/api';

/** The header a request id travels in, from the client through the router to every service it reaches. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** What every log line, metric and outgoing call made while serving one request can know of it. */
export interface RequestScope {
  requestId: string;
  /** The GraphQL operation's name, once Apollo has resolved it (for the request's closing log line). */
  operation?: string;
  /** Calls made to other services while serving it, each with how long its caller waited (the slow-request line). */
  calls?: { service: string; ms: number; ok: boolean }[];
  /** The request's server span and the trace context it runs in, when tracing is on (lib/observability/tracing.ts). */
  trace?: { span: Span; context: Context };
}

const storage = new AsyncLocalStorage<RequestScope>();

/** Ids a caller may choose: bounded, and safe to log and to pass on in a header. */
const ACCEPTED_ID = /^[A-Za-z0-9._:+/=-]{1,128}$/;

/** The caller's `x-request-id` when it is acceptable; else a fresh UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const given = Array.isArray(header) ? header[0] : header;
  return given !== undefined && ACCEPTED_ID.test(given) ? given : randomUUID();
}

/** Runs `fn` (and everything it starts) inside the request's scope. */
export function runInRequestScope<T>(scope: RequestScope, fn: () => T): T {
  return storage.run(scope, fn);
}

/** The scope of the request being served, if any (a background loop has none). */
export function currentRequestScope(): RequestScope | undefined {
  return storage.getStore();
}

/**
 * Starts timing a call to `service` made for the current request; calling the result with whether
 * it succeeded records it in the request's `calls` (what the slow-request line lists). Outside a
 * request (a background loop) nothing is recorded.
 */
export function timeCall(service: string): (ok: boolean) => void {
  const scope = currentRequestScope();
  const started = performance.now();
  return (ok) => scope?.calls?.push({ service, ms: Math.round((performance.now() - started) * 10) / 10, ok });
}
