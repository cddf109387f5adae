/**
 * The stock-reservation API between orders (the caller) and products (the server), written once
 * so both sides change together. It is HTTP beside /graphql, never routed by the router, and every
 * call carries a service token: issuer `commerce/orders`, audience `commerce/products`
 * (`serviceTokenOptions('orders', 'products')` in lib/auth/tokens.ts).
 *
 *   POST RESERVE_PATH  ReserveRequest  → 200 ReservationAnswer | 4xx ReservationRefusal
 *   POST RELEASE_PATH  ReleaseRequest  → 200 ReservationAnswer | 4xx ReservationRefusal
 */
export const RESERVE_PATH = '/internal/stock-reservations';
export const RELEASE_PATH = '/internal/stock-reservations/release';

/** Lines one reservation (one order) may hold. */
export const MAX_RESERVATION_LINES = 50;
/** A reservation id is the order's id. */
export const MAX_RESERVATION_ID_LENGTH = 100;

export interface ReservationLine {
  productId: string;
  quantity: number;
}

export interface ReserveRequest {
  id: string;
  items: ReservationLine[];
}

export interface ReleaseRequest {
  id: string;
}

/** A reserved line at the price it was reserved at. */
export interface ReservedLine extends ReservationLine {
  unitPriceCents: number;
  currency: string;
}

export interface ReservationAnswer {
  id: string;
  status: string;
  /** In the order the request gave them. */
  items: ReservedLine[];
}

/** Why a call was refused; `productId` names the line at fault where there is one. */
export interface ReservationRefusal {
  error: { code: string; message: string; productId?: string };
}
