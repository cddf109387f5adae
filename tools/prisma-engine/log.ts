/**
 * The native engine logs one JSON object per line on stderr, in the `tracing` format. The CLI
 * reads them: for `cli` commands it skips the first line and parses the others, looking for
 * `level: "ERROR"` with `fields.error_code`/`fields.message`; for the RPC server it keeps the
 * last error's message to report if the engine exits.
 */
export interface LogFields {
  message: string;
  error_code?: string;
  [key: string]: unknown;
}

export function logLine(level: 'INFO' | 'WARN' | 'ERROR', fields: LogFields): void {
  const line = { timestamp: new Date().toISOString(), level, fields, target: 'schema_engine::logger' };
  process.stderr.write(`${JSON.stringify(line)}\n`);
}
