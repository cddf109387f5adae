import type { IncomingHttpHeaders } from 'node:http';
import { TokenError, type TokenVerifier } from '../../lib/auth/tokens';
import { bearerToken } from '../../lib/auth/viewer';
import {
  MAX_RESERVATION_ID_LENGTH,
  MAX_RESERVATION_LINES,
  RELEASE_PATH,
  RESERVE_PATH,
  type ReservationAnswer,
  type ReservationRefusal,
  type ReserveRequest,
} from '../../lib/contracts/stock-reservations';
import type { Route, RouteResponse } from '../../lib/server';
import { ReservationRefused, type ProductsStore, type Reservation } from './data';

/**
 * Stock reservations for other services, over HTTP beside /graphql, so the router (which only
 * knows the GraphQL schema) can never expose them. Each call needs a service token signed by a
 * service this one trusts (its JWKS, verified here: zero trust, not network position). The paths,
 * shapes and limits are the contract in lib/contracts/stock-reservations.ts.
 */

export function reservationRoutes(store: ProductsStore, verifyServiceToken: TokenVerifier): Route[] {
  const authorized =
    (handler: (body: unknown, holder: string) => Promise<RouteResponse>) =>
    async (request: { headers: IncomingHttpHeaders; body: unknown }) => {
      let token: string | null;
      try {
        token = bearerToken(request.headers.authorization);
      } catch {
        token = null;
      }
      if (!token) return fail(401, 'UNAUTHENTICATED', 'A service token is required.');
      let holder: string;
      try {
        holder = String((await verifyServiceToken(token)).sub);
      } catch (error) {
        if (error instanceof TokenError && error.reason === 'unavailable') return fail(503, 'SERVICE_UNAVAILABLE', error.message);
        return fail(401, 'UNAUTHENTICATED', 'The service token is not valid.');
      }
      return handler(request.body, holder);
    };

  return [
    {
      method: 'POST',
      path: RESERVE_PATH,
      handle: authorized(async (body, holder) => {
        const request = parseReserve(body);
        if (typeof request === 'string') return fail(400, 'BAD_REQUEST', request);
        try {
          return { status: 200, body: present(await store.reserve(request.id, holder, request.items)) };
        } catch (error) {
          return refusal(error);
        }
      }),
    },
    {
      method: 'POST',
      path: RELEASE_PATH,
      handle: authorized(async (body, holder) => {
        const id = (body as { id?: unknown } | undefined)?.id;
        if (typeof id !== 'string' || !id || id.length > MAX_RESERVATION_ID_LENGTH)
          return fail(400, 'BAD_REQUEST', 'Body must be {"id": "<reservation id>"}.');
        try {
          return { status: 200, body: present(await store.release(id, holder)) };
        } catch (error) {
          return refusal(error);
        }
      }),
    },
  ];
}

function parseReserve(body: unknown): ReserveRequest | string {
  const { id, items } = (body ?? {}) as { id?: unknown; items?: unknown };
  if (typeof id !== 'string' || !id || id.length > MAX_RESERVATION_ID_LENGTH)
    return `id must be a string of 1 to ${MAX_RESERVATION_ID_LENGTH} characters.`;
  if (!Array.isArray(items) || items.length === 0 || items.length > MAX_RESERVATION_LINES)
    return `items must hold 1 to ${MAX_RESERVATION_LINES} lines.`;
  const seen = new Set<string>();
  for (const item of items as { productId?: unknown; quantity?: unknown }[]) {
    if (typeof item?.productId !== 'string' || seen.has(item.productId)) return 'each line needs a distinct productId.';
    if (!Number.isInteger(item.quantity) || (item.quantity as number) < 1) return 'each quantity must be a whole number of 1 or more.';
    seen.add(item.productId);
  }
  return { id, items: items as ReserveRequest['items'] };
}

function present(reservation: Reservation): ReservationAnswer {
  return {
    id: reservation.id,
    status: reservation.status,
    items: [...reservation.items]
      .sort((a, b) => a.position - b.position)
      .map(({ productId, quantity, unitPriceCents, currency }) => ({ productId, quantity, unitPriceCents, currency })),
  };
}

const REFUSAL_STATUS: Record<ReservationRefused['reason'], number> = {
  NOT_FOUND: 404,
  NOT_HOLDER: 403,
  INSUFFICIENT_STOCK: 409,
  RELEASED: 409,
};

/** A refusal is an answer (4xx, never retried by the caller); anything else is a failure (500). */
function refusal(error: unknown): RouteResponse {
  if (!(error instanceof ReservationRefused)) throw error;
  return fail(REFUSAL_STATUS[error.reason], error.reason, error.message, error.details);
}

function fail(status: number, code: string, message: string, details: Record<string, unknown> = {}): RouteResponse {
  const body: ReservationRefusal = { error: { code, message, ...details } };
  return { status, body };
}
