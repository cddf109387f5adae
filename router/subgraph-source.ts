import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';

type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherResponse = Awaited<ReturnType<Fetcher>>;

/** What the router knows of a request: the caller's credentials and address, passed on to every subgraph. */
export interface RouterContext {
  authorization?: string;
  clientIp?: string;
}

/**
 * How the router calls one subgraph. It forwards the caller's token (every subgraph verifies it
 * again for itself) and address (the subgraph's rate limits count per client, and trust the router
 * as a proxy through TRUST_PROXY). A subgraph answers some GraphQL errors with a 4xx/5xx status
 * (401 UNAUTHENTICATED, 429 RATE_LIMITED, 503 SERVICE_UNAVAILABLE); read as GraphQL-over-HTTP, a
 * well-formed GraphQL body is a GraphQL response whatever the status, so its errors reach the
 * client with their codes and paths instead of as a failed fetch.
 */
export class SubgraphDataSource extends RemoteGraphQLDataSource<RouterContext> {
  constructor(url: string) {
    super({ url });
    this.fetcher = graphQLBodiesAsResponses(this.fetcher);
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<RouterContext>): void {
    if (context.authorization) request.http?.headers.set('authorization', context.authorization);
    if (context.clientIp) request.http?.headers.set('x-forwarded-for', context.clientIp);
  }
}

function graphQLBodiesAsResponses(fetcher: Fetcher): Fetcher {
  return async (url, init) => {
    const response = await fetcher(url, init);
    if (response.ok || !isGraphQLResponse(await response.clone().text())) return response;
    return asSuccessful(response);
  };
}

/** The same response, read as a 200: the gateway then merges its `data` and `errors` as usual. */
function asSuccessful(response: FetcherResponse): FetcherResponse {
  return {
    bodyUsed: response.bodyUsed,
    url: response.url,
    redirected: response.redirected,
    status: 200,
    ok: true,
    statusText: 'OK',
    headers: response.headers,
    arrayBuffer: () => response.arrayBuffer(),
    text: () => response.text(),
    json: () => response.json(),
    clone: () => asSuccessful(response.clone()),
  };
}

function isGraphQLResponse(text: string): boolean {
  try {
    const body = JSON.parse(text) as { errors?: unknown };
    return Array.isArray(body.errors) && body.errors.length > 0 && body.errors.every((error) => typeof (error as { message?: unknown })?.message === 'string');
  } catch {
    return false;
  }
}
