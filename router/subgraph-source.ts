import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { CircuitState, circuitBreaker, ConsecutiveBreaker, handleAll, isBrokenCircuitError, type CircuitBreakerPolicy } from 'cockatiel';
import { GraphQLError } from 'graphql';
import { ErrorCode } from '../lib/graphql/errors';
import type { Logger } from '../lib/log';
import { outgoingHeaders } from '../lib/observability/propagation';
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
 * - Each call has a deadline, over Node's pooled keep-alive connections (undici). A call that times
 *   out, cannot connect or gets no GraphQL answer fails only the fields this subgraph owns, with one
 *   SUBGRAPH_UNAVAILABLE error naming the service (never its URL or body); the gateway answers the
 *   rest. After `breakerFailures` such failures in a row the circuit opens (cockatiel): calls fail at
 *   once for `breakerCooldownMs`, then one probe decides whether it closes again.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<RouterContext> {
  constructor(options: SubgraphCallOptions) {
    super({ url: options.url });
    this.fetcher = boundedFetcher(options);
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

function boundedFetcher(options: SubgraphCallOptions): Fetcher {
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

  return async (url, init) => {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const answer = await breaker.execute(async () => {
        let response: Response;
        try {
          response = await fetch(url, {
            method: init?.method,
            headers: init?.headers,
            body: typeof init?.body === 'string' ? init.body : init?.body?.toString('utf8'),
            signal: AbortSignal.timeout(options.timeoutMs),
          });
        } catch (error) {
          const timedOut = error instanceof DOMException && error.name === 'TimeoutError';
          throw new SubgraphFailure(
            timedOut ? `no answer within ${options.timeoutMs} ms` : 'unreachable',
            timedOut ? 'timeout' : 'unreachable',
          );
        }
        const text = await response.text().catch(() => {
          throw new SubgraphFailure(`no answer within ${options.timeoutMs} ms`, 'timeout');
        });
        if (response.ok || isGraphQLResponse(text)) return graphQLResponse(response, text);
        throw new SubgraphFailure(`answered HTTP ${response.status} without a GraphQL body`, 'bad_answer');
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

/** The answer as the gateway reads it: a 200 holding the body already read. */
function graphQLResponse(response: Response, text: string): FetcherResponse {
  const answer: FetcherResponse = {
    bodyUsed: false,
    url: response.url,
    redirected: response.redirected,
    status: 200,
    ok: true,
    statusText: 'OK',
    // undici's Headers is iterable at run time; the DOM typings of this project's lib leave that out.
    headers: response.headers as unknown as FetcherResponse['headers'],
    arrayBuffer: async () => new TextEncoder().encode(text).buffer as ArrayBuffer,
    text: async () => text,
    json: async () => JSON.parse(text),
    clone: () => answer,
  };
  return answer;
}
