import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
import { ConfigError } from './config';
import { currentRequestScope } from './observability/request-scope';

/**
 * One JSON line per event on stderr (pino): `level`, `time`, `service`, `requestId` on
 * every line written while serving a request (lib/observability/request-scope.ts), `message`, then
 * the fields.
 */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** Per-request detail (each request's closing line), off unless LOG_LEVEL=debug. */
  debug?(message: string, fields?: Record<string, unknown>): void;
}

const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Number.POSITIVE_INFINITY };

export interface LoggerOptions {
  /** fatal, error, warn, info, debug, trace or silent. @default LOG_LEVEL, read at each line (tests turn logs on and off), else info */
  level?: string;
  /** @default process.stderr, written synchronously, so no line is lost on process.exit */
  destination?: DestinationStream;
}

const toStderr: DestinationStream = { write: (line) => process.stderr.write(line) };

export function createLogger(service: string, options: LoggerOptions = {}): Logger {
  const threshold = () => LEVELS[options.level ?? process.env.LOG_LEVEL ?? 'info'] ?? LEVELS.info!;
  const level = options.level ?? process.env.LOG_LEVEL;
  if (level !== undefined && level !== '' && !(level in LEVELS)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${Object.keys(LEVELS).join(', ')}, got "${level}"`);
  }
  // pino filters nothing itself: the threshold can change while the process runs.
  const logger: PinoLogger = pino(
    {
      level: 'trace',
      base: { service },
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { error: pino.stdSerializers.err },
      mixin: () => {
        const scope = currentRequestScope();
        return scope ? { requestId: scope.requestId } : {};
      },
    },
    options.destination ?? toStderr,
  );
  // The message goes in the object, ahead of the fields, so a line reads `"message":"draining","signal":…`.
  return {
    debug: (message, fields) => threshold() <= LEVELS.debug! && logger.debug({ message, ...fields }),
    info: (message, fields) => threshold() <= LEVELS.info! && logger.info({ message, ...fields }),
    warn: (message, fields) => threshold() <= LEVELS.warn! && logger.warn({ message, ...fields }),
    error: (message, fields) => threshold() <= LEVELS.error! && logger.error({ message, ...fields }),
  };
}
