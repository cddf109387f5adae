import type { ApolloServerPlugin } from '@apollo/server';
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { CircuitState, circuitBreaker, ConsecutiveBreaker, handleAll, isBrokenCircuitError, type CircuitBreakerPolicy } from 'cockatiel';
import { GraphQLError } from 'graphql';
import { Pool } from 'undici';
import { ErrorCode } from '../lib/graphql/errors';
import type { Logger } from '../lib/log';
import { outgoingHeaders } from '../lib/observability/propagation';
import { timeCall } from '../lib/observability/request-scope';
import type { SubgraphCallMetrics, SubgraphFailureReason } from './metrics';

type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherResponse = Awaited<ReturnType<Fetcher>>;

/** What the router knows of a request: the caller's credentials and address, passed on to every subgraph. */
export interface RouterContext {
  authorization?: string;
  clientIp?: string;
}

export interface SubgraphCallOptions {
  name: string;
  url: string;
  timeoutMs: number;
  breakerFailures: number;
  breakerCooldownMs: number;
  /** Share one call among identical queries in flight (same body and Authorization); never mutations. */
  deduplicate: boolean;
  log: Logger;
  metrics: SubgraphCallMetrics;
}

/**
 * How the router calls one subgraph.
 * - It forwards the caller's token (every subgraph verifies it again for itself), address (the
 *   subgraph's rate limits count per client, and trust the router as a proxy through TRUST_PROXY)
 *   and request id (`x-request-id`, so the subgraph's log lines carry it too).
 * - A subgraph answers some GraphQL errors with a 4xx/5xx status (401 UNAUTHENTICATED, 429
 *   RATE_LIMITED, 503 SERVICE_UNAVAILABLE); read as GraphQL-over-HTTP, a well-formed GraphQL body is
 *   a GraphQL response whatever the status, so its errors reach the client with their codes.
 * - Each call has a deadline, over a keep-alive connection pool of its own (undici's Pool, without
 *   the WHATWG streams and Request/Response objects of `fetch`). A call that times
 *   out, cannot connect or gets no GraphQL answer fails only the fields this subgraph owns, with one
 *   SUBGRAPH_UNAVAILABLE error naming the service (never its URL or body); the gateway answers the
 *   rest. After `breakerFailures` such failures in a row the circuit opens (cockatiel): calls fail at
 *   once for `breakerCooldownMs`, then one probe decides whether it closes again.
 * - Identical queries in flight at once (same body and Authorization) share one call, as Apollo
 *   Router's `deduplicate_query`: every caller gets its own copy of the answer. Mutations are
 *   never shared. The shared call carries the first caller's request id and address.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<RouterContext> {
  /** Closes the connection pool once the calls in progress have answered. */
  readonly close: () => Promise<void>;

  constructor(options: SubgraphCallOptions) {
    super({ url: options.url });
    const { fetcher, close } = boundedFetcher(options);
    this.fetcher = fetcher;
    this.close = close;
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RouterContext>): void {
    if (context.authorization) request.http?.headers.set('authorization', context.authorization);
    if (context.clientIp) request.http?.headers.set('x-forwarded-for', context.clientIp);
    for (const [name, value] of Object.entries(outgoingHeaders())) request.http?.headers.set(name, value);
  }
}

/** The subgraph did not give a GraphQL answer: no connection, no answer in time, or a non-GraphQL body. */
class SubgraphFailure extends Error {
  constructor(
    message: string,
    readonly reason: Exclude<SubgraphFailureReason, 'circuit_open'>,
  ) {
    super(message);
  }
}

/** What one call to the subgraph gave: enough to hand each caller its own response. */
interface Answer {
  text: string;
  contentType: string;
  /** The subgraph's `Cache-Control`: the gateway lets it bound how long the whole answer may be kept. */
  cacheControl?: string;
}

function boundedFetcher(options: SubgraphCallOptions): { fetcher: Fetcher; close: () => Promise<void> } {
  const breaker: CircuitBreakerPolicy = circuitBreaker(handleAll, {
    halfOpenAfter: options.breakerCooldownMs,
    breaker: new ConsecutiveBreaker(options.breakerFailures),
  });
  breaker.onBreak(() =>
    options.log.warn('subgraph circuit opened: failing its fields fast', { subgraph: options.name, cooldownMs: options.breakerCooldownMs }),
  );
  breaker.onReset(() => options.log.info('subgraph circuit closed', { subgraph: options.name }));
  options.metrics.circuit(options.name, CircuitState.Closed);
  breaker.onStateChange((state) => options.metrics.circuit(options.name, state));
  const address = new URL(options.url);
  const pool = new Pool(address.origin, { keepAliveTimeout: 30_000 });
  const path = `${address.pathname}${address.search}`;

  const call = async (headers: Record<string, string>, body: string): Promise<Answer> => {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const answer = await breaker.execute(async () => {
        let text: string;
        let status: number;
        let contentType: string;
        let cacheControl: string | undefined;
        try {
          const response = await pool.request({ path, method: 'POST', headers, body, signal: AbortSignal.timeout(options.timeoutMs) });
          status = response.statusCode;
          contentType = String(response.headers['content-type'] ?? 'application/json');
          cacheControl = response.headers['cache-control']?.toString();
          text = await response.body.text();
        } catch (error) {
          const timedOut = (error as Error).name === 'TimeoutError';
          throw new SubgraphFailure(
            timedOut ? `no answer within ${options.timeoutMs} ms` : 'unreachable',
            timedOut ? 'timeout' : 'unreachable',
          );
        }
        if ((status >= 200 && status < 300) || isGraphQLResponse(text)) return { text, contentType, cacheControl };
        throw new SubgraphFailure(`answered HTTP ${status} without a GraphQL body`, 'bad_answer');
      });
      options.metrics.called(options.name, 'ok', seconds());
      return answer;
    } catch (error) {
      // An open circuit made no call: counted as a failure, not timed.
      if (!isBrokenCircuitError(error)) options.metrics.called(options.name, 'failed', seconds());
      options.metrics.failed(
        options.name,
        isBrokenCircuitError(error) ? 'circuit_open' : error instanceof SubgraphFailure ? error.reason : 'unreachable',
      );
      const reason = isBrokenCircuitError(error)
        ? 'failing repeatedly; calls are paused briefly'
        : error instanceof SubgraphFailure
          ? error.message
          : 'failed';
      if (!isBrokenCircuitError(error)) options.log.warn('subgraph call failed', { subgraph: options.name, reason });
      throw new GraphQLError(`The ${options.name} service is unavailable (${reason}); its fields are null. Try again shortly.`, {
        extensions: { code: ErrorCode.SUBGRAPH_UNAVAILABLE, service: options.name },
      });
    }
  };

  const inFlight = new Map<string, Promise<Answer>>();
  const fetcher: Fetcher = async (_url, init) => {
    const waited = timeCall(options.name);
    const body = typeof init?.body === 'string' ? init.body : (init?.body?.toString('utf8') ?? '');
    const headers = plainHeaders(init?.headers);
    const key = options.deduplicate && !isMutation(body) ? `${headers.authorization ?? ''}\n${body}` : undefined;
    let answer = key === undefined ? undefined : inFlight.get(key);
    if (!answer) {
      answer = call(headers, body);
      if (key !== undefined) {
        inFlight.set(key, answer);
        const forget = () => inFlight.delete(key);
        answer.then(forget, forget);
      }
    }
    try {
      const response = graphQLResponse(await answer);
      waited(true);
      return response;
    } catch (error) {
      waited(false);
      throw error;
    }
  };
  return { fetcher, close: () => pool.close() };
}

/**
 * One SUBGRAPH_UNAVAILABLE per service in an answer. A query plan may call a service several times
 * (a root field, then entities under another service's fields), and each failed call adds an
 * error; they carry no path, so the copies tell a client nothing more than the first.
 */
export function oneErrorPerUnavailableSubgraph(): ApolloServerPlugin<RouterContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single' || !response.body.singleResult.errors) return;
          const seen = new Set<unknown>();
          response.body.singleResult.errors = response.body.singleResult.errors.filter(({ extensions }) => {
            if (extensions?.code !== ErrorCode.SUBGRAPH_UNAVAILABLE) return true;
            if (seen.has(extensions.service)) return false;
            seen.add(extensions.service);
            return true;
          });
        },
      };
    },
  };
}

/** The gateway's subgraph operations are printed by its query planner: `mutation…` first, if one. */
const isMutation = (body: string): boolean => /"query":"\s*mutation\b/.test(body);

function plainHeaders(headers: unknown): Record<string, string> {
  const plain: Record<string, string> = {};
  if (!headers) return plain;
  const entries =
    typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function'
      ? (headers as Iterable<[string, string]>)
      : Object.entries(headers as Record<string, string>);
  for (const [name, value] of entries) plain[name.toLowerCase()] = value;
  return plain;
}

function isGraphQLResponse(text: string): boolean {
  try {
    const body = JSON.parse(text) as { errors?: unknown };
    return (
      Array.isArray(body.errors) &&
      body.errors.length > 0 &&
      body.errors.every((error) => typeof (error as { message?: unknown })?.message === 'string')
    );
  } catch {
    return false;
  }
}

/** The answer as the gateway reads it: a 200 of its own, holding the body already read. */
function graphQLResponse({ text, contentType, cacheControl }: Answer): FetcherResponse {
  const answer: FetcherResponse = {
    bodyUsed: false,
    url: '',
    redirected: false,
    status: 200,
    ok: true,
    statusText: 'OK',
    // The gateway reads Content-Type and Cache-Control; undici's Headers is iterable at run time,
    // which the DOM typings of this project's lib leave out.
    headers: new Headers({
      'content-type': contentType,
      ...(cacheControl && { 'cache-control': cacheControl }),
    }) as unknown as FetcherResponse['headers'],
    arrayBuffer: async () => new TextEncoder().encode(text).buffer as ArrayBuffer,
    text: async () => text,
    json: async () => JSON.parse(text),
    clone: () => answer,
  };
  return answer;
}
