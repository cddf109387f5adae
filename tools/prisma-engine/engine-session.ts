import fs from 'node:fs';
import {
  bindMigrationAwareSqlAdapterFactory,
  type ErrorCapturingSqlMigrationAwareDriverAdapterFactory,
  type ErrorRegistry,
} from '@prisma/driver-adapter-utils';
import { hardenAdapterFactory, type HardenedFactory } from '../../lib/db/migrations/harden-adapter';
import { logLine } from './log';
import { openTarget, type OpenedTarget } from './targets';
import { createSchemaEngine, type SchemaEngine } from '../../lib/db/migrations/wasm-engine';

/**
 * One engine executable's lifetime: the database it was started for, and the wasm engine on top
 * of it, created on the first request (`createDatabase` needs none).
 */
export class EngineSession {
  private engine: Promise<SchemaEngine> | undefined;
  private readonly target: OpenedTarget | undefined;
  private readonly hardened: HardenedFactory;
  private readonly bound: ErrorCapturingSqlMigrationAwareDriverAdapterFactory;
  private closed: Promise<void> | undefined;

  readonly url: string | undefined;
  /** Where the engine leaves errors thrown inside the adapter (see engine-error.ts). */
  readonly errorRegistry: ErrorRegistry;

  constructor(
    private readonly datamodelPaths: string[],
    datasource: { url?: string; shadowDatabaseUrl?: string },
  ) {
    this.url = datasource.url;
    this.target = datasource.url ? openTarget(datasource.url, datasource.shadowDatabaseUrl) : undefined;
    this.hardened = hardenAdapterFactory(this.target?.factory ?? noDatasource);
    this.bound = bindMigrationAwareSqlAdapterFactory(this.hardened.factory);
    this.errorRegistry = this.bound.errorRegistry;
  }

  getEngine(): Promise<SchemaEngine> {
    this.engine ??= createSchemaEngine(
      this.bound,
      // The engine panics on an empty list ("validate_multi_file() must be called with at least
      // one file"); no schema at all is `undefined`.
      this.datamodelPaths.length > 0
        ? this.datamodelPaths.map((file): [string, string] => [file, fs.readFileSync(file, 'utf8')])
        : undefined,
      forwardEngineLog,
    );
    return this.engine;
  }

  /** Disposes every connection (dropping temporary shadow databases), then the database itself. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      const engine = await this.engine?.catch(() => undefined);
      await this.hardened.disposeAll().catch((error: unknown) => logLine('WARN', { message: `While disconnecting: ${String(error)}` }));
      engine?.free();
      await this.target?.close();
    })();
    return this.closed;
  }
}

const noDatasource = {
  provider: 'postgres' as const,
  adapterName: 'none',
  connect: () => Promise.reject(new Error('This command needs a datasource URL; set one in prisma.config.ts')),
  connectToShadowDb: () => Promise.reject(new Error('This command needs a datasource URL; set one in prisma.config.ts')),
};

/** The wasm engine's logs are already tracing-format JSON; pass them on as the native one would. */
function forwardEngineLog(line: unknown): void {
  if (typeof line === 'string') process.stderr.write(`${line}\n`);
  else process.stderr.write(`${JSON.stringify(line)}\n`);
}
