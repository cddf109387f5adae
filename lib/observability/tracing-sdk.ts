import type { Context } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  type ReadableSpan,
  SimpleSpanProcessor,
  type Span,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { PrismaInstrumentation } from '@prisma/instrumentation';
import { SERVICE_ATTRIBUTE, SERVICE_KEY } from './tracing';

export interface TracingSdk {
  provider: NodeTracerProvider;
  prisma: PrismaInstrumentation;
}

/**
 * The OpenTelemetry SDK, registered for this process (lib/observability/tracing.ts loads this file
 * only when tracing is on): a provider named `serviceName`, W3C trace context, AsyncLocalStorage
 * context, and Prisma's instrumentation (prisma:client:* spans, SQL included).
 */
export function startSdk(options: { serviceName: string; exporter?: SpanExporter; immediate?: boolean }): TracingSdk {
  const exporter = options.exporter ?? new OTLPTraceExporter();
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: [new ServiceAttribution(), options.immediate ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)],
  });
  provider.register();
  // Enabled by hand: Prisma 7 clients read a global helper at query time, so no require hook is needed.
  const prisma = new PrismaInstrumentation({ enabled: false });
  prisma.setTracerProvider(provider);
  prisma.enable();
  return { provider, prisma };
}

/** Stamps every span with the service whose request it belongs to (from the request's context). */
class ServiceAttribution implements SpanProcessor {
  onStart(span: Span, parentContext: Context): void {
    const service = parentContext.getValue(SERVICE_KEY);
    if (typeof service === 'string') span.setAttribute(SERVICE_ATTRIBUTE, service);
  }
  onEnd(_span: ReadableSpan): void {}
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}
