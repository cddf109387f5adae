import fs from 'node:fs';
import path from 'node:path';
import type { ErrorCapturingSqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';
import * as glue from '@prisma/schema-engine-wasm/schema_engine_bg';

export type { SchemaEngine };

/**
 * The engine build of @prisma/schema-engine-wasm, pinned to the engine commit of the prisma CLI
 * (7.10.0 ships this very .wasm as build/schema_engine_bg.wasm; tests/unit/build.test.ts checks
 * they stay byte-identical). Taking it from this package, not the CLI's, keeps the CLI out of the
 * production install. The glue's own entry would import the .wasm as an ES module, which Node
 * does not do without a flag, so it is instantiated by hand below.
 */
export const WASM_PATH = path.join(path.dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg')), 'schema_engine_bg.wasm');

type WasmExports = WebAssembly.Exports & { __wbindgen_start(): void };

interface PanicRegistry {
  set_message(message: string): void;
  get(): string;
}

declare global {
  // The glue reports a Rust panic's message through this global before it throws.
  // eslint-disable-next-line no-var
  var PRISMA_WASM_PANIC_REGISTRY: PanicRegistry | undefined;
}

let loaded = false;

/**
 * Every engine leaves a 10 s timer behind (a timeout racing an operation that already finished),
 * which would keep a one-shot script alive for 10 s after applyMigrations resolved. Its timers
 * are unref'd: whatever the engine is waiting for (a socket, a PGlite call) keeps the process
 * alive on its own.
 */
function withUnrefTimers(imports: typeof glue): WebAssembly.ModuleImports {
  const patched: Record<string, unknown> = { ...imports };
  for (const [name, value] of Object.entries(imports)) {
    if (name.startsWith('__wbg_setTimeout_') && typeof value === 'function') {
      patched[name] = (...args: unknown[]): unknown => {
        const timer = (value as (...a: unknown[]) => unknown)(...args);
        (timer as { unref?: () => void } | undefined)?.unref?.();
        return timer;
      };
    }
  }
  return patched as WebAssembly.ModuleImports;
}

/**
 * Instantiates the WASM module once per process. The glue keeps its instance in a module-level
 * variable, so there can be only one anyway; every SchemaEngine shares its linear memory, which
 * grows to what the largest operation needed and is never given back (a few tens of MB).
 */
function ensureWasmLoaded(): void {
  if (loaded) return;
  let lastPanic = '';
  globalThis.PRISMA_WASM_PANIC_REGISTRY ??= {
    set_message: (message) => {
      lastPanic = `RuntimeError: ${message}`;
    },
    get: () => lastPanic,
  };
  const module = new WebAssembly.Module(fs.readFileSync(WASM_PATH));
  const instance = new WebAssembly.Instance(module, { './schema_engine_bg.js': withUnrefTimers(glue) });
  glue.__wbg_set_wasm(instance.exports);
  (instance.exports as WasmExports).__wbindgen_start();
  loaded = true;
}

/** The version of the engine build, e.g. "8.1.0-...": what `schema-engine --version` reports. */
export function wasmEngineVersion(): string {
  ensureWasmLoaded();
  return glue.version();
}

/** Log lines from the engine: JSON strings in the tracing format the native engine prints. */
export type EngineLogger = (line: string) => void;

/**
 * A SchemaEngine bound to one database. `datamodels` are [path, content] pairs, like the
 * native engine's --datamodels files.
 */
export async function createSchemaEngine(
  adapterFactory: ErrorCapturingSqlMigrationAwareDriverAdapterFactory,
  datamodels: [string, string][] | undefined,
  logger: EngineLogger = () => {},
): Promise<SchemaEngine> {
  ensureWasmLoaded();
  return glue.SchemaEngine.new({ datamodels }, logger, adapterFactory);
}
