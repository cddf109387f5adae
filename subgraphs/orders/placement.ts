import { GraphQLError } from 'graphql';
import { MAX_RESERVATION_LINES } from '../../lib/contracts/stock-reservations';
import type { Viewer } from '../../lib/auth/viewer';
import { isUniqueViolation } from '../../lib/db/errors';
import { badInput, clientError, ErrorCode, notFound } from '../../lib/graphql/errors';
import type { Logger } from '../../lib/log';
import type { Order, OrdersStore } from './data';
import { ordersErrors } from './errors';
import type { OrderMetrics } from './metrics';
import { ReservationReleased, type CallOptions, type StockApi } from './products-client';
import { requestHash } from './request-hash';

export interface PlaceOrderInput {
  items: { productId: string; quantity: number }[];
  idempotencyKey?: string | null;
}

/**
 * What placement needs of the orders store: its conditional updates, and nothing that ties it to
 * Prisma, so placement's decisions can also be tested against an in-memory store.
 */
export type PlacementStore = Pick<
  OrdersStore,
  | 'findByIds'
  | 'findByIdempotencyKey'
  | 'createPending'
  | 'confirm'
  | 'transition'
  | 'markStockReleased'
  | 'removeFailed'
  | 'freeKey'
  | 'needingRecovery'
>;

export interface PlacementDeps {
  store: PlacementStore;
  products: StockApi;
  log: Logger;
  metrics?: OrderMetrics;
}

const MAX_LINES = MAX_RESERVATION_LINES;
const MAX_QUANTITY = 1000;
/** Money is a GraphQL Int of cents. */
const MAX_TOTAL_CENTS = 2_147_483_647;

export function validatePlaceOrder(input: PlaceOrderInput): void {
  if (input.items.length === 0) throw badInput('An order needs at least one item.', 'items');
  if (input.items.length > MAX_LINES) throw badInput(`An order has at most ${MAX_LINES} lines, got ${input.items.length}.`, 'items');
  const seen = new Set<string>();
  for (const [index, item] of input.items.entries()) {
    if (!Number.isInteger(item.quantity) || item.quantity < 1 || item.quantity > MAX_QUANTITY) {
      throw badInput(`items[${index}].quantity must be from 1 to ${MAX_QUANTITY}, got ${item.quantity}.`, `items.${index}.quantity`);
    }
    if (seen.has(item.productId)) {
      throw badInput(
        `Product ${item.productId} appears more than once: put it on one line with the total quantity.`,
        `items.${index}.productId`,
      );
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
 * current prices, then the order is CONFIRMED with those prices.
 *
 * Every way out settles the order's status before stock is given back, so an order can never end
 * CONFIRMED holding released stock: PENDING → CONFIRMED and PENDING → FAILED are the same
 * conditional update, and only the request that wins it acts on the stock.
 *
 * With an idempotencyKey, a repeat returns the order once it is CONFIRMED (or CANCELLED); a
 * repeat that finds it still PENDING (placed concurrently, or interrupted by an outage) finishes
 * placing it, which is safe because reserving and confirming are both idempotent; a repeat that
 * finds it FAILED makes sure its stock is back and places it afresh. A key names one request: a
 * repeat with other lines is refused (IDEMPOTENCY_KEY_REUSED) unless the order it names FAILED or
 * was refused, which ordered nothing and so frees the key.
 *
 * Every call to products made here shares one budget (PRODUCTS_REQUEST_BUDGET_MS), so a products
 * outage costs the client seconds, not minutes; what does not fit (a compensating release) is left
 * to the recovery pass or the next retry with the same key.
 */
export async function placeOrder(deps: PlacementDeps, viewer: Viewer, input: PlaceOrderInput): Promise<Order> {
  validatePlaceOrder(input);
  const call: CallOptions = { startedAt: Date.now() };
  const key = input.idempotencyKey ?? null;
  const hash = key ? requestHash(input.items) : null;
  // Each pass either answers or saw a concurrent request change the order; three is plenty.
  for (let pass = 0; pass < 3; pass++) {
    const existing = key ? await deps.store.findByIdempotencyKey(viewer.id, key) : null;
    if (existing && existing.status !== 'FAILED' && existing.requestHash !== null && existing.requestHash !== hash) {
      throw ordersErrors.error(
        'IDEMPOTENCY_KEY_REUSED',
        `idempotencyKey "${key}" was already used for an order with other items; use a new key for a new order.`,
        { orderId: existing.id },
      );
    }
    if (existing?.status === 'CONFIRMED' || existing?.status === 'CANCELLED') return existing;
    if (existing?.status === 'FAILED') {
      await releaseStock(deps, existing.id, call); // in case its compensation could not reach products
      await deps.store.freeKey(existing.id);
    }
    let order = existing?.status === 'PENDING' ? existing : null;
    if (!order) {
      try {
        order = await deps.store.createPending(viewer.id, key, hash);
      } catch (error) {
        if (key && isUniqueViolation(error)) continue; // a concurrent request took the key: look again
        throw error;
      }
    }
    const placed = await complete(deps, order, input, call);
    if (placed) return placed;
  }
  throw clientError(ErrorCode.SERVICE_UNAVAILABLE, 'This order is being changed by another request; try again in a moment.');
}

/** Reserves and confirms a PENDING order; null when another request settled it FAILED first (place it again). */
async function complete(deps: PlacementDeps, order: Order, input: PlaceOrderInput, call: CallOptions): Promise<Order | null> {
  let reserved: Awaited<ReturnType<PlacementDeps['products']['reserve']>>;
  try {
    reserved = await deps.products.reserve(order.id, input.items, call);
  } catch (error) {
    const code = error instanceof GraphQLError ? error.extensions.code : undefined;
    if (code === ordersErrors.code.INSUFFICIENT_STOCK || code === ErrorCode.NOT_FOUND) {
      deps.metrics?.refused(code);
      await forget(deps, order.id, call);
      throw error;
    }
    if (error instanceof ReservationReleased) return settled(deps, order.id);
    await compensate(deps, order.id, error, call);
    throw error;
  }
  const totalCents = reserved.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
  if (totalCents > MAX_TOTAL_CENTS) {
    await compensate(deps, order.id, new Error('order total over the Int limit'), call);
    throw badInput(
      `The order total would be ${totalCents} cents, over the maximum of ${MAX_TOTAL_CENTS}: split it into smaller orders.`,
      'items',
    );
  }
  let confirmed: Order | null;
  try {
    confirmed = await deps.store.confirm(
      order.id,
      reserved.map((line, position) => ({ ...line, position })),
      totalCents,
    );
  } catch (error) {
    await compensate(deps, order.id, error, call);
    throw error;
  }
  if (confirmed?.status === 'CONFIRMED') deps.metrics?.placed();
  return confirmed?.status === 'CONFIRMED' || confirmed?.status === 'CANCELLED' ? confirmed : null;
}

/**
 * Refused stock: nothing is reserved, so nothing is ordered. The order is settled FAILED first (so
 * a concurrent retry can no longer confirm it), its reservation id is released (a tombstone, so no
 * late reservation lands for it), and then it is deleted. If the release fails it stays FAILED,
 * which the next retry with its key, or a cancel, heals.
 */
async function forget(deps: PlacementDeps, orderId: string, call: CallOptions): Promise<void> {
  try {
    if (await failAndRelease(deps, orderId, call)) await deps.store.removeFailed(orderId);
  } catch (error) {
    deps.log.error('could not withdraw a refused order; it stays FAILED until retried', { orderId, error });
  }
}

/** The reservation was released under us: the order is FAILED (or CANCELLED); answer a cancel, retry a failure. */
async function settled(deps: PlacementDeps, orderId: string): Promise<Order | null> {
  await deps.store.transition(orderId, ['PENDING'], 'FAILED');
  const [order] = await deps.store.findByIds([orderId]);
  return order?.status === 'CANCELLED' ? order : null;
}

/**
 * Undoes a half-placed order: marks it FAILED, and only if that succeeded (no other request
 * confirmed it meanwhile) gives its stock back. A release that fails is retried whenever the
 * FAILED order is met again (its idempotency key, a cancel, or the recovery pass).
 */
async function compensate(deps: PlacementDeps, orderId: string, cause: unknown, call: CallOptions): Promise<void> {
  deps.log.warn('order placement failed; compensating', { orderId, error: cause });
  try {
    if (await failAndRelease(deps, orderId, call)) deps.metrics?.compensated();
  } catch (error) {
    deps.log.error('compensation incomplete; the order may hold stock until it is retried or recovered', { orderId, error });
  }
}

/**
 * Cancels an order: the status changes first, then the stock is released (idempotent on the
 * products side; for an order still being placed it also stops the reservation from ever being
 * made). Cancelling again releases again, which heals a release that failed the first time.
 */
export async function cancelOrder(deps: Pick<PlacementDeps, 'store' | 'products'>, order: Order): Promise<Order> {
  const open = order.status === 'PENDING' || order.status === 'CONFIRMED';
  const current = open
    ? ((await deps.store.transition(order.id, ['PENDING', 'CONFIRMED'], 'CANCELLED')) ?? (await deps.store.findByIds([order.id]))[0])
    : order;
  if (!current) throw notFound('Order', order.id);
  await releaseStock(deps, order.id, { startedAt: Date.now() });
  if (current.status === 'FAILED') {
    throw ordersErrors.error(
      'ORDER_NOT_CANCELLABLE',
      `Order ${order.id} failed when it was placed and holds no stock; there is nothing to cancel.`,
    );
  }
  return current;
}

/**
 * PENDING → FAILED, and only if this call made that change (no other request confirmed or settled
 * the order meanwhile) its stock back. True when it did both.
 */
async function failAndRelease(deps: Pick<PlacementDeps, 'store' | 'products'>, orderId: string, call?: CallOptions): Promise<boolean> {
  if (!(await deps.store.transition(orderId, ['PENDING'], 'FAILED'))) return false;
  await releaseStock(deps, orderId, call);
  return true;
}

/** Gives an order's stock back and records that it is back (the recovery pass skips it then). */
async function releaseStock(deps: Pick<PlacementDeps, 'store' | 'products'>, orderId: string, call?: CallOptions): Promise<void> {
  await deps.products.release(orderId, call);
  await deps.store.markStockReleased(orderId);
}

export interface RecoveryResult {
  compensated: number;
  released: number;
  failed: number;
  /** Products could not be reached, so the pass stopped early; the loop backs off. */
  unreachable: boolean;
}

/**
 * The recovery pass, run periodically by the orders service: an order still PENDING long after any
 * placement would have finished (its process crashed, no one retried) is compensated; a FAILED or
 * CANCELLED order whose release never got through is released. Both are idempotent, so concurrent
 * passes (several replicas) are safe. When products cannot be reached the pass stops at once
 * (the other orders would only wait for the same timeouts) and logs one WARN for the whole pass.
 */
export async function recoverOrders(deps: PlacementDeps, options: { stuckAfterMs: number; batch?: number }): Promise<RecoveryResult> {
  const result: RecoveryResult = { compensated: 0, released: 0, failed: 0, unreachable: false };
  const orders = await deps.store.needingRecovery(new Date(Date.now() - options.stuckAfterMs), options.batch ?? 100);
  let firstError: unknown;
  for (const order of orders) {
    try {
      if (order.status === 'PENDING') {
        if (await failAndRelease(deps, order.id)) result.compensated++;
      } else {
        await releaseStock(deps, order.id);
        result.released++;
      }
    } catch (error) {
      result.failed++;
      firstError ??= error;
      if (error instanceof GraphQLError && error.extensions.code === ErrorCode.SERVICE_UNAVAILABLE) {
        result.unreachable = true;
        break;
      }
    }
  }
  deps.metrics?.recovered('compensated', result.compensated);
  deps.metrics?.recovered('released', result.released);
  if (result.unreachable) {
    deps.log.warn('recovery pass stopped: the products service is unreachable; backing off', {
      ...result,
      waiting: orders.length - result.compensated - result.released,
      error: firstError,
    });
  } else if (result.failed > 0) {
    deps.log.warn('recovery pass could not settle some orders; the next pass retries', { ...result, error: firstError });
  } else if (orders.length > 0) {
    deps.log.info('recovery pass', { ...result });
  }
  return result;
}
