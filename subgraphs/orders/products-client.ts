import type { SigningKey } from '../../lib/auth/keys';
import {
  RELEASE_PATH,
  RESERVE_PATH,
  type ReleaseRequest,
  type ReservationAnswer,
  type ReservationRefusal,
  type ReservedLine,
  type ReserveRequest,
} from '../../lib/contracts/stock-reservations';
import { SERVICE_TOKEN_TTL_SECONDS, serviceTokenOptions, signToken } from '../../lib/auth/tokens';
import { clientError, ErrorCode, notFound } from '../../lib/graphql/errors';
import { outgoingHeaders } from '../../lib/observability/propagation';
import { timeCall } from '../../lib/observability/request-scope';
import { inClientSpan } from '../../lib/observability/tracing';
import { ordersErrors } from './errors';
import { TransientError, withRetries, type RetryPolicy } from './retry';

export type { ReservedLine };

/** Calls made for one client request share a time budget, counted from when that request began. */
export interface CallOptions {
  startedAt?: number;
}

/** What placing and cancelling orders needs of the products service. */
export interface StockApi {
  /** Reserves every line or none, at current prices; the reservation id makes retries safe. */
  reserve(reservationId: string, items: { productId: string; quantity: number }[], options?: CallOptions): Promise<ReservedLine[]>;
  /** Gives a reservation's stock back; releasing twice, or an id never reserved, is fine. */
  release(reservationId: string, options?: CallOptions): Promise<void>;
}

/** The reservation id was released (compensated or cancelled): it can never be reserved again. */
export class ReservationReleased extends Error {}

export interface ProductsClientOptions extends RetryPolicy {
  /** All the calls one client request makes (`CallOptions.startedAt`), retries and waits included, end within this. */
  requestBudgetMs: number;
}

const UNAVAILABLE = 'The products service is unreachable or too slow right now; try again shortly with the same idempotencyKey.';

/**
 * The products service's internal stock API, called with a short-lived token this service signs
 * (products checks it against our JWKS). Both calls are idempotent (the reservation id names the
 * reservation), so a call that got no answer, timed out or met a 5xx is retried, within the
 * policy's attempts and the request's budget; a 4xx is an answer and never retried. Failures
 * become GraphQL errors a client can act on.
 */
export class ProductsClient implements StockApi {
  private token: { value: string; expires: number } | null = null;

  constructor(
    private readonly baseUrl: URL,
    private readonly key: SigningKey,
    private readonly options: ProductsClientOptions,
  ) {}

  async reserve(
    reservationId: string,
    items: { productId: string; quantity: number }[],
    options: CallOptions = {},
  ): Promise<ReservedLine[]> {
    const request: ReserveRequest = { id: reservationId, items };
    const answer = await this.post(RESERVE_PATH, request, options);
    return (answer as ReservationAnswer).items;
  }

  async release(reservationId: string, options: CallOptions = {}): Promise<void> {
    const request: ReleaseRequest = { id: reservationId };
    await this.post(RELEASE_PATH, request, options);
  }

  private async post(path: string, body: unknown, options: CallOptions): Promise<unknown> {
    const deadline = options.startedAt === undefined ? Number.POSITIVE_INFINITY : options.startedAt + this.options.requestBudgetMs;
    const token = await this.serviceToken();
    let answer: { status: number; payload: { error?: Partial<ReservationRefusal['error']> } };
    try {
      answer = await withRetries((signal) => this.attempt(path, body, token, signal), this.options, deadline);
    } catch (error) {
      if (error instanceof TransientError) throw clientError(ErrorCode.SERVICE_UNAVAILABLE, UNAVAILABLE);
      throw error;
    }
    const { status, payload } = answer;
    if (status >= 200 && status < 300) return payload;
    const error = payload.error ?? {};
    if (status === 409 && error.code === 'RELEASED') throw new ReservationReleased(error.message);
    if (status === 409 && error.code === 'INSUFFICIENT_STOCK') {
      throw ordersErrors.error('INSUFFICIENT_STOCK', `${error.message ?? 'Not enough stock.'} Lower the quantity or remove the line.`, {
        productId: error.productId,
      });
    }
    if (status === 404 && error.code === 'NOT_FOUND') throw notFound('Product', error.productId ?? '?');
    throw new Error(`products service answered ${status} ${error.code ?? ''}: ${error.message ?? ''}`);
  }

  /** One try: an answer below 500 is returned as it is; no answer, a cut-off body or a 5xx is transient. */
  private async attempt(path: string, body: unknown, token: string, signal: AbortSignal) {
    let status: number;
    let text: string;
    const waited = timeCall('products');
    try {
      // One client span per try; the headers carry its trace context and the request's id.
      const response = await inClientSpan(`POST products ${path}`, () =>
        fetch(new URL(path, this.baseUrl), {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...outgoingHeaders() },
          body: JSON.stringify(body),
          signal,
        }),
      );
      status = response.status;
      text = await response.text();
    } catch (error) {
      waited(false);
      throw new TransientError(signal.aborted ? 'no answer in time' : `no connection (${(error as Error).message})`);
    }
    waited(status < 500);
    if (status >= 500) throw new TransientError(`answered ${status}`);
    let payload = {};
    try {
      payload = JSON.parse(text) as object;
    } catch {
      // A non-JSON answer below 500 is reported by its status alone.
    }
    return { status, payload };
  }

  private async serviceToken(): Promise<string> {
    if (this.token && this.token.expires > Date.now() + 10_000) return this.token.value;
    const value = await signToken(this.key, { sub: 'orders' }, serviceTokenOptions('orders', 'products'));
    this.token = { value, expires: Date.now() + SERVICE_TOKEN_TTL_SECONDS * 1000 };
    return value;
  }
}
