import type { ErrorRegistry } from '@prisma/driver-adapter-utils';

/**
 * What the wasm engine rejects with: an Error whose `name` is the error's kind (e.g.
 * "SchemaConnectorError") and, for user-facing errors, whose `code` is the Prisma error code
 * (e.g. P3009). When a driver adapter call threw something other than a DriverAdapterError (say,
 * the data dir lock refusing), the engine only says "External error id#N": the error itself waits
 * in the bound factory's error registry under N.
 */
export interface EngineErrorInfo {
  message: string;
  errorCode: string | undefined;
}

const EXTERNAL_ERROR = /External error id#(\d+)/;

export function engineErrorInfo(error: unknown, registry?: ErrorRegistry): EngineErrorInfo {
  if (!(error instanceof Error)) return { message: String(error), errorCode: undefined };
  const code = (error as { code?: unknown }).code;
  let message = error.message;
  const external = EXTERNAL_ERROR.exec(message);
  const original = external && registry?.consumeError(Number(external[1]))?.error;
  if (original) message = original instanceof Error ? original.message : String(original);
  return { message, errorCode: typeof code === 'string' && /^P\d{4}$/.test(code) ? code : undefined };
}
