import type { BaseContext } from '@apollo/server';
import { startTracingFromEnv, stopTracing } from './observability/tracing';
import { startService, type ServiceDefinition } from './server';
import { handleTerminationSignals, loadShutdownGraceMs } from './shutdown';

/**
 * The body of every entry file: build the service, listen on its port, and on any failure to
 * start print why and exit non-zero. SIGTERM/SIGINT drain it and exit 0 (lib/shutdown.ts).
 * With OTEL_EXPORTER_OTLP_ENDPOINT set it traces (lib/observability/tracing.ts), and exports the
 * last spans once drained.
 */
export function runService<TContext extends BaseContext>(
  build: () => Promise<{ definition: ServiceDefinition<TContext>; port: number }>,
): void {
  Promise.resolve()
    .then(async () => {
      const signals = handleTerminationSignals(loadShutdownGraceMs());
      const { definition: built, port } = await build();
      const tracing = startTracingFromEnv(built.name);
      const definition = tracing
        ? {
            ...built,
            close: async () => {
              await built.close?.();
              // A collector that is down costs the last spans, not a clean exit.
              await stopTracing().catch((error: unknown) => built.log.warn('could not export the last spans', { error }));
            },
          }
        : built;
      const running = await startService(definition, { port });
      definition.log.info(`${definition.name} ready`, { url: running.url });
      signals.started(running, definition.log);
    })
    .catch(failedToStart);
}

/** Prints why a service could not start (with the stack outside production) and exits 1. */
export function failedToStart(error: unknown): never {
  process.stderr.write(`Failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  if (process.env.NODE_ENV !== 'production' && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  process.exit(1);
}
