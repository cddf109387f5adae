import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { CombinedGraphQLErrors } from '@apollo/client/errors';
import { SetContextLink } from '@apollo/client/link/context';
import { ErrorLink } from '@apollo/client/link/error';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { generatePersistedQueryIdsFromManifest } from '@apollo/persisted-query-lists';
import { from, switchMap } from 'rxjs';
import { REFRESH } from './operations';
import { session } from './session';

/** The router: `?router=<url>` on the page's address, else VITE_ROUTER_URL, else the local one. */
export const ROUTER_URL =
  new URLSearchParams(window.location.search).get('router') ?? import.meta.env.VITE_ROUTER_URL ?? 'http://localhost:4000/graphql';

/**
 * The Apollo Client of the storefront:
 * - every operation is sent by its id in the trusted documents manifest the build wrote
 *   (persisted-query-manifest.json), so a router with TRUSTED_DOCUMENTS=required serves it;
 * - the access token lives in memory only and goes in `Authorization`; when the router answers
 *   UNAUTHENTICATED (the 15-minute token expired), the refresh token is traded once for a new pair
 *   and the operation sent again;
 * - errorPolicy `all`: a partial answer (one service down) is shown with what it has.
 */
export function createClient(): ApolloClient {
  const persisted = new PersistedQueryLink(
    generatePersistedQueryIdsFromManifest({
      loadManifest: () => fetch(new URL('persisted-query-manifest.json', document.baseURI)).then((response) => response.json()),
    }),
  );
  const auth = new SetContextLink(({ headers }) => {
    const token = session.get()?.token;
    return { headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } };
  });
  const refresh = new ErrorLink(({ error, operation, forward }) => {
    const expired =
      CombinedGraphQLErrors.is(error) && error.errors.some((graphQLError) => graphQLError.extensions?.code === 'UNAUTHENTICATED');
    const current = session.get();
    if (!expired || !current || operation.operationName === 'Refresh') return;
    return from(
      client.mutate({ mutation: REFRESH, variables: { token: current.refreshToken } }).then(
        ({ data }) => {
          if (!data) throw new Error('refresh failed');
          session.set(data.refreshToken);
        },
        (failure: unknown) => {
          session.set(undefined); // The refresh token was refused: sign in again.
          throw failure;
        },
      ),
    ).pipe(switchMap(() => forward(operation)));
  });
  const client: ApolloClient = new ApolloClient({
    link: ApolloLink.from([refresh, auth, persisted, new HttpLink({ uri: ROUTER_URL })]),
    cache: new InMemoryCache(),
    defaultOptions: { watchQuery: { errorPolicy: 'all' }, query: { errorPolicy: 'all' } },
  });
  return client;
}

// Apollo Client 4 types results by the default error policy: declared here, answers may be partial.
declare module '@apollo/client' {
  export namespace ApolloClient {
    export namespace DeclareDefaultOptions {
      interface WatchQuery {
        errorPolicy: 'all';
      }
      interface Query {
        errorPolicy: 'all';
      }
    }
  }
}
