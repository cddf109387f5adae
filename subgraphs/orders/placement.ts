import { GraphQLError } from 'graphql';
import type { Viewer } from '../../lib/auth/viewer';
import { badInput, clientError, ErrorCode } from '../../lib/graphql/errors';
import type { Logger } from '../../lib/log';
import { isUniqueViolation } from '../../lib/db/errors';
import type { Order, OrdersStore } from './data';
import type { ProductsClient } from './products-client';

export interface PlaceOrderInput {
  items: { productId: string; quantity: number }[];
  idempotencyKey?: string | null;
}

const MAX_LINES = 50;
const MAX_QUANTITY = 1000;

export function validatePlaceOrder(input: PlaceOrderInput): void {
  if (input.items.length === 0) throw badInput('An order needs at least one item.', 'items');
  if (input.items.length > MAX_LINES) throw badInput(`An order has at most ${MAX_LINES} lines, got ${input.items.length}.`, 'items');
  const seen = new Set<string>();
  for (const [index, item] of input.items.entries()) {
    if (!Number.isInteger(item.quantity) || item.quantity < 1 || item.quantity > MAX_QUANTITY) {
      throw badInput(`items[${index}].quantity must be from 1 to ${MAX_QUANTITY}, got ${item.quantity}.`, `items.${index}.quantity`);
    }
    if (seen.has(item.productId)) {
      throw badInput(`Product ${item.productId} appears more than once: put it on one line with the total quantity.`, `items.${index}.productId`);
    }
    seen.add(item.productId);
  }
  const key = input.idempotencyKey;
  if (key !== undefined && key !== null && (key.length < 1 || key.length > 200)) {
    throw badInput('idempotencyKey must be 1 to 200 characters long.', 'idempotencyKey');
  }
}

/**
 * Places an order across two services. The order is written PENDING first (its id doubles as the
 * stock reservation's id, which makes the products call idempotent), then stock is reserved at
 * current prices, then the order is CONFIRMED with those prices. Refused stock leaves no order;
 * a failure after reserving releases the stock and marks the order FAILED.
 */
export async function placeOrder(deps: { store: OrdersStore; products: ProductsClient; log: Logger }, viewer: Viewer, input: PlaceOrderInput): Promise<Order> {
  validatePlaceOrder(input);
  const { store, products, log } = deps;
  const key = input.idempotencyKey ?? null;
  if (key) {
    const existing = await store.findByIdempotencyKey(viewer.id, key);
    if (existing) return existing;
  }
  let order: Order;
  try {
    order = await store.createPending(viewer.id, key);
  } catch (error) {
    // The same key raced us here: answer with the order the other request created.
    const existing = key && isUniqueViolation(error) ? await store.findByIdempotencyKey(viewer.id, key) : null;
    if (existing) return existing;
    throw error;
  }
  let reserved;
  try {
    reserved = await products.reserve(order.id, input.items);
  } catch (error) {
    if (error instanceof GraphQLError && (error.extensions.code === ErrorCode.INSUFFICIENT_STOCK || error.extensions.code === ErrorCode.NOT_FOUND)) {
      await store.remove(order.id); // refused outright: nothing was reserved, so nothing is ordered
    } else {
      await compensate(deps, order.id, error);
    }
    throw error;
  }
  try {
    return await store.confirm(order.id, reserved.map((line, position) => ({ ...line, position })));
  } catch (error) {
    await compensate(deps, order.id, error);
    throw error;
  }
}

/** Undoes a half-placed order: gives back whatever stock may be reserved, marks the order FAILED. */
async function compensate(deps: { store: OrdersStore; products: ProductsClient; log: Logger }, orderId: string, cause: unknown): Promise<void> {
  deps.log.warn('order placement failed; compensating', { orderId, error: cause });
  try {
    await deps.products.release(orderId);
    await deps.store.transition(orderId, ['PENDING'], 'FAILED');
  } catch (error) {
    // Left PENDING: a recovery pass (see the saga issue) must release it later.
    deps.log.error('compensation failed; order left PENDING', { orderId, error });
  }
}

/**
 * Cancels an order: stock is released first (idempotent on the products side), then the status
 * changes, so a crash in between is healed by simply cancelling again.
 */
export async function cancelOrder(deps: { store: OrdersStore; products: ProductsClient }, order: Order): Promise<Order> {
  if (order.status === 'CANCELLED') return order;
  if (order.status === 'FAILED') {
    throw clientError(ErrorCode.ORDER_NOT_CANCELLABLE, `Order ${order.id} failed when it was placed and holds no stock; there is nothing to cancel.`);
  }
  await deps.products.release(order.id);
  const cancelled = await deps.store.transition(order.id, ['PENDING', 'CONFIRMED'], 'CANCELLED');
  return cancelled ?? (await deps.store.findByIds([order.id]))[0] ?? order;
}
