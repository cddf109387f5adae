import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { getComplexity, simpleEstimator, type ComplexityEstimator } from 'graphql-query-complexity';
import {
  GraphQLError,
  Kind,
  type GraphQLFormattedError,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { LRUCache } from 'lru-cache';
import { LIMIT_VARIABLES, type OperationLimits } from '../edge-config';

/** The code of every operation refused for its size, before any subgraph fetch or SQL statement. */
export const QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX';

function tooComplex(limit: keyof OperationLimits, max: number, message: string): GraphQLError {
  return new GraphQLError(`${message} Set ${LIMIT_VARIABLES[limit]} to change the limit, or ask for less in one operation.`, {
    extensions: { code: QUERY_TOO_COMPLEX, limit: LIMIT_VARIABLES[limit], max, http: { status: 400 } },
  });
}

/** graphql-armor reports through these callbacks; the error it builds is replaced by one with our code. */
function armorReject(limit: keyof OperationLimits, max: number) {
  return {
    n: max,
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) =>
        context?.reportError(tooComplex(limit, max, error.message.replace(/^Syntax Error: /, ''))),
    ],
  };
}

/** Counts the fields at an operation's root, fragments flattened (armor has no rule for this). */
function maxRootFieldsRule(max: number): ValidationRule {
  return (context) => {
    const count = (selectionSet: SelectionSetNode, seen: Set<string>): number =>
      selectionSet.selections.reduce((sum, selection) => {
        if (selection.kind === Kind.FIELD) return sum + 1;
        if (selection.kind === Kind.INLINE_FRAGMENT) return sum + count(selection.selectionSet, seen);
        const fragment = context.getFragment(selection.name.value);
        if (!fragment || seen.has(fragment.name.value)) return sum;
        return sum + count(fragment.selectionSet, new Set([...seen, fragment.name.value]));
      }, 0);
    return {
      OperationDefinition(operation) {
        const found = count(operation.selectionSet, new Set());
        if (found > max) context.reportError(tooComplex('rootFields', max, `Root field limit of ${max} exceeded, found ${found}.`));
      },
    };
  };
}

/** Validation rules for every limit but the cost, which needs the variables (see `costLimitPlugin`). */
export function limitValidationRules(limits: OperationLimits): ValidationRule[] {
  return [
    maxDepthRule(armorReject('depth', limits.depth)),
    maxAliasesRule(armorReject('aliases', limits.aliases)),
    maxDirectivesRule(armorReject('directives', limits.directives)),
    maxRootFieldsRule(limits.rootFields),
  ];
}

/**
 * A field inside a list costs once per item: a field with a `first` argument multiplies the cost
 * of what is selected under it by `first` (the schema default applies when it is left out).
 */
const listSizeEstimator: ComplexityEstimator = ({ args, childComplexity }) => {
  const first = args.first;
  if (typeof first === 'number' && first > 1) return 1 + childComplexity * first;
  return undefined;
};

/**
 * What a cost depends on besides the document: the variables' numbers (a `first`) and booleans
 * (`@include`, `@skip`). Strings (cursors, searches, ids) never change a cost, so requests that
 * differ only in them share one estimate.
 */
const costKey = (queryHash: string, operationName: string | null, variables: Record<string, unknown> | undefined) =>
  `${queryHash}\n${operationName ?? ''}\n${JSON.stringify(variables ?? {}, (_key, value: unknown) => (typeof value === 'string' ? undefined : value))}`;

/**
 * Estimating the cost is a walk of the whole operation; the same operation is estimated once. At
 * most 1,000 estimates and 4 MB of keys; an operation whose key is over 16 KB is estimated each time.
 */
const COST_CACHE = { max: 1000, maxSize: 4_000_000, maxEntrySize: 16_384, sizeCalculation: (_cost: unknown, key: string) => key.length };

/**
 * Refuses an operation whose cost exceeds the budget. It runs once the operation and its variables
 * are known and before execution starts, so at the router before the query is planned or any
 * subgraph is called (graphql-query-complexity computes the cost). Costs are remembered per
 * document, operation and the variables that can change them (`costKey`), for as long as the
 * schema stays the same.
 */
export function costLimitPlugin(limits: OperationLimits): ApolloServerPlugin<BaseContext> {
  const estimators = [listSizeEstimator, simpleEstimator({ defaultComplexity: 1 })];
  const costs = new LRUCache<string, number | 'too many nodes'>(COST_CACHE);
  let costsOf: unknown;
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, request, operationName, queryHash }) {
          if (costsOf !== schema) {
            costs.clear();
            costsOf = schema;
          }
          const key = costKey(queryHash, operationName, request.variables);
          let cost = costs.get(key);
          if (cost === undefined) {
            try {
              cost = getComplexity({
                schema,
                query: document,
                variables: request.variables ?? {},
                operationName: operationName ?? undefined,
                estimators,
              });
            } catch (error) {
              // Variables that do not coerce are reported by execution, with their own message.
              if (!/maximum allowed number of nodes/.test(String(error))) return;
              cost = 'too many nodes';
            }
            costs.set(key, cost);
          }
          if (cost === 'too many nodes') throw tooComplex('cost', limits.cost, 'The operation has too many fields to estimate.');
          if (cost > limits.cost) throw tooComplex('cost', limits.cost, `Query cost limit of ${limits.cost} exceeded, found ${cost}.`);
        },
      };
    },
  };
}

/** graphql-js's own token limit (Apollo's `parseOptions.maxTokens`) fails parsing with this message. */
const TOKEN_LIMIT_MESSAGE = /^Syntax Error: Document contains more that? (\d+) tokens/;

/**
 * Apollo answers every validation failure as GRAPHQL_VALIDATION_FAILED and every parse failure as
 * GRAPHQL_PARSE_FAILED; a refusal for size keeps QUERY_TOO_COMPLEX, naming its limit.
 */
export function limitErrorCode(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = error instanceof GraphQLError ? error.originalError : undefined;
  if (original instanceof GraphQLError && original.extensions.code === QUERY_TOO_COMPLEX) {
    return { ...formatted, extensions: { ...formatted.extensions, code: QUERY_TOO_COMPLEX } };
  }
  const tokens = TOKEN_LIMIT_MESSAGE.exec(formatted.message);
  if (tokens) {
    const max = Number(tokens[1]);
    const { message, extensions } = tooComplex('tokens', max, `Token limit of ${max} exceeded.`);
    return { ...formatted, message, extensions: { code: extensions.code, limit: extensions.limit, max } };
  }
  return formatted;
}
