import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import type { Logger } from '../log';

/** Codes a client may see. Anything else is an internal error and is masked. */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  EMAIL_TAKEN: 'EMAIL_TAKEN',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  INSUFFICIENT_STOCK: 'INSUFFICIENT_STOCK',
  ORDER_NOT_CANCELLABLE: 'ORDER_NOT_CANCELLABLE',
  SKU_TAKEN: 'SKU_TAKEN',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  IDEMPOTENCY_KEY_REUSED: 'IDEMPOTENCY_KEY_REUSED',
  /** An operation over one of the size limits (depth, aliases, cost...); see lib/graphql/limits.ts. */
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  /** Too many attempts; `extensions.retryAfterSeconds` says when to try again. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** The router could not get an answer from a subgraph; only the fields it owns are null. */
  SUBGRAPH_UNAVAILABLE: 'SUBGRAPH_UNAVAILABLE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  UNAUTHENTICATED: 401,
  SERVICE_UNAVAILABLE: 503,
  QUERY_TOO_COMPLEX: 400,
  RATE_LIMITED: 429,
};

export function clientError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  const status = HTTP_STATUS[code];
  return new GraphQLError(message, { extensions: { code, ...extensions, ...(status ? { http: { status } } : {}) } });
}

export const badInput = (message: string, field?: string): GraphQLError =>
  clientError(ErrorCode.BAD_USER_INPUT, message, field ? { field } : {});

export const notFound = (type: string, id: string): GraphQLError =>
  clientError(ErrorCode.NOT_FOUND, `No ${type} with id "${id}" exists.`, { type, id });

export const unauthenticated = (message = 'Sign in first: send "Authorization: Bearer <token>" from signIn or signUp.'): GraphQLError =>
  clientError(ErrorCode.UNAUTHENTICATED, message);

export const forbidden = (message: string): GraphQLError => clientError(ErrorCode.FORBIDDEN, message);

/** Codes that Apollo Server itself produces for a bad request; they are safe to show. */
const APOLLO_CLIENT_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
]);
const CLIENT_CODES = new Set<string>([...Object.values(ErrorCode), ...APOLLO_CLIENT_CODES]);

/**
 * Apollo `formatError`: client errors pass through; anything else (a Prisma error, a bug) is logged
 * in full and answered with a generic message, so no stack trace or SQL ever reaches a client.
 */
export function maskInternalErrors(log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    const original = unwrapResolverError(error);
    const thrownByUs = original instanceof GraphQLError || !(original instanceof Error);
    if (typeof code === 'string' && CLIENT_CODES.has(code) && thrownByUs) {
      // A gateway error's `response` holds a subgraph's URL and raw body: never shown.
      const { stacktrace: _stacktrace, response: _response, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    log.error('internal error', { error: original, path: formatted.path });
    return {
      message: 'Internal server error. It has been logged; try again later.',
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}
