import { CircuitState } from 'cockatiel';
import { Counter, Gauge, Histogram } from 'prom-client';
import { LATENCY_BUCKETS, type ServiceMetrics } from '../lib/observability/metrics';

/** Why a subgraph call got no GraphQL answer (router/subgraph-source.ts). */
export type SubgraphFailureReason = 'timeout' | 'unreachable' | 'bad_answer' | 'circuit_open';

/** What the router counts of its calls to each subgraph. */
export interface SubgraphCallMetrics {
  /** A call answered (`ok`) or failed, after `seconds`. */
  called(subgraph: string, outcome: 'ok' | 'failed', seconds: number): void;
  failed(subgraph: string, reason: SubgraphFailureReason): void;
  circuit(subgraph: string, state: CircuitState): void;
}

/** The router's own metrics, in its registry: subgraph call latency, failures, and each circuit's state. */
export function subgraphCallMetrics(metrics: ServiceMetrics): SubgraphCallMetrics {
  const registers = [metrics.registry];
  const duration = new Histogram({
    name: 'router_subgraph_fetch_duration_seconds',
    help: 'Time of each call from the router to a subgraph, by subgraph and outcome (ok: a GraphQL answer; failed: none)',
    labelNames: ['subgraph', 'outcome'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const failures = new Counter({
    name: 'router_subgraph_fetch_errors_total',
    help: 'Subgraph calls that got no GraphQL answer, by subgraph and reason (timeout, unreachable, bad_answer, circuit_open)',
    labelNames: ['subgraph', 'reason'],
    registers,
  });
  const state = new Gauge({
    name: 'router_subgraph_circuit_state',
    help: "Each subgraph's circuit breaker: 0 closed, 1 open (failing fast), 2 half-open (one probe), 3 isolated",
    labelNames: ['subgraph'],
    registers,
  });
  const opened = new Counter({
    name: 'router_subgraph_circuit_opened_total',
    help: "Times a subgraph's circuit opened",
    labelNames: ['subgraph'],
    registers,
  });
  return {
    called: (subgraph, outcome, seconds) => duration.observe({ subgraph, outcome }, seconds),
    failed: (subgraph, reason) => failures.inc({ subgraph, reason }),
    circuit: (subgraph, circuitState) => {
      state.set({ subgraph }, circuitState);
      if (circuitState === CircuitState.Open) opened.inc({ subgraph });
      else opened.inc({ subgraph }, 0); // the series exists from the first call, at 0
    },
  };
}
