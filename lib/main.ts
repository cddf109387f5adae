import type { BaseContext } from '@apollo/server';
import { startService, type ServiceDefinition } from './server';

/**
 * The body of every entry file: build the service, listen on its port, and on any failure to
 * start print why and exit non-zero. Apollo Server stops it cleanly on SIGINT/SIGTERM.
 */
export function runService<TContext extends BaseContext>(build: () => Promise<{ definition: ServiceDefinition<TContext>; port: number }>): void {
  build()
    .then(async ({ definition, port }) => {
      const running = await startService(definition, { port });
      definition.log.info(`${definition.name} ready`, { url: running.url });
    })
    .catch((error: unknown) => {
      process.stderr.write(`Failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
      if (process.env.NODE_ENV !== 'production' && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
      process.exit(1);
    });
}
