import { parseEngineArgs } from './args';
import { runCliCommand } from './cli-commands';
import { EngineSession } from './engine-session';
import { logLine } from './log';
import { RpcServer } from './rpc-server';
import { wasmEngineVersion } from '../../lib/db/migrations/wasm-engine';

/**
 * The `schema-engine` executable the Prisma CLI runs (PRISMA_SCHEMA_ENGINE_BINARY): the native
 * engine's command line and protocol, on top of the wasm engine the `prisma` package ships.
 */
async function main(argv: readonly string[]): Promise<number> {
  const args = parseEngineArgs(argv);
  if (args.version) {
    process.stdout.write(`schema-engine-cli ${wasmEngineVersion()}\n`);
    return 0;
  }
  if (args.cliCommand !== undefined) return runCliCommand(args.cliCommand, args.datasource.url);

  const session = new EngineSession(args.datamodels, args.datasource);
  // The CLI closes stdin and then sends SIGTERM when it is done: either way, close the database
  // cleanly (a PGlite dir must be closed to keep its writes, and its lock released).
  let stopping: Promise<number> | undefined;
  const stop = (code: number): Promise<number> => {
    stopping ??= session.close().then(
      () => code,
      (error: unknown) => {
        logLine('ERROR', { message: `Closing the database failed: ${String(error)}` });
        return 1;
      },
    );
    return stopping;
  };
  // A Rust panic surfaces as an uncaught WebAssembly.RuntimeError from a microtask, not as a
  // rejection: report it as the native engine does (an ERROR line, exit code 101).
  process.on('uncaughtException', (error) => {
    const panic = error instanceof WebAssembly.RuntimeError ? globalThis.PRISMA_WASM_PANIC_REGISTRY?.get() : undefined;
    logLine('ERROR', { message: panic || (error.stack ?? error.message), is_panic: Boolean(panic) });
    void stop(101).then(() => process.exit(101));
  });
  process.on('SIGTERM', () => void stop(0).then((code) => process.exit(code)));
  process.on('SIGINT', () => void stop(130).then((code) => process.exit(code)));
  await new RpcServer(session).serve();
  return stop(0);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    logLine('ERROR', { message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    process.exit(1);
  },
);
