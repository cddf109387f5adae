import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { Outcome, ServiceMetrics } from './metrics';
import { currentRequestScope } from './request-scope';

/**
 * Per GraphQL request: names the request's scope after its operation (for the request's log
 * line) and counts it, by operation name and outcome, with its latency.
 */
export function observabilityPlugin(metrics: ServiceMetrics): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      const scope = currentRequestScope();
      let operationName: string | null = null;
      return {
        async didResolveOperation({ operation }) {
          operationName = operation?.name?.value ?? '(anonymous)';
          if (scope) scope.operation = `${operation?.operation ?? 'query'} ${operationName}`;
        },
        async willSendResponse({ response }) {
          let outcome: Outcome = 'ok';
          if (response.body.kind === 'single' && response.body.singleResult.errors?.length) {
            const data = response.body.singleResult.data;
            outcome = data !== null && data !== undefined ? 'partial' : 'error';
          }
          metrics.graphqlRequest(operationName, outcome, (performance.now() - started) / 1000);
        },
      };
    },
  };
}
