import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { currentRequestScope } from './request-scope';

/** Names the request's scope after its GraphQL operation, for the request's log line. */
export function operationPlugin(): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      const scope = currentRequestScope();
      return {
        async didResolveOperation({ operation }) {
          if (scope) scope.operation = `${operation?.operation ?? 'query'} ${operation?.name?.value ?? '(anonymous)'}`;
        },
      };
    },
  };
}
