import readline from 'node:readline';
import type { ErrorRegistry } from '@prisma/driver-adapter-utils';
import { CodedError, runDatabaseCommand } from './cli-commands';
import { engineErrorInfo } from '../../lib/db/migrations/engine-error';
import type { EngineSession } from './engine-session';
import type { SchemaEngine } from '../../lib/db/migrations/wasm-engine';

/**
 * The native engine's JSON-RPC 2.0 server: one JSON object per line on stdin and stdout. Each
 * method is the wasm engine's method of the same name, with the few exceptions below.
 */

interface RpcRequest {
  jsonrpc: '2.0';
  id: number | string;
  method: string;
  params?: unknown;
}

type RpcMessage = Partial<RpcRequest> & { result?: unknown; error?: unknown };

/** The wasm engine's methods the CLI may call by their own name. */
const PASS_THROUGH = new Set([
  'applyMigrations',
  'createMigration',
  'dbExecute',
  'devDiagnostic',
  'diagnoseMigrationHistory',
  'ensureConnectionValidity',
  'evaluateDataLoss',
  'introspect',
  'introspectSql',
  'markMigrationApplied',
  'markMigrationRolledBack',
  'reset',
  'schemaPush',
]);

type EngineMethod = (this: SchemaEngine, params: unknown) => Promise<unknown>;

/** The engine's error as the native engine reports it (`data` is what the CLI reads). */
export function toRpcError(error: unknown, registry?: ErrorRegistry): { code: number; message: string; data: Record<string, unknown> } {
  const data = engineErrorData(error, registry);
  return { code: 4466, message: 'An error happened. Check the data field for details.', data };
}

function engineErrorData(error: unknown, registry: ErrorRegistry | undefined): Record<string, unknown> {
  if (error instanceof CodedError) return { is_panic: false, message: error.message, error_code: error.errorCode };
  const { message, errorCode } = engineErrorInfo(error, registry);
  return { is_panic: false, message, ...(errorCode ? { error_code: errorCode } : {}) };
}

export class RpcServer {
  private nextOutgoingId = 1;
  private readonly pendingOutgoing = new Map<number, () => void>();

  constructor(private readonly session: EngineSession) {}

  /** Serves until stdin closes; requests are answered in order, one at a time, like the native engine. */
  async serve(): Promise<void> {
    const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
    let queue = Promise.resolve();
    for await (const line of lines) {
      if (!line.trim()) continue;
      let message: RpcMessage;
      try {
        message = JSON.parse(line) as RpcMessage;
      } catch {
        this.send({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
        continue;
      }
      if (message.method === undefined) {
        this.acknowledge(message); // the CLI answering one of our `print` requests
        continue;
      }
      const request = message as RpcRequest;
      queue = queue.then(() => this.answer(request));
    }
    // stdin closed: nobody is left to acknowledge a print.
    for (const done of this.pendingOutgoing.values()) done();
    this.pendingOutgoing.clear();
    await queue;
  }

  private async answer(request: RpcRequest): Promise<void> {
    try {
      const result = await this.call(request.method, request.params);
      this.send({ jsonrpc: '2.0', id: request.id, result: result ?? {} });
    } catch (error) {
      this.send({ jsonrpc: '2.0', id: request.id, error: toRpcError(error, this.session.errorRegistry) });
    }
  }

  private async call(method: string, params: unknown): Promise<unknown> {
    if (method === 'createDatabase') {
      const url = this.session.url;
      if (!url) throw new Error('createDatabase needs a datasource URL');
      await runDatabaseCommand('create-database', url);
      return { databaseName: url };
    }
    const engine = await this.session.getEngine();
    if (method === 'getDatabaseVersion') return engine.version(params as undefined);
    if (method === 'diff') {
      // The wasm engine returns the script; the native one prints it through the CLI, which is
      // what lets `migrate diff --output` capture it.
      const { exitCode, stdout } = await engine.diff(params as Parameters<SchemaEngine['diff']>[0]);
      if (stdout) await this.print(stdout);
      return { exitCode };
    }
    if (!PASS_THROUGH.has(method)) throw new Error(`Method "${method}" is not supported by the wasm schema engine`);
    const fn = (engine as unknown as Record<string, EngineMethod>)[method];
    if (typeof fn !== 'function') throw new Error(`The wasm schema engine has no method "${method}"`);
    return fn.call(engine, params);
  }

  /** Asks the CLI to print `content` on its stdout, and waits until it has. */
  private print(content: string): Promise<void> {
    const id = this.nextOutgoingId++;
    return new Promise((resolve) => {
      this.pendingOutgoing.set(id, resolve);
      this.send({ jsonrpc: '2.0', id, method: 'print', params: { content } });
    });
  }

  private acknowledge(message: RpcMessage): void {
    const done = typeof message.id === 'number' ? this.pendingOutgoing.get(message.id) : undefined;
    if (done && typeof message.id === 'number') {
      this.pendingOutgoing.delete(message.id);
      done();
    }
  }

  private send(message: unknown): void {
    process.stdout.write(`${JSON.stringify(message)}\n`);
  }
}
