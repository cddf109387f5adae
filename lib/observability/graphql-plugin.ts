import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { SpanStatusCode } from '@opentelemetry/api';
import type { Outcome, ServiceMetrics } from './metrics';
import { currentRequestScope } from './request-scope';

/**
 * Per GraphQL request: names the request's scope and span after its operation (`mutation
 * PlaceOrder`; for the log line and the trace) and counts it, by operation name and outcome, with
 * its latency.
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
          const type = operation?.operation ?? 'query';
          if (scope) scope.operation = `${type} ${operationName}`;
          scope?.trace?.span.updateName(`${type} ${operationName}`);
          scope?.trace?.span.setAttributes({ 'graphql.operation.type': type, 'graphql.operation.name': operationName });
        },
        async willSendResponse({ response }) {
          let outcome: Outcome = 'ok';
          if (response.body.kind === 'single' && response.body.singleResult.errors?.length) {
            const data = response.body.singleResult.data;
            outcome = data !== null && data !== undefined ? 'partial' : 'error';
          }
          metrics.graphqlRequest(operationName, outcome, (performance.now() - started) / 1000);
          if (outcome === 'error') scope?.trace?.span.setStatus({ code: SpanStatusCode.ERROR });
        },
      };
    },
  };
}
