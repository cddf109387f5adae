import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import type { Logger } from '../log';

/** How a code is answered: `status` is the HTTP status of a response holding only this error. */
export interface ErrorCodeOptions {
  status?: number;
}

/**
 * A set of codes a client may see, declared once with `defineErrorCodes`: lib's shared codes below,
 * and each subgraph's own in `subgraphs/<name>/errors.ts`, which it registers with the masking
 * through its service definition (`errorCodes`).
 */
export interface ErrorCodes<C extends string> {
  /** Each code by name, for comparisons: `error.extensions.code === ordersErrors.code.INSUFFICIENT_STOCK`. */
  readonly code: { readonly [K in C]: K };
  /** A client error with one of these codes; `extensions` add details a client can act on. */
  error(code: C, message: string, extensions?: Record<string, unknown>): GraphQLError;
}

export function defineErrorCodes<const C extends string>(codes: { [K in C]: ErrorCodeOptions }): ErrorCodes<C> {
  const names = Object.keys(codes) as C[];
  return {
    code: Object.fromEntries(names.map((name) => [name, name])) as { readonly [K in C]: K },
    error(code, message, extensions = {}) {
      const status = codes[code].status;
      return new GraphQLError(message, { extensions: { code, ...extensions, ...(status ? { http: { status } } : {}) } });
    },
  };
}

/** Codes every service may answer with. A code only one subgraph uses belongs in that subgraph's errors.ts. */
const shared = defineErrorCodes({
  BAD_USER_INPUT: {},
  UNAUTHENTICATED: { status: 401 },
  FORBIDDEN: {},
  NOT_FOUND: {},
  SERVICE_UNAVAILABLE: { status: 503 },
  /** An operation over one of the size limits (depth, aliases, cost...); see lib/graphql/limits.ts. */
  QUERY_TOO_COMPLEX: { status: 400 },
  /** Too many attempts; `extensions.retryAfterSeconds` says when to try again. */
  RATE_LIMITED: { status: 429 },
  /** The router could not get an answer from a subgraph; only the fields it owns are null. */
  SUBGRAPH_UNAVAILABLE: {},
});

export const ErrorCode = shared.code;
export type ErrorCode = keyof typeof ErrorCode;

export const clientError = (code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError =>
  shared.error(code, message, extensions);

export const badInput = (message: string, field?: string): GraphQLError =>
  clientError(ErrorCode.BAD_USER_INPUT, message, field ? { field } : {});

export const notFound = (type: string, id: string): GraphQLError =>
  clientError(ErrorCode.NOT_FOUND, `No ${type} with id "${id}" exists.`, { type, id });

export const unauthenticated = (message = 'Sign in first: send "Authorization: Bearer <token>" from signIn or signUp.'): GraphQLError =>
  clientError(ErrorCode.UNAUTHENTICATED, message);

export const forbidden = (message: string): GraphQLError => clientError(ErrorCode.FORBIDDEN, message);

/** Codes that Apollo Server itself produces for a bad request; they are safe to show. */
const APOLLO_CLIENT_CODES = [
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
];

export interface MaskOptions {
  /** The service's own codes (a subgraph's `defineErrorCodes`), shown beside lib's and Apollo's. */
  codes?: Pick<ErrorCodes<string>, 'code'>;
  /**
   * The router: an error the gateway built from a subgraph's GraphQL answer is shown as the
   * subgraph gave it, whatever its code, since that subgraph already masked its own internal
   * errors. The router imports no subgraph's code list, so a new subgraph code needs no change here.
   * @default false
   */
  subgraphAnswers?: boolean;
}

/**
 * Apollo `formatError`: client errors pass through; anything else (a Prisma error, a bug, a code
 * this service did not register) is logged in full and answered with a generic message, so no
 * stack trace or SQL ever reaches a client.
 */
export function maskInternalErrors(log: Logger, options: MaskOptions = {}) {
  const shown = new Set<string>([...Object.keys(ErrorCode), ...APOLLO_CLIENT_CODES, ...Object.keys(options.codes?.code ?? {})]);
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    const original = unwrapResolverError(error);
    const thrownByUs = original instanceof GraphQLError || !(original instanceof Error);
    const ownCode = typeof code === 'string' && shown.has(code) && thrownByUs;
    if (isApolloRequestRefusal(original)) {
      return { message: formatted.message, extensions: { code: 'BAD_REQUEST' } };
    }
    if (ownCode || (options.subgraphAnswers && isSubgraphClientError(error))) {
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

/**
 * Apollo Server refuses some requests with a 400 and no code, before any document is parsed: a
 * persisted query whose document does not match its hash, or of an unknown version. Those are the
 * caller's mistakes, shown as BAD_REQUEST; every error this project throws carries a code.
 */
function isApolloRequestRefusal(error: unknown): boolean {
  if (!(error instanceof GraphQLError) || error.extensions.code !== undefined || error.path) return false;
  return (error.extensions.http as { status?: number } | undefined)?.status === 400;
}

/**
 * An error the gateway built from a subgraph's answer (@apollo/gateway's downstreamServiceError):
 * it names the subgraph in `extensions.serviceName` and wraps the error object the subgraph sent,
 * plain JSON, never an Error thrown in this process. It is a client error when the subgraph gave it
 * a code of its own other than INTERNAL_SERVER_ERROR (with none, the gateway says
 * DOWNSTREAM_SERVICE_ERROR): those are masked again here, so the router logs them too.
 */
function isSubgraphClientError(error: unknown): boolean {
  if (!(error instanceof GraphQLError) || typeof error.extensions.serviceName !== 'string') return false;
  const sent: unknown = error.originalError;
  if (typeof sent !== 'object' || sent === null || sent instanceof Error) return false;
  const code = (sent as { extensions?: { code?: unknown } }).extensions?.code;
  return typeof code === 'string' && code !== 'INTERNAL_SERVER_ERROR';
}
