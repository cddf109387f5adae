import { defineErrorCodes } from '../../lib/graphql/errors';

/** The orders service's own error codes; lib/graphql/errors.ts has the shared ones. Any other code it throws is masked. */
export const ordersErrors = defineErrorCodes({
  /** A line asks for more than products has: nothing is ordered or reserved (`extensions.productId`). */
  INSUFFICIENT_STOCK: {},
  /** An idempotencyKey that already placed an order with other items (`extensions.orderId`). */
  IDEMPOTENCY_KEY_REUSED: {},
  /** cancelOrder of an order that failed when it was placed: it holds nothing to cancel. */
  ORDER_NOT_CANCELLABLE: {},
});
