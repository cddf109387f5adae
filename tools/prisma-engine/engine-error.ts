/**
 * What the wasm engine rejects with: an Error whose `name` is the error's kind (e.g.
 * "SchemaConnectorError") and, for user-facing errors, whose `code` is the Prisma error code
 * (e.g. P3009). Driver adapters reject with their own errors, which have neither.
 */
export interface EngineErrorInfo {
  message: string;
  errorCode: string | undefined;
}

export function engineErrorInfo(error: unknown): EngineErrorInfo {
  if (!(error instanceof Error)) return { message: String(error), errorCode: undefined };
  const code = (error as { code?: unknown }).code;
  return { message: error.message, errorCode: typeof code === 'string' && /^P\d{4}$/.test(code) ? code : undefined };
}
