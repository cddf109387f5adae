import {
  type Context,
  context,
  createContextKey,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-node';
import type { TracingSdk } from './tracing-sdk';

/**
 * The span attribute naming the service that made a span. In production each process is one
 * service (the resource's `service.name` says which); the tests run all four in one process, one
 * provider, and tell their spans apart by this.
 */
export const SERVICE_ATTRIBUTE = 'commerce.service';
export const SERVICE_KEY = createContextKey(SERVICE_ATTRIBUTE);

const tracer = trace.getTracer('federated-commerce');

let running: TracingSdk | undefined;

export interface TracingOptions {
  /** The resource's `service.name` (`OTEL_SERVICE_NAME` wins). */
  serviceName: string;
  /** Where spans go. @default OTLP over HTTP to `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), in batches */
  exporter?: SpanExporter;
  /** Export each span as it ends instead of in batches (tests read them at once). @default false */
  immediate?: boolean;
  env?: Record<string, string | undefined>;
}

/**
 * Registers an OpenTelemetry tracer provider for this process (W3C trace context, AsyncLocalStorage
 * context) and Prisma's instrumentation (prisma:client:* spans, SQL included). Idempotent: a second
 * call (several services in one process) keeps the first provider and returns false.
 */
export function startTracing(options: TracingOptions): boolean {
  if (running) return false;
  // Loaded only when tracing is on: the SDK, exporter and Prisma's instrumentation cost ~12 MB and a start-up pause.
  const { startSdk } = require('./tracing-sdk') as typeof import('./tracing-sdk');
  const env = options.env ?? process.env;
  running = startSdk({ ...options, serviceName: env.OTEL_SERVICE_NAME || options.serviceName });
  return true;
}

/**
 * Starts tracing when `OTEL_EXPORTER_OTLP_ENDPOINT` (or the traces-only variable) is set; without
 * it nothing is registered, and every span below is a no-op of the OpenTelemetry API.
 */
export function startTracingFromEnv(serviceName: string, env: Record<string, string | undefined> = process.env): boolean {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return false;
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  return startTracing({ serviceName, env });
}

/**
 * Exports the spans still buffered, then unregisters everything. Start tracing once per process: a
 * tracer a module took before this (the gateway's own, and this module's) stays bound to the
 * stopped provider, so a later startTracing would miss their spans.
 */
export async function stopTracing(): Promise<void> {
  const stopping = running;
  if (!stopping) return;
  running = undefined;
  stopping.prisma.disable();
  await stopping.provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
}

export function tracingEnabled(): boolean {
  return running !== undefined;
}

/**
 * The server span of one HTTP request to `service`, child of the caller's `traceparent` if any,
 * and the context to run the request in; undefined when tracing is off.
 */
export function startServerSpan(
  service: string,
  method: string,
  route: string,
  headers: Record<string, string | string[] | undefined>,
): { span: Span; context: Context } | undefined {
  if (!running) return undefined;
  const parent = propagation.extract(ROOT_CONTEXT, headers).setValue(SERVICE_KEY, service);
  const span = tracer.startSpan(
    `${method} ${route}`,
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'http.route': route } },
    parent,
  );
  return { span, context: trace.setSpan(parent, span) };
}

/** Runs `fn` in `ctx` (the request's trace context), or as it is when tracing is off. */
export function runInTraceContext<T>(ctx: Context | undefined, fn: () => T): T {
  return ctx ? context.with(ctx, fn) : fn();
}

/** Adds the active trace context (`traceparent`, `tracestate`) to outgoing headers; nothing when tracing is off. */
export function injectTraceContext(headers: Record<string, string>): void {
  if (running) propagation.inject(context.active(), headers);
}

/**
 * `fn` inside a client span named `name` (an outgoing HTTP call), so that the headers it builds
 * (`outgoingHeaders()`) make the callee's span its child. Plain `fn()` when tracing is off.
 */
export async function inClientSpan<T extends { status?: number }>(name: string, fn: () => Promise<T>): Promise<T> {
  if (!running) return fn();
  return tracer.startActiveSpan(name, { kind: SpanKind.CLIENT }, async (span) => {
    try {
      const result = await fn();
      if (typeof result.status === 'number') {
        span.setAttribute('http.response.status_code', result.status);
        if (result.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      }
      return result;
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
}
