import { buildSubgraphSchema } from '@apollo/subgraph';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { parse } from 'graphql';
import { loadEdgeConfig } from '../../lib/edge-config';
import { createLogger } from '../../lib/log';
import { DEFAULT_METRICS_PORT, loadMetricsConfig } from '../../lib/observability/metrics';
import { SERVICE_ATTRIBUTE, startTracing, stopTracing } from '../../lib/observability/tracing';
import { startService } from '../../lib/server';
import { loadRouterConfig } from '../../router/config';
import { buildRouter } from '../../router/server';
import { uniqueEmail, uniqueSku } from '../../testing/data';
import { TARGETS } from '../../testing/databases';
import { startSupergraph, type Supergraph } from '../../testing/harness';

type LogLine = { level: string; service: string; message: string; requestId?: string; [field: string]: unknown };

/** The JSON log lines every service writes while `run` runs, at debug (the harness silences logs). */
async function logLines<T>(run: () => Promise<T>): Promise<{ result: T; lines: LogLine[] }> {
  const written: string[] = [];
  const level = process.env.LOG_LEVEL;
  const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
  process.env.LOG_LEVEL = 'debug';
  try {
    const result = await run();
    // The subgraphs' closing lines are written when their answers are sent, which the router has read by now.
    return {
      result,
      lines: written
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as LogLine),
    };
  } finally {
    process.env.LOG_LEVEL = level;
    write.mockRestore();
  }
}

/** The value of one series in a Prometheus text exposition (0 when absent). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return 0;
}

const PLACE_ORDER = /* GraphQL */ `
  mutation PlaceOrder($input: PlaceOrderInput!) {
    placeOrder(input: $input) {
      id
      status
    }
  }
`;

const MY_ORDERS = /* GraphQL */ `
  query MyOrders {
    me {
      orders {
        edges {
          node {
            items {
              product {
                name
              }
            }
            buyer {
              name
            }
          }
        }
      }
    }
  }
`;

// All four services of every target run in this process, under the one provider this registers:
// once per file, because a tracer a module took at load (the gateway's) stays bound to the first.
const spans = new InMemorySpanExporter();
beforeAll(() => {
  startTracing({ serviceName: 'supergraph', exporter: spans, immediate: true });
});
afterAll(async () => {
  await stopTracing();
});

describe.each(TARGETS)('observability of the supergraph on %s', (target) => {
  let graph: Supergraph;
  let buyer: { token: string; id: string };
  let productId: string;

  beforeAll(async () => {
    graph = await startSupergraph(target);
    buyer = await graph.signUp(uniqueEmail('observed'), 'Observed Buyer');
    productId = await graph.createProduct(uniqueSku('OBS'), 250, 100);
  });
  afterAll(async () => {
    await graph?.stop();
  });

  /** The spans of the request with this id, once its server span at the router has ended. */
  const traceOf = async (requestId: string): Promise<ReadableSpan[]> => {
    const isRoot = (span: ReadableSpan) => span.attributes['request.id'] === requestId && span.attributes[SERVICE_ATTRIBUTE] === 'router';
    for (let waited = 0; !spans.getFinishedSpans().some(isRoot); waited += 20) {
      if (waited > 5000) throw new Error(`no router span for request ${requestId}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const root = spans.getFinishedSpans().find(isRoot)!;
    return spans.getFinishedSpans().filter((span) => span.spanContext().traceId === root.spanContext().traceId);
  };
  const serviceOf = (span: ReadableSpan) => span.attributes[SERVICE_ATTRIBUTE];
  const parentOf = (trace: ReadableSpan[], span: ReadableSpan) =>
    trace.find((candidate) => candidate.spanContext().spanId === span.parentSpanContext?.spanId);
  const ancestors = (trace: ReadableSpan[], span: ReadableSpan): ReadableSpan[] => {
    const parent = parentOf(trace, span);
    return parent ? [parent, ...ancestors(trace, parent)] : [];
  };

  test('one trace runs from the router through a fetch per subgraph to each subgraph and its SQL', async () => {
    const placed = await post({ query: PLACE_ORDER, variables: { input: { items: [{ productId, quantity: 1 }] } } });
    expect(((await placed.json()) as { data?: unknown }).data).toBeTruthy();
    const requestId = `trace-${uniqueSku('Q').toLowerCase()}`;
    const answer = await post({ query: MY_ORDERS }, { 'x-request-id': requestId });
    const body = (await answer.json()) as { data: { me: { orders: { edges: { node: { buyer: { name: string } } }[] } } } };
    expect(body.data.me.orders.edges[0]!.node.buyer.name).toBe('Observed Buyer');

    const trace = await traceOf(requestId);
    const root = trace.find((span) => span.name === 'query MyOrders')!;
    expect(root).toMatchObject({ kind: SpanKind.SERVER, attributes: expect.objectContaining({ [SERVICE_ATTRIBUTE]: 'router' }) });
    expect(root.parentSpanContext).toBeUndefined();
    for (const subgraph of ['users', 'orders', 'products']) {
      // The router's fetch, the subgraph's operation under it, and SQL under that.
      const operations = trace.filter((span) => serviceOf(span) === subgraph && span.kind === SpanKind.SERVER);
      expect(operations.length).toBeGreaterThan(0);
      for (const operation of operations) {
        expect(operation.name).toMatch(new RegExp(`^query MyOrders__${subgraph}__[0-9]+$`));
        expect(operation.attributes['request.id']).toBe(requestId);
        const fetch = parentOf(trace, operation)!;
        expect(fetch).toMatchObject({ name: 'gateway.fetch', attributes: expect.objectContaining({ service: subgraph }) });
        expect(ancestors(trace, fetch)).toContain(root);
      }
      const sql = trace.filter((span) => serviceOf(span) === subgraph && span.name === 'prisma:client:db_query');
      expect(sql.length).toBeGreaterThan(0);
      for (const query of sql) expect(ancestors(trace, query).some((span) => operations.includes(span))).toBe(true);
    }
    // Nothing of this request was recorded in another trace.
    const elsewhere = spans.getFinishedSpans().filter((span) => span.attributes['request.id'] === requestId && !trace.includes(span));
    expect(elsewhere).toEqual([]);
  });

  test("orders' calls to the products stock API carry the trace: placeOrder reaches products' SQL", async () => {
    const requestId = `place-${uniqueSku('P').toLowerCase()}`;
    const placed = await post(
      { query: PLACE_ORDER, variables: { input: { items: [{ productId, quantity: 1 }] } } },
      { 'x-request-id': requestId },
    );
    expect(((await placed.json()) as { data?: unknown }).data).toBeTruthy();
    const trace = await traceOf(requestId);
    const reserve = trace.find((span) => serviceOf(span) === 'products' && span.name === 'POST /internal/stock-reservations')!;
    expect(reserve).toBeDefined();
    expect(reserve.attributes['request.id']).toBe(requestId);
    const call = parentOf(trace, reserve)!;
    expect(call).toMatchObject({ kind: SpanKind.CLIENT, name: 'POST products /internal/stock-reservations' });
    expect(ancestors(trace, call).map((span) => span.name)).toEqual(
      expect.arrayContaining(['mutation PlaceOrder__orders__0', 'gateway.fetch', 'mutation PlaceOrder']),
    );
    expect(trace.some((span) => span.name === 'prisma:client:db_query' && ancestors(trace, span).includes(reserve))).toBe(true);
  });

  const post = (body: object, headers: Record<string, string> = {}) =>
    fetch(graph.router.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${buyer.token}`, ...headers },
      body: JSON.stringify(body),
    });
  const metricsOf = async (service: 'router' | 'users' | 'products' | 'orders') => {
    const url = graph[service].metricsUrl;
    if (!url) throw new Error(`${service} serves no /metrics`);
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    return response.text();
  };

  test('a given x-request-id comes back, and is on every log line of the request, in every service it reaches', async () => {
    const requestId = `obs-${uniqueSku('ID').toLowerCase()}`;
    const { result: response, lines } = await logLines(() =>
      post({ query: PLACE_ORDER, variables: { input: { items: [{ productId, quantity: 1 }] } } }, { 'x-request-id': requestId }),
    );
    expect(response.headers.get('x-request-id')).toBe(requestId);
    expect(((await response.json()) as { data: { placeOrder: { status: string } } }).data.placeOrder.status).toBe('CONFIRMED');
    const closing = lines.filter((line) => line.message === 'request');
    // The router, orders for placeOrder, and products for the stock reservation orders made.
    expect(closing).toContainEqual(expect.objectContaining({ service: 'router', requestId, operation: 'mutation PlaceOrder' }));
    expect(closing).toContainEqual(expect.objectContaining({ service: 'orders', requestId, path: '/graphql' }));
    expect(closing).toContainEqual(expect.objectContaining({ service: 'products', requestId, path: '/internal/stock-reservations' }));
    // Key set fetches (jose's own, cached and shared by every request) are requests of their own.
    const ownLines = lines.filter((line) => line.path !== '/.well-known/jwks.json');
    expect(ownLines.length).toBeGreaterThanOrEqual(3);
    expect(ownLines.filter((line) => line.requestId !== requestId)).toEqual([]);
  });

  test('a slow request is logged at warn with its operation and each subgraph call it waited for', async () => {
    // A second router on the same subgraphs, for which every request is slow.
    const slow = await startService(buildRouter(loadRouterConfig({ ...graph.env, SLOW_REQUEST_MS: '0' })), { port: 0 });
    try {
      const { lines } = await logLines(() =>
        fetch(slow.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${buyer.token}` },
          body: JSON.stringify({ query: MY_ORDERS }),
        }).then((response) => response.json()),
      );
      const line = lines.find((entry) => entry.service === 'router' && entry.message === 'slow request');
      expect(line).toMatchObject({ level: 'warn', operation: 'query MyOrders', status: 200 });
      const calls = line!.calls as { service: string; ms: number; ok: boolean }[];
      expect(calls.map((call) => call.service)).toEqual(expect.arrayContaining(['users', 'orders']));
      expect(calls.every((call) => call.ok && call.ms >= 0 && call.ms <= (line!.ms as number))).toBe(true);
    } finally {
      await slow.stop();
    }
  });

  test('a request without an acceptable x-request-id gets a new one', async () => {
    for (const given of [undefined, 'has spaces in it', 'x'.repeat(129), 'semi;colon']) {
      const response = await post({ query: '{ me { id } }' }, given === undefined ? {} : { 'x-request-id': given });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });

  test('/metrics counts a placeOrder at the router (by operation), at orders (placed) and per subgraph fetch', async () => {
    const [routerBefore, ordersBefore] = await Promise.all([metricsOf('router'), metricsOf('orders')]);
    const placed = await post({ query: PLACE_ORDER, variables: { input: { items: [{ productId, quantity: 2 }] } } });
    expect(((await placed.json()) as { data?: unknown }).data).toBeTruthy();
    const refused = await post({ query: PLACE_ORDER, variables: { input: { items: [{ productId, quantity: 1000 }] } } });
    expect(await refused.json()).toHaveErrorCode('INSUFFICIENT_STOCK');
    const [routerAfter, ordersAfter] = await Promise.all([metricsOf('router'), metricsOf('orders')]);

    const delta = (before: string, after: string, name: string, labels?: Record<string, string>) =>
      sample(after, name, labels) - sample(before, name, labels);
    expect(delta(ordersBefore, ordersAfter, 'orders_placed_total', { service: 'orders' })).toBe(1);
    expect(delta(ordersBefore, ordersAfter, 'orders_refused_total', { code: 'INSUFFICIENT_STOCK' })).toBe(1);
    expect(delta(routerBefore, routerAfter, 'graphql_requests_total', { operation: 'PlaceOrder', outcome: 'ok' })).toBe(1);
    expect(delta(routerBefore, routerAfter, 'graphql_requests_total', { operation: 'PlaceOrder', outcome: 'error' })).toBe(1);
    expect(delta(routerBefore, routerAfter, 'graphql_request_duration_seconds_count', { operation: 'PlaceOrder' })).toBe(1);
    expect(delta(routerBefore, routerAfter, 'router_subgraph_fetch_duration_seconds_count', { subgraph: 'orders', outcome: 'ok' })).toBe(2);
    expect(sample(routerAfter, 'router_subgraph_circuit_state', { subgraph: 'orders' })).toBe(0);
    // Default process metrics come along.
    expect(sample(routerAfter, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    if (target === 'postgres') expect(sample(ordersAfter, 'db_pool_connections', { state: 'total' })).toBeGreaterThan(0);
  });
});

describe('where /metrics is served', () => {
  const schema = buildSubgraphSchema({
    typeDefs: parse(`
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
      type Query { ok: Boolean }
    `),
    resolvers: { Query: { ok: () => true } },
  });
  const start = (env: Record<string, string>) => {
    const production = env.NODE_ENV === 'production';
    return startService(
      {
        name: 'probe',
        log: createLogger('probe'),
        production,
        edge: loadEdgeConfig({}, production),
        graph: { schema },
        context: async () => ({}),
        metricsConfig: loadMetricsConfig(env),
      },
      { port: 0 },
    );
  };
  const ask = (url: string) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"query Probe { ok }"}' });

  test('in production, on METRICS_PORT (9464 by default) and not on the public port', async () => {
    expect(loadMetricsConfig({ NODE_ENV: 'production' })).toEqual({ port: DEFAULT_METRICS_PORT, onServicePort: false, portGiven: false });
    const service = await start({ NODE_ENV: 'production', METRICS_PORT: '0' });
    try {
      expect((await ask(service.url)).status).toBe(200);
      expect((await fetch(`http://localhost:${service.port}/metrics`)).status).toBe(404);
      expect(service.metricsUrl).toBeDefined();
      expect(new URL(service.metricsUrl!).port).not.toBe(String(service.port));
      const text = await (await fetch(service.metricsUrl!)).text();
      expect(sample(text, 'graphql_requests_total', { service: 'probe', operation: 'Probe', outcome: 'ok' })).toBe(1);
      // A METRICS_PORT that was asked for and is taken stops the start, naming the variable.
      const taken = new URL(service.metricsUrl!).port;
      await expect(start({ NODE_ENV: 'production', METRICS_PORT: taken })).rejects.toThrow(`METRICS_PORT ${taken} cannot be listened on`);
    } finally {
      await service.stop();
    }
  });

  test('in production with METRICS_PUBLIC=true, on the public port too; in development, on the service port alone', async () => {
    expect(loadMetricsConfig({ NODE_ENV: 'development' })).toEqual({ port: null, onServicePort: true, portGiven: false });
    const [open, development] = await Promise.all([
      start({ NODE_ENV: 'production', METRICS_PORT: '0', METRICS_PUBLIC: 'true' }),
      start({ NODE_ENV: 'development' }),
    ]);
    try {
      expect((await fetch(`http://localhost:${open.port}/metrics`)).status).toBe(200);
      expect(development.metricsUrl).toBe(`http://localhost:${development.port}/metrics`);
      await ask(development.url);
      const text = await (await fetch(development.metricsUrl!)).text();
      expect(sample(text, 'graphql_requests_total', { operation: 'Probe' })).toBe(1);
    } finally {
      await Promise.all([open.stop(), development.stop()]);
    }
  });
});
