import { graphql, sleep, type GraphQLAnswer } from './cluster';

/** Codes after which a client retries the same order with the same idempotencyKey. */
export const RETRYABLE = new Set(['SERVICE_UNAVAILABLE', 'SUBGRAPH_UNAVAILABLE']);
/** Attempts per order, and the wait before attempt n+1: n × 400 ms (about 26 s in all, beyond a restart). */
const MAX_ATTEMPTS = 12;
const RETRY_STEP_MS = 400;
/** A client gives up on one attempt after this long: far beyond the router's deadline. */
const CLIENT_TIMEOUT_MS = 20_000;

const PLACE_ORDER = `mutation Place($input: PlaceOrderInput!) {
  placeOrder(input: $input) { id status items { quantity product { id } } }
}`;

export interface OrderOutcome {
  key: string;
  /** CONFIRMED when the client saw its order confirmed; else the code of the last answer, or TRANSPORT / NO_CODE. */
  outcome: string;
  orderId?: string;
  attempts: number;
  /** Every answer's code, attempt by attempt (CONFIRMED for a confirmed order; SUBGRAPH_UNAVAILABLE(<service>)). */
  codes: string[];
  /** Detail of a transport failure or an uncoded error, for the failure message. */
  detail?: string;
}

export interface StormOptions {
  routerUrl: string;
  tokens: string[];
  productIds: string[];
  orders: number;
  /** A label making idempotency keys unique across storms. */
  label: string;
  /** Picks each order's lines; seeded, so every run asks for a similar mix. */
  random: () => number;
}

export interface Storm {
  /** Orders whose client has finished (with an order or an error). */
  finished: () => number;
  done: Promise<OrderOutcome[]>;
}

/** A small seeded PRNG (mulberry32). Clients interleave differently each run, so storms still differ. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** 1 to 3 lines over distinct products, 1 to 3 units each. */
function randomItems(productIds: string[], random: () => number) {
  const shuffled = [...productIds].sort(() => random() - 0.5);
  const lines = 1 + Math.floor(random() * Math.min(3, productIds.length));
  return shuffled.slice(0, lines).map((productId) => ({ productId, quantity: 1 + Math.floor(random() * 3) }));
}

/** What one answer to placeOrder means to a client. */
function codeOf(answer: GraphQLAnswer): { code: string; orderId?: string; detail?: string } {
  const order = answer.data?.placeOrder as { id: string; status: string } | null | undefined;
  if (order) return { code: order.status, orderId: order.id };
  const coded = answer.errors?.find((error) => typeof error.extensions?.code === 'string');
  if (coded) {
    const service = coded.extensions!.service;
    // SUBGRAPH_UNAVAILABLE names the subgraph that failed: keep it, the report shows which one.
    return { code: coded.extensions!.code as string, detail: typeof service === 'string' ? `${service}: ${coded.message}` : coded.message };
  }
  return { code: 'NO_CODE', detail: JSON.stringify(answer).slice(0, 500) };
}

/** Places one order as a client would: retrying with the same key while a service is unavailable. */
async function placeOne(options: StormOptions, token: string, key: string): Promise<OrderOutcome> {
  const input = { items: randomItems(options.productIds, options.random), idempotencyKey: key };
  const codes: string[] = [];
  for (let attempt = 1; ; attempt++) {
    let result: ReturnType<typeof codeOf>;
    try {
      result = codeOf(await graphql(options.routerUrl, PLACE_ORDER, { input }, token, CLIENT_TIMEOUT_MS));
    } catch (error) {
      const cause = (error as Error).cause as NodeJS.ErrnoException | undefined;
      codes.push('TRANSPORT');
      return { key, outcome: 'TRANSPORT', attempts: attempt, codes, detail: `${(error as Error).message} ${cause?.code ?? ''}` };
    }
    codes.push(result.code === 'SUBGRAPH_UNAVAILABLE' ? `${result.code}(${result.detail!.split(':')[0]})` : result.code);
    if (!RETRYABLE.has(result.code) || attempt >= MAX_ATTEMPTS) {
      return { key, outcome: result.code, orderId: result.orderId, attempts: attempt, codes, detail: result.detail };
    }
    await sleep(attempt * RETRY_STEP_MS);
  }
}

/** `orders` orders from `tokens.length` concurrent clients, each placing its share one after another. */
export function startStorm(options: StormOptions): Storm {
  let next = 0;
  let finished = 0;
  const outcomes: OrderOutcome[] = [];
  const client = async (token: string) => {
    while (next < options.orders) {
      const key = `${options.label}-${next++}`;
      outcomes.push(await placeOne(options, token, key));
      finished++;
    }
  };
  const done = Promise.all(options.tokens.map(client)).then(() => outcomes);
  return { finished: () => finished, done };
}
