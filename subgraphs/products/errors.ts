import { defineErrorCodes } from '../../lib/graphql/errors';

/**
 * The products service's own GraphQL error codes; lib/graphql/errors.ts has the shared ones. Any
 * other code it throws is masked. The internal reservation API answers with its own reasons (README).
 */
export const productsErrors = defineErrorCodes({
  /** createProduct with a SKU another product has. */
  SKU_TAKEN: {},
});
