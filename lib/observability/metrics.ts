import http from 'node:http';
import { AggregatorRegistry, collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { readBoolean, readPort } from '../config';

type Env = Record<string, string | undefined>;

/** Where a service serves `GET /metrics`. */
export interface MetricsConfig {
  /** A listener of its own (`METRICS_PORT`; 0 picks a free one); null for none. @default 9464 in production, none otherwise */
  port: number | null;
  /** Also on the service's own port (`METRICS_PUBLIC`). @default true outside production, false in production */
  onServicePort: boolean;
  /**
   * METRICS_PORT was set: a port that cannot be listened on stops the start. The default one, in
   * use (several services on one host under NODE_ENV=production), costs only the listener, with a warning.
   */
  portGiven: boolean;
}

export const DEFAULT_METRICS_PORT = 9464;

export function loadMetricsConfig(env: Env, production = env.NODE_ENV === 'production'): MetricsConfig {
  const given = env.METRICS_PORT !== undefined && env.METRICS_PORT !== '';
  return {
    port: given ? readPort(env, 'METRICS_PORT', DEFAULT_METRICS_PORT) : production ? DEFAULT_METRICS_PORT : null,
    onServicePort: readBoolean(env, 'METRICS_PUBLIC', !production),
    portGiven: given,
  };
}

/** How a GraphQL request ended: no errors, data with errors, or errors alone (refused, or failed whole). */
export type Outcome = 'ok' | 'partial' | 'error';

/** Client-chosen operation names become labels: at most this many distinct ones per service, then "(other)". */
const MAX_OPERATION_NAMES = 200;
/** Seconds: 5 ms to 10 s, for every latency histogram of every service. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

let processRegistry: Registry | undefined;
/** Process metrics (CPU, memory, event loop, GC), once per process: services sharing one (tests) share them. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * One service's Prometheus metrics, in a registry of its own (labelled `service`), so that
 * several services in one process (the tests) never share or collide; services add their own
 * metrics to `registry`.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly operations = new Set<string>();
  private readonly graphqlRequests: Counter<'operation' | 'outcome'>;
  private readonly graphqlDuration: Histogram<'operation' | 'outcome'>;
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;

  constructor(readonly service: string) {
    this.registry.setDefaultLabels({ service });
    processMetrics();
    this.graphqlRequests = new Counter({
      name: 'graphql_requests_total',
      help: 'GraphQL requests answered, by operation name and outcome (ok, partial: data with errors, error)',
      labelNames: ['operation', 'outcome'],
      registers: [this.registry],
    });
    this.graphqlDuration = new Histogram({
      name: 'graphql_request_duration_seconds',
      help: 'Time to answer a GraphQL request, by operation name and outcome',
      labelNames: ['operation', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer an HTTP request (GraphQL and internal APIs), by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
  }

  graphqlRequest(operation: string | null, outcome: Outcome, seconds: number): void {
    const labels = { operation: this.operationLabel(operation), outcome };
    this.graphqlRequests.inc(labels);
    this.graphqlDuration.observe(labels, seconds);
  }

  httpRequest(method: string, route: string, status: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status: String(status) }, seconds);
  }

  /** The text Prometheus scrapes: this service's metrics, then the process's. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    const [own, shared] = await Promise.all([this.registry.metrics(), processMetrics().metrics()]);
    return { contentType: this.registry.contentType, body: `${own}\n${shared}` };
  }

  private operationLabel(name: string | null): string {
    if (name === null) return '(none)';
    if (this.operations.has(name)) return name;
    if (this.operations.size >= MAX_OPERATION_NAMES || name.length > 100) return '(other)';
    this.operations.add(name);
    return name;
  }
}

/** A listener serving only `GET /metrics` (production keeps metrics off the public port). */
export function listenForMetrics(metrics: ServiceMetrics, port: number): Promise<{ port: number; close(): Promise<void> }> {
  return serveMetrics(() => metrics.exposition(), port);
}

/**
 * In a node:cluster worker: answer the primary's requests for this service's and process's
 * metrics (prom-client's AggregatorRegistry), which it adds up over all workers.
 */
export function shareMetricsWithPrimary(metrics: ServiceMetrics): void {
  AggregatorRegistry.setRegistries([metrics.registry, processMetrics()]);
  new AggregatorRegistry();
}

/** In a node:cluster primary: `GET /metrics` on `port`, every worker's metrics added together. */
export function listenForClusterMetrics(port: number): Promise<{ port: number; close(): Promise<void> }> {
  const aggregate = new AggregatorRegistry();
  return serveMetrics(async () => ({ contentType: aggregate.contentType, body: await aggregate.clusterMetrics() }), port);
}

async function serveMetrics(
  exposition: () => Promise<{ contentType: string; body: string }>,
  port: number,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Metrics are at GET /metrics\n');
      return;
    }
    exposition().then(
      ({ contentType, body }) => response.writeHead(200, { 'content-type': contentType }).end(body),
      () => response.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '::', () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
