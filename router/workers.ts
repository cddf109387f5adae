import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../lib/log';
import { listenForClusterMetrics } from '../lib/observability/metrics';
import { SIGNAL_EXIT_CODES, SIGNALS, type Signal } from '../lib/shutdown';

/** A worker that dies within this long of its start is crash-looping: it is not started again. */
const MIN_WORKER_LIFE_MS = 10_000;

export interface WorkerOptions {
  /** How many router processes share the port (`ROUTER_WORKERS`). */
  workers: number;
  /** Where the workers' metrics are served added together (`METRICS_PORT`), or null for nowhere. */
  metricsPort: number | null;
  log: Logger;
}

/**
 * The primary of `ROUTER_WORKERS` > 1 (node:cluster): it forks that many router workers, which
 * share the router's port (the primary hands each connection to the next worker in turn), and
 * serves nothing itself but their metrics, added together, on METRICS_PORT (prom-client's
 * AggregatorRegistry). A worker that dies after it has served is replaced; one that dies within
 * 10 s of starting (a bad setting, a port in use) stops them all, and the primary exits 1.
 * On SIGTERM/SIGINT every worker is sent SIGTERM and drains as a single router would; the primary
 * exits 0 once all have stopped (1 if any failed to stop cleanly). The same signal again kills them,
 * and the primary exits as a single service would (128 + the signal's number).
 */
export async function superviseWorkers({ workers, metricsPort, log }: WorkerOptions): Promise<void> {
  let stopping: Signal | undefined;
  let failed = false;
  const started = new Map<Worker, number>();

  const fork = () => started.set(cluster.fork(), Date.now());
  // Always SIGTERM: after Ctrl-C each worker has its own SIGINT from the terminal already, and a
  // second SIGINT would make it exit at once instead of draining (lib/shutdown.ts).
  const stopAll = () => {
    for (const worker of started.keys()) if (!worker.isDead()) worker.process.kill('SIGTERM');
  };
  const metrics = metricsPort === null ? undefined : await listenForClusterMetrics(metricsPort);

  cluster.on('exit', (worker, code, signal) => {
    const since = started.get(worker) ?? Date.now();
    started.delete(worker);
    if (stopping) {
      if (code !== 0) failed = true;
      if (started.size === 0) {
        log.info('all router workers stopped');
        void Promise.resolve(metrics?.close()).finally(() => process.exit(failed ? 1 : 0));
      }
      return;
    }
    if (Date.now() - since < MIN_WORKER_LIFE_MS) {
      log.error('a router worker died while starting: stopping the others', { pid: worker.process.pid, code, signal });
      stopping = 'SIGTERM';
      failed = true;
      if (started.size === 0) process.exit(1);
      stopAll();
      return;
    }
    log.error('a router worker died: starting another', { pid: worker.process.pid, code, signal });
    fork();
  });
  for (const signal of SIGNALS) {
    process.on(signal, () => {
      if (stopping === signal) {
        process.stderr.write(`${signal} again while stopping: exiting now\n`);
        for (const worker of started.keys()) worker.process.kill('SIGKILL');
        process.exit(SIGNAL_EXIT_CODES[signal]);
      }
      if (stopping) return;
      stopping = signal;
      log.info('stopping the router workers', { signal, workers: started.size });
      stopAll();
    });
  }
  for (let i = 0; i < workers; i++) fork();
  log.info('router workers started', { workers, metricsPort });
}
