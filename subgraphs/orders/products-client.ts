import type { SigningKey } from '../../lib/auth/keys';
import { SERVICE_TOKEN_TTL_SECONDS, serviceTokenOptions, signToken } from '../../lib/auth/tokens';
import { clientError, ErrorCode, notFound } from '../../lib/graphql/errors';

export interface ReservedLine {
  productId: string;
  quantity: number;
  unitPriceCents: number;
  currency: string;
}

/** What placing and cancelling orders needs of the products service. */
export interface StockApi {
  /** Reserves every line or none, at current prices; the reservation id makes retries safe. */
  reserve(reservationId: string, items: { productId: string; quantity: number }[]): Promise<ReservedLine[]>;
  /** Gives a reservation's stock back; releasing twice, or an id never reserved, is fine. */
  release(reservationId: string): Promise<void>;
}

/** The reservation id was released (compensated or cancelled): it can never be reserved again. */
export class ReservationReleased extends Error {}

// Longer than the products service's own transaction deadline, so it answers before we give up.
const TIMEOUT_MS = 20_000;

/**
 * The products service's internal stock API, called with a short-lived token this service signs
 * (products checks it against our JWKS). Failures become GraphQL errors a client can act on.
 */
export class ProductsClient implements StockApi {
  private token: { value: string; expires: number } | null = null;

  constructor(
    private readonly baseUrl: URL,
    private readonly key: SigningKey,
  ) {}

  async reserve(reservationId: string, items: { productId: string; quantity: number }[]): Promise<ReservedLine[]> {
    const answer = await this.post('/internal/stock-reservations', { id: reservationId, items });
    return (answer as { items: ReservedLine[] }).items;
  }

  async release(reservationId: string): Promise<void> {
    await this.post('/internal/stock-reservations/release', { id: reservationId });
  }

  private async post(path: string, body: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.baseUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await this.serviceToken()}` },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch {
      throw clientError(ErrorCode.SERVICE_UNAVAILABLE, 'The products service is unreachable; try again shortly (with the same idempotencyKey).');
    }
    const payload = (await response.json().catch(() => ({}))) as { error?: { code?: string; message?: string; productId?: string } };
    if (response.ok) return payload;
    const error = payload.error ?? {};
    if (response.status === 409 && error.code === 'RELEASED') throw new ReservationReleased(error.message);
    if (response.status === 409 && error.code === 'INSUFFICIENT_STOCK') {
      throw clientError(ErrorCode.INSUFFICIENT_STOCK, `${error.message ?? 'Not enough stock.'} Lower the quantity or remove the line.`, { productId: error.productId });
    }
    if (response.status === 404 && error.code === 'NOT_FOUND') throw notFound('Product', error.productId ?? '?');
    if (response.status >= 500) {
      throw clientError(ErrorCode.SERVICE_UNAVAILABLE, 'The products service could not take the request; try again shortly (with the same idempotencyKey).');
    }
    throw new Error(`products service answered ${response.status} ${error.code ?? ''}: ${error.message ?? ''}`);
  }

  private async serviceToken(): Promise<string> {
    if (this.token && this.token.expires > Date.now() + 10_000) return this.token.value;
    const value = await signToken(this.key, { sub: 'orders' }, serviceTokenOptions('orders', 'products'));
    this.token = { value, expires: Date.now() + SERVICE_TOKEN_TTL_SECONDS * 1000 };
    return value;
  }
}
